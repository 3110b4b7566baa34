"""What the settings shell (base layout and left menu) needs on every page."""

from django.utils.functional import SimpleLazyObject

from accounts.policy import AccountPermission, membership_can, membership_is_super_admin
from accounts.selectors import memberships_selectable, notifications_unread_count


def settings_shell(request) -> dict:
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"current_membership": None}
    return {
        "current_membership": membership,
        "can": {
            "manage_users": membership_can(membership, AccountPermission.USERS),
            "manage_teams": membership_can(membership, AccountPermission.TEAMS),
            "manage_presets": membership_can(membership, AccountPermission.PRESETS),
            "manage_billing": membership_can(membership, AccountPermission.BILLING),
            "account_defaults": membership_can(membership, AccountPermission.DEFAULTS),
            "super_admin": membership_is_super_admin(membership),
        },
        "unread_notifications": SimpleLazyObject(
            lambda: notifications_unread_count(membership=membership) if membership else 0
        ),
        # Read with the signed-in person (accounts.signed_in): no query of its own.
        "switchable_memberships": SimpleLazyObject(lambda: memberships_selectable(user=user)),
    }
