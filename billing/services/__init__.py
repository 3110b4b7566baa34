"""Every write of the billing floor, split along the domain (STYLE.md item 14)."""

from billing.services.bundles import Bundle, BundleQuote, bundle_quote, bundle_renewal_state
from billing.services.cards import billing_contact_save, card_save
from billing.services.changes import (
    auto_renewal_cancel,
    auto_renewal_resume,
    subscription_change_cancel,
    subscription_interval_switch,
)
from billing.services.checkout import bundle_checkout
from billing.services.purchases import seats_purchase, seats_purchase_quote
from billing.services.removals import seat_removal_cancel, seat_removal_schedule
from billing.services.renewal_batches import renewals_run
from billing.services.renewals import invoice_retry, subscription_renew
from billing.services.sales import sales_request_create
from billing.services.subscriptions import subscription_start

__all__ = [
    "Bundle",
    "BundleQuote",
    "auto_renewal_cancel",
    "auto_renewal_resume",
    "billing_contact_save",
    "bundle_checkout",
    "bundle_quote",
    "bundle_renewal_state",
    "card_save",
    "invoice_retry",
    "renewals_run",
    "sales_request_create",
    "seat_removal_cancel",
    "seat_removal_schedule",
    "seats_purchase",
    "seats_purchase_quote",
    "subscription_change_cancel",
    "subscription_interval_switch",
    "subscription_renew",
    "subscription_start",
]
