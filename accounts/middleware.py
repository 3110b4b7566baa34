"""Per-request plumbing: the current account, last-active time, and deny-by-default."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.access import ACCESS_ATTRIBUTE
from accounts.selectors import membership_current
from accounts.services import membership_touch


class CurrentAccountMiddleware:
    """Sets `request.membership`: the signed-in user's membership in the current account.

    The current account is kept in the session; a user with one active membership gets it
    without asking. None when signed out or when the user has not chosen yet.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        if request.user.is_authenticated:
            request.membership = membership_current(request)
            if request.membership is not None:
                membership_touch(
                    membership=request.membership,
                    now=timezone.now(),
                    interval=settings.LAST_ACTIVE_WRITE_INTERVAL,
                )
        return self.get_response(request)


class DenyByDefaultMiddleware:
    """Refuses every view that does not declare who may open it (accounts.access).

    Django admin guards itself (staff only) and is left to do so.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.namespace == "admin":
            return None
        if getattr(view_func, ACCESS_ATTRIBUTE, None) is None:
            raise PermissionDenied
        return None
