"""What the settings shell (base layout and left menu) needs on every page."""

from django.conf import settings
from django.urls import get_script_prefix
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from accounts.policy import AccountPermission, membership_can, membership_is_super_admin
from accounts.selectors import memberships_selectable, notifications_unread_count


def settings_shell(request) -> dict:
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"current_membership": None, "shell_key": shell_key(request, None, {})}
    can = {
        "manage_users": membership_can(membership, AccountPermission.USERS),
        "manage_teams": membership_can(membership, AccountPermission.TEAMS),
        "manage_presets": membership_can(membership, AccountPermission.PRESETS),
        "manage_billing": membership_can(membership, AccountPermission.BILLING),
        "account_defaults": membership_can(membership, AccountPermission.DEFAULTS),
        "super_admin": membership_is_super_admin(membership),
    }
    return {
        "current_membership": membership,
        "can": can,
        "shell_key": shell_key(request, membership, can),
        "unread_notifications": SimpleLazyObject(
            lambda: notifications_unread_count(membership=membership) if membership else 0
        ),
        # Read with the signed-in person (accounts.signed_in): no query of its own.
        "switchable_memberships": SimpleLazyObject(lambda: memberships_selectable(user=user)),
    }


def shell_key(request, membership, can: dict[str, bool]) -> str:
    """Everything the settings menu and the Users & Teams tabs are drawn from, but their data
    (templates/shell.html and partials/users_teams_tabs.html keep them in Django's fragment
    cache under it): the URL prefix and URLconf, the language, whether the membership is
    active, what it may do and which page this is (its links and aria-current)."""
    match = request.resolver_match
    return "|".join(
        (
            get_script_prefix(),
            getattr(request, "urlconf", None) or settings.ROOT_URLCONF,
            get_language() or "",
            "active" if membership is not None and membership.is_active else "",
            "".join("1" if allowed else "0" for allowed in can.values()),
            match.app_name if match else "",
            match.view_name if match else "",
        )
    )
