"""The payment gateway's test mode: card checks, documented test cards, idempotent charges."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.errors import DomainError
from billing.errors import BillingError, CardDeclined, CardInvalid, GatewayUnavailable
from billing.gateway import (
    TEST_CARDS,
    CardDetails,
    Charge,
    TestGateway,
    gateway_get,
)
from seats.errors import SeatsError

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)
GATEWAY = TestGateway()

VISA = "4242 4242 4242 4242"
AMEX = "3782 822463 10005"
DECLINE = "4000 0000 0000 0002"
UNAVAILABLE = "4000 0000 0000 0119"


def tokenize(number: str = VISA, *, month: int = 12, year: int = 2031, cvc: str = "123"):
    return GATEWAY.card_tokenize(number=number, exp_month=month, exp_year=year, cvc=cvc, now=NOW)


def charge(token: str, *, key: str = "invoice-1", amount: int = 5000) -> Charge:
    return GATEWAY.charge(
        card_token=token,
        amount_cents=amount,
        currency="usd",
        idempotency_key=key,
        description="2 Core seats",
    )


class RecordingGateway:
    """A stand-in gateway that `gateway_get` must load from `settings.PAYMENT_GATEWAY`."""

    def __init__(self) -> None:
        self.charges: list[str] = []

    def card_tokenize(self, **kwargs) -> CardDetails:
        return CardDetails("Visa", "4242", 12, 2031, "tok_recording")

    def charge(self, *, idempotency_key: str, **kwargs) -> Charge:
        self.charges.append(idempotency_key)
        return Charge("ch_recording", kwargs["amount_cents"], kwargs["currency"])


@pytest.fixture
def fresh_gateway():
    gateway_get.cache_clear()
    yield
    gateway_get.cache_clear()


@pytest.mark.parametrize("card", TEST_CARDS, ids=lambda card: card.number)
def test_each_test_card_tokenizes_with_its_brand_and_last_four(card):
    digits = card.number.replace(" ", "")
    cvc = "1234" if card.brand == "American Express" else "123"

    details = tokenize(card.number, cvc=cvc)

    assert (details.brand, details.last4, details.exp_month, details.exp_year) == (
        card.brand,
        digits[-4:],
        12,
        2031,
    )
    assert details.token.startswith("tok_test_")
    assert digits not in details.token
    assert digits[-8:] not in details.token


def test_the_test_card_brands_are_visa_mastercard_amex_and_discover():
    assert [
        tokenize(number, cvc=cvc).brand
        for number, cvc in [
            ("4242 4242 4242 4242", "123"),
            ("5555 5555 5555 4444", "123"),
            ("3782 822463 10005", "1234"),
            ("6011 1111 1111 1117", "123"),
        ]
    ] == ["Visa", "Mastercard", "American Express", "Discover"]


def test_dashes_and_spaces_in_the_number_are_ignored():
    assert tokenize("4242-4242-4242-4242").last4 == "4242"


def test_tokens_of_the_same_card_differ():
    assert tokenize().token != tokenize().token


def test_a_number_failing_the_luhn_check_is_invalid():
    with pytest.raises(CardInvalid) as excinfo:
        tokenize("4242 4242 4242 4241")
    assert excinfo.value.field == "number"


def test_a_number_with_letters_or_too_few_digits_is_invalid():
    for number in ["4242 4242 4242 424x", "4242 4242 42", ""]:
        with pytest.raises(CardInvalid):
            tokenize(number)


def test_a_card_that_expired_last_month_is_invalid():
    with pytest.raises(CardInvalid) as excinfo:
        tokenize(month=5, year=2030)
    assert excinfo.value.field == "expiry"


def test_a_card_expiring_this_month_is_accepted():
    assert tokenize(month=6, year=2030).exp_month == 6


@pytest.mark.parametrize("month", [0, 13])
def test_a_month_outside_1_to_12_is_invalid(month):
    with pytest.raises(CardInvalid):
        tokenize(month=month, year=2031)


def test_an_expiry_more_than_20_years_ahead_is_invalid():
    assert tokenize(year=2050).exp_year == 2050
    with pytest.raises(CardInvalid):
        tokenize(year=2051)


def test_amex_needs_a_four_digit_security_code():
    with pytest.raises(CardInvalid) as excinfo:
        tokenize(AMEX, cvc="123")
    assert excinfo.value.field == "cvc"


def test_other_brands_need_a_three_digit_security_code():
    for cvc in ["1234", "12", "12a", ""]:
        with pytest.raises(CardInvalid):
            tokenize(VISA, cvc=cvc)


def test_the_decline_card_tokenizes_but_its_charges_are_declined():
    details = tokenize(DECLINE)

    with pytest.raises(CardDeclined) as excinfo:
        charge(details.token)

    assert str(excinfo.value) == (
        "Your card was declined. Nothing was charged. Use another card or contact your bank."
    )
    assert excinfo.value.code == "card_declined"
    assert isinstance(excinfo.value, BillingError)
    assert isinstance(excinfo.value, DomainError)
    assert not isinstance(excinfo.value, SeatsError)


def test_the_outage_card_tokenizes_but_its_charges_find_the_provider_unreachable():
    details = tokenize(UNAVAILABLE)

    with pytest.raises(GatewayUnavailable) as excinfo:
        charge(details.token)

    assert str(excinfo.value) == (
        "The payment provider could not be reached. Nothing was charged; try again in a moment."
    )


def test_a_charge_returns_the_amount_and_currency():
    result = charge(tokenize().token, amount=12345)

    assert (result.amount_cents, result.currency) == (12345, "usd")
    assert result.id.startswith("ch_test_")


def test_the_same_idempotency_key_gives_the_same_charge_id():
    token = tokenize().token

    assert charge(token, key="renewal-7-2030-06").id == charge(token, key="renewal-7-2030-06").id


def test_different_idempotency_keys_give_different_charge_ids():
    token = tokenize().token

    assert charge(token, key="invoice-1").id != charge(token, key="invoice-2").id


@pytest.mark.parametrize("amount", [0, -100])
def test_charging_zero_or_a_negative_amount_is_refused(amount):
    with pytest.raises(ValueError, match="positive"):
        charge(tokenize().token, amount=amount)


def test_a_token_this_gateway_did_not_issue_is_invalid():
    with pytest.raises(CardInvalid):
        charge("tok_live_4242")


def test_gateway_get_defaults_to_the_test_gateway(settings, fresh_gateway):
    del settings.PAYMENT_GATEWAY

    assert isinstance(gateway_get(), TestGateway)


def test_gateway_get_loads_the_class_the_setting_names_once(settings, fresh_gateway):
    settings.PAYMENT_GATEWAY = "tests.billing.test_gateway.RecordingGateway"

    gateway = gateway_get()
    gateway.charge(
        card_token="tok_recording",
        amount_cents=100,
        currency="usd",
        idempotency_key="invoice-1",
        description="",
    )

    assert isinstance(gateway, RecordingGateway)
    assert gateway_get() is gateway
    assert gateway.charges == ["invoice-1"]


@given(
    digits=st.text(alphabet="0123456789", max_size=22),
    cvc=st.sampled_from(["123", "1234"]),
)
def test_any_digit_string_tokenizes_to_its_last_four_or_is_invalid(digits, cvc):
    try:
        details = tokenize(digits, cvc=cvc)
    except CardInvalid:
        return
    assert details.last4 == digits[-4:]
    assert digits not in details.token
