"""The Stripe gateway: billing.gateway's interface over Stripe's API, with the official library.

Configured from the environment (settings.STRIPE_*), never from the database, and never logged:
the secret key lives in the client, and errors are logged by their code, not their request.

- A Customer per account; cards are typed into Stripe Elements on the "Payment method" page and
  saved with a SetupIntent, never seen by seatmgr (`collects_cards`): seatmgr keeps the
  PaymentMethod id, brand, last four and expiry.
- A charge is a PaymentIntent, created and confirmed in one call with the caller's idempotency
  key. With the card holder there, it may answer `requires_action` (3-D Secure): the charge comes
  back waiting, with the client secret Stripe.js needs. Off session (renewals), Stripe refuses at
  once with `authentication_required`.
- A network error is retried by the library with the same idempotency key, so Stripe takes the
  money once; when every retry fails, GatewayUnavailable (nothing known to be taken: the
  caller's next attempt with the same key gets Stripe's first answer).
"""

import contextlib
import logging
from typing import Any, ClassVar

import stripe
from django.conf import settings

from billing.errors import AuthenticationRequired, CardDeclined, CardInvalid, GatewayUnavailable
from billing.gateway_types import (
    CardDetails,
    CardSetup,
    Charge,
    CustomerCard,
    GatewayEvent,
    PaymentStatus,
    WebhookInvalid,
)

logger = logging.getLogger(__name__)

# Stripe's card brands as seatmgr shows them (others are shown capitalised).
BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
}
# Stripe.js must be loaded from Stripe (never bundled), and these are the origins it uses:
# the script, its card field's and 3-D Secure's frames, and its API calls.
STRIPE_JS = "https://js.stripe.com/v3/"
STRIPE_CSP = {
    "script-src": ["https://js.stripe.com"],
    "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
    "connect-src": ["https://api.stripe.com"],
}
# Retries of a request that found no answer (connection refused or dropped, a 5xx, a 409 on a
# key still in flight): the library resends it with the same idempotency key.
NETWORK_RETRIES = 2


def _payment_status(status: str) -> PaymentStatus:
    if status == "succeeded":
        return PaymentStatus.SUCCEEDED
    if status in ("requires_action", "requires_confirmation", "processing"):
        return PaymentStatus.REQUIRES_ACTION
    return PaymentStatus.FAILED  # requires_payment_method (refused), canceled


def _card_details(method: Any) -> CardDetails:
    """What seatmgr keeps of a card PaymentMethod."""
    card = method.card
    return CardDetails(
        brand=BRANDS.get(card.brand, card.brand.capitalize()),
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        token=method.id,
    )


class StripeGateway:
    """Stripe, through `stripe.StripeClient` (one per process, thread-safe)."""

    collects_cards: ClassVar[bool] = True

    def __init__(self) -> None:
        base = getattr(settings, "STRIPE_API_BASE_FOR_TESTS", None)
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": base} if base else None,
            max_network_retries=NETWORK_RETRIES,
        )
        self.webhook_secret = settings.STRIPE_WEBHOOK_SECRET
        self.publishable_key = settings.STRIPE_PUBLISHABLE_KEY
        if base:  # the tests' fake serves a stand-in for Stripe.js too
            self.script_url = f"{base}/v3/"
            self.csp = {"script-src": [base], "frame-src": [base], "connect-src": [base]}
        else:
            self.script_url, self.csp = STRIPE_JS, STRIPE_CSP

    def page_context(self) -> dict[str, str]:
        return {"provider_script": self.script_url, "publishable_key": self.publishable_key}

    def page_csp(self) -> dict[str, list[str]]:
        return self.csp

    def _call(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """Make one API call; Stripe's errors as billing's (the card's own errors excepted)."""
        try:
            return request(*args, **kwargs)
        except stripe.CardError:
            raise
        except stripe.InvalidRequestError as error:
            # A PaymentMethod or SetupIntent that is not this account's (or no longer exists).
            logger.warning("stripe refused a request: %s", error.code)
            raise CardInvalid(field="token") from None
        except stripe.StripeError as error:
            # Unreachable after the retries, rate-limited, a 5xx, or a key Stripe refuses.
            logger.warning("stripe unavailable: %s %s", type(error).__name__, error.http_status)
            raise GatewayUnavailable() from None

    def customer_create(
        self, *, account_id: int, name: str, email: str, replacing: str = ""
    ) -> str:
        params: dict[str, Any] = {"name": name, "metadata": {"account_id": str(account_id)}}
        if email:
            params["email"] = email
        customer = self._call(
            self.client.v1.customers.create,
            params=params,
            # Once per account, or once per deleted customer the new one replaces.
            options={
                "idempotency_key": f"customer:{account_id}"
                + (f":after:{replacing}" if replacing else "")
            },
        )
        return customer.id

    def card_tokenize(
        self, *, number: str, exp_month: int, exp_year: int, cvc: str, now: Any
    ) -> CardDetails:
        # Card numbers are typed into Stripe Elements, never into seatmgr (PCI scope).
        raise CardInvalid(field="number")

    def card_setup(self, *, customer_id: str) -> CardSetup:
        setup = self._call(
            self.client.v1.setup_intents.create,
            params={
                "customer": customer_id,
                "payment_method_types": ["card"],
                "usage": "off_session",
            },
        )
        return CardSetup(id=setup.id, client_secret=setup.client_secret)

    def card_from_setup(self, *, customer_id: str, setup_id: str) -> CardDetails:
        setup = self._call(
            self.client.v1.setup_intents.retrieve,
            setup_id,
            params={"expand": ["payment_method"]},
        )
        method = setup.payment_method
        if setup.status != "succeeded" or setup.customer != customer_id or method is None:
            raise CardInvalid(field="token")
        return _card_details(method)

    def customer_card(self, *, customer_id: str) -> CustomerCard:
        try:
            customer = self._call(
                self.client.v1.customers.retrieve,
                customer_id,
                params={"expand": ["invoice_settings.default_payment_method"]},
            )
        except CardInvalid:  # Stripe no longer knows it at all
            return CustomerCard(deleted=True)
        if getattr(customer, "deleted", False):
            return CustomerCard(deleted=True)
        settings_ = getattr(customer, "invoice_settings", None)
        method = getattr(settings_, "default_payment_method", None) if settings_ else None
        if method is None or isinstance(method, str) or getattr(method, "card", None) is None:
            return CustomerCard(deleted=False)
        return CustomerCard(deleted=False, card=_card_details(method))

    def card_detach(self, *, card_token: str) -> None:
        with contextlib.suppress(CardInvalid):  # detached already, or never attached
            self._call(self.client.v1.payment_methods.detach, card_token)

    def _charge(self, intent: Any) -> Charge:
        charge = intent.latest_charge if not isinstance(intent.latest_charge, str) else None
        status = _payment_status(intent.status)
        return Charge(
            id=charge.id if charge is not None and status == PaymentStatus.SUCCEEDED else "",
            amount_cents=intent.amount,
            currency=intent.currency,
            status=status,
            payment_id=intent.id,
            # Not paid yet: the card holder's browser may complete it (an off-session renewal
            # that needs authentication is "failed" until then).
            client_secret=(intent.client_secret or "") if status != PaymentStatus.SUCCEEDED else "",
            receipt_url=(charge.receipt_url or "") if charge is not None else "",
            metadata={
                key: str(value)
                for key, value in (intent.metadata.to_dict() if intent.metadata else {}).items()
            },
        )

    def charge(
        self,
        *,
        card_token: str,
        amount_cents: int,
        currency: str,
        idempotency_key: str,
        description: str,
        customer_id: str = "",
        off_session: bool = False,
        metadata: dict[str, str] | None = None,
    ) -> Charge:
        if amount_cents <= 0:
            raise ValueError(f"amount_cents must be positive, got {amount_cents}")
        if not idempotency_key:
            raise ValueError("idempotency_key must not be empty")
        params: dict[str, Any] = {
            "amount": amount_cents,
            "currency": currency,
            "payment_method": card_token,
            "payment_method_types": ["card"],
            "confirm": True,
            "description": description,
            "metadata": metadata or {},
            "expand": ["latest_charge"],
        }
        if customer_id:
            params["customer"] = customer_id
        if off_session:
            params["off_session"] = True
        try:
            intent = self._call(
                self.client.v1.payment_intents.create,
                params=params,
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as error:
            intent = getattr(error.error, "payment_intent", None)
            logger.info("stripe card error: %s", error.code)
            if error.code == "authentication_required":
                raise AuthenticationRequired(payment_id=intent.id if intent else "") from None
            raise CardDeclined() from None
        charge = self._charge(intent)
        if charge.status == PaymentStatus.FAILED:
            raise CardDeclined()
        if charge.status == PaymentStatus.REQUIRES_ACTION and off_session:
            raise AuthenticationRequired(payment_id=charge.payment_id)
        return charge

    def payment_get(self, *, payment_id: str) -> Charge:
        intent = self._call(
            self.client.v1.payment_intents.retrieve,
            payment_id,
            params={"expand": ["latest_charge"]},
        )
        return self._charge(intent)

    def refund(self, *, payment_id: str, amount_cents: int, idempotency_key: str) -> str:
        refund = self._call(
            self.client.v1.refunds.create,
            params={"payment_intent": payment_id, "amount": amount_cents},
            options={"idempotency_key": idempotency_key},
        )
        return refund.id

    def webhook_event(self, *, payload: bytes, signature: str) -> GatewayEvent:
        try:
            # The library's own check: the HMAC of "timestamp.body" and a timestamp at most
            # five minutes old (replays refused).
            event = stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        except (ValueError, stripe.SignatureVerificationError) as error:
            raise WebhookInvalid(str(error)) from None
        return GatewayEvent(id=event.id, type=event.type, object=event.data.object.to_dict())
