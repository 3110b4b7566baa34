"""Decorators that declare who may open a view. Every view must carry one.

DenyByDefaultMiddleware refuses any view that declares nothing, so a page added without a
decision about who may see it is closed, not open.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from accounts.models import MembershipStatus
from accounts.policy import AccountPermission, membership_can, membership_is_super_admin

ACCESS_ATTRIBUTE = "seatmgr_access"
# The methods any page answers (accounts.middleware.AllowedMethodsMiddleware): it is read (GET,
# HEAD) or it takes a form (POST). Anything else (PUT, PATCH, DELETE, OPTIONS, TRACE) is a 405
# before a view runs, rather than a view answering it as if it were a GET. A view may allow
# fewer (require_POST).
ALLOWED_METHODS = ("GET", "HEAD", "POST")
SUPER_ADMIN = "super_admin"


# Set on views that answer every method themselves, with an error of their own for a method
# they don't take (SCIM's endpoints: a SCIM error): AllowedMethodsMiddleware lets them through.
OWN_METHODS_ATTRIBUTE = "seatmgr_own_methods"


def own_methods(view: Callable) -> Callable:
    setattr(view, OWN_METHODS_ATTRIBUTE, True)
    return view


def public(view: Callable) -> Callable:
    """Reachable without signing in: sign-in, password reset, invitation links."""
    view = login_not_required(view)
    setattr(view, ACCESS_ATTRIBUTE, "public")
    return view


def signed_in(view: Callable) -> Callable:
    """Any signed-in person, whatever their accounts (the account chooser)."""
    setattr(view, ACCESS_ATTRIBUTE, "signed_in")
    return view


def no_access_response(request, status: int = 403) -> TemplateResponse:
    return TemplateResponse(
        request, "accounts/no_access.html", {"membership": request.membership}, status=status
    )


def member_required(permission: AccountPermission | str | None = None) -> Callable:
    """An active member of the current account, holding `permission` when one is named.

    `permission` is an AccountPermission, or SUPER_ADMIN for pages only super admins may open.
    No current account: the account chooser. A deactivated member: the "no access" page.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            membership = request.membership
            if membership is None:
                return redirect("accounts:choose_account")
            if membership.status != MembershipStatus.ACTIVE:
                return no_access_response(request)
            if permission == SUPER_ADMIN:
                allowed = membership_is_super_admin(membership)
            elif permission is not None:
                allowed = membership_can(membership, AccountPermission(permission))
            else:
                allowed = True
            if not allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        setattr(wrapped, ACCESS_ATTRIBUTE, str(permission or "member"))
        return wrapped

    return decorator
