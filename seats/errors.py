"""The errors of the seats domain: one small hierarchy that views turn into messages, never a 500.

Each error has a stable `code` (for logs, the JSON API and tests; never changes once shipped) and
a `message` written for the person on the screen. The message is a translatable template whose
`{placeholders}` are filled from the keyword arguments the error was raised with, at the moment
it is shown, so it reads in the language of whoever sees it.
"""

from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy


class _KeepUnknown(dict[str, Any]):
    # A placeholder with no value in the context stays as written rather than raising KeyError:
    # a missing detail must never turn an error message into a crash.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _interpolate(template: Any, context: dict[str, Any]) -> str:
    return str(template).format_map(_KeepUnknown(context))


_interpolate_lazy = lazy(_interpolate, str)


class SeatsError(Exception):
    """Something a user asked for that the seat and permission rules do not allow."""

    code: str = "seats_error"
    message: Any = _("This change is not allowed.")

    def __init__(self, message: Any = None, **context: Any) -> None:
        self.context = context
        template = self.message if message is None else message
        self.message = _interpolate_lazy(template, context) if context else template
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)


class UnknownPermission(SeatsError):
    """A permission code the catalogue does not know. Context: `permission`."""

    code = "unknown_permission"
    message = _("“{permission}” is not a permission.")


class InvalidLevel(SeatsError):
    """A level the permission does not have. Context: `permission`, `level`."""

    code = "invalid_level"
    message = _("“{level}” is not a level of the permission “{permission}”.")


class UnknownPermissionSet(SeatsError):
    """A built-in permission set code that does not exist. Context: `permission_set`."""

    code = "unknown_permission_set"
    message = _("There is no permission set “{permission_set}”.")


class NotEnoughSeats(SeatsError):
    """More paid seats are needed than are free. Context: `missing`, `seat` (its label)."""

    code = "not_enough_seats"

    def __init__(self, *, missing: int, seat: Any) -> None:
        message = ngettext_lazy(
            "You need {missing} more {seat}.", "You need {missing} more {seat}s.", missing
        )
        super().__init__(message, missing=missing, seat=seat)


class SeatTypeUnavailable(SeatsError):
    """The account's subscription does not offer this paid seat type. Context: `seat`."""

    code = "seat_type_unavailable"
    message = _(
        "{seat}s are not part of this account's subscription. Sales and Service seats need "
        "Sales Hub or Service Hub Professional or Enterprise."
    )


class PartnerDomainRequired(SeatsError):
    """A Partner seat for an address outside the linked partners' domains. Context: `emails`."""

    code = "partner_domain_required"
    message = _(
        "Partner seats are only for employees of a solutions partner linked to this account. "
        "Not on a partner's domain: {emails}."
    )


class SuperAdminNeedsPaidSeat(SeatsError):
    code = "super_admin_needs_paid_seat"
    message = _("A super admin can't be on a View-only seat. Choose a paid seat first.")


class AlreadyMember(SeatsError):
    """Context: `email`."""

    code = "already_member"
    message = _("{email} is already a user in this account.")


class PermissionsAboveSeat(SeatsError):
    """Context: `seat` (label), `permissions` (labels, comma-separated)."""

    code = "permissions_above_seat"
    message = _("A {seat} can't hold these permissions: {permissions}.")


class PermissionsNotHeld(SeatsError):
    """Context: `permissions` (labels, comma-separated)."""

    code = "permissions_not_held"
    message = _("You can't grant permissions you don't have yourself: {permissions}.")


class SuperAdminsOnlyBySuperAdmins(SeatsError):
    code = "super_admin_target"
    message = _("Only a super admin can change a super admin.")


class SuperAdminOnly(SeatsError):
    code = "super_admin_only"
    message = _("Only a super admin can make someone a super admin.")


class LastSuperAdmin(SeatsError):
    code = "last_super_admin"
    message = _(
        "This is the account's last active super admin. Make someone else a super admin first."
    )


class MemberNotDeactivated(SeatsError):
    code = "member_not_deactivated"
    message = _("Deactivate this user before removing them from the account.")


class PasswordResetUnavailable(SeatsError):
    """Context: `email`."""

    code = "password_reset_unavailable"
    message = _(
        "{email} hasn't set a password yet or can't use the account: resend their invite instead."
    )


class SubscriptionEnding(SeatsError):
    """Context: `seat` (label)."""

    code = "subscription_ending"
    message = _(
        "Auto-renewal is cancelled, so no {seat}s can be assigned. Resume auto-renewal on the "
        "Account & Billing page first."
    )
