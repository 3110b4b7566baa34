"""5. Invitation emails through a real Celery worker against a bare smtplib loop.

The product: N invitations created as members_invite leaves them (emailed, not sent yet),
queued by the product's own dispatch (invitations.tasks.invitation_emails_dispatch: one
invitations_send_task per chunk of EMAILS_PER_TASK ids) to Redis, a Celery worker as
docker-compose runs it (prefork, --concurrency=2, log level info) taking them: read the chunk's
invitations once, then for each make the token, mark it sent with one UPDATE that locks and
re-checks the row, put the token into the chunk's rendered templates, send through Django's
SMTP backend over the chunk's one connection, commit.

The floor: one process sending the same rendered message N times with smtplib, reusing one
SMTP session per chunk of the same size, as the product does (the ratio's floor); the rates
with a session per message and with one session for all are reported too. Both send to the
same aiosmtpd server, running in a process of its own. The clock stops when the server has
accepted the N-th message.
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
        # INFO: the worker's "ready." and "succeeded in" lines (read below and by
        # _task_seconds) go through settings.LOGGING, whose level the benchmark sets to WARNING.
        env=environment(
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            EMAIL_TIMEOUT="10",
            LOG_LEVEL="INFO",
            **extra_env,
        ),
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
    """How long each task (a chunk) ran inside the worker, from Celery's "succeeded in" lines."""
    pattern = re.compile(r"invitations_send_task\[[^\]]+\] succeeded in ([\d.]+)s")
    return [float(m.group(1)) for m in pattern.finditer(log_path.read_text())]


def _message(invitation_id: int) -> tuple[str, bytes]:
    """The invitation email as the task renders it, as bytes on the wire."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives

    from accounts.emails import email_render
    from invitations.emails import invitation_email_context
    from invitations.models import Invitation
    from invitations.tokens import token_new

    invitation = Invitation.objects.select_related("membership__account", "created_by").get(
        pk=invitation_id
    )
    subject, text, html = email_render(
        template="invitation",
        context=invitation_email_context(invitation=invitation, token=token_new()),
    )
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    message.attach_alternative(html, "text/html")
    # CRLF line ends, as Django's SMTP backend sends it (smtplib leaves bytes as they are).
    return settings.DEFAULT_FROM_EMAIL, message.message().as_bytes(linesep="\r\n")


def _breakdown(ids: list[int], smtp_port: int, reset) -> dict[str, float]:
    """Where one email's time goes, measured in this process (no Celery): the chunk's body as a
    whole per email and the database part of it, the templates alone (per email and as the
    chunk renders them), Django's SMTP send alone over one open connection (as the chunk
    sends)."""
    from django.core.mail import EmailMultiAlternatives, get_connection
    from django.test.utils import override_settings

    from accounts.emails import email_render
    from invitations.emails import (
        InvitationEmails,
        invitation_email_context,
        invitation_emails_send,
    )
    from invitations.models import Invitation
    from invitations.tasks import EMAILS_PER_TASK
    from invitations.tokens import token_new

    sample = ids[:EMAILS_PER_TASK]
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
        invitation_emails_send(invitation_ids=[ids[-1]])  # warm-up
        with DbTimer() as db:
            start = time.perf_counter()
            outcome = invitation_emails_send(invitation_ids=sample)
            task = time.perf_counter() - start
        assert len(outcome.sent) == len(sample), outcome
        invitation = Invitation.objects.select_related("membership__account", "created_by").get(
            pk=sample[0]
        )
        context = invitation_email_context(invitation=invitation, token=token_new())
        start = time.perf_counter()
        for _ in sample:
            rendered = email_render(template="invitation", context=context)
        render = time.perf_counter() - start
        # As a chunk renders them: the templates once, then each email's token put in.
        emails = InvitationEmails()
        start = time.perf_counter()
        for _ in sample:
            emails.render(invitation=invitation, token=token_new())
        render_chunk = time.perf_counter() - start
        message = EmailMultiAlternatives(rendered[0], rendered[1], to=[invitation.email])
        message.attach_alternative(rendered[2], "text/html")
        start = time.perf_counter()
        with get_connection() as connection:
            for _ in sample:
                connection.send_messages([message])
        send = time.perf_counter() - start
    n = len(sample)
    return {
        "task_ms": task * 1000 / n,
        "db_ms": db.seconds * 1000 / n,
        "queries": db.queries / n,
        "render_ms": render * 1000 / n,
        "render_chunk_ms": render_chunk * 1000 / n,
        "smtp_ms": send * 1000 / n,
    }


def run(ctx: Context) -> Result:
    from bench.data import invited_members, small_account
    from bench.db import sql
    from invitations.models import Invitation
    from invitations.tasks import EMAILS_PER_TASK, invitation_emails_dispatch

    count = ctx.sizes.emails
    data = small_account(name="Bench Mail Co.", domain="mail.example", seats=count + 10)
    ids = invited_members(data, count=count, domain="invitees.example")
    sender, message = _message(ids[0])
    recipients = [f"invitee{i}@invitees.example" for i in range(count)]
    chunks = [
        recipients[start : start + EMAILS_PER_TASK] for start in range(0, count, EMAILS_PER_TASK)
    ]
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
        # Outside a transaction: published at once, as after members_invite's commit.
        invitation_emails_dispatch(invitation_ids=ids)
        smtp.wait_for(count, TIMEOUT)

    def all_marked_sent() -> None:
        deadline = time.monotonic() + 60
        while Invitation.objects.filter(pk__in=ids, sent_at__isnull=False).count() < count:
            if time.monotonic() > deadline:
                raise RuntimeError("the worker sent the emails but did not mark them all sent")
            time.sleep(0.05)
        if smtp.count != count:
            raise RuntimeError(f"{smtp.count} emails for {count} invitations")

    def session_per_chunk() -> None:
        for chunk in chunks:
            with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
                for to in chunk:
                    client.sendmail(sender, [to], message)
        smtp.wait_for(count, TIMEOUT)

    def session_per_message() -> None:
        for to in recipients:
            with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
                client.sendmail(sender, [to], message)
        smtp.wait_for(count, TIMEOUT)

    def one_session() -> None:
        with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
            for to in recipients:
                client.sendmail(sender, [to], message)
        smtp.wait_for(count, TIMEOUT)

    def timed(fn) -> list[float]:
        times = []
        for _ in range(ctx.sizes.slow_runs):
            reset()
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return times

    try:
        # The ratio's pair gets the fast benchmarks' number of runs: each run takes seconds,
        # and the floor's runs moved by a quarter from one to the next on this machine, so a
        # median of three was too easily one lucky run.
        worker_times, chunk_times = timed_pair(
            through_worker,
            session_per_chunk,
            runs=ctx.sizes.runs,
            before_a=reset,
            before_b=reset,
            after_a=all_marked_sent,
        )
        message_times = timed(session_per_message)
        session_times = timed(one_session)
        process_stop(worker)
        worker_log.close()
        # What the app's persistent connection (CONN_MAX_AGE 60 on PostgreSQL) saves here: the
        # same, once, with a worker that closes its database connection after every task.
        worker, worker_log = _worker(smtp.port, CONN_MAX_AGE="0")
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
    chunk_rate = count / median(chunk_times)
    task_seconds = _task_seconds(VAR / "worker.log")
    persistent_seconds = _task_seconds(VAR / "worker-conn-max-age.log")

    def per_email_ms(seconds: list[float]) -> float | None:
        # All the chunks' task time over all the emails those chunks sent.
        return sum(seconds) * 1000 / (count * len(seconds) / len(chunks)) if seconds else None

    ctx.notes[NAME] = {
        "breakdown": breakdown,
        "count": count,
        "chunk": EMAILS_PER_TASK,
        "tasks_per_run": len(chunks),
        "task_ms_in_worker": per_email_ms(task_seconds),
        "chunk_ms_in_worker": median(task_seconds) * 1000 if task_seconds else None,
        "task_ms_persistent": per_email_ms(persistent_seconds),
    }
    log(f"worker {worker_rate:.0f} emails/s, smtplib (a session per chunk) {chunk_rate:.0f}/s")
    return Result(
        name=NAME,
        title=f"{count:,} invitation emails through a Celery worker vs smtplib",
        baseline_label=f"smtplib loop, a session per {EMAILS_PER_TASK} messages",
        baseline=chunk_rate,
        measured_label=f"invitations_send_task on a worker, {EMAILS_PER_TASK} to a task",
        measured=worker_rate,
        unit="emails/s",
        ratio=worker_rate / chunk_rate,
        target=(">=", 0.3),
        runs=len(worker_times),
        extras={
            "worker_emails_per_s": round(worker_rate, 1),
            "worker_runs_s": [round(t, 2) for t in worker_times],
            "smtplib_session_per_chunk_emails_per_s": round(chunk_rate, 1),
            "smtplib_session_per_chunk_runs_s": [round(t, 2) for t in chunk_times],
            "smtplib_session_per_message_emails_per_s": round(count / median(message_times), 1),
            "smtplib_one_session_emails_per_s": round(count / median(session_times), 1),
            "ratio_to_session_per_message": round(worker_rate / (count / median(message_times)), 2),
            "worker_conn_max_age_0_emails_per_s": round(count / persistent_time, 1),
            "message_bytes": len(message),
        },
    )


def analysis(result: Result, notes: dict) -> str:
    x = result.extras
    b = notes["breakdown"]
    chunk = notes["chunk"]
    rest = b["task_ms"] - b["db_ms"] - b["render_chunk_ms"] - b["smtp_ms"]
    persistent_gain = x["worker_emails_per_s"] / x["worker_conn_max_age_0_emails_per_s"] - 1
    persistent_helps = persistent_gain > 0.1
    in_worker = notes.get("task_ms_in_worker")
    factor = in_worker / b["task_ms"] if in_worker else None
    out = [
        f"{notes['count']:,} emails in {notes['tasks_per_run']} tasks of {chunk}: the worker "
        f"path delivered {x['worker_emails_per_s']} a second; the bare loop "
        f"{x['smtplib_session_per_chunk_emails_per_s']} with one SMTP session per {chunk} "
        "messages, as the product opens them (the ratio's floor), "
        f"{x['smtplib_session_per_message_emails_per_s']} with a session per message (ratio "
        f"against it: {x['ratio_to_session_per_message']}) and "
        f"{x['smtplib_one_session_emails_per_s']} with one session for all. Every message "
        "reached the server and every invitation was marked sent, once.",
        "",
        (
            f"Inside the worker a chunk's task ran for {notes['chunk_ms_in_worker']:.0f} ms "
            f'(median of Celery\'s "succeeded in" log lines), {in_worker:.1f} ms an email; '
            f"with two worker processes that leaves "
            f"{max(2000 / x['worker_emails_per_s'] - in_worker, 0):.1f} ms an email for "
            "Celery's dispatch (fetch from Redis, hand to a child process, acknowledge), paid "
            f"once per {chunk} emails. "
            if in_worker
            else ""
        )
        + f"Where one email's time goes, measured in the benchmark process without Celery "
        f"(one chunk of {chunk}): the chunk's body takes {b['task_ms']:.1f} ms an email, of "
        f"which {b['db_ms']:.1f} ms in {b['queries']:.1f} queries (the chunk's invitations "
        "with their accounts and people, read once; then for each, one UPDATE that takes "
        "the row's lock, checks it is still unsent and usable and stores the token hash and "
        "sent time; the commit after the send is not counted), "
        f"about {b['render_chunk_ms']:.2f} ms for the subject, text and HTML (the chunk "
        "renders the templates once per account, inviter and expiry and puts each email's "
        f"token in; rendering them for every email would take {b['render_ms']:.2f} ms), "
        f"about {b['smtp_ms']:.1f} ms in Django's SMTP backend over the open connection, "
        f"and {max(rest, 0):.1f} ms of the rest (each email's BEGIN and COMMIT, which "
        "waits for PostgreSQL to flush its log, the ORM, the token). The worker keeps its "
        "database connection between tasks (CONN_MAX_AGE 60, the default on PostgreSQL); with "
        "CONN_MAX_AGE=0 it would open one per chunk (the same run with CONN_MAX_AGE=0 on the "
        f"worker: {x['worker_conn_max_age_0_emails_per_s']} emails a second"
        + (
            f", {notes['task_ms_persistent']:.1f} ms an email in the task"
            if notes.get("task_ms_persistent")
            else ""
        )
        + (
            ": no measurable difference here"
            if not persistent_helps
            else f": the persistent connection gains {persistent_gain:+.0%}"
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
            "send: a transaction, a token and a MIME message per email)."
        )
    return "\n".join(out)
