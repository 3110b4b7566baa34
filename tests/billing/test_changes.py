"""Create a bundle, checkout and changing the subscription (DOMAIN.md sections 2 and 8).

Initech subscribes monthly to Marketing Hub Professional (3 Core seats included, extra Core seats
50 USD a month) and Sales Hub Professional (Sales seats enabled, 100 USD a month each), and bought
2 Core seats. Its period is April 2027 (30 days); `now` is passed to every service and the clock
is frozen half-way through the period, where everything bought costs half a period.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Account, AuditEvent, AuditVerb, Membership, SeatType
from billing.catalogue import HubCode, TierCode, period_price_cents, tier_offer_get
from billing.errors import (
    CardDeclined,
    CardInvalid,
    InvalidBundle,
    NoCardOnFile,
    NoPendingChange,
    NoPendingRemoval,
    NoSubscription,
    NotEnoughCoreSeatsAtRenewal,
    PaidSeatsAssigned,
    SeatsStillAssigned,
)
from billing.gateway import TestGateway, gateway_get
from billing.models import (
    CardOnFile,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)
from billing.periods import BillingInterval
from billing.selectors import subscription_live_get
from billing.services.bundles import Bundle, bundle_quote, bundle_renewal_state
from billing.services.cards import NewCard, card_save
from billing.services.changes import (
    auto_renewal_cancel,
    auto_renewal_resume,
    subscription_change_cancel,
    subscription_interval_switch,
)
from billing.services.checkout import bundle_checkout
from billing.services.removals import seat_removal_cancel
from billing.services.renewals.batches import renewals_run
from billing.services.subscriptions import subscription_start
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from seats.errors import SubscriptionEnding
from seats.models import SeatPool
from seats.permissions.choice import AccessChoice, AccessMode
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db

START = datetime(2027, 4, 1, tzinfo=UTC)
HALF_WAY = datetime(2027, 4, 16, tzinfo=UTC)
PERIOD_END = datetime(2027, 5, 1, tzinfo=UTC)
AFTER_RENEWAL = PERIOD_END + timedelta(minutes=5)
# 1,296 seconds are 1/2,000 of the 30-day period: 10 USD a month then costs exactly 0.5 cent.
HALF_A_CENT_LEFT = PERIOD_END - timedelta(seconds=1296)
OWNED = {HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL}
VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"


class RecordingGateway(TestGateway):
    """The test mode, remembering each charge once per idempotency key as a provider would."""

    def __init__(self) -> None:
        self.taken: dict[str, int] = {}

    def charge(self, **kwargs):
        charge = super().charge(**kwargs)
        self.taken.setdefault(kwargs["idempotency_key"], charge.amount_cents)
        return charge


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(HALF_WAY, tick=False)
    return time_machine


@pytest.fixture
def provider(settings):
    settings.PAYMENT_GATEWAY = f"{__name__}.RecordingGateway"
    gateway_get.cache_clear()
    yield gateway_get()
    gateway_get.cache_clear()


@pytest.fixture
def account() -> Account:
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs=OWNED,
        interval=BillingInterval.MONTHLY,
        now=START,
        actor=None,
        extra_seats={SeatType.CORE: 2},
    )
    return account


@pytest.fixture
def admin(account) -> Membership:
    return MembershipFactory(account=account, super_admin=True, user__first_name="Ada")


@pytest.fixture
def card(account, admin):
    return save_card(account, admin)


def save_card(account, admin, number=VISA):
    return card_save(
        account=account,
        number=number,
        exp_month=12,
        exp_year=2030,
        cvc="123",
        actor=admin.user,
        now=START,
    )


def bundle(hubs=None, addons=None, interval=BillingInterval.MONTHLY) -> Bundle:
    return Bundle(
        hubs=dict(OWNED if hubs is None else hubs), addons=addons or {}, interval=interval
    )


def checkout(account, admin, the_bundle, *, key="form-1", now=HALF_WAY):
    return bundle_checkout(
        account=account, bundle=the_bundle, idempotency_key=key, actor=admin.user, now=now
    )


def pool(account, seat_type) -> SeatPool | None:
    return SeatPool.objects.filter(account=account, seat_type=seat_type).first()


def items(account) -> dict[str, tuple]:
    subscription = subscription_live_get(account=account)
    return {
        i.product: (i.tier or i.quantity, i.tier_at_renewal or i.quantity_at_renewal or "")
        + (("remove",) if i.remove_at_renewal else ())
        for i in subscription.items.all()
    }


def holders(account, seat_type, *names):
    for name in names:
        MembershipFactory(
            account=account, seat_type=seat_type, user__first_name=name, user__last_name="Smith"
        )


# --- A new subscription --------------------------------------------------------------------------


class TestNewSubscription:
    @pytest.fixture
    def account(self) -> Account:
        return AccountFactory(name="Globex")

    def test_quote_charges_the_whole_first_period_today(self, account):
        quote = bundle_quote(
            account=account,
            bundle=bundle(
                {HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SERVICE: TierCode.PROFESSIONAL},
                {"custom_objects": 1},
            ),
            now=HALF_WAY,
        )
        assert quote.starts_subscription
        assert quote.period_cents == 80000 + 0 + 20000
        assert quote.today_cents == quote.period_cents

    def test_annual_billing_costs_ten_months(self, account):
        quote = bundle_quote(
            account=account,
            bundle=bundle({HubCode.CMS: TierCode.STARTER}, interval=BillingInterval.ANNUAL),
            now=HALF_WAY,
        )
        assert quote.period_cents == quote.today_cents == 2500 * 10

    def test_checkout_starts_the_subscription_charges_and_invoices(self, account, admin, card):
        result = checkout(account, admin, bundle({HubCode.SERVICE: TierCode.PROFESSIONAL}))
        subscription = subscription_live_get(account=account)
        assert result.subscription == subscription
        assert subscription.current_period_start == HALF_WAY
        assert items(account) == {HubCode.SERVICE: (TierCode.PROFESSIONAL, "")}
        assert pool(account, SeatType.SERVICE).enabled
        invoice = result.invoice
        assert (invoice.kind, invoice.status, invoice.total_cents) == (
            InvoiceKind.CHECKOUT,
            InvoiceStatus.PAID,
            0,
        )
        assert invoice.lines.get().description == "Service Hub Professional"

    def test_checkout_charges_the_card(self, account, admin, card, provider):
        checkout(account, admin, bundle({HubCode.MARKETING: TierCode.PROFESSIONAL}))
        assert list(provider.taken.values()) == [80000]
        assert pool(account, SeatType.CORE).included == 3

    def test_checkout_without_a_card_is_refused(self, account, admin):
        with pytest.raises(NoCardOnFile):
            checkout(account, admin, bundle({HubCode.CMS: TierCode.STARTER}))
        assert not Subscription.objects.filter(account=account).exists()

    def test_a_declined_card_starts_nothing(self, account, admin):
        save_card(account, admin, DECLINED)
        with pytest.raises(CardDeclined):
            checkout(account, admin, bundle({HubCode.CMS: TierCode.STARTER}))
        assert not Subscription.objects.filter(account=account).exists()
        assert not Invoice.objects.filter(account=account).exists()
        assert not SeatPool.objects.filter(account=account).exists()

    def test_an_empty_bundle_is_refused(self, account, admin, card):
        with pytest.raises(InvalidBundle):
            checkout(account, admin, bundle({}))

    def test_an_unknown_tier_is_refused(self, account):
        with pytest.raises(InvalidBundle):
            bundle_quote(account=account, bundle=bundle({"marketing": "platinum"}), now=HALF_WAY)

    def test_a_double_submit_buys_once(self, account, admin, card, provider):
        first = checkout(account, admin, bundle({HubCode.CMS: TierCode.STARTER}))
        second = checkout(account, admin, bundle({HubCode.CMS: TierCode.STARTER}))
        assert second.invoice == first.invoice
        assert Subscription.objects.filter(account=account).count() == 1
        assert list(provider.taken.values()) == [2500]


# --- Upgrades now --------------------------------------------------------------------------------


def test_an_upgrade_charges_the_prorated_difference_now(account, admin, card, provider):
    # Enterprise is 3,600 USD instead of 800: half of 2,800 USD; and the 2 Core seats bought now
    # cost 75 USD instead of 50: half of 2 x 25 USD.
    result = checkout(account, admin, bundle({**OWNED, HubCode.MARKETING: TierCode.ENTERPRISE}))
    assert result.invoice.total_cents == 140000 + 2500
    assert sorted(InvoiceLine.objects.values_list("amount_cents", flat=True)) == [2500, 140000]
    assert list(provider.taken.values()) == [142500]
    assert items(account)[HubCode.MARKETING] == (TierCode.ENTERPRISE, "")
    assert pool(account, SeatType.CORE).included == 5


def test_a_new_hub_enables_its_seats_now(account, admin, card):
    result = checkout(account, admin, bundle({**OWNED, HubCode.SERVICE: TierCode.PROFESSIONAL}))
    assert pool(account, SeatType.SERVICE).enabled
    assert result.invoice.total_cents == 0


def test_a_new_add_on_is_charged_for_the_rest_of_the_period(account, admin, card):
    result = checkout(account, admin, bundle(addons={"custom_objects": 2}))
    assert result.invoice.total_cents == 20000  # 2 x 200 USD, half a period
    assert items(account)["custom_objects"] == (2, "")


def test_proration_rounds_half_a_cent_up(account, admin, card):
    result = checkout(
        account, admin, bundle(addons={"marketing_contacts": 1}), now=HALF_A_CENT_LEFT
    )
    assert result.invoice.total_cents == 1  # 10 USD x 1/2,000 = 0.5 cent


def test_an_upgrade_is_recorded_in_the_audit_log(account, admin, card):
    checkout(account, admin, bundle({**OWNED, HubCode.CMS: TierCode.STARTER}))
    event = AuditEvent.objects.filter(verb=AuditVerb.SUBSCRIPTION_CHANGED).latest("id")
    assert event.actor == admin.user
    assert event.after["now"] == [HubCode.CMS]


def test_an_upgrade_declined_changes_nothing(account, admin):
    save_card(account, admin, DECLINED)
    with pytest.raises(CardDeclined):
        checkout(account, admin, bundle({**OWNED, HubCode.CMS: TierCode.PROFESSIONAL}))
    assert HubCode.CMS not in items(account)
    assert pool(account, SeatType.CORE).included == 3


def test_the_providers_key_names_the_checkout_the_account_and_the_form(
    account, admin, card, provider
):
    checkout(account, admin, bundle({**OWNED, HubCode.CMS: TierCode.PROFESSIONAL}), key="form-1")

    assert list(provider.taken) == [f"checkout:{account.pk}:form-1"]


def test_without_a_card_a_charged_upgrade_is_refused(account, admin):
    with pytest.raises(NoCardOnFile):
        checkout(account, admin, bundle({**OWNED, HubCode.CMS: TierCode.PROFESSIONAL}))
    assert HubCode.CMS not in items(account)


# --- Paying with a new card ----------------------------------------------------------------------


def checkout_with_a_new_card(account, admin, the_bundle, number):
    return bundle_checkout(
        account=account,
        bundle=the_bundle,
        idempotency_key="form-1",
        actor=admin.user,
        new_card=NewCard(number=number, exp_month=12, exp_year=2031, cvc="123"),
        now=HALF_WAY,
    )


def card_on_file(account) -> tuple:
    return tuple(
        CardOnFile.objects.filter(account=account).values_list(
            "gateway_token", "last4", "exp_year", "updated_at"
        )
    )


def test_a_new_card_pays_the_checkout_and_becomes_the_card_on_file(account, admin, card):
    result = checkout_with_a_new_card(
        account, admin, bundle({**OWNED, HubCode.CMS: TierCode.PROFESSIONAL}), VISA
    )

    assert result.invoice.status == InvoiceStatus.PAID
    assert card_on_file(account)[0][1:] == ("4242", 2031, HALF_WAY)
    assert AuditEvent.objects.filter(account=account, verb=AuditVerb.BILLING_CHANGED).count() == 2


def test_a_new_card_declined_at_checkout_is_not_kept_and_nothing_is_charged(
    account, admin, card, provider
):
    before = card_on_file(account)

    with pytest.raises(CardDeclined):
        checkout_with_a_new_card(
            account, admin, bundle({**OWNED, HubCode.CMS: TierCode.PROFESSIONAL}), DECLINED
        )

    assert card_on_file(account) == before
    assert provider.taken == {}
    assert HubCode.CMS not in items(account)
    assert not Invoice.objects.filter(account=account, kind=InvoiceKind.CHECKOUT).exists()
    assert AuditEvent.objects.filter(account=account, verb=AuditVerb.BILLING_CHANGED).count() == 1


def test_a_plan_refused_at_checkout_does_not_keep_the_new_card(account, admin, card):
    holders(account, SeatType.SALES, "Grace")
    before = card_on_file(account)

    with pytest.raises(SeatsStillAssigned):
        checkout_with_a_new_card(
            account, admin, bundle({HubCode.MARKETING: TierCode.PROFESSIONAL}), VISA
        )

    assert card_on_file(account) == before


def test_a_new_card_the_provider_refuses_stops_the_checkout_before_anything(account, admin, card):
    before = card_on_file(account)

    with pytest.raises(CardInvalid) as refused:
        checkout_with_a_new_card(
            account, admin, bundle({**OWNED, HubCode.CMS: TierCode.PROFESSIONAL}), "1234"
        )

    assert refused.value.field == "number"
    assert card_on_file(account) == before
    assert HubCode.CMS not in items(account)


# --- Downgrades and removals at renewal ----------------------------------------------------------


def test_a_downgrade_waits_for_the_renewal_date(account, admin, card):
    result = checkout(account, admin, bundle({**OWNED, HubCode.SALES: TierCode.STARTER}))
    assert result.invoice is None
    assert items(account)[HubCode.SALES] == (TierCode.PROFESSIONAL, TierCode.STARTER)
    assert pool(account, SeatType.SALES).enabled
    assert not Invoice.objects.filter(account=account).exists()


def test_a_downgrade_leaving_people_on_sales_seats_is_refused_with_their_names(account, admin):
    holders(account, SeatType.SALES, "Bill", "Joanna", "Peter")
    with pytest.raises(SeatsStillAssigned) as refused:
        checkout(account, admin, bundle({**OWNED, HubCode.SALES: TierCode.STARTER}))
    assert refused.value.context["count"] == 3
    assert refused.value.context["names"] == ["Bill Smith", "Joanna Smith", "Peter Smith"]
    assert str(refused.value).startswith("Reassign these 3 users first: Bill Smith")
    assert items(account)[HubCode.SALES] == (TierCode.PROFESSIONAL, "")


def test_the_quote_shows_the_same_refusal(account):
    holders(account, SeatType.SALES, "Bill")
    with pytest.raises(SeatsStillAssigned):
        bundle_quote(
            account=account, bundle=bundle({HubCode.MARKETING: "professional"}), now=HALF_WAY
        )


def test_a_downgrade_below_the_assigned_core_seats_is_refused(account, admin):
    # Starter includes no Core seat: 2 bought would be left for 4 people (admin + 3).
    holders(account, SeatType.CORE, "Ann", "Bob", "Cy")
    with pytest.raises(NotEnoughCoreSeatsAtRenewal):
        checkout(account, admin, bundle({**OWNED, HubCode.MARKETING: TierCode.STARTER}))


def test_removing_a_hub_waits_for_the_renewal_date(account, admin):
    checkout(account, admin, bundle({HubCode.MARKETING: TierCode.PROFESSIONAL}))
    assert items(account)[HubCode.SALES] == (TierCode.PROFESSIONAL, "", "remove")


def test_the_bundle_starts_from_the_plan_at_renewal(account, admin):
    checkout(account, admin, bundle({**OWNED, HubCode.SALES: TierCode.STARTER}))
    state = bundle_renewal_state(subscription_live_get(account=account))
    assert state.hubs == {**OWNED, HubCode.SALES: TierCode.STARTER}
    # Submitting it again changes nothing.
    checkout(account, admin, state, key="form-2")
    assert items(account)[HubCode.SALES] == (TierCode.PROFESSIONAL, TierCode.STARTER)


def test_an_upgrade_cancels_a_pending_downgrade_of_the_same_hub(account, admin, card):
    checkout(account, admin, bundle({**OWNED, HubCode.SALES: TierCode.STARTER}))
    checkout(account, admin, bundle({**OWNED, HubCode.SALES: TierCode.ENTERPRISE}), key="form-2")
    assert items(account)[HubCode.SALES] == (TierCode.ENTERPRISE, "")


def test_fewer_add_on_units_wait_for_the_renewal_date(account, admin, card):
    checkout(account, admin, bundle(addons={"marketing_contacts": 5}))
    result = checkout(account, admin, bundle(addons={"marketing_contacts": 2}), key="form-2")
    assert result.invoice is None
    assert items(account)["marketing_contacts"] == (5, 2)


def test_a_pending_change_can_be_cancelled(account, admin):
    checkout(account, admin, bundle({**OWNED, HubCode.SALES: TierCode.STARTER}))
    item = SubscriptionItem.objects.get(product=HubCode.SALES)
    subscription_change_cancel(account=account, item_id=item.pk, actor=admin.user, now=HALF_WAY)
    assert items(account)[HubCode.SALES] == (TierCode.PROFESSIONAL, "")


def test_cancelling_when_nothing_is_pending_is_refused(account, admin):
    item = SubscriptionItem.objects.get(product=HubCode.SALES)
    with pytest.raises(NoPendingChange):
        subscription_change_cancel(account=account, item_id=item.pk, actor=admin.user)


def test_another_accounts_item_cannot_be_cancelled(account, admin):
    other = AccountFactory()
    subscription_start(account=other, hubs=OWNED, interval="monthly", now=START, actor=None)
    item = SubscriptionItem.objects.get(subscription__account=other, product=HubCode.SALES)
    item.tier_at_renewal = TierCode.STARTER
    item.save()
    with pytest.raises(NoPendingChange):
        subscription_change_cancel(account=account, item_id=item.pk, actor=admin.user)
    item.refresh_from_db()
    assert item.tier_at_renewal == TierCode.STARTER


# --- The renewal job applies them ----------------------------------------------------------------


def test_the_renewal_applies_a_downgrade_once_before_invoicing(account, admin, card):
    SeatPool.objects.filter(account=account, seat_type=SeatType.SALES).update(
        purchased=2, purchased_at_renewal=2
    )
    checkout(account, admin, bundle({**OWNED, HubCode.SALES: TierCode.STARTER}))
    assert renewals_run(now=AFTER_RENEWAL)["renewed"] == 1
    assert renewals_run(now=AFTER_RENEWAL)["renewed"] == 0
    assert items(account)[HubCode.SALES] == (TierCode.STARTER, "")
    sales = pool(account, SeatType.SALES)
    assert (sales.enabled, sales.purchased) == (False, 0)
    renewal = Invoice.objects.get(kind=InvoiceKind.RENEWAL)
    # Marketing Pro 800 + 2 Core seats at 50; no Sales seats any more.
    assert renewal.total_cents == 80000 + 2 * 5000
    assert renewal.period_start == PERIOD_END


def test_the_renewal_removes_a_hub_and_its_included_seats(account, admin):
    checkout(account, admin, bundle({HubCode.SALES: TierCode.PROFESSIONAL}))
    renewals_run(now=AFTER_RENEWAL)
    assert items(account) == {HubCode.SALES: (TierCode.PROFESSIONAL, "")}
    assert pool(account, SeatType.CORE).included == 0


def test_the_renewal_applies_fewer_add_on_units(account, admin, card):
    checkout(account, admin, bundle(addons={"marketing_contacts": 5}))
    checkout(account, admin, bundle(addons={"marketing_contacts": 2}), key="form-2")
    renewals_run(now=AFTER_RENEWAL)
    assert items(account)["marketing_contacts"] == (2, "")
    line = InvoiceLine.objects.get(
        invoice__kind=InvoiceKind.RENEWAL, description__contains="contacts"
    )
    assert line.quantity == 2


# --- Billing interval ----------------------------------------------------------------------------


def test_switching_to_annual_happens_at_the_renewal_date(account, admin):
    subscription_interval_switch(account=account, interval="annual", actor=admin.user, now=HALF_WAY)
    subscription = subscription_live_get(account=account)
    assert (subscription.interval, subscription.interval_at_renewal) == ("monthly", "annual")
    renewals_run(now=AFTER_RENEWAL)
    subscription.refresh_from_db()
    assert subscription.interval == "annual"
    assert subscription.current_period_start == PERIOD_END
    assert subscription.current_period_end == datetime(2028, 5, 1, tzinfo=UTC)
    renewal = Invoice.objects.get(kind=InvoiceKind.RENEWAL)
    assert renewal.total_cents == (80000 + 2 * 5000) * 10


def test_switching_back_cancels_the_switch(account, admin):
    subscription_interval_switch(account=account, interval="annual", actor=admin.user)
    subscription_interval_switch(account=account, interval="monthly", actor=admin.user)
    assert subscription_live_get(account=account).interval_at_renewal == ""


def test_a_bundle_with_another_interval_schedules_the_switch(account, admin):
    checkout(account, admin, bundle(interval=BillingInterval.ANNUAL))
    assert subscription_live_get(account=account).interval_at_renewal == "annual"


def test_the_interval_switch_needs_a_subscription(admin):
    with pytest.raises(NoSubscription):
        subscription_interval_switch(account=AccountFactory(), interval="annual", actor=admin.user)


# --- Auto-renewal --------------------------------------------------------------------------------


def test_cancelling_auto_renewal_is_refused_while_paid_seats_are_assigned(account, admin):
    with pytest.raises(PaidSeatsAssigned) as refused:
        auto_renewal_cancel(account=account, actor=admin.user, now=HALF_WAY)
    assert refused.value.context["names"] == [admin.user.get_full_name()]
    assert not subscription_live_get(account=account).cancel_at_period_end


def cancel_with_nobody_on_paid_seats(account, admin):
    Membership.objects.filter(pk=admin.pk).update(seat_type=SeatType.PARTNER)
    return auto_renewal_cancel(account=account, actor=admin.user, now=HALF_WAY)


def test_cancelled_auto_renewal_ends_the_subscription_at_the_period_end(account, admin, card):
    subscription = cancel_with_nobody_on_paid_seats(account, admin)
    assert subscription.cancel_at_period_end
    assert subscription.status == SubscriptionStatus.ACTIVE
    renewals_run(now=AFTER_RENEWAL)
    renewals_run(now=AFTER_RENEWAL)
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.CANCELED
    assert not Invoice.objects.filter(account=account).exists()
    assert subscription_live_get(account=account) is None
    core = pool(account, SeatType.CORE)
    assert (core.included, core.purchased) == (0, 0)


def test_auto_renewal_can_be_resumed_until_the_period_end(account, admin, card):
    cancel_with_nobody_on_paid_seats(account, admin)
    auto_renewal_resume(account=account, actor=admin.user, now=HALF_WAY)
    renewals_run(now=AFTER_RENEWAL)
    subscription = Subscription.objects.get(account=account)
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert Invoice.objects.get(kind=InvoiceKind.RENEWAL).status == InvoiceStatus.PAID


def test_seat_removal_errors_still_work(account, admin):
    # The pending-change fields live beside seat removals, not instead of them.
    with pytest.raises(NoPendingRemoval):
        seat_removal_cancel(account=account, seat_type=SeatType.CORE, actor=admin.user)


def test_no_paid_seat_can_be_assigned_once_auto_renewal_is_cancelled_until_it_is_resumed():
    account = AccountFactory()
    subscription_start(
        account=account,
        hubs={"marketing": "professional"},
        interval="monthly",
        now=timezone.now(),
        actor=None,
    )
    admin = MembershipFactory(account=account, super_admin=True, seat_type=SeatType.PARTNER)
    auto_renewal_cancel(account=account, actor=admin.user)

    def invite():
        return members_invite(
            account=account,
            actor_membership=admin,
            people=[ParsedPerson("new@example.com")],
            seat_type=SeatType.CORE,
            access=AccessChoice(mode=AccessMode.DEFAULTS),
            send_email=False,
        )

    with pytest.raises(SubscriptionEnding):
        invite()
    auto_renewal_resume(account=account, actor=admin.user)
    assert invite().memberships[0].seat_type == SeatType.CORE


def test_a_quote_switching_to_annual_prices_every_line_per_annual_period(account, admin):
    quote = bundle_quote(
        account=account, bundle=bundle(interval=BillingInterval.ANNUAL), now=HALF_WAY
    )
    hub_lines = {line.product: line.period_cents for line in quote.lines if line.product in OWNED}
    assert hub_lines == {
        hub: period_price_cents(tier_offer_get(hub, tier).price_cents, "annual")
        for hub, tier in OWNED.items()
        if tier_offer_get(hub, tier).price_cents
    } | {hub: 0 for hub, tier in OWNED.items() if not tier_offer_get(hub, tier).price_cents}
    assert quote.today_cents == 0
