"""StripeGateway against the local fake of Stripe's API (tests/billing/stripe_fake.py): every
request goes to 127.0.0.1, none leaves the machine."""

import pytest

from billing.errors import AuthenticationRequired, CardDeclined, CardInvalid, GatewayUnavailable
from billing.gateway import PaymentStatus, gateway_get
from billing.stripe_gateway import StripeGateway


def gateway() -> StripeGateway:
    found = gateway_get()
    assert isinstance(found, StripeGateway)
    return found


def saved_card(fake, *, outcome: str = "success") -> tuple[str, str]:
    """A customer and a card saved for it through a SetupIntent, as the page does."""
    customer = gateway().customer_create(account_id=1, name="Acme", email="billing@acme.test")
    setup = gateway().card_setup(customer_id=customer)
    fake.setup_complete(setup.id, payment_method=fake.card_add(outcome=outcome))
    card = gateway().card_from_setup(customer_id=customer, setup_id=setup.id)
    return customer, card.token


def pay(customer: str, card: str, *, key: str = "purchase:1:abc", off_session: bool = False):
    return gateway().charge(
        card_token=card,
        amount_cents=5000,
        currency="usd",
        idempotency_key=key,
        description="2 x Core seat",
        customer_id=customer,
        off_session=off_session,
    )


def test_payment_gateway_stripe_selects_the_stripe_gateway(stripe_fake):
    assert isinstance(gateway_get(), StripeGateway)


def test_one_customer_per_account_even_when_asked_twice(stripe_fake):
    first = gateway().customer_create(account_id=7, name="Acme", email="")
    second = gateway().customer_create(account_id=7, name="Acme", email="")

    assert first == second
    assert len(stripe_fake.customers) == 1


def test_a_card_saved_by_a_setup_intent_keeps_brand_last4_expiry_and_its_id(stripe_fake):
    customer = gateway().customer_create(account_id=1, name="Acme", email="")
    setup = gateway().card_setup(customer_id=customer)
    pm = stripe_fake.card_add(brand="mastercard", last4="4444", exp_month=3, exp_year=2032)
    stripe_fake.setup_complete(setup.id, payment_method=pm)

    card = gateway().card_from_setup(customer_id=customer, setup_id=setup.id)

    assert (card.brand, card.last4, card.exp_month, card.exp_year, card.token) == (
        "Mastercard",
        "4444",
        3,
        2032,
        pm,
    )
    assert setup.client_secret.startswith(setup.id)


def test_a_setup_not_completed_or_of_another_customer_is_refused(stripe_fake):
    customer = gateway().customer_create(account_id=1, name="Acme", email="")
    other = gateway().customer_create(account_id=2, name="Other", email="")
    setup = gateway().card_setup(customer_id=customer)

    with pytest.raises(CardInvalid):
        gateway().card_from_setup(customer_id=customer, setup_id=setup.id)
    stripe_fake.setup_complete(setup.id, payment_method=stripe_fake.card_add())
    with pytest.raises(CardInvalid):
        gateway().card_from_setup(customer_id=other, setup_id=setup.id)
    with pytest.raises(CardInvalid):
        gateway().card_from_setup(customer_id=customer, setup_id="seti_unknown")


def test_a_successful_charge_returns_the_charge_id_and_receipt(stripe_fake):
    customer, card = saved_card(stripe_fake)

    charge = pay(customer, card)

    assert charge.status == PaymentStatus.SUCCEEDED
    assert [c["id"] for c in stripe_fake.taken] == [charge.id]
    assert charge.payment_id.startswith("pi_")
    assert charge.receipt_url.endswith(charge.payment_id)
    assert (charge.amount_cents, charge.currency) == (5000, "usd")


def test_a_declined_card_raises_card_declined_and_takes_nothing(stripe_fake):
    customer, card = saved_card(stripe_fake, outcome="card_declined")

    with pytest.raises(CardDeclined):
        pay(customer, card)
    assert stripe_fake.taken == []


def test_authentication_required_waits_then_is_paid_once_completed(stripe_fake):
    customer, card = saved_card(stripe_fake, outcome="authentication_required")

    waiting = pay(customer, card)

    assert waiting.status == PaymentStatus.REQUIRES_ACTION
    assert waiting.client_secret.startswith(waiting.payment_id)
    assert waiting.id == ""
    assert stripe_fake.taken == []
    stripe_fake.authenticate(waiting.payment_id)
    paid = gateway().payment_get(payment_id=waiting.payment_id)
    assert paid.status == PaymentStatus.SUCCEEDED
    assert len(stripe_fake.charges_for(waiting.payment_id)) == 1


def test_off_session_authentication_required_is_refused_at_once(stripe_fake):
    customer, card = saved_card(stripe_fake, outcome="authentication_required")

    with pytest.raises(AuthenticationRequired) as refused:
        pay(customer, card, off_session=True)
    assert refused.value.payment_id.startswith("pi_")
    assert stripe_fake.taken == []


def test_a_dropped_answer_is_retried_with_the_same_key_and_charged_once(stripe_fake):
    customer, card = saved_card(stripe_fake)
    stripe_fake.drop_next()

    charge = pay(customer, card, key="purchase:1:dropped")

    posts = [r for r in stripe_fake.requests if r[1] == "/v1/payment_intents"]
    assert posts == [("POST", "/v1/payment_intents", "purchase:1:dropped")] * 2
    assert [c["id"] for c in stripe_fake.taken] == [charge.id]


def test_unreachable_after_every_retry_then_retried_later_with_the_key_is_charged_once(
    stripe_fake,
):
    customer, card = saved_card(stripe_fake)
    stripe_fake.drop_next(3)  # the first try and both of the library's retries

    with pytest.raises(GatewayUnavailable):
        pay(customer, card, key="purchase:1:later")
    charge = pay(customer, card, key="purchase:1:later")

    assert charge.status == PaymentStatus.SUCCEEDED
    assert [c["id"] for c in stripe_fake.taken] == [charge.id]


def test_a_refund_gives_money_back_once_per_key(stripe_fake):
    customer, card = saved_card(stripe_fake)
    charge = pay(customer, card)

    first = gateway().refund(payment_id=charge.payment_id, amount_cents=1000, idempotency_key="r1")
    again = gateway().refund(payment_id=charge.payment_id, amount_cents=1000, idempotency_key="r1")

    assert first == again
    assert stripe_fake.taken[0]["amount_refunded"] == 1000


def test_a_detached_card_can_be_detached_again_without_error(stripe_fake):
    _customer, card = saved_card(stripe_fake)

    gateway().card_detach(card_token=card)
    gateway().card_detach(card_token=card)

    assert stripe_fake.methods[card]["customer"] is None


def test_typed_card_numbers_are_refused_cards_go_through_elements(stripe_fake):
    from datetime import UTC, datetime

    with pytest.raises(CardInvalid):
        gateway().card_tokenize(
            number="4242424242424242", exp_month=1, exp_year=2031, cvc="123", now=datetime.now(UTC)
        )
    assert gateway().collects_cards


def test_the_stripe_gateway_without_its_keys_stops_start_up(settings):
    from billing.checks import stripe_keys_check

    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = ""

    errors = stripe_keys_check(None)

    assert [e.msg.split(" ")[0] for e in errors] == ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]
    settings.PAYMENT_GATEWAY = "billing.gateway.TestGateway"
    assert stripe_keys_check(None) == []


def test_no_key_is_logged(stripe_fake, caplog):
    caplog.set_level("DEBUG")
    customer, card = saved_card(stripe_fake, outcome="card_declined")
    with pytest.raises(CardDeclined):
        pay(customer, card)
    stripe_fake.drop_next(3)
    with pytest.raises(GatewayUnavailable):
        pay(customer, card, key="another")

    assert caplog.records
    assert "sk_test_fake" not in caplog.text
    assert "whsec_" not in caplog.text
