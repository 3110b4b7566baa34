"""The payment gateway: the one door through which seatmgr tokenises cards and charges them.

Card numbers never reach the database. The gateway turns a card into a token and seatmgr keeps
only `CardDetails`: the token, the brand, the last four digits and the expiry. Every later charge
names the token, never the card.

`gateway_get()` returns the gateway that `settings.PAYMENT_GATEWAY` names ("test", "stripe" or
a dotted path). The default is `TestGateway`, the built-in test mode: it validates cards as a
provider would and charges nothing real, and `TEST_CARDS` lists the numbers it knows.
`StripeGateway` (billing.stripe_gateway) is the real provider. Both implement every method of
`PaymentGateway`, so the product has one code path: a customer per account, a card saved either
from a form (`card_tokenize`, the test mode) or by the provider's own page (`card_setup`, then
`card_from_setup`), charges that may wait for the bank's authentication, webhook events,
refunds. They raise the refusals of billing.errors (CardInvalid, CardDeclined,
AuthenticationRequired, GatewayUnavailable).
"""

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from billing.errors import CardDeclined, CardInvalid, GatewayUnavailable
from billing.gateway_types import (
    CardDetails,
    CardSetup,
    Charge,
    CustomerCard,
    GatewayEvent,
    PaymentStatus,
    WebhookInvalid,
)

DEFAULT_GATEWAY = "billing.gateway.TestGateway"


class PaymentGateway(Protocol):
    """What seatmgr needs from a payment provider. Implementations take no constructor arguments
    (read their configuration from settings) and are shared by every request of a process.
    """

    # True when cards are typed into the provider's own page (Stripe Elements), never into
    # seatmgr's form; `card_tokenize` then refuses every card.
    collects_cards: bool

    def page_context(self) -> dict[str, str]:
        """What a page that loads the provider's script needs: `provider_script` (its URL) and
        `publishable_key`; {} for a gateway that has no script."""
        ...

    def page_csp(self) -> dict[str, list[str]]:
        """The Content-Security-Policy sources that script needs (added to the site's policy
        on those pages only); {} for a gateway that has no script."""
        ...

    def customer_create(
        self, *, account_id: int, name: str, email: str, replacing: str = ""
    ) -> str:
        """The provider's customer for this account (created once per account: the call is
        idempotent per account, or per deleted customer it is `replacing`); its id. Raises
        GatewayUnavailable."""
        ...

    def card_tokenize(
        self, *, number: str, exp_month: int, exp_year: int, cvc: str, now: datetime
    ) -> CardDetails:
        """Hand the card to the provider and return what seatmgr may keep about it.

        Raises CardInvalid for a number, expiry or security code the provider refuses (an expiry
        before the month of `now` included), GatewayUnavailable when it cannot be reached.
        """
        ...

    def card_setup(self, *, customer_id: str) -> CardSetup:
        """Start saving a card for later charges on the provider's own page. Raises
        GatewayUnavailable."""
        ...

    def card_from_setup(self, *, customer_id: str, setup_id: str) -> CardDetails:
        """The card a completed `card_setup` saved for `customer_id`. Raises CardInvalid when the
        setup is not this customer's or did not succeed."""
        ...

    def customer_card(self, *, customer_id: str) -> CustomerCard:
        """The customer as the provider has it now: deleted, or its default card (changed in the
        provider's dashboard, say). Raises GatewayUnavailable."""
        ...

    def card_detach(self, *, card_token: str) -> None:
        """Forget a saved card at the provider (replaced or removed). Never raises for a card
        the provider no longer knows."""
        ...

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
        """Take `amount_cents` (> 0) in `currency` from the card behind `card_token` (saved for
        `customer_id`).

        Callers skip the call when nothing is owed: charging 0 cents raises ValueError. The
        provider takes the money at most once per `idempotency_key`: a request retried with the
        same key (after a timeout, by a re-delivered task) returns the first Charge instead of
        charging again, so the key must name the thing being paid for, not the attempt.

        With the card holder present (`off_session` False) the answer may be a Charge with
        status REQUIRES_ACTION: nothing is taken until they authenticate. Off session (a
        renewal) that case raises AuthenticationRequired instead. `metadata` travels with the
        payment and comes back in its webhook events.

        Raises CardDeclined when the bank refuses, CardInvalid when the token is not one this
        provider issued, GatewayUnavailable when the provider cannot be reached.
        """
        ...

    def payment_get(self, *, payment_id: str) -> Charge:
        """A payment's current state (after an authentication, a webhook). Raises
        GatewayUnavailable."""
        ...

    def refund(self, *, payment_id: str, amount_cents: int, idempotency_key: str) -> str:
        """Give back `amount_cents` of a payment, once per `idempotency_key`; the refund's id.
        Raises GatewayUnavailable."""
        ...

    def webhook_event(self, *, payload: bytes, signature: str) -> GatewayEvent:
        """The event a webhook delivers, once its signature and age are verified. Raises
        WebhookInvalid."""
        ...


@dataclass(frozen=True)
class TestCard:
    """A card number the test gateway knows, and what happens when it is charged."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    number: str  # as printed on the card
    brand: str
    outcome: Any  # translatable text


TEST_CARDS: tuple[TestCard, ...] = (
    TestCard("4242 4242 4242 4242", "Visa", _("Charges succeed.")),
    TestCard("5555 5555 5555 4444", "Mastercard", _("Charges succeed.")),
    TestCard("3782 822463 10005", "American Express", _("Charges succeed (4-digit code).")),
    TestCard("6011 1111 1111 1117", "Discover", _("Charges succeed.")),
    TestCard("4000 0000 0000 0002", "Visa", _("Saved, but every charge is declined.")),
    TestCard(
        "4000 0000 0000 0119", "Visa", _("Saved, but every charge finds the provider unreachable.")
    ),
)

# Any other number that passes the checks behaves like 4242 4242 4242 4242.
_DECLINE_NUMBER = "4000000000000002"
_UNAVAILABLE_NUMBER = "4000000000000119"

_OK, _DECLINE, _UNAVAILABLE = "ok", "decline", "unavailable"
_TOKEN = re.compile(r"tok_test_(ok|decline|unavailable)_[0-9a-f]{16}")
_NUMBER = re.compile(r"[0-9]{13,19}")
_CURRENCY = re.compile(r"[a-z]{3}")
_MAX_YEARS_AHEAD = 20


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn check digit test."""
    total = 0
    # From the right, every second digit is doubled; a two-digit result counts as its digit sum.
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The brand a card number's prefix (IIN range) belongs to, or None when not accepted."""
    if digits.startswith("4"):
        return "Visa"
    if 51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720:
        return "Mastercard"
    if digits.startswith(("34", "37")):
        return "American Express"
    if digits.startswith(("6011", "65")):
        return "Discover"
    return None


class TestGateway:
    """The built-in test mode: validates cards like a provider, charges nothing real.

    Stateless, so the web process and a Celery worker agree without sharing memory: a token
    carries the card's test behaviour (`tok_test_<ok|decline|unavailable>_<16 random hex>`),
    never its number, and a charge id is derived from its idempotency key.
    """

    __test__: ClassVar[bool] = False  # not a pytest test class
    collects_cards = False

    def page_context(self) -> dict[str, str]:
        return {}

    def page_csp(self) -> dict[str, list[str]]:
        return {}

    def customer_create(
        self, *, account_id: int, name: str, email: str, replacing: str = ""
    ) -> str:
        return f"cus_test_{account_id}" + (f"_after_{replacing}" if replacing else "")

    def card_setup(self, *, customer_id: str) -> CardSetup:
        # The test mode takes cards in seatmgr's own form: there is no provider page.
        return CardSetup(id="", client_secret="")  # nosec B106 - empty: no provider page

    def card_from_setup(self, *, customer_id: str, setup_id: str) -> CardDetails:
        raise CardInvalid(field="token")

    def card_detach(self, *, card_token: str) -> None:
        return None  # stateless: nothing is kept to forget

    def customer_card(self, *, customer_id: str) -> CustomerCard:
        return CustomerCard(deleted=False)  # no dashboard: the card is only ever seatmgr's

    def card_tokenize(
        self, *, number: str, exp_month: int, exp_year: int, cvc: str, now: datetime
    ) -> CardDetails:
        digits = re.sub(r"[ -]", "", number)
        # ASCII digits only: str.isdigit() would also accept "²" and other Unicode digits.
        if not _NUMBER.fullmatch(digits) or not luhn_valid(digits):
            raise CardInvalid(field="number")
        brand = card_brand(digits)
        if brand is None:
            raise CardInvalid(field="number")
        # Month granularity: a card is good through the last day of its expiry month.
        if not (
            1 <= exp_month <= 12
            and (now.year, now.month) <= (exp_year, exp_month)
            and exp_year <= now.year + _MAX_YEARS_AHEAD
        ):
            raise CardInvalid(field="expiry")
        cvc_length = 4 if brand == "American Express" else 3
        if not re.fullmatch(rf"[0-9]{{{cvc_length}}}", cvc):
            raise CardInvalid(field="cvc")
        behaviour = {_DECLINE_NUMBER: _DECLINE, _UNAVAILABLE_NUMBER: _UNAVAILABLE}.get(digits, _OK)
        return CardDetails(
            brand=brand,
            last4=digits[-4:],
            exp_month=exp_month,
            exp_year=exp_year,
            token=f"tok_test_{behaviour}_{secrets.token_hex(8)}",
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
        if not _CURRENCY.fullmatch(currency):
            raise ValueError(f"currency must be a lower-case ISO 4217 code, got {currency!r}")
        if not idempotency_key:
            raise ValueError("idempotency_key must not be empty")
        match = _TOKEN.fullmatch(card_token)
        if match is None:
            # A token from another gateway (the setting changed): the card must be entered again.
            raise CardInvalid(field="token")
        behaviour = match.group(1)
        if behaviour == _DECLINE:
            raise CardDeclined()
        if behaviour == _UNAVAILABLE:
            raise GatewayUnavailable()
        # The same key always gives the same id, so a retried request never double-charges.
        # (A real provider also refuses a reused key with other parameters; this stateless
        # test mode cannot tell.)
        charge_id = "ch_test_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return Charge(id=charge_id, amount_cents=amount_cents, currency=currency)

    def payment_get(self, *, payment_id: str) -> Charge:
        # Every test-mode payment succeeded when it was made (declines raise at once).
        return Charge(id=payment_id, amount_cents=0, currency="", status=PaymentStatus.SUCCEEDED)

    def refund(self, *, payment_id: str, amount_cents: int, idempotency_key: str) -> str:
        return "re_test_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]

    def webhook_event(self, *, payload: bytes, signature: str) -> GatewayEvent:
        raise WebhookInvalid("the test mode sends no webhooks")


# Short names PAYMENT_GATEWAY may use instead of a dotted path.
GATEWAY_NAMES = {"test": DEFAULT_GATEWAY, "stripe": "billing.stripe_gateway.StripeGateway"}


def __getattr__(name: str) -> Any:
    # billing.gateway.StripeGateway, imported on first use: the test mode never loads `stripe`.
    if name == "StripeGateway":
        from billing.stripe_gateway import StripeGateway

        return StripeGateway
    raise AttributeError(name)


@functools.cache
def gateway_get() -> PaymentGateway:
    """The gateway `settings.PAYMENT_GATEWAY` names (default: the test mode), one per process.

    Tests that change the setting call `gateway_get.cache_clear()` before and after.
    """
    name = getattr(settings, "PAYMENT_GATEWAY", DEFAULT_GATEWAY)
    gateway_class = import_string(GATEWAY_NAMES.get(name, name))
    return gateway_class()
