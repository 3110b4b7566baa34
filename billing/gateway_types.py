"""What the payment gateways (billing.gateway) exchange with seatmgr: cards, charges, card setups,
webhook events. Apart from the gateways themselves, so that each gateway's module imports these
and never another gateway's module."""

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class CardDetails:
    """What seatmgr may keep about a card: never its number or security code.

    `token` names the card at the gateway that issued it; `brand` is shown as is ("Visa").
    """

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    token: str


class PaymentStatus(StrEnum):
    """Where a payment stands at the provider."""

    SUCCEEDED = "succeeded"  # the money was taken
    REQUIRES_ACTION = "requires_action"  # the bank asks the card holder to authenticate (3DS)
    FAILED = "failed"  # refused or abandoned: nothing was taken


@dataclass(frozen=True)
class Charge:
    """A payment asked of the gateway: `amount_cents` in `currency` (a lower-case ISO 4217 code).

    `id` is the provider's charge id, shown on the invoice (empty while the payment waits for
    authentication); `payment_id` names the payment (a Stripe PaymentIntent) across its
    attempts; `client_secret` lets the card holder's browser complete an authentication (never
    stored); `receipt_url` is the provider's receipt, when it has one; `metadata` what the
    charge was asked with (the invoice a renewal's payment is for), as the provider keeps it.
    """

    id: str
    amount_cents: int
    currency: str
    status: PaymentStatus = PaymentStatus.SUCCEEDED
    payment_id: str = ""
    client_secret: str = ""
    receipt_url: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def payment_ref(self) -> str:
        """What names this payment for later look-ups (webhooks, the authentication page)."""
        return self.payment_id or self.id


@dataclass(frozen=True)
class CustomerCard:
    """What the provider says of a customer now (a webhook's customer, re-read): `deleted` when
    it no longer exists, else its default card (None when it has none set)."""

    deleted: bool
    card: CardDetails | None = None


@dataclass(frozen=True)
class CardSetup:
    """A card being saved on the provider's own page (a Stripe SetupIntent): the browser
    confirms it with `client_secret`, then `card_from_setup(setup_id=id)` reads the card."""

    id: str
    client_secret: str


@dataclass(frozen=True)
class GatewayEvent:
    """A webhook event, verified: its id (each is handled once), type and the object it is about
    (as the provider sent it; handlers re-read the current state rather than trust the order)."""

    id: str
    type: str
    object: dict


class WebhookInvalid(Exception):
    """A webhook whose signature, age or body the gateway refuses. Never shown to anyone: the
    sender gets a 400, the reason goes to the log."""
