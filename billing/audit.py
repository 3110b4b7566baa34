"""How the one change formatter (seats.changes, floor 2) writes what billing records in its
audit events: hubs, tiers and add-ons by their catalogue names, money as money, intervals and
statuses by their labels. Registered once at start-up (BillingConfig.ready), so floor 2 never
imports billing."""

from typing import Any

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditVerb
from billing.catalogue import HubCode, TierCode, catalogue_get
from billing.models import SubscriptionStatus
from billing.money import money_format
from billing.periods import BillingInterval
from seats.catalogue import SEAT_RULES
from seats.changes import change_key_register

_HUBS, _TIERS = dict(HubCode.choices), dict(TierCode.choices)


def _product(code: Any) -> str:
    if code in _HUBS:
        return str(_HUBS[code])
    addon = catalogue_get().addons.get(code)
    # The catalogue's words in the reader's language (billing.catalogue_words).
    return gettext(addon.name) if addon else str(code)


def _level(value: Any) -> str:
    # A hub's tier, or an add-on's quantity.
    return str(_TIERS.get(value, value))


def _products(value: Any) -> str:
    """{"marketing": "professional", "extra_contacts": 2} → "Marketing Hub: Professional; …"."""
    if isinstance(value, dict):
        return "; ".join(f"{_product(k)}: {_level(v)}" for k, v in sorted(value.items())) or "—"
    if isinstance(value, list):
        return ", ".join(_product(v) for v in value) or "—"
    return _product(value)


def _seat_label(key: str) -> str:
    """A seat type by its label in the reader's language: recorded by its code ("core"), or by
    its English label in events written before the codes were ("Core seat")."""
    for seat_type, rule in SEAT_RULES.items():
        with translation.override("en"):
            english = str(rule.label)
        if key in {seat_type, english}:
            return str(rule.label)
    return key


def _counts(value: Any) -> str:
    if isinstance(value, dict):
        counts = sorted((_seat_label(str(k)), v) for k, v in value.items())
        return "; ".join(f"{label}: {count}" for label, count in counts) or "—"
    return str(value)


def _money(cents: Any) -> str:
    return money_format(cents, catalogue_get().currency) if isinstance(cents, int) else str(cents)


def _choices(pairs) -> Any:
    labels = dict(pairs)
    return lambda value: str(labels.get(value, value))


def audit_keys_register() -> None:
    change_key_register("hubs", _("Hubs"), _products)
    change_key_register("addons", _("Add-ons"), _products)
    change_key_register("applied_at_renewal", _("Applied at renewal"), _products)
    change_key_register("now", _("Changed now"), _products)
    change_key_register("at_renewal", _("Changed at renewal"), _products)
    change_key_register("product", _("Product"), _products)
    change_key_register("extra_seats", _("Extra seats"), _counts)
    change_key_register("tier_at_renewal", _("Tier at renewal"), _level)
    change_key_register("quantity_at_renewal", _("Quantity at renewal"))
    change_key_register("remove_at_renewal", _("Removed at renewal"))
    change_key_register("pending", _("Pending change"))
    change_key_register("interval", _("Billing"), _choices(BillingInterval.choices))
    change_key_register(
        "interval_at_renewal", _("Billing from the renewal"), _choices(BillingInterval.choices)
    )
    change_key_register("status", _("Status"), _choices(SubscriptionStatus.choices))
    change_key_register("amount_cents", _("Amount"), _money)
    change_key_register("charged_cents", _("Charged now"), _money)
    change_key_register("auto_renewal", _("Auto-renewal"))
    change_key_register(
        "auto_renewal",
        _("Seats at renewal"),
        verbs=[AuditVerb.SEAT_REMOVAL_SCHEDULED, AuditVerb.SEAT_REMOVAL_CANCELLED],
    )
    change_key_register("card", _("Card"))
    change_key_register("replaced", _("Replaced the card on file"))
    change_key_register("billing_contact", _("Billing contact"))
    change_key_register("ended", _("Ended"))
    change_key_register("ends", _("Ends"))
    change_key_register("effective", _("Takes effect"))
    change_key_register("period_start", _("Period start"))
    change_key_register("period_end", _("Period end"))
    change_key_register("paid", _("Paid"))
