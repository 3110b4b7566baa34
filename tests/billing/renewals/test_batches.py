"""The renewal job renews due subscriptions in batches (billing.services.renewals.batches).

What a batch writes for a subscription is what `subscription_renew` writes for it; a declined
card stays with its subscription; anything unexpected rolls the batch back and its
subscriptions are renewed one by one; a second run does nothing; the job's queries do not grow
with the number of subscriptions due; two runs at once renew each subscription once. The
accounts are those of test_subscription (Marketing Hub Professional and Sales Hub Professional,
2 Core seats and 1 Sales seat bought, monthly from 2027-01-01).
"""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, AuditEvent, AuditVerb, Notification, SeatType
from accounts.notifications import NotificationKind
from billing.gateway import gateway_get
from billing.models import CardOnFile, InvoiceStatus, Subscription, SubscriptionStatus
from billing.services.removals import seat_removal_schedule
from billing.services.renewals import batches as renewal_batches
from billing.services.renewals import charges as renewal_charges
from billing.services.renewals import subscription as renewals
from billing.services.renewals.batches import renewal_batch_run, renewals_run
from billing.services.renewals.charges import ChargesOutcome
from billing.services.renewals.subscription import subscription_renew
from seats.models import LedgerReason, SeatLedgerEntry
from tests.billing.renewals.test_subscription import (
    DECLINED,
    MONTHLY_TOTAL,
    NEXT_RENEWAL,
    NOW,
    RENEWAL,
    VISA,
    BreakingGateway,
    admin_of,
    billing_texts,
    break_pricing_of,
    period,
    pool,
    refreshed,
    renewal_invoices,
    save_card,
    subscribe,
)
from tests.billing.test_concurrency import run_together

pytestmark = pytest.mark.django_db


class CountingGateway(BreakingGateway):
    """The recording test mode (money taken once per idempotency key, `taken`), also listing
    every charge it was asked for (`asked`), and raising for cards marked broken."""

    delay_seconds = 0.0

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def charge(self, **kwargs):
        self.asked.append(kwargs["idempotency_key"])
        time.sleep(self.delay_seconds)
        return super().charge(**kwargs)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def provider(settings) -> CountingGateway:
    settings.PAYMENT_GATEWAY = f"{__name__}.CountingGateway"
    gateway_get.cache_clear()
    yield gateway_get()
    gateway_get.cache_clear()


def remove_a_core_seat_at_renewal(subscription: Subscription) -> None:
    seat_removal_schedule(
        account=subscription.account,
        seat_type=SeatType.CORE,
        quantity=1,
        actor=admin_of(subscription).user,
        now=NOW,
    )


def key_of(subscription: Subscription, start: datetime = RENEWAL) -> str:
    token = subscription.account.card.gateway_token
    return f"renewal:{subscription.pk}:{start.isoformat()}:{token}"


def renewal_rows(subscription: Subscription) -> dict:
    """Everything a renewal writes for a subscription, without ids (the invoice number is
    replaced by a placeholder): the subscription, its pools and their ledgers, the invoice and
    its lines, the audit event and the billing admins' notifications of the renewal date (and the
    link to an unpaid invoice, its id likewise)."""
    subscription = refreshed(subscription)
    [invoice] = renewal_invoices(subscription)

    def anonymous(text: str) -> str:
        return text.replace(invoice.number, "INV-N").replace(subscription.account.name, "NAME")

    def page(url: str) -> str:  # an unpaid invoice's link names it
        return url.replace(f"/invoices/{invoice.pk}/", "/invoices/N/")

    return {
        "subscription": (
            subscription.status,
            subscription.current_period_start,
            subscription.current_period_end,
            subscription.interval,
            subscription.anchor,
        ),
        "pools": sorted(
            (p.seat_type, p.included, p.purchased, p.purchased_at_renewal, p.enabled)
            for p in subscription.account.seat_pools.all()
        ),
        "ledger": sorted(
            (
                *(e.pool.seat_type, e.reason, e.included, e.purchased, e.purchased_at_renewal),
                e.actor_id is None,  # each account's own admin scheduled its removal
                e.created_at,
            )
            for e in SeatLedgerEntry.objects.filter(pool__account=subscription.account_id)
        ),
        "invoice": (
            invoice.kind,
            invoice.status,
            invoice.currency,
            invoice.total_cents,
            invoice.period_start,
            invoice.period_end,
            invoice.idempotency_key,
            bool(invoice.charge_id),
            invoice.attempts,
            invoice.next_attempt_at,
            invoice.created_by,
            invoice.created_at,
            invoice.paid_at,
        ),
        "lines": sorted(
            invoice.lines.values_list("description", "quantity", "unit_cents", "amount_cents")
        ),
        "audit": [
            (event.actor, event.target, event.created_at, {**event.after, "invoice": "INV-N"})
            for event in AuditEvent.objects.filter(
                account=subscription.account_id, verb=AuditVerb.SUBSCRIPTION_RENEWED
            )
        ],
        "notifications": sorted(
            (n.kind, anonymous(n.text), page(n.url), n.created_at, n.read_at)
            for n in Notification.objects.filter(
                membership__account=subscription.account_id, created_at__gte=RENEWAL
            )
        ),
    }


# --- A batch writes what the one-by-one path writes ----------------------------------------------


@pytest.mark.parametrize("card", ["4242 4242 4242 4242", DECLINED, None])
def test_a_batch_writes_what_renewing_one_by_one_writes(card):
    one_by_one = subscribe("One by one Ltd", card=card)
    batched = subscribe("Batched Ltd", card=card)
    for subscription in (one_by_one, batched):
        remove_a_core_seat_at_renewal(subscription)

    subscription_renew(subscription_id=one_by_one.pk, now=RENEWAL)
    outcome = renewal_batch_run(subscription_ids=[batched.pk], now=RENEWAL)

    assert (outcome.renewed, outcome.one_by_one) == ([batched.pk], [])
    assert renewal_rows(batched) == renewal_rows(one_by_one)


def test_a_batch_renews_each_due_subscription_once_at_its_own_price(provider):
    plain, removing = subscribe("Plain Ltd"), subscribe("Removing Ltd")
    remove_a_core_seat_at_renewal(removing)

    result = renewals_run(now=RENEWAL)

    assert result == {"renewed": 2, "failed": 0, "retried": 0}
    assert provider.taken == {
        key_of(plain): MONTHLY_TOTAL,
        key_of(removing): MONTHLY_TOTAL - 5000,  # one Core seat fewer
    }
    for subscription in (plain, removing):
        [invoice] = renewal_invoices(subscription)
        assert (invoice.status, invoice.total_cents, invoice.period_start) == (
            InvoiceStatus.PAID,
            provider.taken[key_of(subscription)],
            RENEWAL,
        )
        assert period(subscription) == (RENEWAL, NEXT_RENEWAL)
    assert (pool(removing).purchased, pool(removing).purchased_at_renewal) == (1, 1)
    assert list(
        SeatLedgerEntry.objects.filter(reason=LedgerReason.RENEWAL).values_list(
            "pool__account", "included", "purchased", "purchased_at_renewal", "created_at"
        )
    ) == [(removing.account_id, 3, 1, 1, RENEWAL)]


def test_a_batch_can_be_smaller_than_what_is_due(provider):
    subscriptions = [subscribe(f"Customer {i}") for i in range(5)]

    result = renewals_run(now=RENEWAL, batch_size=2)

    assert result == {"renewed": 5, "failed": 0, "retried": 0}
    assert sorted(provider.taken) == sorted(key_of(s) for s in subscriptions)
    assert all(period(s) == (RENEWAL, NEXT_RENEWAL) for s in subscriptions)


def test_the_batch_size_setting_sets_how_many_renew_in_one_transaction(settings):
    settings.RENEWAL_BATCH_SIZE = 2
    for i in range(5):
        subscribe(f"Customer {i}")

    with CaptureQueriesContext(connection) as queries:
        result = renewals_run(now=RENEWAL)

    assert result == {"renewed": 5, "failed": 0, "retried": 0}
    # Inside the test's own transaction each durable transaction is a savepoint: per batch,
    # one renews, and one records the charges made once it had committed.
    assert [q["sql"].split()[0] for q in queries].count("SAVEPOINT") == 2 * 3


def test_a_batch_size_below_one_is_refused():
    subscription = subscribe()

    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        renewals_run(now=RENEWAL, batch_size=0)

    assert renewal_invoices(subscription) == []


# --- Outcomes that stay with their subscription --------------------------------------------------


def test_a_declined_card_in_a_batch_leaves_that_subscription_past_due_and_renews_the_others():
    paying, declined = subscribe("Paying Ltd"), subscribe("Declined Ltd", card=DECLINED)
    without_card = subscribe("No card Ltd", card=None)

    result = renewals_run(now=RENEWAL)

    assert result == {"renewed": 3, "failed": 0, "retried": 0}
    assert refreshed(paying).status == SubscriptionStatus.ACTIVE
    assert [i.status for i in renewal_invoices(paying)] == [InvoiceStatus.PAID]
    for unpaid in (declined, without_card):
        assert refreshed(unpaid).status == SubscriptionStatus.PAST_DUE
        assert period(unpaid) == (RENEWAL, NEXT_RENEWAL)
        [invoice] = renewal_invoices(unpaid)
        assert (invoice.status, invoice.charge_id, invoice.next_attempt_at) == (
            InvoiceStatus.OPEN,
            "",
            RENEWAL + timedelta(hours=6),
        )
        assert billing_texts(admin_of(unpaid)) == [
            f"Your subscription renewed until Mar 1, 2027, but invoice {invoice.number} could "
            "not be charged. Open this notification to pay it now, or update the card on file; "
            "we'll try again. Nobody loses a seat."
        ]


def test_an_unexpected_error_rolls_the_batch_back_and_renews_the_others_one_by_one(
    provider, monkeypatch
):
    first, broken, last = subscribe("First Ltd"), subscribe("Broken Ltd"), subscribe("Last Ltd")
    for subscription in (first, broken, last):
        remove_a_core_seat_at_renewal(subscription)
    break_pricing_of(monkeypatch, broken)

    result = renewals_run(now=RENEWAL)

    assert result == {"renewed": 2, "failed": 1, "retried": 0}
    for healthy in (first, last):
        assert period(healthy) == (RENEWAL, NEXT_RENEWAL)
        assert [i.status for i in renewal_invoices(healthy)] == [InvoiceStatus.PAID]
        assert (
            SeatLedgerEntry.objects.filter(
                pool__account=healthy.account_id, reason=LedgerReason.RENEWAL
            ).count()
            == 1
        )
        assert provider.taken[key_of(healthy)] == MONTHLY_TOTAL - 5000
    # Cards are charged only after the batch has committed: the rolled-back one charged none.
    assert sorted(provider.asked) == sorted(key_of(s) for s in (first, last))
    assert period(broken) == (NOW, RENEWAL)
    assert renewal_invoices(broken) == []
    assert (pool(broken).purchased, pool(broken).purchased_at_renewal) == (2, 1)
    assert not AuditEvent.objects.filter(
        account=broken.account_id, verb=AuditVerb.SUBSCRIPTION_RENEWED
    ).exists()
    assert not Notification.objects.filter(
        membership__account=broken.account_id, created_at__gte=RENEWAL
    ).exists()


# --- Charged after the batch has committed -------------------------------------------------------


def test_renewals_whose_run_died_before_charging_are_charged_by_the_next_run_once(
    provider, monkeypatch
):
    subscriptions = [subscribe(f"Customer {i}") for i in range(3)]
    with monkeypatch.context() as dying:
        # The process dies once the batch has committed, before the first charge.
        dying.setattr(
            renewal_batches,
            "renewal_invoices_charge",
            lambda **kwargs: ChargesOutcome(paid=[], failed=[]),
        )
        renewal_batch_run(subscription_ids=[s.pk for s in subscriptions], now=RENEWAL)
    for subscription in subscriptions:
        [invoice] = renewal_invoices(subscription)
        assert (invoice.status, invoice.attempts, invoice.next_attempt_at) == (
            InvoiceStatus.OPEN,
            0,
            RENEWAL,
        )
    assert provider.asked == []

    result = renewals_run(now=RENEWAL + timedelta(minutes=5))
    again = renewals_run(now=RENEWAL + timedelta(minutes=10))

    assert result == {"renewed": 0, "failed": 0, "retried": 3}
    assert again == {"renewed": 0, "failed": 0, "retried": 0}
    assert sorted(provider.asked) == sorted(key_of(s) for s in subscriptions)
    for subscription in subscriptions:
        [invoice] = renewal_invoices(subscription)
        assert (invoice.status, invoice.attempts) == (InvoiceStatus.PAID, 1)
        assert (
            AuditEvent.objects.filter(
                account=subscription.account_id, verb=AuditVerb.SUBSCRIPTION_RENEWED
            ).count()
            == 1
        )
        assert billing_texts(admin_of(subscription)) == [
            f"Your subscription renewed until Mar 1, 2027; invoice {invoice.number} was paid."
        ]


def test_a_charge_recorded_by_another_run_meanwhile_is_not_recorded_again(provider, monkeypatch):
    subscription = subscribe()
    with_charges = renewal_charges._charges_record
    recorded = []

    def record_twice(**kwargs):
        # Two runs charged the same untried invoice (with the same key: one charge taken),
        # then both record it.
        first, second = with_charges(**kwargs), with_charges(**kwargs)
        recorded.extend([[i.pk for i in first], [i.pk for i in second]])
        return first

    monkeypatch.setattr(renewal_charges, "_charges_record", record_twice)
    renewals_run(now=RENEWAL)

    [invoice] = renewal_invoices(subscription)
    assert recorded == [[invoice.pk], []]
    assert (invoice.status, invoice.attempts) == (InvoiceStatus.PAID, 1)
    assert (
        AuditEvent.objects.filter(
            account=subscription.account_id, verb=AuditVerb.SUBSCRIPTION_RENEWED
        ).count()
        == 1
    )
    assert len(billing_texts(admin_of(subscription))) == 1


# --- What the batch leaves to the one-by-one path ------------------------------------------------


def test_unusual_renewals_in_the_same_run_go_one_by_one():
    plain = subscribe("Plain Ltd")
    behind = subscribe("Behind Ltd", now=datetime(2026, 11, 1, tzinfo=UTC))  # 3 periods due
    ending = subscribe("Ending Ltd")
    Subscription.objects.filter(pk=ending.pk).update(cancel_at_period_end=True)

    outcome = renewal_batch_run(subscription_ids=[plain.pk, behind.pk, ending.pk], now=RENEWAL)
    result = renewals_run(now=RENEWAL)

    assert (outcome.renewed, sorted(outcome.one_by_one)) == ([plain.pk], [behind.pk, ending.pk])
    assert result == {"renewed": 3, "failed": 0, "retried": 0}
    assert [i.period_start.month for i in renewal_invoices(behind)] == [12, 1, 2]
    assert period(behind) == (RENEWAL, NEXT_RENEWAL)
    assert refreshed(ending).status == SubscriptionStatus.CANCELED
    assert renewal_invoices(ending) == []


# --- Once per period -----------------------------------------------------------------------------


def test_running_the_batched_job_twice_renews_and_charges_once(provider):
    subscriptions = [subscribe(f"Customer {i}") for i in range(3)]

    first = renewals_run(now=RENEWAL)
    rows = {s.pk: renewal_rows(s) for s in subscriptions}
    second = renewals_run(now=RENEWAL)

    assert first == {"renewed": 3, "failed": 0, "retried": 0}
    assert second == {"renewed": 0, "failed": 0, "retried": 0}
    assert sorted(provider.asked) == sorted(key_of(s) for s in subscriptions)
    assert {s.pk: renewal_rows(s) for s in subscriptions} == rows


# --- Constant work per batch ---------------------------------------------------------------------


def test_the_jobs_queries_do_not_grow_with_the_subscriptions_due():
    few = [subscribe(f"Few {i}") for i in range(3)]
    many = [subscribe(f"Many {i}", now=NOW + timedelta(days=1)) for i in range(30)]
    for subscription in few + many:
        remove_a_core_seat_at_renewal(subscription)

    with CaptureQueriesContext(connection) as few_queries:
        assert renewals_run(now=RENEWAL)["renewed"] == 3
    with CaptureQueriesContext(connection) as many_queries:
        assert renewals_run(now=RENEWAL + timedelta(days=1))["renewed"] == 30

    assert len(many_queries) == len(few_queries)
    assert len(few_queries) <= 25


# --- The billing admins are told -----------------------------------------------------------------


def test_each_billing_admin_is_told_as_they_chose_with_one_email_task_per_batch(
    mailoutbox, django_capture_on_commit_callbacks
):
    both, in_app_only, email_only = (subscribe(name) for name in ("Both", "In app", "Email"))
    for subscription, choice in (
        (in_app_only, {"email": False, "in_app": True}),
        (email_only, {"email": True, "in_app": False}),
    ):
        admin = admin_of(subscription)
        admin.notification_settings = {NotificationKind.BILLING: choice}
        admin.save()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        renewals_run(now=RENEWAL)

    assert len(callbacks) == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        admin_of(s).user.email for s in (both, email_only)
    )
    for subscription in (both, email_only):
        [invoice] = renewal_invoices(subscription)
        [email] = [m for m in mailoutbox if m.to == [admin_of(subscription).user.email]]
        assert f"invoice {invoice.number} was paid" in email.body
    for subscription, in_app in ((both, 1), (in_app_only, 1), (email_only, 0)):
        assert len(billing_texts(admin_of(subscription))) == in_app


# --- Concurrency (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_split_the_work_and_renew_each_subscription_once(provider):
    subscriptions = [subscribe(f"Customer {i}") for i in range(12)]
    provider.delay_seconds = 0.1  # charging takes long enough for the batches to overlap

    first, second = run_together([lambda: renewals_run(now=RENEWAL, batch_size=3)] * 2)

    assert first["failed"] == second["failed"] == 0
    assert first["renewed"] + second["renewed"] == 12
    assert first["renewed"] > 0 and second["renewed"] > 0
    # One run's retry pass may ask again for an invoice the other run has renewed and is
    # charging (it is untried and due): the period's key makes the provider take it once.
    assert set(provider.asked) == {key_of(s) for s in subscriptions}
    assert provider.taken == {key_of(s): MONTHLY_TOTAL for s in subscriptions}
    for subscription in subscriptions:
        assert len(renewal_invoices(subscription)) == 1
        assert period(subscription) == (RENEWAL, NEXT_RENEWAL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_account_locked_elsewhere_is_left_to_the_next_run():
    busy, free = subscribe("Busy Ltd"), subscribe("Free Ltd")
    locked, release = threading.Event(), threading.Event()

    def hold_the_account() -> None:
        try:
            with transaction.atomic():
                Account.objects.select_for_update().get(pk=busy.account_id)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_account)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        while_locked = renewals_run(now=RENEWAL)
    finally:
        release.set()
        holder.join(timeout=10)
    next_run = renewals_run(now=RENEWAL)

    assert while_locked == {"renewed": 1, "failed": 0, "retried": 0}
    assert next_run == {"renewed": 1, "failed": 0, "retried": 0}
    assert len(renewal_invoices(busy)) == len(renewal_invoices(free)) == 1


class LockProbingGateway(CountingGateway):
    """While each card is charged, another connection asks for the lock on the card's account,
    without waiting (as an admin buying seats would, but failing at once instead of waiting):
    `free` lists the answers."""

    def __init__(self) -> None:
        super().__init__()
        self.free: list[bool] = []

    def charge(self, **kwargs):
        account_id = CardOnFile.objects.get(gateway_token=kwargs["card_token"]).account_id

        def probe() -> None:
            try:
                with transaction.atomic():
                    Account.objects.select_for_update(nowait=True).get(pk=account_id)
                self.free.append(True)
            except OperationalError:
                self.free.append(False)
            finally:
                connection.close()

        prober = threading.Thread(target=probe)
        prober.start()
        prober.join(timeout=10)
        return super().charge(**kwargs)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_account_is_locked_while_its_card_is_charged(settings):
    settings.PAYMENT_GATEWAY = f"{__name__}.LockProbingGateway"
    gateway_get.cache_clear()
    try:
        provider = gateway_get()
        batched = [subscribe(f"Batched {i}") for i in range(3)]
        behind = subscribe("Behind Ltd", now=datetime(2026, 12, 1, tzinfo=UTC))  # one by one
        declined = subscribe("Declined Ltd", card=DECLINED)

        renewals_run(now=RENEWAL)
        save_card(declined.account, admin_of(declined), VISA, now=RENEWAL)
        retried = renewals_run(now=RENEWAL + timedelta(hours=6))
    finally:
        gateway_get.cache_clear()

    assert retried["retried"] == 1
    # 3 batched, 2 periods caught up one by one, the declined card, then its retry.
    assert len(provider.asked) == 7
    assert provider.free == [True] * 7
    for subscription in [*batched, behind, declined]:
        assert [i.status for i in renewal_invoices(subscription)][-1] == InvoiceStatus.PAID


# --- Retries -------------------------------------------------------------------------------------


def test_each_retry_of_a_declined_invoice_asks_the_provider_with_a_key_of_its_own(provider):
    # A provider answers a key it has seen with its first answer, a decline included: with one
    # key for every attempt, a card that works again would be declined forever.
    declined = subscribe("Declined Ltd", card=DECLINED)

    renewals_run(now=RENEWAL)
    renewals_run(now=RENEWAL + timedelta(hours=6))
    renewals_run(now=RENEWAL + timedelta(hours=6, days=1))

    [invoice] = renewal_invoices(declined)
    token = declined.account.card.gateway_token
    assert provider.asked == [
        key_of(declined),
        f"invoice:{invoice.pk}:attempt:2:{token}",
        f"invoice:{invoice.pk}:attempt:3:{token}",
    ]
    assert (invoice.status, invoice.attempts) == (InvoiceStatus.OPEN, 3)


def test_a_retry_recorded_by_another_run_meanwhile_is_not_recorded_again(provider, monkeypatch):
    declined = subscribe("Declined Ltd", card=DECLINED)
    renewals_run(now=RENEWAL)
    save_card(declined.account, admin_of(declined), VISA, now=RENEWAL)
    [invoice] = renewal_invoices(declined)
    charge, runs = renewals.card_charge, []

    def charge_while_another_run_retries(**kwargs):
        # The other run reads the invoice, charges it and records that, all while this one
        # waits for the provider's answer (no lock is held meanwhile).
        if not runs:
            runs.append(None)
            runs[0] = renewals.invoice_retry(
                invoice_id=invoice.pk, now=RENEWAL + timedelta(hours=6)
            )
        return charge(**kwargs)

    monkeypatch.setattr(renewals, "card_charge", charge_while_another_run_retries)

    this_run = renewals.invoice_retry(invoice_id=invoice.pk, now=RENEWAL + timedelta(hours=6))

    assert (runs, this_run) == ([True], False)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempts) == (InvoiceStatus.PAID, 2)
    # Both asked with the same key: the provider took the money once.
    assert (
        provider.asked.count(
            f"invoice:{invoice.pk}:attempt:2:{declined.account.card.gateway_token}"
        )
        == 2
    )
    assert len(provider.taken) == 1
    assert billing_texts(admin_of(declined)).count(f"Invoice {invoice.number} was paid.") == 1
