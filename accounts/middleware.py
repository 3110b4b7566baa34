"""Per-request plumbing: the current account, last-active time, deny-by-default, the methods a
page answers, and no caching of what a signed-in person sees."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from accounts.access import ACCESS_ATTRIBUTE, ALLOWED_METHODS
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
        if _is_django_admin(request):
            return None
        if getattr(view_func, ACCESS_ATTRIBUTE, None) is None:
            raise PermissionDenied
        return None


def _is_django_admin(request) -> bool:
    match = request.resolver_match
    return match is not None and match.namespace == "admin"


class AllowedMethodsMiddleware:
    """Answers 405 to a method no page uses (accounts.access.ALLOWED_METHODS), signed in or
    not, before the view or the sign-in redirect. Django admin is left to itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in ALLOWED_METHODS or _is_django_admin(request):
            return None
        return HttpResponseNotAllowed(ALLOWED_METHODS)


class NoStoreWhenSignedInMiddleware:
    """Every answer to a signed-in request (pages, CSV exports, redirects) tells browsers and
    proxies not to keep it: a shared computer's back button or a proxy's cache must not show one
    person's account to the next. Public pages keep their own headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
