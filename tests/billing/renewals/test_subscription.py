"""Renewal: at the period end, scheduled removals take effect and the next period is charged.

DOMAIN.md section 7 ("at the renewal date a background job applies the scheduled removals,
charges the new period and moves the dates forward — once, even if it runs twice, and catching
up if it was down"). The account subscribes monthly, from 2027-01-01, to Marketing Hub
Professional (3 Core seats included) and Sales Hub Professional, with 2 Core seats and 1 Sales
seat bought, and has a Visa card on file. Prices are billing/data/catalogue.toml's: Marketing
Hub Professional 800 USD a month, a Core seat 50 USD, a Sales seat 100 USD; Sales Hub
Professional has no base price.
"""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from accounts.models import (
    Account,
    AuditEvent,
    AuditVerb,
    Membership,
    Notification,
    SeatType,
)
from accounts.notifications import NotificationKind
from billing.catalogue import HubCode, TierCode
from billing.gateway import TestGateway, gateway_get
from billing.models import (
    CardOnFile,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Subscription,
    SubscriptionStatus,
)
from billing.periods import BillingInterval
from billing.services.cards import card_save
from billing.services.removals import seat_removal_schedule
from billing.services.renewals import batches as renewal_batches
from billing.services.renewals import subscription as renewals
from billing.services.renewals.batches import renewals_run
from billing.services.renewals.subscription import invoice_retry, subscription_renew
from billing.services.subscriptions import subscription_start
from billing.tasks import renewals_run_task
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool
from tests.factories import AccountFactory, InvoiceFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 1, tzinfo=UTC)
RENEWAL = datetime(2027, 2, 1, tzinfo=UTC)
NEXT_RENEWAL = datetime(2027, 3, 1, tzinfo=UTC)
HUBS = {HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL}
VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
# From billing/data/catalogue.toml, in cents per month.
MARKETING_PRO_CENTS = 80000
CORE_SEAT_CENTS = 5000
SALES_SEAT_CENTS = 10000
MONTHLY_TOTAL = MARKETING_PRO_CENTS + 2 * CORE_SEAT_CENTS + 1 * SALES_SEAT_CENTS  # 100,000


class RecordingGateway(TestGateway):
    """The built-in test mode, also remembering the money it took: one charge per idempotency
    key, as a real provider takes it."""

    def __init__(self) -> None:
        self.taken: dict[str, int] = {}

    def charge(self, **kwargs):
        charge = super().charge(**kwargs)
        self.taken.setdefault(kwargs["idempotency_key"], charge.amount_cents)
        return charge


class BreakingGateway(RecordingGateway):
    """The recording test mode, except that charging a card marked broken raises something no
    gateway should (a bug, a client library crashing): an unexpected failure, not a decline."""

    def __init__(self) -> None:
        super().__init__()
        self.broken_tokens: set[str] = set()

    def break_card_of(self, subscription: Subscription) -> None:
        self.broken_tokens.add(
            CardOnFile.objects.get(account=subscription.account_id).gateway_token
        )

    def charge(self, **kwargs):
        if kwargs["card_token"] in self.broken_tokens:
            raise RuntimeError("the provider's client library crashed")
        return super().charge(**kwargs)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def _gateway(settings, name: str):
    settings.PAYMENT_GATEWAY = f"{__name__}.{name}"
    gateway_get.cache_clear()
    yield gateway_get()
    gateway_get.cache_clear()


@pytest.fixture
def provider(settings) -> RecordingGateway:
    yield from _gateway(settings, "RecordingGateway")


@pytest.fixture
def breaking_provider(settings) -> BreakingGateway:
    yield from _gateway(settings, "BreakingGateway")


def subscribe(
    name: str = "Initech",
    *,
    now: datetime = NOW,
    hubs=HUBS,
    interval=BillingInterval.MONTHLY,
    extra_seats=None,
    card: str | None = VISA,
) -> Subscription:
    """A subscribed account with its super admin, and a card on file unless `card` is None."""
    account = AccountFactory(name=name)
    subscription = subscription_start(
        account=account,
        hubs=hubs,
        interval=interval,
        now=now,
        actor=None,
        extra_seats={SeatType.CORE: 2, SeatType.SALES: 1} if extra_seats is None else extra_seats,
    )
    admin = MembershipFactory(account=account, super_admin=True)
    if card is not None:
        save_card(account, admin, card, now=now)
    return subscription


def save_card(account: Account, admin: Membership, number: str, *, now: datetime) -> CardOnFile:
    return card_save(
        account=account,
        number=number,
        exp_month=12,
        exp_year=2030,
        cvc="123",
        actor=admin.user,
        now=now,
    )


@pytest.fixture
def subscription() -> Subscription:
    return subscribe()


@pytest.fixture
def declined_subscription() -> Subscription:
    return subscribe(card=DECLINED)


def renew(subscription: Subscription, now: datetime = RENEWAL) -> int:
    return subscription_renew(subscription_id=subscription.pk, now=now)


def refreshed(subscription: Subscription) -> Subscription:
    return Subscription.objects.get(pk=subscription.pk)


def period(subscription: Subscription) -> tuple[datetime, datetime]:
    subscription = refreshed(subscription)
    return subscription.current_period_start, subscription.current_period_end


def renewal_invoices(subscription: Subscription) -> list[Invoice]:
    return list(
        Invoice.objects.filter(subscription=subscription, kind=InvoiceKind.RENEWAL).order_by("id")
    )


def pool(subscription: Subscription, seat_type: str = SeatType.CORE) -> SeatPool:
    return SeatPool.objects.get(account=subscription.account_id, seat_type=seat_type)


def admin_of(subscription: Subscription) -> Membership:
    return Membership.objects.get(account=subscription.account_id, is_super_admin=True)


def billing_texts(membership: Membership) -> list[str]:
    return list(
        Notification.objects.filter(
            membership=membership, kind=NotificationKind.BILLING
        ).values_list("text", flat=True)
    )


# --- Renewing one period -------------------------------------------------------------------------


def test_nothing_is_renewed_before_the_period_ends(subscription):
    renewed = renew(subscription, RENEWAL - timedelta(seconds=1))

    assert renewed == 0
    assert renewal_invoices(subscription) == []
    assert period(subscription) == (NOW, RENEWAL)


def test_at_the_period_end_the_period_moves_on_one_month(subscription):
    renewed = renew(subscription)

    assert renewed == 1
    assert period(subscription) == (RENEWAL, NEXT_RENEWAL)
    assert refreshed(subscription).status == SubscriptionStatus.ACTIVE


def test_the_new_period_is_invoiced_at_catalogue_prices_and_paid(subscription):
    renew(subscription)

    [invoice] = renewal_invoices(subscription)
    assert (invoice.status, invoice.total_cents, invoice.currency) == (
        InvoiceStatus.PAID,
        MONTHLY_TOTAL,
        "usd",
    )
    assert (invoice.period_start, invoice.period_end, invoice.paid_at) == (
        RENEWAL,
        NEXT_RENEWAL,
        RENEWAL,
    )
    assert invoice.charge_id
    assert sorted(
        (line.description, line.quantity, line.unit_cents, line.amount_cents)
        for line in invoice.lines.all()
    ) == [
        ("Core seat", 2, CORE_SEAT_CENTS, 2 * CORE_SEAT_CENTS),
        ("Marketing Hub Professional", 1, MARKETING_PRO_CENTS, MARKETING_PRO_CENTS),
        ("Sales seat", 1, SALES_SEAT_CENTS, SALES_SEAT_CENTS),
    ]


def test_the_card_is_charged_the_invoice_total_once(subscription, provider):
    renew(subscription)

    assert list(provider.taken.values()) == [MONTHLY_TOTAL]


def test_an_annual_renewal_costs_ten_months_of_each_price():
    subscription = subscribe(interval=BillingInterval.ANNUAL)

    renew(subscription, datetime(2028, 1, 1, tzinfo=UTC))

    [invoice] = renewal_invoices(subscription)
    assert invoice.total_cents == 10 * MONTHLY_TOTAL
    assert invoice.period_end == datetime(2029, 1, 1, tzinfo=UTC)


def test_a_period_with_nothing_to_pay_is_paid_without_a_card():
    subscription = subscribe(hubs={HubCode.MARKETING: TierCode.STARTER}, extra_seats={}, card=None)

    renew(subscription)

    [invoice] = renewal_invoices(subscription)
    assert (invoice.total_cents, invoice.status) == (0, InvoiceStatus.PAID)
    assert refreshed(subscription).status == SubscriptionStatus.ACTIVE


def test_the_renewal_is_audited(subscription):
    renew(subscription)

    event = AuditEvent.objects.get(
        account=subscription.account_id, verb=AuditVerb.SUBSCRIPTION_RENEWED
    )
    [invoice] = renewal_invoices(subscription)
    assert (event.actor, event.created_at) == (None, RENEWAL)
    assert event.after == {
        "period_start": RENEWAL.isoformat(),
        "period_end": NEXT_RENEWAL.isoformat(),
        "invoice": invoice.number,
        "paid": True,
    }


def test_the_renewal_tells_the_billing_admins(subscription):
    renew(subscription)

    [invoice] = renewal_invoices(subscription)
    assert billing_texts(admin_of(subscription)) == [
        f"Your subscription renewed until Mar 1, 2027; invoice {invoice.number} was paid."
    ]


def test_a_subscription_anchored_on_january_31_renews_to_february_28_then_march_31():
    january_31 = datetime(2027, 1, 31, tzinfo=UTC)
    february_28 = datetime(2027, 2, 28, tzinfo=UTC)
    march_31 = datetime(2027, 3, 31, tzinfo=UTC)
    subscription = subscribe(now=january_31)
    assert period(subscription) == (january_31, february_28)

    renew(subscription, february_28)
    renew(subscription, march_31)

    assert [(i.period_start, i.period_end) for i in renewal_invoices(subscription)] == [
        (february_28, march_31),
        (march_31, datetime(2027, 4, 30, tzinfo=UTC)),
    ]
    assert period(subscription) == (march_31, datetime(2027, 4, 30, tzinfo=UTC))


# --- Scheduled removals take effect --------------------------------------------------------------


def test_the_renewal_applies_the_scheduled_removals(subscription):
    seat_removal_schedule(
        account=subscription.account,
        seat_type=SeatType.CORE,
        quantity=2,
        actor=admin_of(subscription).user,
        now=NOW,
    )

    renew(subscription)

    core = pool(subscription)
    assert (core.included, core.purchased, core.purchased_at_renewal) == (3, 0, 0)
    last = SeatLedgerEntry.objects.filter(pool=core).order_by("id").last()
    assert (last.reason, last.included, last.purchased, last.purchased_at_renewal) == (
        LedgerReason.RENEWAL,
        3,
        0,
        0,
    )
    assert (last.actor, last.created_at) == (None, RENEWAL)


def test_the_next_period_is_invoiced_without_the_removed_seats(subscription):
    seat_removal_schedule(
        account=subscription.account,
        seat_type=SeatType.CORE,
        quantity=1,
        actor=admin_of(subscription).user,
        now=NOW,
    )

    renew(subscription)

    [invoice] = renewal_invoices(subscription)
    assert invoice.total_cents == MARKETING_PRO_CENTS + 1 * CORE_SEAT_CENTS + SALES_SEAT_CENTS
    assert invoice.lines.get(description="Core seat").quantity == 1


def test_a_pool_without_a_pending_removal_gets_no_renewal_row(subscription):
    renew(subscription)

    assert not SeatLedgerEntry.objects.filter(reason=LedgerReason.RENEWAL).exists()
    assert (pool(subscription).purchased, pool(subscription, SeatType.SALES).purchased) == (2, 1)


# --- Once per period -----------------------------------------------------------------------------


def test_running_the_renewal_job_twice_at_the_same_time_renews_once(subscription, provider):
    first = renewals_run(now=RENEWAL)
    second = renewals_run(now=RENEWAL)

    assert first == {"renewed": 1, "failed": 0, "retried": 0}
    assert second == {"renewed": 0, "failed": 0, "retried": 0}
    assert len(renewal_invoices(subscription)) == 1
    assert list(provider.taken.values()) == [MONTHLY_TOTAL]
    assert period(subscription) == (RENEWAL, NEXT_RENEWAL)


def test_running_the_periodic_task_twice_renews_once(subscription, time_machine):
    time_machine.move_to(RENEWAL, tick=False)

    renewals_run_task()
    renewals_run_task()

    assert len(renewal_invoices(subscription)) == 1
    assert period(subscription) == (RENEWAL, NEXT_RENEWAL)


def test_the_database_refuses_a_second_renewal_invoice_for_the_same_period(subscription):
    renew(subscription)

    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceFactory(
            account=subscription.account,
            subscription=subscription,
            kind=InvoiceKind.RENEWAL,
            period_start=RENEWAL,
            period_end=NEXT_RENEWAL,
        )


def test_after_an_outage_each_missed_period_is_renewed_in_order(subscription):
    renewed = renew(subscription, datetime(2027, 4, 1, 6, 0, tzinfo=UTC))

    assert renewed == 3
    assert [(i.period_start, i.period_end, i.status) for i in renewal_invoices(subscription)] == [
        (RENEWAL, NEXT_RENEWAL, InvoiceStatus.PAID),
        (NEXT_RENEWAL, datetime(2027, 4, 1, tzinfo=UTC), InvoiceStatus.PAID),
        (datetime(2027, 4, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC), InvoiceStatus.PAID),
    ]
    assert period(subscription) == (
        datetime(2027, 4, 1, tzinfo=UTC),
        datetime(2027, 5, 1, tzinfo=UTC),
    )


def test_after_an_outage_each_missed_period_is_charged_once(subscription, provider):
    renew(subscription, datetime(2027, 4, 1, 6, 0, tzinfo=UTC))
    renew(subscription, datetime(2027, 4, 1, 6, 0, tzinfo=UTC))

    assert list(provider.taken.values()) == [MONTHLY_TOTAL] * 3


def break_pricing_of(monkeypatch, broken: Subscription) -> None:
    """Pricing `broken` raises (a bug), in the batch and on the one-by-one path alike: its
    batch fails, then on its own it fails again."""
    plan, lines = renewal_batches.renewal_plan, renewals.renewal_lines

    def fails_for_broken(price):
        def priced(*, subscription, **kwargs):
            if subscription.pk == broken.pk:
                raise RuntimeError("a bug in pricing this subscription")
            return price(subscription=subscription, **kwargs)

        return priced

    monkeypatch.setattr(renewal_batches, "renewal_plan", fails_for_broken(plan))
    monkeypatch.setattr(renewals, "renewal_lines", fails_for_broken(lines))


def test_one_subscriptions_failure_does_not_stop_the_others(monkeypatch):
    broken = subscribe("Broken Ltd")
    healthy = subscribe("Initech")
    break_pricing_of(monkeypatch, broken)

    result = renewals_run(now=RENEWAL)

    assert result == {"renewed": 1, "failed": 1, "retried": 0}
    assert period(healthy) == (RENEWAL, NEXT_RENEWAL)
    assert [i.status for i in renewal_invoices(healthy)] == [InvoiceStatus.PAID]
    assert period(broken) == (NOW, RENEWAL)
    assert renewal_invoices(broken) == []


def test_a_charge_that_raises_leaves_the_renewal_to_be_charged_by_the_next_run(
    breaking_provider,
):
    broken, healthy = subscribe("Broken Ltd"), subscribe("Initech")
    breaking_provider.break_card_of(broken)

    result = renewals_run(now=RENEWAL)

    assert result == {"renewed": 2, "failed": 1, "retried": 0}
    assert [i.status for i in renewal_invoices(healthy)] == [InvoiceStatus.PAID]
    # Renewed, not charged: open and untried, the subscription not (yet) past due.
    assert period(broken) == (RENEWAL, NEXT_RENEWAL)
    [invoice] = renewal_invoices(broken)
    assert (invoice.status, invoice.attempts, invoice.charge_id) == (InvoiceStatus.OPEN, 0, "")
    assert refreshed(broken).status == SubscriptionStatus.ACTIVE
    assert billing_texts(admin_of(broken)) == []

    breaking_provider.broken_tokens.clear()  # the provider's library is fixed
    next_run = renewals_run(now=RENEWAL + timedelta(minutes=5))

    assert next_run == {"renewed": 0, "failed": 0, "retried": 1}
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempts) == (InvoiceStatus.PAID, 1)
    # Charged as its renewal would have been: with the period's key.
    assert breaking_provider.taken == {
        f"renewal:{s.pk}:{RENEWAL.isoformat()}:{s.account.card.gateway_token}": MONTHLY_TOTAL
        for s in (broken, healthy)
    }
    assert billing_texts(admin_of(broken)) == [
        f"Your subscription renewed until Mar 1, 2027; invoice {invoice.number} was paid."
    ]


# --- A declined renewal --------------------------------------------------------------------------


def test_a_declined_renewal_marks_the_subscription_past_due(declined_subscription):
    renew(declined_subscription)

    subscription = refreshed(declined_subscription)
    assert subscription.status == SubscriptionStatus.PAST_DUE
    assert (subscription.current_period_start, subscription.current_period_end) == (
        RENEWAL,
        NEXT_RENEWAL,
    )


def test_a_declined_renewal_leaves_an_open_invoice_to_retry_later(declined_subscription):
    renew(declined_subscription)

    [invoice] = renewal_invoices(declined_subscription)
    assert (invoice.status, invoice.paid_at, invoice.charge_id, invoice.total_cents) == (
        InvoiceStatus.OPEN,
        None,
        "",
        MONTHLY_TOTAL,
    )
    assert invoice.next_attempt_at == RENEWAL + timedelta(hours=6)


def test_a_declined_renewal_tells_the_billing_admins(declined_subscription):
    renew(declined_subscription)

    [invoice] = renewal_invoices(declined_subscription)
    assert billing_texts(admin_of(declined_subscription)) == [
        f"Your subscription renewed until Mar 1, 2027, but invoice {invoice.number} could not be "
        "charged. Open this notification to pay it now, or update the card on file; we'll try "
        "again. Nobody loses a seat."
    ]


def test_a_declined_renewal_takes_no_seat_away(declined_subscription):
    account = declined_subscription.account
    MembershipFactory.create_batch(3, account=account)
    MembershipFactory(account=account, seat_type=SeatType.SALES)

    def seats() -> tuple[list, list]:
        memberships = sorted(
            Membership.objects.filter(account=account).values_list("pk", "seat_type", "status")
        )
        pools = sorted(
            SeatPool.objects.filter(account=account).values_list(
                "seat_type", "included", "purchased", "purchased_at_renewal", "enabled"
            )
        )
        return memberships, pools

    before = seats()

    renew(declined_subscription)

    assert seats() == before


def test_a_renewal_without_a_card_on_file_leaves_the_invoice_open():
    subscription = subscribe(card=None)

    renew(subscription)

    [invoice] = renewal_invoices(subscription)
    assert invoice.status == InvoiceStatus.OPEN
    assert refreshed(subscription).status == SubscriptionStatus.PAST_DUE


def test_running_the_job_twice_after_a_decline_leaves_one_open_invoice(declined_subscription):
    renewals_run(now=RENEWAL)
    second = renewals_run(now=RENEWAL)

    assert second == {"renewed": 0, "failed": 0, "retried": 0}
    assert [i.status for i in renewal_invoices(declined_subscription)] == [InvoiceStatus.OPEN]


def test_retrying_after_replacing_the_card_pays_the_invoice_and_reactivates(
    declined_subscription,
):
    renew(declined_subscription)
    [invoice] = renewal_invoices(declined_subscription)
    save_card(
        declined_subscription.account,
        admin_of(declined_subscription),
        VISA,
        now=RENEWAL + timedelta(hours=1),
    )

    paid = invoice_retry(invoice_id=invoice.pk, now=invoice.next_attempt_at)

    assert paid is True
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_at, invoice.next_attempt_at, invoice.attempts) == (
        InvoiceStatus.PAID,
        RENEWAL + timedelta(hours=6),
        None,
        2,
    )
    assert invoice.charge_id
    assert refreshed(declined_subscription).status == SubscriptionStatus.ACTIVE
    assert f"Invoice {invoice.number} was paid." in billing_texts(admin_of(declined_subscription))


def test_a_retry_that_is_declined_again_is_tried_later(declined_subscription):
    renew(declined_subscription)
    [invoice] = renewal_invoices(declined_subscription)

    paid = invoice_retry(invoice_id=invoice.pk, now=invoice.next_attempt_at)

    assert paid is False
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempts) == (InvoiceStatus.OPEN, 2)
    assert invoice.next_attempt_at == RENEWAL + timedelta(hours=6) + timedelta(days=1)
    assert refreshed(declined_subscription).status == SubscriptionStatus.PAST_DUE


def test_the_renewal_job_retries_an_open_invoice_once_it_is_due(declined_subscription):
    renewals_run(now=RENEWAL)
    save_card(
        declined_subscription.account,
        admin_of(declined_subscription),
        VISA,
        now=RENEWAL + timedelta(hours=1),
    )

    result = renewals_run(now=RENEWAL + timedelta(hours=6))

    assert result == {"renewed": 0, "failed": 0, "retried": 1}
    assert [i.status for i in renewal_invoices(declined_subscription)] == [InvoiceStatus.PAID]
    assert refreshed(declined_subscription).status == SubscriptionStatus.ACTIVE


# --- manage.py renew_subscriptions ---------------------------------------------------------------


def test_the_command_renews_what_is_due_at_the_given_instant(subscription):
    later = subscribe("Later Ltd", now=datetime(2027, 1, 15, tzinfo=UTC))
    out = StringIO()

    call_command("renew_subscriptions", "--now", "2027-02-01T00:00:00Z", stdout=out)

    assert out.getvalue().strip() == "renewed 1 period, retried 0 invoices, 0 failures"
    assert period(subscription) == (RENEWAL, NEXT_RENEWAL)
    assert renewal_invoices(later) == []


def test_the_command_refuses_a_time_without_a_zone(subscription):
    with pytest.raises(CommandError) as refused:
        call_command("renew_subscriptions", "--now", "2027-02-01T00:00:00", stdout=StringIO())

    assert str(refused.value) == "--now needs a time zone, e.g. 2027-01-01T00:00:00Z"
    assert renewal_invoices(subscription) == []


def test_the_command_refuses_a_time_it_cannot_read(subscription):
    with pytest.raises(CommandError) as refused:
        call_command("renew_subscriptions", "--now", "next tuesday", stdout=StringIO())

    assert "Use ISO 8601, e.g. 2027-01-01T00:00:00Z" in str(refused.value)
    assert renewal_invoices(subscription) == []


def test_the_command_renews_in_batches_of_the_given_size(subscription):
    others = [subscribe(f"Customer {i}") for i in range(2)]
    out = StringIO()

    call_command(
        "renew_subscriptions", "--now", "2027-02-01T00:00:00Z", "--batch-size", "2", stdout=out
    )

    assert out.getvalue().strip() == "renewed 3 periods, retried 0 invoices, 0 failures"
    assert all(period(s) == (RENEWAL, NEXT_RENEWAL) for s in [subscription, *others])


def test_the_command_refuses_a_batch_size_below_one(subscription):
    with pytest.raises(CommandError, match="--batch-size: '0' is not a whole number of 1 or more"):
        call_command("renew_subscriptions", "--now", "2027-02-01T00:00:00Z", "--batch-size", "0")

    assert renewal_invoices(subscription) == []


def test_the_command_fails_when_a_renewal_failed(subscription, breaking_provider):
    breaking_provider.break_card_of(subscription)

    with pytest.raises(CommandError, match="Some renewals failed"):
        call_command("renew_subscriptions", "--now", "2027-02-01T00:00:00Z", stdout=StringIO())
