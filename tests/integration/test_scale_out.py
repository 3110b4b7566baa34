"""Scale-out, proven on real processes: two gunicorn web processes and two Celery workers plus
beat, on one PostgreSQL and one Redis. Scripts race for the last seats through both web
processes while both workers send the invitations and run the same renewal job at once: no seat
is oversold, no email arrives twice, no period is invoiced twice."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Membership, SeatType
from billing.catalogue import HubCode, TierCode
from billing.models import Invoice, InvoiceKind, Subscription
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from billing.tasks import renewals_run_task
from seats.models import SeatPool
from tests.api.conftest import subscribed_account, token_for
from tests.factories import AccountFactory, CardOnFileFactory, MembershipFactory
from tests.integration.conftest import BROKER_URL, ROOT

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RACERS = 20
DUE = 12


def post_user(port: int, token: str, n: int) -> int:
    body = json.dumps({"users": [{"email": f"racer{n}@example.com"}], "seat_type": "core"})
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/users",
        data=body.encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"racer-{n}",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def subscriptions_due(count: int) -> list[Subscription]:
    """Monthly subscriptions started 40 days ago, so their renewal is due now, with a card."""
    started = timezone.now() - timedelta(days=40)
    due = []
    for i in range(count):
        account = AccountFactory(name=f"Due {i}")
        due.append(
            subscription_start(
                account=account,
                hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
                interval=BillingInterval.MONTHLY,
                now=started,
                actor=None,
            )
        )
        CardOnFileFactory(account=account)
    return due


def start_beat(name: str) -> tuple[subprocess.Popen, object]:
    log_path = ROOT / "var" / f"beat-{name}.log"
    log = open(log_path, "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "seatmgr",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(ROOT / "var" / f"beat-{name}.schedule"),
        ],
        cwd=ROOT,
        env={**os.environ, "CELERY_BROKER_URL": BROKER_URL},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, log_path


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout}s")


def test_two_web_processes_two_workers_and_beat_oversell_nothing_and_duplicate_nothing(
    celery_workers, smtp_server, web, request
):
    account = subscribed_account()  # 4 Core seats; the super admin holds one: 3 free
    admin = MembershipFactory(account=account, super_admin=True)
    token = token_for(admin)
    due = subscriptions_due(DUE)

    celery_workers.start(smtp_server)
    celery_workers.start(smtp_server, flush=False)
    beat, beat_log = start_beat(request.node.name)
    webs = [web(CELERY_BROKER_URL=BROKER_URL), web(CELERY_BROKER_URL=BROKER_URL)]
    try:
        # Both workers take one renewal job each, at the same time as the race below.
        renewals_run_task.delay()
        renewals_run_task.delay()
        with ThreadPoolExecutor(max_workers=RACERS) as pool:
            statuses = list(
                pool.map(lambda n: post_user(webs[n % 2].port, token, n), range(RACERS))
            )

        assert sorted(statuses) == [201] * 3 + [409] * (RACERS - 3), statuses
        held = Membership.objects.filter(account=account, seat_type=SeatType.CORE).count()
        pool_total = SeatPool.objects.get(account=account, seat_type=SeatType.CORE).total
        assert held == pool_total == 4

        invited = sorted(
            Membership.objects.filter(account=account, user__email__startswith="racer").values_list(
                "user__email", flat=True
            )
        )
        smtp_server.inbox.wait_for(len(invited), timeout=40)

        def renewed() -> bool:
            return (
                Invoice.objects.filter(subscription__in=due, kind=InvoiceKind.RENEWAL).count()
                >= DUE
            )

        wait_until(renewed, 60, "every due subscription renewed")
        time.sleep(3)  # a late duplicate would arrive now

        recipients = sorted(
            address
            for message in smtp_server.inbox.messages
            for address in message["To"].split(",")
        )
        assert [r for r in recipients if r.startswith("racer")] == invited
        for subscription in due:
            invoices = Invoice.objects.filter(subscription=subscription, kind=InvoiceKind.RENEWAL)
            assert invoices.count() == 1, f"{subscription}: {invoices.count()} renewal invoices"
        assert beat.poll() is None, f"beat exited; see {beat_log}"
        assert "beat: Starting" in beat_log.read_text()
    finally:
        beat.terminate()
        beat.wait(timeout=10)
