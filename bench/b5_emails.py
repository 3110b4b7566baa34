"""5. Invitation emails through a real Celery worker against a bare smtplib loop.

The product: N invitations created as members_invite leaves them (emailed, not sent yet), one
invitation_send_task each published to Redis, a Celery worker as docker-compose runs it
(prefork, --concurrency=2, log level info) taking them: lock the row, make the token, render the
three templates, send through Django's SMTP backend, mark it sent. The floor: one process
sending the same rendered message N times with smtplib, one SMTP session per message as the app
opens (the rate with a single reused session is reported too). Both send to the same aiosmtpd
server, running in a process of its own. The clock stops when the server has accepted the N-th
message.
"""

import re
import smtplib
import subprocess
import sys
import time

from bench.b2_create_users import broker_flush
from bench.common import (
    ROOT,
    VAR,
    DbTimer,
    Result,
    environment,
    log,
    median,
    process_stop,
    timed_pair,
)
from bench.context import Context
from bench.smtp_sink import SmtpSink

NAME = "invitation_emails_vs_smtplib"
TIMEOUT = 600


def _worker(smtp_port: int, **extra_env: str) -> tuple[subprocess.Popen, object]:
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / ("worker-conn-max-age.log" if extra_env else "worker.log")
    log_file = open(path, "w")  # noqa: SIM115 - closed by the caller
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "seatmgr",
            "worker",
            "--loglevel=info",
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=environment(EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}", EMAIL_TIMEOUT="10", **extra_env),
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while "ready." not in path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process_stop(process)
            raise RuntimeError(f"the Celery worker did not start; see {path}")
        time.sleep(0.1)
    return process, log_file


def _task_seconds(log_path) -> list[float]:
    """How long each task ran inside the worker, from Celery's "succeeded in" log lines."""
    pattern = re.compile(r"invitation_send_task\[[^\]]+\] succeeded in ([\d.]+)s")
    return [float(m.group(1)) for m in pattern.finditer(log_path.read_text())]


def _message(invitation_id: int) -> tuple[str, bytes]:
    """The invitation email as the task renders it, as bytes on the wire."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives

    from accounts.emails import email_render
    from invitations.models import Invitation
    from invitations.services import invitation_url
    from invitations.tokens import token_new

    invitation = Invitation.objects.select_related(
        "membership__account", "membership__user", "created_by"
    ).get(pk=invitation_id)
    subject, text, html = email_render(
        template="invitation",
        context={
            "account": invitation.membership.account,
            "inviter": invitation.created_by,
            "invitee": invitation.membership.user,
            "url": invitation_url(token_new()),
            "expires_at": invitation.expires_at,
        },
    )
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    message.attach_alternative(html, "text/html")
    # CRLF line ends, as Django's SMTP backend sends it (smtplib leaves bytes as they are).
    return settings.DEFAULT_FROM_EMAIL, message.message().as_bytes(linesep="\r\n")


def _breakdown(ids: list[int], smtp_port: int, reset) -> dict[str, float]:
    """Where one email's time goes, measured in this process (no Celery): the task's body as a
    whole and the database part of it, the three templates alone, Django's SMTP send alone."""
    from django.core.mail import EmailMultiAlternatives
    from django.test.utils import override_settings

    from accounts.emails import email_render
    from invitations.models import Invitation
    from invitations.services import invitation_url
    from invitations.tasks import invitation_send_task

    sample = ids[:50]
    smtp = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": smtp_port,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
    }
    reset()
    with override_settings(**smtp):
        invitation_send_task.run(ids[-1])  # warm-up
        with DbTimer() as db:
            start = time.perf_counter()
            for pk in sample:
                invitation_send_task.run(pk)
            task = time.perf_counter() - start
        invitation = Invitation.objects.select_related(
            "membership__account", "membership__user", "created_by"
        ).get(pk=sample[0])
        context = {
            "account": invitation.membership.account,
            "inviter": invitation.created_by,
            "invitee": invitation.membership.user,
            "url": invitation_url("x" * 43),
            "expires_at": invitation.expires_at,
        }
        start = time.perf_counter()
        for _ in sample:
            rendered = email_render(template="invitation", context=context)
        render = time.perf_counter() - start
        message = EmailMultiAlternatives(rendered[0], rendered[1], to=[invitation.email])
        message.attach_alternative(rendered[2], "text/html")
        start = time.perf_counter()
        for _ in sample:
            message.send()
        send = time.perf_counter() - start
    n = len(sample)
    return {
        "task_ms": task * 1000 / n,
        "db_ms": db.seconds * 1000 / n,
        "queries": db.queries / n,
        "render_ms": render * 1000 / n,
        "smtp_ms": send * 1000 / n,
    }


def run(ctx: Context) -> Result:
    from bench.data import invited_members, small_account
    from bench.db import sql
    from invitations.models import Invitation
    from invitations.tasks import invitation_send_task

    count = ctx.sizes.emails
    data = small_account(name="Bench Mail Co.", domain="mail.example", seats=count + 10)
    ids = invited_members(data, count=count, domain="invitees.example")
    sender, message = _message(ids[0])
    recipients = [f"invitee{i}@invitees.example" for i in range(count)]
    broker_flush()
    smtp = SmtpSink().start()
    worker, worker_log = _worker(smtp.port)

    def reset() -> None:
        sql(
            "UPDATE invitations_invitation SET sent_at = NULL, token_hash = NULL "
            "WHERE id = ANY(%s)",
            [ids],
        )
        smtp.reset()

    def through_worker() -> None:
        for pk in ids:
            invitation_send_task.delay(pk)
        smtp.wait_for(count, TIMEOUT)

    def all_marked_sent() -> None:
        deadline = time.monotonic() + 60
        while Invitation.objects.filter(pk__in=ids, sent_at__isnull=False).count() < count:
            if time.monotonic() > deadline:
                raise RuntimeError("the worker sent the emails but did not mark them all sent")
            time.sleep(0.05)
        if smtp.count != count:
            raise RuntimeError(f"{smtp.count} emails for {count} invitations")

    def bare_smtplib() -> None:
        for to in recipients:
            with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
                client.sendmail(sender, [to], message)
        smtp.wait_for(count, TIMEOUT)

    def one_session() -> None:
        with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
            for to in recipients:
                client.sendmail(sender, [to], message)
        smtp.wait_for(count, TIMEOUT)

    try:
        worker_times, bare_times = timed_pair(
            through_worker,
            bare_smtplib,
            runs=ctx.sizes.slow_runs,
            before_a=reset,
            before_b=reset,
            after_a=all_marked_sent,
        )
        session_times = []
        for _ in range(ctx.sizes.slow_runs):
            reset()
            start = time.perf_counter()
            one_session()
            session_times.append(time.perf_counter() - start)
        process_stop(worker)
        worker_log.close()
        # What the app's default CONN_MAX_AGE=0 costs here: the same, once, with a worker
        # that keeps its database connection (Celery closes it after every task otherwise).
        worker, worker_log = _worker(smtp.port, CONN_MAX_AGE="60")
        reset()
        through_worker()
        all_marked_sent()
        reset()
        start = time.perf_counter()
        through_worker()
        persistent_time = time.perf_counter() - start
        all_marked_sent()
        process_stop(worker)
        breakdown = _breakdown(ids, smtp.port, reset)
    finally:
        process_stop(worker)
        worker_log.close()
        smtp.stop()
        broker_flush()
    worker_rate = count / median(worker_times)
    bare_rate = count / median(bare_times)
    task_seconds = _task_seconds(VAR / "worker.log")
    persistent_seconds = _task_seconds(VAR / "worker-conn-max-age.log")
    ctx.notes[NAME] = {
        "breakdown": breakdown,
        "count": count,
        "task_ms_in_worker": median(task_seconds) * 1000 if task_seconds else None,
        "task_ms_persistent": median(persistent_seconds) * 1000 if persistent_seconds else None,
    }
    log(f"worker {worker_rate:.0f} emails/s, smtplib {bare_rate:.0f} emails/s")
    return Result(
        name=NAME,
        title=f"{count:,} invitation emails through a Celery worker vs smtplib",
        baseline_label="smtplib loop, a session per message",
        baseline=bare_rate,
        measured_label="invitation_send_task on a worker",
        measured=worker_rate,
        unit="emails/s",
        ratio=worker_rate / bare_rate,
        target=(">=", 0.3),
        runs=len(worker_times),
        extras={
            "worker_emails_per_s": round(worker_rate, 1),
            "worker_runs_s": [round(t, 2) for t in worker_times],
            "smtplib_runs_s": [round(t, 2) for t in bare_times],
            "smtplib_emails_per_s": round(bare_rate, 1),
            "smtplib_one_session_emails_per_s": round(count / median(session_times), 1),
            "worker_conn_max_age_60_emails_per_s": round(count / persistent_time, 1),
            "message_bytes": len(message),
        },
    )


def analysis(result: Result, notes: dict) -> str:
    x = result.extras
    b = notes["breakdown"]
    rest = b["task_ms"] - b["db_ms"] - b["render_ms"] - b["smtp_ms"]
    persistent_gain = x["worker_conn_max_age_60_emails_per_s"] / x["worker_emails_per_s"] - 1
    persistent_helps = persistent_gain > 0.1
    in_worker = notes.get("task_ms_in_worker")
    factor = in_worker / b["task_ms"] if in_worker else None
    out = [
        f"{notes['count']:,} emails: the worker path delivered {x['worker_emails_per_s']} a "
        f"second, the bare loop {x['smtplib_emails_per_s']} (one SMTP session per message; "
        f"{x['smtplib_one_session_emails_per_s']} with one session for all). Every message "
        "reached the server and every invitation was marked sent, once.",
        "",
        (
            f"Inside the worker, the task itself ran for {notes['task_ms_in_worker']:.1f} ms "
            '(median of Celery\'s "succeeded in" log lines); with two worker processes '
            f"that leaves {2000 / x['worker_emails_per_s'] - notes['task_ms_in_worker']:.1f} "
            "ms an email for Celery's dispatch (fetch from Redis, hand to a child process, "
            "acknowledge). "
            if notes.get("task_ms_in_worker")
            else ""
        )
        + "Where one email's time goes, measured in the benchmark process without Celery "
        f"(50 invitations): the task body takes {b['task_ms']:.1f} ms, of which "
        f"{b['db_ms']:.1f} ms in {b['queries']:.0f} queries (lock the invitation with its "
        f"membership, account and users; store the token hash and sent time; commit), "
        f"about {b['render_ms']:.1f} ms rendering the subject, text and HTML templates, "
        f"about {b['smtp_ms']:.1f} ms in Django's SMTP backend (connect, EHLO, send, QUIT), "
        f"and {max(rest, 0):.1f} ms of the rest (token, ORM). On the worker each email also "
        "pays Celery: fetching the message from Redis, acknowledging it after the task "
        "(acks_late), logging, and a new PostgreSQL connection per task, as Django closes "
        "it after each task when CONN_MAX_AGE is 0 (the same run with CONN_MAX_AGE=60 on "
        f"the worker: {x['worker_conn_max_age_60_emails_per_s']} emails a second"
        + (
            f", the task {notes['task_ms_persistent']:.1f} ms"
            if notes.get("task_ms_persistent")
            else ""
        )
        + (
            ": no measurable difference here"
            if not persistent_helps
            else f": {persistent_gain:+.0%}"
        )
        + ")."
        + (
            f" The task body takes {factor:.1f} times as long inside the worker as alone, "
            "where two worker processes compete for the two cores with PostgreSQL, Redis, the "
            "SMTP server and the benchmark itself (and whatever else runs on the machine: see "
            "the load average in the facts)."
            if factor
            else ""
        ),
        "",
    ]
    if result.met:
        out.append("The target is met.")
    else:
        out.append(
            "The target is not met. The floor sends a pre-rendered message and does nothing "
            "else, so against it every millisecond above counts; what stands in the way is "
            "the work per email that the product needs (a locked, recorded, exactly-once "
            "send) paid one email at a time. What I would change (not changed here): "
            + (
                "keep the worker's database connection (CONN_MAX_AGE on the worker); "
                if persistent_helps
                else ""
            )
            + "let one task send a batch of invitations (say 50) over one SMTP connection "
            "(Django's `send_messages`), each still locked and marked sent in its own "
            "transaction, so that Celery's dispatch, the connection set-up and the SMTP "
            "greeting are paid once per batch, not once per email; more worker processes "
            "help only where there are more cores."
        )
    return "\n".join(out)
