"""3. The renewal job on N due subscriptions against a hand-written bulk SQL floor.

The product: billing.services.renewals.batches.renewals_run (batches of due subscriptions, two
transactions each: the first locks the accounts, applies the scheduled seat removals with ledger
rows, writes the invoices, untried, and their lines and moves the periods; then each card is
charged through the test-mode gateway with no lock held; the second records the charges on
the invoices, the audit events and the billing admins' notifications in the app and, after
commit, publishes one email task per batch to the broker).

The floor: one transaction of set-based statements writing the same rows: pools and ledger
rows, invoices (charge ids computed as the test gateway computes them), invoice lines, the new
periods, audit events and notifications. It publishes no email task. Both start from the same
state (reset between runs: the run's rows deleted, the periods and pools put back, a
CHECKPOINT, VACUUM ANALYZE) and must leave the same rows behind (counted and summed after each
run). Each account also holds what its previous renewal left (an invoice with its lines, a
ledger row, an audit event, a notification), as a customer of a year would. The warm-up and the
query count use a separate set of 100 subscriptions due earlier.
"""

from bench.b2_create_users import broker_flush, query_kinds
from bench.common import DbTimer, Result, log, median, timed_pair
from bench.context import Context

NAME = "renewals_vs_bulk_sql"

FLOOR_SQL = [
    # Every subscription due now, its next period and the id its invoice will get.
    """
    CREATE TEMP TABLE bench_due ON COMMIT DROP AS
    SELECT s.id AS subscription_id, s.account_id, s.current_period_end AS period_start,
           s.anchor + make_interval(months => (
               (extract(year FROM s.current_period_end AT TIME ZONE 'UTC')
                - extract(year FROM s.anchor AT TIME ZONE 'UTC')) * 12
               + extract(month FROM s.current_period_end AT TIME ZONE 'UTC')
               - extract(month FROM s.anchor AT TIME ZONE 'UTC')
               + CASE s.interval WHEN 'annual' THEN 12 ELSE 1 END)::int) AS period_end,
           nextval(pg_get_serial_sequence('billing_invoice', 'id')) AS invoice_id
    FROM billing_subscription s
    WHERE s.status IN ('active', 'past_due') AND s.current_period_end <= %(now)s
    """,
    # Scheduled removals applied, each with its ledger row.
    """
    WITH changed AS (
        UPDATE seats_seatpool p
        SET purchased = p.purchased_at_renewal, updated_at = %(now)s
        FROM bench_due d
        WHERE p.account_id = d.account_id AND p.purchased <> p.purchased_at_renewal
        RETURNING p.id, p.included, p.purchased, p.purchased_at_renewal
    )
    INSERT INTO seats_seatledgerentry
        (pool_id, reason, included, purchased, purchased_at_renewal, actor_id, created_at)
    SELECT id, 'renewal', included, purchased, purchased_at_renewal, NULL, %(now)s FROM changed
    """,
    # Invoices, paid: the charge id is the test gateway's, from the idempotency key.
    """
    INSERT INTO billing_invoice
        (id, account_id, subscription_id, kind, status, currency, total_cents, period_start,
         period_end, idempotency_key, charge_id, payment_id, receipt_url, refunded_cents,
         extra_refunds, "grant", attempts, next_attempt_at, created_by_id, created_at, paid_at)
    SELECT d.invoice_id, d.account_id, d.subscription_id, 'renewal', 'paid', %(currency)s,
           %(total)s, d.period_start, d.period_end, NULL,
           'ch_test_' || left(encode(sha256(convert_to(
               'invoice:' || d.invoice_id || ':' || c.gateway_token, 'UTF8')), 'hex'), 24),
           '', '', 0, '{}'::jsonb, '{}'::jsonb, 1, NULL, NULL, %(now)s, %(now)s
    FROM bench_due d JOIN billing_cardonfile c ON c.account_id = d.account_id
    """,
    """
    INSERT INTO billing_invoiceline (invoice_id, description, quantity, unit_cents, amount_cents)
    SELECT d.invoice_id, l.description, l.quantity, l.unit_cents, l.amount_cents
    FROM bench_due d
    CROSS JOIN unnest(%(descriptions)s::text[], %(quantities)s::int[], %(units)s::int[],
                      %(amounts)s::int[]) AS l(description, quantity, unit_cents, amount_cents)
    """,
    """
    UPDATE billing_subscription s
    SET current_period_start = d.period_start, current_period_end = d.period_end
    FROM bench_due d WHERE s.id = d.subscription_id
    """,
    """
    INSERT INTO accounts_auditevent
        (account_id, actor_id, target_id, target_email, verb, before, after, created_at)
    SELECT d.account_id, NULL, NULL, '', 'subscription.renewed', NULL,
           jsonb_build_object(
               'period_start',
               to_char(d.period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
               'period_end',
               to_char(d.period_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
               'invoice', 'INV-' || lpad(d.invoice_id::text, 6, '0'),
               'paid', true),
           %(now)s
    FROM bench_due d
    """,
    # The billing admins (super admins and holders of "Edit billing") told in the app.
    """
    INSERT INTO accounts_notification (membership_id, kind, text, url, created_at, read_at)
    SELECT m.id, 'billing',
           format(%(text)s, to_char(d.period_end AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                  'INV-' || lpad(d.invoice_id::text, 6, '0')),
           %(url)s, %(now)s, NULL
    FROM bench_due d
    JOIN accounts_membership m ON m.account_id = d.account_id AND m.status = 'active'
        AND (m.is_super_admin OR m.permissions ->> %(billing_permission)s = %(on)s)
    """,
]


def _floor_params(data) -> dict:
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from accounts.policy import ON, AccountPermission
    from billing.catalogue import catalogue_get
    from billing.models import Subscription
    from billing.services.renewals.subscription import renewal_lines
    from seats.models import SeatPool

    # The data set is uniform, so every invoice has the lines of the first one.
    subscription = Subscription.objects.get(pk=data.subscription_ids[0])
    pools = list(SeatPool.objects.filter(account_id=subscription.account_id).order_by("id"))
    for pool in pools:
        pool.purchased = pool.purchased_at_renewal
    lines = renewal_lines(subscription=subscription, pools=pools)
    text = _("Your subscription renewed until %(end)s; invoice %(number)s was paid.")
    return {
        "now": data.now,
        "currency": catalogue_get().currency,
        "total": sum(line.amount_cents for line in lines),
        "descriptions": [line.description for line in lines],
        "quantities": [line.quantity for line in lines],
        "units": [line.unit_cents for line in lines],
        "amounts": [line.amount_cents for line in lines],
        "text": text.replace("%(end)s", "%s").replace("%(number)s", "%s"),
        "url": reverse("billing:seats"),
        "billing_permission": str(AccountPermission.BILLING),
        "on": ON,
    }


def _reset(data) -> None:
    """Back to the state before any renewal: every subscription due, removals pending, and
    only the history loaded with the data set (rows above `last_ids` are a run's)."""
    from bench.db import sql

    accounts, last = data.account_ids, data.last_ids
    sql(
        "DELETE FROM billing_invoiceline WHERE id > %s AND invoice_id IN "
        "(SELECT id FROM billing_invoice WHERE account_id = ANY(%s))",
        [last["billing_invoiceline"], accounts],
    )
    sql(
        "DELETE FROM billing_invoice WHERE id > %s AND account_id = ANY(%s)",
        [last["billing_invoice"], accounts],
    )
    sql(
        "DELETE FROM seats_seatledgerentry WHERE id > %s AND pool_id IN "
        "(SELECT id FROM seats_seatpool WHERE account_id = ANY(%s))",
        [last["seats_seatledgerentry"], accounts],
    )
    sql(
        "DELETE FROM accounts_auditevent WHERE id > %s AND account_id = ANY(%s)",
        [last["accounts_auditevent"], accounts],
    )
    sql(
        "DELETE FROM accounts_notification WHERE id > %s AND membership_id IN "
        "(SELECT id FROM accounts_membership WHERE account_id = ANY(%s))",
        [last["accounts_notification"], accounts],
    )
    sql(
        "UPDATE billing_subscription SET status = 'active', current_period_start = anchor, "
        "current_period_end = anchor + interval '1 month' WHERE id = ANY(%s)",
        [data.subscription_ids],
    )
    sql(
        "UPDATE seats_seatpool SET purchased = 3, purchased_at_renewal = 2, "
        "low_seats_warned_at = NULL WHERE account_id = ANY(%s)",
        [accounts],
    )
    # Start each run with no dirty buffers left by the previous one: a checkpoint forced by
    # another run's writes would otherwise land on whichever run comes next.
    try:
        sql("CHECKPOINT")
    except Exception as problem:  # not a superuser: go on without
        log(f"CHECKPOINT skipped: {problem}")
    # Every table either side reads or writes, the locked and the referenced ones too.
    for table in (
        "billing_invoice",
        "billing_invoiceline",
        "seats_seatledgerentry",
        "accounts_auditevent",
        "accounts_notification",
        "billing_subscription",
        "billing_subscriptionitem",
        "billing_cardonfile",
        "seats_seatpool",
        "accounts_account",
        "accounts_membership",
        "accounts_user",
    ):
        sql(f"VACUUM ANALYZE {table}")
    broker_flush()


def _written(data) -> dict[str, int]:
    """What a run wrote: its rows (above `last_ids`), counted, and the sum invoiced."""
    from django.db import connection

    accounts, last = data.account_ids, data.last_ids
    counts = {}
    queries = {
        "invoices": (
            "SELECT count(*), coalesce(sum(total_cents), 0) FROM billing_invoice "
            "WHERE id > %s AND account_id = ANY(%s) AND status = 'paid'",
            [last["billing_invoice"], accounts],
        ),
        "invoice_lines": (
            "SELECT count(*), 0 FROM billing_invoiceline WHERE id > %s AND invoice_id IN "
            "(SELECT id FROM billing_invoice WHERE account_id = ANY(%s))",
            [last["billing_invoiceline"], accounts],
        ),
        "ledger_rows": (
            "SELECT count(*), 0 FROM seats_seatledgerentry WHERE id > %s AND pool_id IN "
            "(SELECT id FROM seats_seatpool WHERE account_id = ANY(%s))",
            [last["seats_seatledgerentry"], accounts],
        ),
        "audit_events": (
            "SELECT count(*), 0 FROM accounts_auditevent WHERE id > %s AND account_id = ANY(%s)",
            [last["accounts_auditevent"], accounts],
        ),
        "notifications": (
            "SELECT count(*), 0 FROM accounts_notification WHERE id > %s AND membership_id IN "
            "(SELECT id FROM accounts_membership WHERE account_id = ANY(%s))",
            [last["accounts_notification"], accounts],
        ),
        "renewed": (
            "SELECT count(*), 0 FROM billing_subscription "
            "WHERE account_id = ANY(%s) AND current_period_start > anchor",
            [accounts],
        ),
    }
    with connection.cursor() as cursor:
        for key, (query, params) in queries.items():
            cursor.execute(query, params)
            number, total = cursor.fetchone()
            counts[key] = number
            if key == "invoices":
                counts["invoiced_cents"] = int(total)
    return counts


def run(ctx: Context) -> Result:
    import time

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from bench.data import renewal_accounts
    from billing.services.renewals.batches import renewals_run

    count = ctx.sizes.subscriptions
    start = time.perf_counter()
    data = renewal_accounts(count=count, seed=3)
    # A small set due earlier, for the warm-up and the query count, so that the full-size
    # set is renewed only in timed runs.
    warm = renewal_accounts(count=100, seed=4, hours_ago=(100, 110), prefix="warmup")
    log(f"loaded {count:,} due subscriptions in {time.perf_counter() - start:.1f} s")
    params = {"main": _floor_params(data), "warm": _floor_params(warm)}

    def service(dataset, expected: int) -> None:
        result = renewals_run(now=dataset.now)
        assert result["renewed"] == expected and result["failed"] == 0, result

    statement_seconds: list[float] = []

    def floor(key: str) -> None:
        statement_seconds.clear()
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in FLOOR_SQL:
                began = time.perf_counter()
                cursor.execute(statement, params[key])
                statement_seconds.append(time.perf_counter() - began)
            began = time.perf_counter()
        # The block's exit is the COMMIT.
        statement_seconds.append(time.perf_counter() - began)

    _reset(warm)
    with CaptureQueriesContext(connection) as queries, DbTimer() as db:
        started = time.perf_counter()
        service(warm, 100)
        warm_seconds = time.perf_counter() - started
    _reset(warm)
    floor("warm")
    per_subscription = len(queries) / 100
    db_ms = db.seconds * 1000 / 100

    written: dict[str, dict] = {}
    service_times, floor_times = timed_pair(
        lambda: service(data, count),
        lambda: floor("main"),
        runs=ctx.sizes.slow_runs,
        warmup=0,
        before_a=lambda: _reset(data),
        before_b=lambda: _reset(data),
        after_a=lambda: written.__setitem__("service", _written(data)),
        after_b=lambda: written.__setitem__("floor", _written(data)),
    )
    if written["service"] != written["floor"]:
        raise RuntimeError(f"the floor writes differ from the service's: {written}")
    _reset(data)
    service_time, floor_time = median(service_times), median(floor_times)
    log(f"renewals_run {service_time:.2f} s, bulk SQL {floor_time:.2f} s")
    ctx.notes[NAME] = {
        "written": written["service"],
        "kinds": query_kinds(queries.captured_queries),
        "sample": 100,
    }
    return Result(
        name=NAME,
        title=f"Renew {count:,} due subscriptions vs bulk SQL",
        baseline_label="bulk SQL, one transaction",
        baseline=floor_time,
        measured_label="renewals_run",
        measured=service_time,
        unit="s",
        ratio=service_time / floor_time,
        target=("<=", 10.0),
        runs=len(service_times),
        extras={
            "service_queries_per_subscription": per_subscription,
            "service_db_ms_per_subscription": round(db_ms, 2),
            "service_db_share": round(db_ms / (warm_seconds * 10), 2),
            "service_ms_per_subscription": round(service_time * 1000 / count, 2),
            "subscriptions_per_s": round(count / service_time),
            "floor_statements": len(FLOOR_SQL),
            "floor_last_run_per_statement_s": [round(t, 3) for t in statement_seconds],
            "service_runs_s": [round(t, 1) for t in service_times],
            "floor_runs_s": [round(t, 2) for t in floor_times],
        },
    )


def analysis(result: Result, notes: dict) -> str:
    x = result.extras
    sample = notes["sample"]
    written = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in notes["written"].items())
    out = [
        f"Both leave the same rows behind ({written}). The service needs "
        f"{x['service_queries_per_subscription'] * sample:.0f} queries for the {sample} "
        f"warm-up subscriptions ({x['service_db_share']:.0%} of their time was "
        "spent waiting for PostgreSQL, the rest in this process: Django's ORM building each "
        "query and its rows, the catalogue, the test gateway, publishing the email task); "
        "the floor runs "
        f"{x['floor_statements']} statements for all of them"
        + (
            f" ({sum(x['floor_last_run_per_statement_s'][:-1]):.2f} s in its last run, plus "
            f"{x['floor_last_run_per_statement_s'][-1]:.2f} s for the COMMIT, where PostgreSQL "
            "runs the foreign-key checks that Django declares deferrable)"
            if x.get("floor_last_run_per_statement_s")
            else ""
        )
        + ". Per subscription, by kind:",
        "",
        "| Query | Per subscription |",
        "|---|---:|",
    ]
    out += [f"| {kind} | {n / sample:.2f} |" for kind, n in notes["kinds"].items()]
    out.append("")
    text = (
        "Due subscriptions are renewed in batches of 500. In a first transaction the batch "
        "locks its accounts (skipping any that another transaction holds), reads the "
        "subscriptions, items and pools with one query each, prices each plan once, and "
        "writes the pools and their ledger rows, the invoices (open, untried), their lines "
        "and the new periods with one statement each. Once that has committed, each card is "
        "charged through the test-mode gateway with no lock held, and a second transaction "
        "locks the accounts and invoices again and records the charges, the audit events "
        "and the notifications with one statement each; after commit one email task per "
        "batch is published to Redis. The floor does the same writes set-wise in one "
        "transaction, without locks, charges or email task."
    )
    if result.met:
        out.append("The target is met. " + text)
    else:
        out.append(
            f"The target is not met: {x['service_ms_per_subscription']} ms a subscription "
            f"against {result.baseline * 1000 / (x['subscriptions_per_s'] * result.measured):.2f}"
            " ms for the set-based floor. " + text
        )
    out += [
        "",
        "What is left is mostly Python: Django preparing each value of the six rows a "
        "subscription writes for `bulk_create` and building the model instances the batch "
        "reads, and psycopg quoting the arrays client-side. Inserting prepared columns with "
        "hand-written `INSERT ... SELECT FROM unnest` statements would save part of it, at "
        "the price of bypassing the ORM for five models (not done).",
    ]
    return "\n".join(out)
