"""Buying seats ("Add seats" → "Buy now"), the card on file, and the seat-limit warning.

DOMAIN.md section 7. The account subscribes to Marketing Hub Professional (3 Core seats included,
an extra Core seat 50 USD a month) and Sales Hub Professional (Sales seats at 100 USD a month),
and bought 2 Core seats: its Core pool holds 5. Its first monthly period is April 2027, 30 days
long. `now` is passed to every service; the clock is frozen at the start of the period too.
"""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import (
    Account,
    AuditEvent,
    AuditVerb,
    Membership,
    Notification,
    SeatType,
)
from accounts.notifications import NotificationKind
from accounts.policy import ON, AccountPermission
from billing.catalogue import HubCode, TierCode
from billing.errors import (
    CardDeclined,
    CardInvalid,
    GatewayUnavailable,
    InvalidQuantity,
    NoCardOnFile,
    NoSubscription,
    SeatsNotForSale,
)
from billing.gateway import TestGateway, gateway_get
from billing.models import CardOnFile, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from billing.periods import BillingInterval
from billing.services.cards import card_save
from billing.services.purchases import seats_purchase, seats_purchase_quote
from billing.services.subscriptions import subscription_start
from seats.catalogue import seat_default_permissions
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool
from seats.users.services.lifecycle import member_deactivate
from seats.users.services.seat import member_seat_change
from tests.factories import AccountFactory, MembershipFactory
from tests.invitations.helpers import invite_each

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 4, 1, tzinfo=UTC)
PERIOD_END = datetime(2027, 5, 1, tzinfo=UTC)  # 30 days after NOW
HALF_WAY = datetime(2027, 4, 16, tzinfo=UTC)
# 1,296 seconds are 1/2,000 of the 30-day period: one 50 USD seat then costs exactly 2.5 cents.
HALF_A_CENT_LEFT = PERIOD_END - timedelta(seconds=1296)
MARKETING_AND_SALES_PRO = {
    HubCode.MARKETING: TierCode.PROFESSIONAL,
    HubCode.SALES: TierCode.PROFESSIONAL,
}
CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)
VISA = "4242 4242 4242 4242"
VISA_DIGITS = "4242424242424242"
DECLINED = "4000 0000 0000 0002"
UNAVAILABLE = "4000 0000 0000 0119"


class RecordingGateway(TestGateway):
    """The built-in test mode, also remembering the money it took: one charge per idempotency
    key, as a real provider takes it."""

    def __init__(self) -> None:
        self.taken: dict[str, int] = {}

    def charge(self, **kwargs):
        charge = super().charge(**kwargs)
        self.taken.setdefault(kwargs["idempotency_key"], charge.amount_cents)
        return charge


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def provider(settings) -> RecordingGateway:
    settings.PAYMENT_GATEWAY = f"{__name__}.RecordingGateway"
    gateway_get.cache_clear()
    yield gateway_get()
    gateway_get.cache_clear()


def subscribed_account(hubs=MARKETING_AND_SALES_PRO, *, core_bought: int = 2) -> Account:
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs=hubs,
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={SeatType.CORE: core_bought},
    )
    return account


@pytest.fixture
def account() -> Account:
    return subscribed_account()


@pytest.fixture
def admin(account) -> Membership:
    """The account's super admin, on a Core seat."""
    return MembershipFactory(
        account=account,
        super_admin=True,
        user__email="ada@example.com",
        user__first_name="Ada",
        user__last_name="Lovelace",
    )


@pytest.fixture
def card(account, admin) -> CardOnFile:
    return save_card(account, admin, VISA)


def save_card(account: Account, actor: Membership, number: str, **kwargs) -> CardOnFile:
    arguments = {"exp_month": 12, "exp_year": 2030, "cvc": "123", "now": NOW, **kwargs}
    return card_save(account=account, number=number, actor=actor.user, **arguments)


def buy(account: Account, actor: Membership, quantity: int = 3, *, key="form-1", **kwargs):
    arguments = {"seat_type": SeatType.CORE, "now": HALF_WAY, **kwargs}
    return seats_purchase(
        account=account, quantity=quantity, idempotency_key=key, actor=actor.user, **arguments
    )


def core_pool(account: Account) -> SeatPool:
    return SeatPool.objects.get(account=account, seat_type=SeatType.CORE)


def ledger(pool: SeatPool) -> list[tuple[str, int, int, int]]:
    return [
        (entry.reason, entry.included, entry.purchased, entry.purchased_at_renewal)
        for entry in SeatLedgerEntry.objects.filter(pool=pool).order_by("id")
    ]


def everything(account: Account) -> dict[str, object]:
    """What a purchase could change, to show that a refused one changed none of it."""
    return {
        "pools": sorted(
            SeatPool.objects.filter(account=account).values_list(
                "seat_type", "included", "purchased", "purchased_at_renewal"
            )
        ),
        "invoices": Invoice.objects.filter(account=account).count(),
        "invoice lines": InvoiceLine.objects.filter(invoice__account=account).count(),
        "ledger": SeatLedgerEntry.objects.filter(pool__account=account).count(),
        "audit": AuditEvent.objects.filter(account=account).count(),
        "notifications": Notification.objects.filter(membership__account=account).count(),
    }


def billing_texts(membership: Membership) -> list[str]:
    return list(
        Notification.objects.filter(
            membership=membership, kind=NotificationKind.BILLING
        ).values_list("text", flat=True)
    )


# --- The price shown before "Buy now" ------------------------------------------------------------


def test_half_way_through_a_30_day_period_three_core_seats_cost_half_a_period(account):
    quote = seats_purchase_quote(account=account, seat_type=SeatType.CORE, quantity=3, now=HALF_WAY)

    assert (quote.unit_period_cents, quote.period_cents, quote.amount_cents) == (5000, 15000, 7500)
    assert (quote.currency, quote.period_start, quote.period_end) == ("usd", NOW, PERIOD_END)


def test_at_the_start_of_the_period_a_seat_costs_the_whole_period(account):
    quote = seats_purchase_quote(account=account, seat_type=SeatType.CORE, quantity=1, now=NOW)

    assert quote.amount_cents == 5000


def test_a_sales_seat_is_quoted_at_the_sales_hub_price(account):
    quote = seats_purchase_quote(
        account=account, seat_type=SeatType.SALES, quantity=1, now=HALF_WAY
    )

    # Monthly billing: a period's price is the monthly price.
    assert (quote.unit_period_cents, quote.amount_cents) == (10000, 5000)


def test_half_a_cent_is_rounded_up(account):
    quote = seats_purchase_quote(
        account=account, seat_type=SeatType.CORE, quantity=1, now=HALF_A_CENT_LEFT
    )

    assert quote.amount_cents == 3  # 2.5 cents


def test_the_whole_line_is_prorated_once_not_each_seat(account):
    quote = seats_purchase_quote(
        account=account, seat_type=SeatType.CORE, quantity=3, now=HALF_A_CENT_LEFT
    )

    assert quote.amount_cents == 8  # 7.5 cents, not 3 x 3


def test_a_quote_writes_nothing(account):
    before = everything(account)

    seats_purchase_quote(account=account, seat_type=SeatType.CORE, quantity=3, now=HALF_WAY)

    assert everything(account) == before


@pytest.mark.parametrize("quantity", [0, -1, 1001])
def test_a_quote_for_a_quantity_out_of_range_is_refused(account, quantity):
    with pytest.raises(InvalidQuantity) as refused:
        seats_purchase_quote(
            account=account, seat_type=SeatType.CORE, quantity=quantity, now=HALF_WAY
        )

    assert str(refused.value) == "Choose a number of seats from 1 to 1000."


def test_a_seat_type_the_plan_does_not_sell_is_not_quoted():
    account = subscribed_account({HubCode.MARKETING: TierCode.PROFESSIONAL})

    with pytest.raises(SeatsNotForSale) as refused:
        seats_purchase_quote(account=account, seat_type=SeatType.SALES, quantity=1, now=HALF_WAY)

    assert str(refused.value) == (
        "Your plan doesn't sell Sales seats. Upgrade in Pricing & Features."
    )


# --- "Buy now" -----------------------------------------------------------------------------------


def test_buying_grows_the_pool_now_and_for_the_next_period(account, admin, card):
    buy(account, admin, 3)

    pool = core_pool(account)
    assert (pool.included, pool.purchased, pool.purchased_at_renewal) == (3, 5, 5)
    assert pool.total == 8


def test_buying_appends_a_purchase_row_to_the_ledger(account, admin, card):
    buy(account, admin, 3)

    assert ledger(core_pool(account))[-1] == (LedgerReason.PURCHASE, 3, 5, 5)


def test_buying_records_a_paid_invoice_with_its_line(account, admin, card):
    invoice = buy(account, admin, 3)

    invoice.refresh_from_db()
    assert (invoice.kind, invoice.status, invoice.total_cents, invoice.currency) == (
        InvoiceKind.PURCHASE,
        InvoiceStatus.PAID,
        7500,
        "usd",
    )
    assert (invoice.period_start, invoice.period_end, invoice.paid_at) == (
        HALF_WAY,
        PERIOD_END,
        HALF_WAY,
    )
    assert invoice.created_by == admin.user
    assert invoice.charge_id
    assert [
        (line.description, line.quantity, line.unit_cents, line.amount_cents)
        for line in invoice.lines.all()
    ] == [("Core seat, prorated to May 1, 2027", 3, 5000, 7500)]


def test_buying_takes_the_quoted_amount_from_the_card_once(account, admin, card, provider):
    buy(account, admin, 3)

    assert list(provider.taken.values()) == [7500]


def test_the_providers_key_names_the_purchase_the_account_and_the_form(
    account, admin, card, provider
):
    buy(account, admin, 3, key="form-1")

    assert list(provider.taken) == [f"purchase:{account.pk}:form-1"]


def test_buying_is_audited(account, admin, card):
    invoice = buy(account, admin, 3)

    event = AuditEvent.objects.get(account=account, verb=AuditVerb.SEATS_BOUGHT)
    assert (event.actor, event.created_at) == (admin.user, HALF_WAY)
    assert event.after == {
        "seat_type": "core",
        "quantity": 3,
        "amount_cents": 7500,
        "invoice": invoice.number,
    }


def test_buying_one_seat_says_one_seat(account, admin, card):
    buy(account, admin, 1)
    assert billing_texts(admin) == ["Ada Lovelace bought 1 Core seat (6 in all)."]


def test_buying_notifies_the_billing_admins_and_nobody_else(account, admin, card):
    billing_holder = MembershipFactory(
        account=account, permissions={**CORE_DEFAULTS, AccountPermission.BILLING.value: ON}
    )
    users_admin = MembershipFactory(
        account=account, permissions={**CORE_DEFAULTS, AccountPermission.USERS.value: ON}
    )
    viewer = MembershipFactory(account=account, view_only=True)

    buy(account, admin, 3)

    bought = "Ada Lovelace bought 3 Core seats (8 in all)."
    assert billing_texts(admin) == [bought]
    assert billing_texts(billing_holder) == [bought]
    assert not Notification.objects.filter(membership__in=[users_admin, viewer]).exists()


def test_a_declined_card_raises_card_declined_and_changes_nothing(account, admin):
    save_card(account, admin, DECLINED)
    before = everything(account)

    with pytest.raises(CardDeclined):
        buy(account, admin, 3)

    assert everything(account) == before


def test_an_unreachable_provider_changes_nothing(account, admin):
    save_card(account, admin, UNAVAILABLE)
    before = everything(account)

    with pytest.raises(GatewayUnavailable):
        buy(account, admin, 3)

    assert everything(account) == before


def test_buying_without_a_card_raises_no_card_on_file_and_changes_nothing(account, admin):
    before = everything(account)

    with pytest.raises(NoCardOnFile) as refused:
        buy(account, admin, 3)

    assert str(refused.value) == "Add a card before buying seats."
    assert everything(account) == before


def test_buying_without_a_subscription_is_refused(admin):
    with pytest.raises(NoSubscription):
        buy(AccountFactory(), admin, 1)


@pytest.mark.parametrize("quantity", [0, 1001])
def test_buying_a_quantity_out_of_range_is_refused_and_changes_nothing(
    account, admin, card, quantity
):
    before = everything(account)

    with pytest.raises(InvalidQuantity):
        buy(account, admin, quantity)

    assert everything(account) == before


def test_a_double_submit_buys_once_and_returns_the_same_invoice(account, admin, card, provider):
    first = buy(account, admin, 3, key="same-form")
    second = buy(account, admin, 3, key="same-form", now=HALF_WAY + timedelta(seconds=2))

    assert second.pk == first.pk
    assert Invoice.objects.filter(account=account).count() == 1
    assert core_pool(account).purchased == 5
    assert list(provider.taken.values()) == [7500]


def test_two_forms_buy_twice(account, admin, card):
    buy(account, admin, 1, key="form-1")
    buy(account, admin, 1, key="form-2")

    assert Invoice.objects.filter(account=account).count() == 2
    assert core_pool(account).purchased == 4


# --- The card on file ----------------------------------------------------------------------------


def test_only_the_brand_last_four_digits_expiry_and_token_are_kept(account, admin):
    save_card(account, admin, VISA, exp_month=9, exp_year=2031)

    card = CardOnFile.objects.get(account=account)
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("Visa", "4242", 9, 2031)
    assert card.gateway_token.startswith("tok_test_ok_")


def test_the_full_card_number_appears_in_no_column(account, admin):
    save_card(account, admin, VISA)

    card = CardOnFile.objects.get(account=account)
    for field in CardOnFile._meta.concrete_fields:
        value = str(getattr(card, field.attname))
        assert VISA_DIGITS not in value.replace(" ", ""), field.name
        assert VISA_DIGITS[:12] not in value.replace(" ", ""), field.name


def test_the_full_card_number_is_not_written_to_the_audit_log(account, admin):
    save_card(account, admin, VISA)

    event = AuditEvent.objects.get(account=account, verb=AuditVerb.BILLING_CHANGED)
    assert event.after == {"card": "Visa •••• 4242", "replaced": False}


@pytest.mark.parametrize(
    ("number", "changes"),
    [
        ("4242 4242 4242 4241", {}),  # fails the Luhn check
        ("1234 5678 9012 3452", {}),  # passes it, but no brand starts so
        (VISA, {"exp_month": 3, "exp_year": 2027}),  # expired in March 2027
        (VISA, {"exp_month": 13}),
        (VISA, {"cvc": "12"}),
    ],
    ids=["luhn", "brand", "expired", "month", "cvc"],
)
def test_an_invalid_card_raises_card_invalid_and_stores_nothing(account, admin, number, changes):
    before = AuditEvent.objects.count()

    with pytest.raises(CardInvalid):
        save_card(account, admin, number, **changes)

    assert not CardOnFile.objects.exists()
    assert AuditEvent.objects.count() == before


def test_an_invalid_replacement_keeps_the_card_on_file(account, admin, card):
    with pytest.raises(CardInvalid):
        save_card(account, admin, "4242 4242 4242 4241")

    assert CardOnFile.objects.get(account=account).gateway_token == card.gateway_token


def test_replacing_the_card_keeps_one_row(account, admin, card):
    save_card(account, admin, "5555 5555 5555 4444", exp_month=1, exp_year=2029)

    [replaced] = CardOnFile.objects.filter(account=account)
    assert (replaced.brand, replaced.last4, replaced.exp_month, replaced.exp_year) == (
        "Mastercard",
        "4444",
        1,
        2029,
    )
    assert replaced.gateway_token != card.gateway_token


# --- The seat-limit warning ----------------------------------------------------------------------
# The Core pool holds 5 seats and the super admin takes one: 4 are free. The account's threshold
# is 1 (the default), so the 3rd person added leaves 1 free and warns.

WARNING_ONE_LEFT = "Initech has only 1 Core seat left."
WARNING_NONE_LEFT = "Initech has no Core seats left."


def add(account: Account, *emails: str, seat_type: SeatType = SeatType.CORE) -> list[Membership]:
    """Each person added through "Create user" by the account's super admin, one at a time."""
    admin = Membership.objects.get(account=account, is_super_admin=True)
    return invite_each(admin, *emails, seat_type=seat_type, send_email=False, now=NOW)


def warnings(admin: Membership) -> list[str]:
    return [text for text in billing_texts(admin) if text.startswith("Initech has ")]


def test_seats_above_the_threshold_do_not_warn(account, admin):
    add(account, "a@example.com", "b@example.com")  # 2 left

    assert warnings(admin) == []


def test_falling_to_the_threshold_warns_the_billing_admins(account, admin):
    billing_holder = MembershipFactory(
        account=account,
        seat_type=SeatType.VIEW_ONLY,
        permissions={
            **seat_default_permissions(SeatType.VIEW_ONLY),
            AccountPermission.BILLING.value: ON,
        },
    )
    users_admin = MembershipFactory(
        account=account,
        seat_type=SeatType.VIEW_ONLY,
        permissions={
            **seat_default_permissions(SeatType.VIEW_ONLY),
            AccountPermission.USERS.value: ON,
        },
    )

    add(account, "a@example.com", "b@example.com", "c@example.com")

    assert warnings(admin) == [WARNING_ONE_LEFT]
    assert warnings(billing_holder) == [WARNING_ONE_LEFT]
    assert warnings(users_admin) == []


def test_a_second_assignment_below_the_threshold_does_not_warn_again(account, admin):
    add(account, "a@example.com", "b@example.com", "c@example.com")

    add(account, "d@example.com")  # 0 left

    assert warnings(admin) == [WARNING_ONE_LEFT]


def test_buying_seats_above_the_threshold_and_falling_again_warns_again(account, admin, card):
    add(account, "a@example.com", "b@example.com", "c@example.com", "d@example.com")  # 0 left
    buy(account, admin, 2)  # 2 left

    add(account, "e@example.com")  # 1 left

    assert warnings(admin) == [WARNING_ONE_LEFT, WARNING_ONE_LEFT]


def test_buying_seats_that_stay_at_the_threshold_does_not_warn_again(account, admin, card):
    add(account, "a@example.com", "b@example.com", "c@example.com", "d@example.com")  # 0 left

    buy(account, admin, 1)  # 1 left: still at the threshold

    assert warnings(admin) == [WARNING_ONE_LEFT]


def test_the_threshold_is_the_accounts_own(account, admin):
    Account.objects.filter(pk=account.pk).update(seat_warning_threshold=3)

    add(account, "a@example.com")  # 3 left

    assert warnings(admin) == ["Initech has only 3 Core seats left."]


def test_a_seat_freed_by_a_seat_change_and_taken_again_warns_again(account, admin):
    [first, *_rest] = add(account, "a@example.com", "b@example.com", "c@example.com")  # 1 left
    member_seat_change(
        membership=first, seat_type=SeatType.VIEW_ONLY, actor_membership=admin, now=NOW
    )  # 2 left

    add(account, "d@example.com")  # 1 left again

    assert warnings(admin) == [WARNING_ONE_LEFT, WARNING_ONE_LEFT]


def test_a_seat_freed_by_deactivation_and_taken_again_warns_again(account, admin):
    # Releasing a seat on deactivation frees it like a seat change to View-only does, so the
    # next fall to the threshold is a new crossing (SeatPool.low_seats_warned_at: "cleared once
    # more seats than the account's threshold are free again, so each crossing warns once").
    [first, *_rest] = add(account, "a@example.com", "b@example.com", "c@example.com")  # 1 left
    member_deactivate(membership=first, release_seat=True, actor=admin.user, now=NOW)  # 2 left

    add(account, "d@example.com")  # 1 left again

    assert warnings(admin) == [WARNING_ONE_LEFT, WARNING_ONE_LEFT]


def test_each_seat_type_is_warned_about_on_its_own(account, admin, card):
    buy(account, admin, 2, seat_type=SeatType.SALES)  # 2 Sales seats, none assigned

    add(account, "s@example.com", seat_type=SeatType.SALES)

    assert warnings(admin) == ["Initech has only 1 Sales seat left."]
