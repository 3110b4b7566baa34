"""Billing's domain errors, in the one hierarchy views turn into messages (seats.errors)."""

from django.utils.translation import gettext_lazy as _

from seats.errors import SeatsError


class BillingError(SeatsError):
    code = "billing_error"
    message = _("This billing change is not allowed.")


class SubscriptionExists(BillingError):
    code = "subscription_exists"
    message = _("This account already has a subscription. Change it instead of starting another.")


class NoSubscription(BillingError):
    code = "no_subscription"
    message = _("This account has no subscription yet. Choose one in Pricing & Features first.")


class NoCardOnFile(BillingError):
    code = "no_card_on_file"
    message = _("Add a card before buying seats.")


class SeatsNotForSale(BillingError):
    """Context: `seat` (label)."""

    code = "seats_not_for_sale"
    message = _("Your plan doesn't sell {seat}s. Upgrade in Pricing & Features.")


class InvalidQuantity(BillingError):
    """Context: `maximum`."""

    code = "invalid_quantity"
    message = _("Choose a number of seats from 1 to {maximum}.")


class RemovalTooLarge(BillingError):
    """Context: `maximum`, `seat` (label), `assigned`, `included`."""

    code = "removal_too_large"
    message = _(
        "You can remove at most {maximum} {seat}s: {assigned} are assigned, and the {included} "
        "included with your plan can't be removed. Unassign seats first to remove more."
    )


class NoPendingRemoval(BillingError):
    code = "no_pending_removal"
    message = _("There is no removal to cancel.")
