"""Every error of the billing floor, under the one tree rooted at accounts.errors.DomainError.

Views turn them into messages at the field they concern (accounts.errors.form_error_add), never a
500. Subscriptions, bundles and checkout, seat purchases and removals, auto-renewal and the payment
gateway (a real provider's class raises these too) all raise from here.

Not here: billing.catalogue.CatalogueError, a ValueError for a broken catalogue file found at
start-up (a configuration error an operator fixes, never shown to a customer), and
billing.catalogue.SeatNotForSaleError, a lookup miss of a pure catalogue function that its
callers turn into SeatsNotForSale or a price of 0.
"""

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.errors import DomainError
from accounts.text import seat_count_lazy


class BillingError(DomainError):
    """Something a user asked for that the billing rules (or the payment provider) refuse."""

    code = "billing_error"
    message = _("This billing change is not allowed.")


# --- Subscriptions, bundles and auto-renewal -----------------------------------------------------


class SubscriptionExists(BillingError):
    code = "subscription_exists"
    message = _("This account already has a subscription. Change it instead of starting another.")


class NoSubscription(BillingError):
    code = "no_subscription"
    message = _("This account has no subscription yet. Choose one in Pricing & Features first.")


class InvalidBundle(BillingError):
    code = "invalid_bundle"
    message = _("Choose at least one hub or add-on, each from the catalogue.")


class SeatsStillAssigned(BillingError):
    """Context: `count`, `people` (names, comma-separated), `names` (a list), `seat` (label),
    `seats` (the label in the plural)."""

    code = "seats_still_assigned"
    message = _(
        "Reassign these {count} users first: {people}. The new plan doesn't include {seats}."
    )


class NotEnoughCoreSeatsAtRenewal(BillingError):
    """Context: `total`, `assigned`."""

    code = "not_enough_core_seats_at_renewal"
    message = _(
        "After this change your plan has {total} Core seats, but {assigned} are assigned. "
        "Unassign Core seats or buy more first."
    )


class PaidSeatsAssigned(BillingError):
    """Context: `count`, `people`, `names`."""

    code = "paid_seats_assigned"
    message = _(
        "Auto-renewal can be cancelled only when no paid seats are assigned. "
        "Move these {count} users to a View-only seat first: {people}."
    )


class NoPendingChange(BillingError):
    code = "no_pending_change"
    message = _("There is no pending change to cancel.")


# --- Seats bought and removed --------------------------------------------------------------------


class SeatsNotForSale(BillingError):
    """Context: `seat` (label), `seats` (the label in the plural)."""

    code = "seats_not_for_sale"
    message = _("Your plan doesn't sell {seats}. Upgrade in Pricing & Features.")


class InvalidQuantity(BillingError):
    """Context: `maximum`."""

    code = "invalid_quantity"
    message = _("Choose a number of seats from 1 to {maximum}.")


class RemovalTooLarge(BillingError):
    """Context: `maximum`, `seat_type`, `seats` (`maximum` seats of that type, counted: "2 Core
    seats"), `assigned`, `included` (what the next period's plan includes, which can't be
    removed)."""

    code = "removal_too_large"

    def __init__(self, *, maximum: int, seat_type: str, assigned: int, included: int) -> None:
        most = _("You can remove at most {seats}:")
        held = ngettext_lazy("{assigned} is assigned", "{assigned} are assigned", assigned)
        if included:
            why = format_lazy(
                "{}, {}", held, _("and the {included} included with your plan can't be removed.")
            )
        else:
            why = format_lazy("{}.", held)
        message = format_lazy("{} {} {}", most, why, _("Unassign seats first to remove more."))
        super().__init__(
            message,
            maximum=maximum,
            seat_type=seat_type,
            seats=seat_count_lazy(seat_type, maximum),
            assigned=assigned,
            included=included,
        )


class NoPendingRemoval(BillingError):
    code = "no_pending_removal"
    message = _("There is no removal to cancel.")


# --- The card and the payment gateway ------------------------------------------------------------


class NoCardOnFile(BillingError):
    code = "no_card_on_file"
    message = _("Add a card before buying seats.")


class CardInvalid(BillingError):
    """The card was refused before any charge. `field`: "number", "expiry" or "cvc" (or "token":
    a charge named a token this provider did not issue; the card must be entered again)."""

    code = "card_invalid"
    message = _("Check the card number, expiry date and security code.")


class CardDeclined(BillingError):
    """The bank refused the charge; nothing was taken."""

    code = "card_declined"
    message = _(
        "Your card was declined. Nothing was charged. Use another card or contact your bank."
    )


class GatewayUnavailable(BillingError):
    """The provider could not be reached or answered with an error; nothing was taken."""

    code = "gateway_unavailable"
    message = _(
        "The payment provider could not be reached. Nothing was charged; try again in a moment."
    )


class AuthenticationRequired(BillingError):
    """The bank asks the card holder to authenticate the payment (3-D Secure), and they are not
    there (a renewal): nothing was taken. `payment_id` names the payment waiting for them."""

    code = "authentication_required"
    message = _(
        "Your bank asks you to confirm this payment. Nothing was charged yet; "
        "confirm it from the link we sent, or use another card."
    )

    def __init__(self, *, payment_id: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.payment_id = payment_id
