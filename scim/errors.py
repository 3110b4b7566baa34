"""SCIM's own refusals, under accounts.errors.DomainError like every floor's."""

from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError


class ScimError(DomainError):
    code = "scim_error"


class UserNameImmutable(ScimError):
    code = "scim_user_name_immutable"
    field = "userName"
    message = _(
        "userName is the person's seatmgr sign-in, shared with their other accounts, and can't "
        "be changed by provisioning. Remove the user and provision the new address."
    )


class UserExists(ScimError):
    code = "scim_user_exists"
    field = "userName"
    message = _("{email} is already a user of this account.")


class UnknownSeatType(ScimError):
    code = "scim_unknown_seat_type"
    field = "seatType"
    message = _("seatType must be one of: core, sales, service, view_only, partner.")


class FallbackSeatNotFree(ScimError):
    code = "scim_fallback_not_free"
    field = "fallback_seat"
    message = _("The fallback must be a free seat (View-only or Partner), or none.")


class SeatRuleTeamTaken(ScimError):
    code = "scim_rule_team_taken"
    field = "team"
    message = _("This team already has a seat rule. Remove it first to change it.")
