"""Faults, with real processes: a Celery worker on Redis, an SMTP server (aiosmtpd), PostgreSQL.

Each test breaks one part while work is under way (the mail server down, the worker or the
renewal job killed, Redis down, the database connection dropped) and asserts the end state:
every email arrives once, nothing is renewed or charged twice, nothing is half-written, and the
seat counts still reconcile with who holds a seat.
"""

import json
import os
import re
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    Account,
    AuditEvent,
    Membership,
    MembershipStatus,
    Notification,
    SeatType,
    User,
)
from billing.catalogue import HubCode, TierCode
from billing.gateway import TestGateway
from billing.models import Invoice, InvoiceKind, InvoiceStatus, Subscription
from billing.periods import BillingInterval
from billing.services.removals import seat_removal_schedule
from billing.services.subscriptions import subscription_start
from invitations.models import Invitation
from invitations.parsing import ParsedPerson
from invitations.services import members as invitation_members
from invitations.services.members import members_invite
from invitations.tasks import invitations_unsent_sweep_task
from invitations.tokens import token_hash
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool
from seats.permissions.choice import AccessChoice, AccessMode
from tests.factories import AccountFactory, CardOnFileFactory, MembershipFactory, UserFactory
from tests.integration.conftest import pool_children

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://\S+?/invite/([A-Za-z0-9_-]+)/")
TEAM = [f"person{i}@example.com" for i in range(1, 6)]


# --- Seats reconcile after every fault -----------------------------------------------------------


def assert_seats_reconcile(account: Account) -> None:
    """Each pool holds everyone on its seat type, a scheduled removal only takes purchased seats,
    and replaying the pool's ledger gives its counts now."""
    pools = list(SeatPool.objects.filter(account=account))
    assert pools, f"{account} has no seat pools"
    for pool in pools:
        assigned = Membership.objects.filter(account=account, seat_type=pool.seat_type).count()
        assert assigned <= pool.total, f"{pool}: {assigned} assigned, {pool.total} in total"
        assert pool.purchased_at_renewal <= pool.purchased, f"{pool}: renews more than it has"
        entries = list(pool.ledger.order_by("id"))
        assert entries and entries[0].reason == LedgerReason.CREATED, f"{pool}: no CREATED entry"
        # Each entry holds the counts after its change, so the replay ends at the last one.
        replayed = (entries[-1].included, entries[-1].purchased, entries[-1].purchased_at_renewal)
        assert replayed == (pool.included, pool.purchased, pool.purchased_at_renewal), (
            f"{pool}: ledger replays to {replayed}"
        )


# --- Invitations ---------------------------------------------------------------------------------


def subscribed_account(name: str = "Initech") -> tuple[Account, Membership]:
    """Marketing Hub Professional (3 Core seats) and 5 Core seats bought; the super admin takes
    one, so 7 are free."""
    account = AccountFactory(name=name)
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=timezone.now(),
        actor=None,
        extra_seats={SeatType.CORE: 5},
    )
    admin = MembershipFactory(account=account, super_admin=True, user__email="admin@example.com")
    return account, admin


def invite(admin: Membership, emails: list[str]) -> list[Membership]:
    return members_invite(
        account=admin.account,
        actor_membership=admin,
        people=[ParsedPerson(email) for email in emails],
        seat_type=SeatType.CORE,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=True,
    ).memberships


def create_users_through_the_pages(client: Client, emails: list[str]):
    """Users & Teams → Create user: typed addresses, Core seat with its defaults, "Create user"."""
    client.post(reverse("invitations:create_user"), {"source": "typed", "emails": " ".join(emails)})
    client.post(
        reverse("invitations:create_user_access"),
        {"seat_type": SeatType.CORE, "mode": AccessMode.DEFAULTS, "template": ""},
    )
    return client.post(reverse("invitations:create_user_review"))


def invitation_emails(inbox) -> list:
    """The invitation emails the server accepted (billing admins may be emailed about seats)."""
    return [m for m in list(inbox.messages) if LINK.search(m.get_body(("plain",)).get_content())]


def wait_for_invitation_emails(inbox, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(invitation_emails(inbox)) < count:
        if time.monotonic() > deadline:
            got = len(invitation_emails(inbox))
            raise AssertionError(f"expected {count} invitation emails within {timeout}s, got {got}")
        time.sleep(0.1)
    time.sleep(4)  # long enough for a duplicate to arrive, if one were coming


def assert_each_invitation_arrived_once(inbox, emails: list[str]) -> None:
    """One email per address, and its link is the one the database knows: the email that
    arrived is the attempt that committed."""
    messages = invitation_emails(inbox)
    assert sorted(m["To"] for m in messages) == sorted(emails)
    for message in messages:
        token = LINK.search(message.get_body(("plain",)).get_content()).group(1)
        invitation = Invitation.objects.get(email=message["To"])
        assert invitation.sent_at is not None
        assert invitation.token_hash == token_hash(token), f"{message['To']}: a stale link"


def unsent(emails: list[str]) -> list[str]:
    return sorted(
        Invitation.objects.filter(email__in=emails, sent_at__isnull=True).values_list(
            "email", flat=True
        )
    )


def age_invitations(emails: list[str]) -> None:
    """Make the invitations old enough for the unsent sweep (it leaves the last 2 minutes alone:
    their tasks may still be on the way). Another process can't be time-travelled, so the rows
    are."""
    Invitation.objects.filter(email__in=emails).update(
        created_at=F("created_at") - timedelta(hours=1)
    )


def test_invitations_sent_while_the_mail_server_is_down_arrive_once_each_when_it_is_back(
    smtp_port_closed, celery_worker_for
):
    celery_worker_for(smtp_port_closed)
    account, admin = subscribed_account()

    invite(admin, TEAM)
    time.sleep(2)  # every first attempt is refused and scheduled for a retry
    assert unsent(TEAM) == TEAM
    smtp_port_closed.start()

    wait_for_invitation_emails(smtp_port_closed.inbox, len(TEAM), timeout=50)
    assert_each_invitation_arrived_once(smtp_port_closed.inbox, TEAM)
    assert_seats_reconcile(account)


def test_a_pool_process_killed_mid_send_is_redelivered_and_no_invitation_arrives_twice(
    slow_smtp_server, celery_workers
):
    worker = celery_workers.start(slow_smtp_server, pool="prefork")
    account, admin = subscribed_account()
    emails = TEAM[:3]

    invite(admin, emails)
    assert slow_smtp_server.inbox.receiving.wait(timeout=20), "no email reached the server"
    [child] = pool_children(worker)
    os.kill(child, signal.SIGKILL)
    assert invitation_emails(slow_smtp_server.inbox) == []  # the first was in flight, not sent
    slow_smtp_server.inbox.delay = 0

    # No sweep here: the worker's main process sees its pool process die (WorkerLostError) and,
    # as the task is acks_late with reject_on_worker_lost, puts the message back on the queue;
    # the new pool process it forks runs it again.
    wait_for_invitation_emails(slow_smtp_server.inbox, len(emails), timeout=30)
    assert_each_invitation_arrived_once(slow_smtp_server.inbox, emails)
    assert worker.poll() is None
    assert_seats_reconcile(account)


def test_a_worker_killed_mid_send_is_swept_again_and_no_invitation_arrives_twice(
    slow_smtp_server, celery_workers
):
    first = celery_workers.start(slow_smtp_server, pool="solo")
    account, admin = subscribed_account()
    emails = TEAM[:3]

    invite(admin, emails)
    assert slow_smtp_server.inbox.receiving.wait(timeout=20), "no email reached the server"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    assert invitation_emails(slow_smtp_server.inbox) == []  # the first was in flight, not sent
    slow_smtp_server.inbox.delay = 0
    celery_workers.start(slow_smtp_server, pool="solo", flush=False)

    # The killed worker's message stays in Redis's "unacked" set until the visibility timeout
    # (CELERY_BROKER_TRANSPORT_OPTIONS, 3600 s, not settable from the environment) and the
    # new worker only takes the messages still queued. The periodic sweep is what delivers the
    # killed one again; it re-dispatches the others too, if unsent yet, and those duplicates
    # find the row sent under its lock and do nothing.
    age_invitations(emails)
    invitations_unsent_sweep_task.delay()

    wait_for_invitation_emails(slow_smtp_server.inbox, len(emails), timeout=30)
    assert_each_invitation_arrived_once(slow_smtp_server.inbox, emails)
    assert_seats_reconcile(account)


def sent_count(emails: list[str]) -> int:
    return Invitation.objects.filter(email__in=emails, sent_at__isnull=False).count()


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.02)


def test_a_mail_server_going_down_mid_batch_gets_the_rest_once_each_when_it_is_back(
    slow_smtp_server, celery_worker_for
):
    celery_worker_for(slow_smtp_server)
    slow_smtp_server.inbox.delay = 0.5
    account, admin = subscribed_account()

    invite(admin, TEAM)  # one chunk, one task, one SMTP session
    wait_until(
        lambda: sent_count(TEAM) == 2 and slow_smtp_server.inbox.started == 3,
        timeout=30,
        what="two emails sent and the third in flight",
    )
    slow_smtp_server.stop()  # the third is cut off; the task retries the rest, refused for now
    time.sleep(2)
    assert len(invitation_emails(slow_smtp_server.inbox)) == 2
    assert len(unsent(TEAM)) == 3
    slow_smtp_server.inbox.delay = 0
    slow_smtp_server.start()

    wait_for_invitation_emails(slow_smtp_server.inbox, len(TEAM), timeout=60)
    assert_each_invitation_arrived_once(slow_smtp_server.inbox, TEAM)
    assert_seats_reconcile(account)


def test_a_pool_process_killed_mid_batch_is_redelivered_and_sends_only_the_rest(
    slow_smtp_server, celery_workers
):
    worker = celery_workers.start(slow_smtp_server, pool="prefork")
    slow_smtp_server.inbox.delay = 1.0
    account, admin = subscribed_account()

    invite(admin, TEAM)  # one chunk, one task
    wait_until(
        lambda: sent_count(TEAM) == 2 and slow_smtp_server.inbox.started == 3,
        timeout=30,
        what="two emails sent and the third in flight",
    )
    [child] = pool_children(worker)
    os.kill(child, signal.SIGKILL)
    assert len(invitation_emails(slow_smtp_server.inbox)) == 2
    slow_smtp_server.inbox.delay = 0

    # The whole chunk is delivered again (acks_late, reject_on_worker_lost): the two sent
    # already are found sent under their lock and skipped.
    wait_for_invitation_emails(slow_smtp_server.inbox, len(TEAM), timeout=30)
    assert_each_invitation_arrived_once(slow_smtp_server.inbox, TEAM)
    assert worker.poll() is None
    assert_seats_reconcile(account)


def test_creating_users_while_redis_is_down_answers_with_the_created_page_not_a_500(
    redis_server, celery_workers
):
    celery_workers.publish_to(redis_server.url)
    account, admin = subscribed_account()
    client = Client(raise_request_exception=False)
    client.force_login(admin.user)
    redis_server.stop()

    response = create_users_through_the_pages(client, TEAM[:2])

    assert Membership.objects.filter(user__email__in=TEAM[:2]).count() == 2
    assert (response.status_code, response.get("Location")) == (
        302,
        reverse("invitations:created_users"),
    )
    assert_seats_reconcile(account)


def test_invitations_made_while_redis_is_down_are_emailed_once_by_the_sweep_when_it_is_back(
    redis_server, smtp_server, celery_workers
):
    celery_workers.start(smtp_server, broker_url=redis_server.url)
    account, admin = subscribed_account()
    client = Client(raise_request_exception=False)
    client.force_login(admin.user)
    emails = TEAM[:3]
    redis_server.stop()

    create_users_through_the_pages(client, emails)  # its answer is the test above's concern
    assert Membership.objects.filter(
        user__email__in=emails, status=MembershipStatus.INVITED
    ).count() == len(emails)
    assert unsent(emails) == emails

    redis_server.start()  # back, and empty: the tasks published at commit were lost
    celery_workers.publish_to(redis_server.url)
    age_invitations(emails)
    invitations_unsent_sweep_task.delay()  # what beat sends every 5 minutes

    wait_for_invitation_emails(smtp_server.inbox, len(emails), timeout=40)
    assert_each_invitation_arrived_once(smtp_server.inbox, emails)
    assert_seats_reconcile(account)


# --- Renewals ------------------------------------------------------------------------------------

START = datetime(2027, 1, 1, tzinfo=UTC)
RENEWAL = "2027-02-01T00:00:00Z"
RENEWED_UNTIL = datetime(2027, 3, 1, tzinfo=UTC)


def subscriptions_due(count: int) -> list[Subscription]:
    """Monthly Marketing Hub Professional from START, 2 Core seats bought and 1 of them to be
    removed at the renewal (so a renewal writes a ledger entry), a card that pays."""
    actor = UserFactory()
    subscriptions = []
    for i in range(count):
        account = AccountFactory(name=f"Customer {i}")
        subscriptions.append(
            subscription_start(
                account=account,
                hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
                interval=BillingInterval.MONTHLY,
                now=START,
                actor=None,
                extra_seats={SeatType.CORE: 2},
            )
        )
        seat_removal_schedule(
            account=account, seat_type=SeatType.CORE, quantity=1, actor=actor, now=START
        )
        CardOnFileFactory(account=account)
    return subscriptions


def renewal_entries(subscription: Subscription) -> int:
    return SeatLedgerEntry.objects.filter(
        pool__account=subscription.account_id, reason=LedgerReason.RENEWAL
    ).count()


def assert_renewed_once(subscription: Subscription, *, charged: bool = True) -> None:
    """Renewed once, and charged (`charged`), or else not charged yet: its invoice open and
    untried, as a run that died between the renewal's commit and the charge leaves it."""
    subscription.refresh_from_db()
    invoices = list(Invoice.objects.filter(subscription=subscription, kind=InvoiceKind.RENEWAL))
    assert subscription.current_period_end == RENEWED_UNTIL, f"{subscription} not renewed"
    assert len(invoices) == 1, f"{subscription}: {len(invoices)} renewal invoices"
    [invoice] = invoices
    if charged:
        assert invoice.status == InvoiceStatus.PAID and invoice.charge_id, f"{invoice} not paid"
    else:
        assert (invoice.status, invoice.attempts, invoice.charge_id) == (InvoiceStatus.OPEN, 0, "")
    assert renewal_entries(subscription) == 1
    pool = SeatPool.objects.get(account=subscription.account_id, seat_type=SeatType.CORE)
    assert (pool.purchased, pool.purchased_at_renewal) == (1, 1)


def assert_not_renewed_at_all(subscription: Subscription) -> None:
    subscription.refresh_from_db()
    assert subscription.current_period_start == START
    assert not Invoice.objects.filter(subscription=subscription).exists()
    assert renewal_entries(subscription) == 0
    pool = SeatPool.objects.get(account=subscription.account_id, seat_type=SeatType.CORE)
    assert (pool.purchased, pool.purchased_at_renewal) == (2, 1)


class SlowGateway(TestGateway):
    """The test mode at a provider's pace: a few milliseconds a charge, so that a run of 300
    renewals lasts long enough to be killed half-way. Named by PAYMENT_GATEWAY."""

    def charge(self, **kwargs):
        time.sleep(0.005)
        return super().charge(**kwargs)


def test_a_renewal_run_killed_half_way_is_completed_by_the_next_run_once_each(manage_py):
    subscriptions = subscriptions_due(300)

    # Batches of 10 subscriptions: each renewed in one transaction, then charged.
    first = manage_py(
        "renew_subscriptions",
        "--now",
        RENEWAL,
        "--batch-size",
        "10",
        env={"PAYMENT_GATEWAY": f"{__name__}.SlowGateway"},
    )
    deadline = time.monotonic() + 30
    while Invoice.objects.filter(kind=InvoiceKind.RENEWAL).count() < 30:
        assert first.poll() is None, f"the run ended before it was killed: {first.communicate()}"
        if time.monotonic() > deadline:
            first.kill()
            raise AssertionError(f"too few renewals within 30 s: {first.communicate()}")
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.communicate()

    invoices = Invoice.objects.filter(kind=InvoiceKind.RENEWAL)
    renewed = {i.subscription_id for i in invoices}
    untried = {i.subscription_id for i in invoices.filter(attempts=0)}
    assert 30 <= len(renewed) < len(subscriptions), "the kill did not land half-way"
    assert len(renewed) % 10 == 0, f"{len(renewed)} renewed: a batch was half-written"
    assert len(untried) <= 10, f"{len(untried)} untried: more than the batch being charged"
    for subscription in subscriptions:
        # Whole or not at all: one transaction per batch.
        if subscription.pk in renewed:
            assert_renewed_once(subscription, charged=subscription.pk not in untried)
        else:
            assert_not_renewed_at_all(subscription)

    second = manage_py("renew_subscriptions", "--now", RENEWAL)
    output, _ = second.communicate(timeout=60)

    assert second.returncode == 0, output
    # What the killed batch had not charged yet, the retry pass charges.
    periods, invoices = len(subscriptions) - len(renewed), len(untried)
    assert (
        f"renewed {periods} period{'s' if periods != 1 else ''}, "
        f"retried {invoices} invoice{'s' if invoices != 1 else ''}, 0 failures"
    ) in output
    for subscription in subscriptions:
        assert_renewed_once(subscription)
        assert_seats_reconcile(subscription.account)


class ProviderLedgerGateway(TestGateway):
    """The test mode as the provider sees it: each charge it takes is written down before it
    answers (the money is gone by then), once per idempotency key. With FAULTS_DIE_AFTER_CHARGES=N
    the process is killed right after its N-th charge, before the answer is used.

    Named by PAYMENT_GATEWAY in a `manage.py` process; FAULTS_PROVIDER_LEDGER is the file.
    """

    def __init__(self) -> None:
        self.charges_taken = 0

    def charge(self, **kwargs):
        charge = super().charge(**kwargs)
        ledger = Path(os.environ["FAULTS_PROVIDER_LEDGER"])
        taken = ledger.read_text().splitlines() if ledger.exists() else []
        if not any(
            json.loads(line)["idempotency_key"] == kwargs["idempotency_key"] for line in taken
        ):
            with ledger.open("a") as f:
                f.write(json.dumps({**kwargs, "charge_id": charge.id}) + "\n")
                f.flush()
                os.fsync(f.fileno())
        self.charges_taken += 1
        if self.charges_taken == int(os.environ.get("FAULTS_DIE_AFTER_CHARGES", "0")):
            os.kill(os.getpid(), signal.SIGKILL)
        return charge


def test_a_renewal_run_killed_after_the_provider_charged_does_not_charge_that_period_again(
    manage_py, tmp_path
):
    subscriptions = subscriptions_due(5)
    ledger = tmp_path / "provider.jsonl"
    provider = {
        "PAYMENT_GATEWAY": f"{__name__}.ProviderLedgerGateway",
        "FAULTS_PROVIDER_LEDGER": str(ledger),
    }

    # Batches of 2: the first is renewed, charged and recorded; the second is renewed, and
    # the process dies right after the provider took its first card's money.
    first = manage_py(
        "renew_subscriptions",
        "--now",
        RENEWAL,
        "--batch-size",
        "2",
        env={**provider, "FAULTS_DIE_AFTER_CHARGES": "3"},
    )
    output, _ = first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL, output
    assert len(ledger.read_text().splitlines()) == 3
    for subscription in subscriptions[:2]:
        assert_renewed_once(subscription)
    # The third period was paid at the provider, but the run died before recording it.
    for subscription in subscriptions[2:4]:
        assert_renewed_once(subscription, charged=False)
    assert_not_renewed_at_all(subscriptions[4])
    # The next run charges those two again: only the same idempotency key makes the provider
    # answer with the first charge instead of taking the third period's money twice.
    second = manage_py("renew_subscriptions", "--now", RENEWAL, env=provider)
    output, _ = second.communicate(timeout=60)
    assert second.returncode == 0, output
    assert "renewed 1 period, retried 2 invoices, 0 failures" in output

    for subscription in subscriptions:
        assert_renewed_once(subscription)
        assert_seats_reconcile(subscription.account)
    charges = [json.loads(line) for line in ledger.read_text().splitlines()]
    for subscription in subscriptions:
        card = subscription.account.card.gateway_token
        keys = [c["idempotency_key"] for c in charges if c["card_token"] == card]
        assert len(keys) == 1, (
            f"{subscription.account}: charged {len(keys)} times for one period, keys {keys}"
        )
    paid = Invoice.objects.get(subscription=subscriptions[2])
    [taken] = [c for c in charges if c["card_token"] == subscriptions[2].account.card.gateway_token]
    assert paid.charge_id == taken["charge_id"]


# --- The database connection drops during a request ----------------------------------------------


def terminate_backend_of(django_connection) -> None:
    """Kill this connection's server process from another connection, as a failover or a
    restarted database would, and wait until it is gone."""
    pid = django_connection.connection.info.backend_pid
    s = django_connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname=s["NAME"],
        autocommit=True,
    ) as other:
        [(terminated,)] = other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchall()
    assert terminated


def row_counts() -> dict[str, int]:
    models = [User, Membership, Invitation, AuditEvent, Notification, SeatPool, SeatLedgerEntry]
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.postgres
def test_a_database_connection_dropped_mid_request_shows_the_error_page_and_saves_nothing(
    monkeypatch,
):
    account, admin = subscribed_account()
    client = Client(raise_request_exception=False)
    client.force_login(admin.user)
    before = row_counts()
    seat_pool_settle, settled = invitation_members.seat_pool_settle, []

    def seat_pool_settle_after_the_connection_dropped(**kwargs):
        # Every user, membership, audit event and invitation of the batch is written by now.
        settled.append(kwargs["seat_type"])
        terminate_backend_of(connection)
        return seat_pool_settle(**kwargs)

    monkeypatch.setattr(
        invitation_members, "seat_pool_settle", seat_pool_settle_after_the_connection_dropped
    )
    response = create_users_through_the_pages(client, TEAM[:3])

    assert len(settled) == 1
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "Nothing was saved" in page
    assert "Traceback" not in page and "OperationalError" not in page
    assert row_counts() == before
    assert not User.objects.filter(email__in=TEAM[:3]).exists()
    assert_seats_reconcile(account)
