"""Billing's domain errors, in the one hierarchy views turn into messages (seats.errors)."""

from django.utils.translation import gettext_lazy as _

from seats.errors import SeatsError


class BillingError(SeatsError):
    code = "billing_error"
    message = _("This billing change is not allowed.")


class SubscriptionExists(BillingError):
    code = "subscription_exists"
    message = _("This account already has a subscription. Change it instead of starting another.")
