"""The one authorisation check every view and service uses. Deny by default.

A super admin may do everything. Anyone else may do what their membership's permissions say,
and only while the membership is active. The administrative permissions of the catalogue's
Account tab are named here, on the ground floor, because the settings pages are gated by them;
the rest of the catalogue (CRM, Marketing, Sales, ...) is seats.catalogue's business.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from accounts.errors import SuperAdminsOnlyBySuperAdmins
from accounts.models import Membership, MembershipStatus

# Every permission stores one level out of an ordered list; a toggle is "off" or "on".
ON = "on"
OFF = "off"


class AccountPermission(StrEnum):
    """The Account tab of the permission catalogue: toggles that gate the settings pages."""

    USERS = "account.users"
    TEAMS = "account.teams"
    BILLING = "account.billing"
    DEFAULTS = "account.defaults"
    PRESETS = "account.presets"

    @property
    def label(self) -> str:
        return str(ACCOUNT_PERMISSION_LABELS[self])


ACCOUNT_PERMISSION_LABELS = {
    AccountPermission.USERS: _("Add and edit users"),
    AccountPermission.TEAMS: _("Add and edit teams"),
    AccountPermission.BILLING: _("Edit billing"),
    AccountPermission.DEFAULTS: _("Edit account defaults"),
    AccountPermission.PRESETS: _("Presets"),
}


def membership_can(membership: Membership | None, permission: AccountPermission) -> bool:
    """May this member use what `permission` gates, in the membership's account, right now?"""
    if membership is None or membership.status != MembershipStatus.ACTIVE:
        return False
    if membership.is_super_admin:
        return True
    return membership.permissions.get(str(permission)) == ON


def membership_is_super_admin(membership: Membership | None) -> bool:
    return (
        membership is not None
        and membership.status == MembershipStatus.ACTIVE
        and membership.is_super_admin
    )


def super_admin_target_check(membership: Membership, actor_membership: Membership | None) -> None:
    """Only a super admin changes a super admin (their seat, access, teams, password, status).
    `actor_membership` None is system work (the demo, a migration)."""
    if (
        membership.is_super_admin
        and actor_membership is not None
        and not actor_membership.is_super_admin
    ):
        raise SuperAdminsOnlyBySuperAdmins()
