"""Every write of the billing floor, split along the domain (STYLE.md item 14)."""

from billing.services.cards import billing_contact_save, card_save
from billing.services.purchases import seats_purchase, seats_purchase_quote
from billing.services.removals import seat_removal_cancel, seat_removal_schedule
from billing.services.renewals import invoice_retry, renewals_run, subscription_renew
from billing.services.subscriptions import subscription_start

__all__ = [
    "billing_contact_save",
    "card_save",
    "invoice_retry",
    "renewals_run",
    "seat_removal_cancel",
    "seat_removal_schedule",
    "seats_purchase",
    "seats_purchase_quote",
    "subscription_renew",
    "subscription_start",
]
