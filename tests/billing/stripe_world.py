"""An account paying through StripeGateway against the fake: subscribed, a billing admin, a card
saved the way the "Payment method" page saves it (a SetupIntent completed by Stripe.js)."""

import json
import time
from datetime import UTC, datetime

import stripe
from django.test import Client

from accounts.models import Account, Membership, SeatType
from billing.catalogue import HubCode, TierCode
from billing.models import CardOnFile
from billing.periods import BillingInterval
from billing.services.cards import card_save_from_setup, card_setup_start
from billing.services.purchases import seats_purchase
from billing.services.subscriptions import subscription_start
from seats.models import SeatPool
from tests.billing.conftest import WEBHOOK_SECRET
from tests.billing.stripe_fake import StripeFake
from tests.factories import AccountFactory, MembershipFactory

NOW = datetime(2027, 4, 1, tzinfo=UTC)
HALF_WAY = datetime(2027, 4, 16, tzinfo=UTC)


def stripe_account(
    name: str = "Initech", *, email: str = "ada@example.com"
) -> tuple[Account, Membership]:
    account = AccountFactory(name=name)
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={SeatType.CORE: 2},
    )
    admin = MembershipFactory(account=account, super_admin=True, user__email=email)
    return account, admin


def card_saved(
    fake: StripeFake, account: Account, admin: Membership, *, outcome: str = "success"
) -> CardOnFile:
    setup = card_setup_start(account=account)
    fake.setup_complete(setup.id, payment_method=fake.card_add(outcome=outcome))
    return card_save_from_setup(account=account, setup_id=setup.id, actor=admin.user, now=NOW)


def buy(account: Account, admin: Membership, quantity: int = 3, *, key: str = "form-1"):
    return seats_purchase(
        account=account,
        seat_type=SeatType.CORE,
        quantity=quantity,
        idempotency_key=key,
        actor=admin.user,
        now=HALF_WAY,
    )


def core_total(account: Account) -> int:
    return SeatPool.objects.get(account=account, seat_type=SeatType.CORE).total


def signed(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send, made by the library's own helper."""
    return stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, timestamp=timestamp if timestamp is not None else int(time.time())
    )


def deliver(body: bytes, *, signature: str | None = None, client: Client | None = None):
    """POST a webhook event to /billing/stripe/webhook/ as Stripe does."""
    return (client or Client()).post(
        "/billing/stripe/webhook/",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signature if signature is not None else signed(body)},
    )


def event_about(fake: StripeFake, type_: str, payment_id: str, **kwargs) -> bytes:
    """A webhook event about a PaymentIntent as the fake holds it now."""
    return fake.event(type_, json.loads(json.dumps(fake.intents[payment_id])), **kwargs)
