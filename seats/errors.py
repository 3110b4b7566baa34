"""Every error of the seats floor, under the one tree rooted at accounts.errors.DomainError.

Views turn them into messages at the field they concern (accounts.errors.form_error_add), never a
500. Seat pools, a member's seat and access, permission sets, presets and bulk edit all raise
from here.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.errors import DomainError


class SeatsError(DomainError):
    """Something a user asked for that the seat and permission rules do not allow."""

    code: str = "seats_error"


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
    """More paid seats are needed than are free. Context: `missing`, `seat` (its label),
    `seat_type` (its code, for a link to buy them)."""

    code = "not_enough_seats"

    def __init__(self, *, missing: int, seat: Any, seat_type: str = "") -> None:
        message = ngettext_lazy(
            "You need {missing} more {seat}.", "You need {missing} more {seat}s.", missing
        )
        super().__init__(message, missing=missing, seat=seat, seat_type=seat_type)


class NotEnoughSeatsAtRenewal(NotEnoughSeats):
    """Seats are free now, but a scheduled downgrade leaves fewer from the renewal date.
    Context: `missing`, `seat`, `seat_type`, `total` (the seats the next period keeps)."""

    code = "not_enough_seats_at_renewal"

    def __init__(self, *, missing: int, seat: Any, total: int, seat_type: str = "") -> None:
        message = ngettext_lazy(
            "The plan change scheduled for the renewal date leaves {total} {seat}s, so you need "
            "{missing} more {seat}. Buy seats, or cancel that change on Account & Billing.",
            "The plan change scheduled for the renewal date leaves {total} {seat}s, so you need "
            "{missing} more {seat}s. Buy seats, or cancel that change on Account & Billing.",
            missing,
        )
        SeatsError.__init__(
            self, message, missing=missing, seat=seat, seat_type=seat_type, total=total
        )


class SeatTypeEndsAtRenewal(SeatsError):
    """The plan change scheduled for the renewal date drops this paid seat type. Context: `seat`."""

    code = "seat_type_ends_at_renewal"
    message = _(
        "{seat}s end at the renewal date: the plan change scheduled then no longer includes "
        "them. Cancel that change on Account & Billing to assign {seat}s."
    )


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


class PermissionsAboveSeat(SeatsError):
    """Context: `seat` (label), `permissions` (labels, comma-separated)."""

    code = "permissions_above_seat"
    message = _("A {seat} can't hold these permissions: {permissions}.")


class PermissionsNotHeld(SeatsError):
    """Context: `permissions` (labels, comma-separated)."""

    code = "permissions_not_held"
    message = _("You can't grant permissions you don't have yourself: {permissions}.")


class SuperAdminOnly(SeatsError):
    code = "super_admin_only"
    message = _("Only a super admin can make someone a super admin.")


class SuperAdminNotWhileDeactivated(SeatsError):
    code = "super_admin_not_while_deactivated"
    message = _("A deactivated user can't be made a super admin. Reactivate them first.")


class LastSuperAdmin(SeatsError):
    code = "last_super_admin"
    message = _(
        "This is the account's last active super admin. Make someone else a super admin first."
    )


class MemberNotDeactivated(SeatsError):
    code = "member_not_deactivated"
    message = _("Deactivate this user before removing them from the account.")


class SeatNotReleasable(SeatsError):
    code = "seat_not_releasable"
    message = _(
        "Only the paid seat of a deactivated user, or of someone whose invitation was revoked, "
        "can be released here. To change an active user's seat, use Assign a seat."
    )


class SubscriptionEnding(SeatsError):
    """Context: `seat` (label)."""

    code = "subscription_ending"
    message = _(
        "Auto-renewal is cancelled, so no {seat}s can be assigned. Resume auto-renewal on the "
        "Account & Billing page first."
    )


class BulkRefused(SeatsError):
    """Nothing was changed; `problems` says why, user by user: [(email, why)]."""

    code = "bulk_refused"
    message = _("Nothing was changed. Fix what is listed below, or leave those users out.")

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.problems = list(problems)

    @classmethod
    def check_each(cls, members: Iterable[Any], check: Callable[[Any], None]) -> None:
        """Run `check` on every member; raise one BulkRefused naming each refused one."""
        problems = []
        for membership in members:
            try:
                check(membership)
            except DomainError as refused:
                problems.append((membership.user.email, str(refused)))
        if problems:
            raise cls(problems)


class NoUsersSelected(SeatsError):
    code = "no_users_selected"
    message = _("Select at least one user.")


class TemplateRequired(SeatsError):
    code = "template_required"
    field = "template"
    message = _("Choose a permission set to start from.")


class NameRequired(SeatsError):
    code = "name_required"
    field = "name"
    message = _("Give it a name.")


class PermissionSetNameTaken(SeatsError):
    """Context: `name`."""

    code = "permission_set_name_taken"
    field = "name"
    message = _("There is already a permission set called “{name}”. Choose another name.")


class SeatsCantHoldSet(SeatsError):
    """Some members' seats can't hold a set's permissions. Context: `seat` (the label of the
    seat the set needs), `emails` (the members, comma-separated)."""

    code = "seats_cant_hold_set"
    message = _(
        "This permission set needs a {seat}. These users' seats can't hold it: {emails}. "
        "Give them a {seat} first, or leave them out."
    )


class NoUsersChosen(SeatsError):
    code = "no_users_chosen"
    message = _("Choose at least one user.")


class PresetNameTaken(SeatsError):
    """Context: `name`."""

    code = "preset_name_taken"
    field = "name"
    message = _("There is already a preset called “{name}”. Choose another name.")


class LandingPageUnknown(SeatsError):
    code = "landing_page_unknown"
    field = "default_landing_page"
    message = _("Choose a landing page from the list.")


# "Request a seat" (seats.requests).


class SeatRequestOnlyFromViewOnly(SeatsError):
    """Context: `seat` (the label of the seat the member holds)."""

    code = "seat_request_not_view_only"
    field = "seat_type"
    message = _("You already have a {seat}. Seat requests are for people on a View-only seat.")


class SeatRequestDuplicate(SeatsError):
    """Context: `seat` (its label)."""

    code = "seat_request_duplicate"
    field = "seat_type"
    message = _(
        "You already asked for a {seat}: your request is waiting for an admin. "
        "Cancel it below if you want to ask again."
    )


class SeatRequestReasonRequired(SeatsError):
    code = "seat_request_reason_required"
    field = "reason"
    message = _("Say why you need the seat, so that an admin can decide.")


class SeatRequestClosed(SeatsError):
    """Context: `status` (its label, lower case)."""

    code = "seat_request_closed"
    message = _("This request is no longer open: it was {status}.")


class SeatRequestNoSeatLeft(SeatsError):
    """Approving needs a seat the account doesn't have. Context: `seat`, `name`."""

    code = "seat_request_no_seat_left"
    message = _(
        "No {seat} is left to give {name}. A billing admin can buy one and approve the request "
        "in one step (“Buy 1 {seat} and approve”)."
    )


class SeatRequestsNotYours(SeatsError):
    code = "seat_request_not_allowed"
    message = _(
        "Only super admins and people who can add and edit users decide seat requests, and only "
        "the person who asked can cancel one."
    )
