"""The Audit log's words for what SCIM's events record (the change formatter, seats.changes,
learns them when the app is ready)."""

from django.utils.translation import gettext_lazy as _

from seats.catalogue import SEAT_RULES
from seats.changes import change_key_register


def _seat(value) -> str:
    labels = {str(seat): str(rule.label) for seat, rule in SEAT_RULES.items()}
    return labels.get(str(value), str(value)) if value else str(_("Refuse the user"))


def audit_keys_register() -> None:
    change_key_register("default_seat", _("Default seat"), _seat)
    change_key_register("fallback_seat", _("When no seat of that type is left"), _seat)
    change_key_register(
        "release_seat_on_deactivate", _("Release the paid seat of a deactivated user")
    )
    change_key_register("send_invitations", _("Email provisioned users an invitation"))
    change_key_register("seat_rule", _("Seat rule"))
    change_key_register("first_name", _("First name"))
    change_key_register("last_name", _("Last name"))
