"""The renewal job: due subscriptions renewed in batches, one transaction per batch.

The common case — one period due, renewing as it is, charged on the card on file — is renewed
set-wise: a batch locks its accounts, reads what it needs with a constant number of queries,
computes each invoice with the pure functions of billing.services.renewals, charges each card
through the gateway, and writes every row with a few bulk statements. Everything else (several
periods to catch up, changes scheduled for the renewal date, auto-renewal cancelled) goes
through `subscription_renew`, one subscription and one period per transaction.

Once per period, as in the one-by-one path: the batch re-checks under its locks that each
period is still due, the unique renewal invoice per (subscription, period) backs that up, and
the charge's idempotency key names the period, so a batch killed after the provider took the
money and redone by the next run is not charged again.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction

from accounts.models import Account, AuditEvent, AuditVerb
from accounts.services import audit_events_record
from billing.catalogue import catalogue_get
from billing.models import (
    LIVE_SUBSCRIPTION_STATUSES,
    CardOnFile,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)
from billing.periods import period_end
from billing.services.renewal_prices import Line, Plan, plan_lines, renewal_plan
from billing.services.renewals import (
    card_charge,
    invoice_retry,
    invoices_due_for_retry,
    renewal_audit_after,
    renewal_charge_key,
    renewal_notice_templates,
    renewal_notice_text,
    retry_delay,
    subscription_renew,
    subscriptions_due,
)
from seats.models import SeatPool
from seats.services import billing_admins_notify_many, seat_pools_renew

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch did: the subscriptions it renewed (one period each), and the due ones it
    left to `subscription_renew` (see `_renews_as_is`)."""

    renewed: list[int]
    one_by_one: list[int]


def _renews_as_is(
    subscription: Subscription,
    items: list[SubscriptionItem],
    pools: list[SeatPool],
    end: datetime,
    now: datetime,
) -> bool:
    """Whether this due subscription renews one period with nothing but its scheduled seat
    removals applied: the case the batch handles. The rest is rare and goes one by one."""
    return not (
        subscription.cancel_at_period_end
        or subscription.interval_at_renewal
        or any(item.has_pending_change for item in items)
        # Seats of a type the plan no longer enables are dropped by the one-by-one path.
        or any(not pool.enabled and pool.purchased_at_renewal for pool in pools)
        # More than one period to catch up: period by period, each in its own transaction.
        or end <= now
    )


def renewal_batch_run(*, subscription_ids: Sequence[int], now: datetime) -> BatchOutcome:
    """Renew, in one transaction, those of `subscription_ids` that are due by `now` and renew
    as they are; return which were renewed and which are left to `subscription_renew`.

    A declined card is an outcome, not a failure: that subscription goes past due with an open
    invoice to retry, as in the one-by-one path, and the others renew. Anything unexpected is
    raised and rolls the whole batch back (the caller then goes one by one).
    """
    with transaction.atomic(durable=True):
        # Accounts first, as every seat and billing service locks them: while this batch holds
        # them nobody assigns, buys or removes seats, or changes the plan, so the items and
        # pools read below stay true until it commits. SKIP LOCKED: an account busy elsewhere
        # (an admin's request, another run's batch) is left to the next run rather than making
        # this batch wait; two concurrent runs thereby split the work.
        account_ids = list(
            Account.objects.select_for_update(skip_locked=True)
            .filter(pk__in=Subscription.objects.filter(pk__in=subscription_ids).values("account"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Due re-checked under the lock: another run may have renewed some since the due list
        # was read. Every writer of a subscription holds its account's lock first, so this
        # lock never waits (SKIP LOCKED all the same: a batch never waits).
        subscriptions = list(
            Subscription.objects.select_for_update(skip_locked=True)
            .filter(
                pk__in=subscription_ids,
                account__in=account_ids,
                status__in=LIVE_SUBSCRIPTION_STATUSES,
                current_period_end__lte=now,
            )
            .order_by("pk")
        )
        # Items change only under their account's lock, which this batch holds.
        items: dict[int, list[SubscriptionItem]] = defaultdict(list)
        for item in SubscriptionItem.objects.filter(subscription__in=subscriptions):
            items[item.subscription_id].append(item)
        # Pools are locked after their account, as the seat services lock them.
        pools: dict[int, list[SeatPool]] = defaultdict(list)
        for pool in (
            SeatPool.objects.select_for_update()
            .filter(account__in=[s.account_id for s in subscriptions])
            .order_by("pk")
        ):
            pools[pool.account_id].append(pool)

        batch, one_by_one, ends = [], [], {}
        for subscription in subscriptions:
            end = period_end(
                subscription.anchor, subscription.current_period_end, subscription.interval
            )
            if _renews_as_is(
                subscription, items[subscription.pk], pools[subscription.account_id], end, now
            ):
                batch.append(subscription)
                ends[subscription.pk] = end
            else:
                one_by_one.append(subscription.pk)
        if len(subscriptions) < len(subscription_ids):
            logger.info(
                "%s of %s subscription(s) left to the next run: renewed meanwhile, or their "
                "account is locked by another transaction",
                len(subscription_ids) - len(subscriptions),
                len(subscription_ids),
            )
        if batch:
            _batch_renew(subscriptions=batch, ends=ends, items=items, pools=pools, now=now)
        return BatchOutcome(renewed=[s.pk for s in batch], one_by_one=one_by_one)


def _batch_renew(
    *,
    subscriptions: list[Subscription],
    ends: dict[int, datetime],
    items: dict[int, list[SubscriptionItem]],
    pools: dict[int, list[SeatPool]],
    now: datetime,
) -> None:
    """Renew the locked `subscriptions` (one period each, to `ends`): inside the batch's
    transaction."""
    seat_pools_renew(pools=[p for s in subscriptions for p in pools[s.account_id]], now=now)
    card_tokens = dict(
        CardOnFile.objects.filter(account__in=[s.account_id for s in subscriptions]).values_list(
            "account_id", "gateway_token"
        )
    )
    currency = catalogue_get().currency
    invoices, lines = [], []
    priced: dict[Plan, list[Line]] = {}  # most subscriptions share a plan with others
    for subscription in subscriptions:
        start, end = subscription.current_period_end, ends[subscription.pk]
        plan = renewal_plan(
            subscription=subscription,
            items=items[subscription.pk],
            pools=pools[subscription.account_id],
        )
        if plan not in priced:
            priced[plan] = plan_lines(plan)
        invoice_lines = priced[plan]
        total = sum(line.amount_cents for line in invoice_lines)
        # Charged before the invoice row exists (the one-by-one path inserts it first): safe,
        # since this transaction holds the subscription and has just seen its period due, and
        # should the INSERT still fail, the batch is redone one by one with the same
        # idempotency keys, which the provider answers without charging again.
        charge_id = None
        if total:
            charge_id = card_charge(
                card_token=card_tokens.get(subscription.account_id),
                amount_cents=total,
                currency=currency,
                key=renewal_charge_key(subscription_id=subscription.pk, period_start=start),
                period_start=start,
                period_end=end,
            )
        paid = total == 0 or charge_id is not None
        invoices.append(
            Invoice(
                account_id=subscription.account_id,
                subscription=subscription,
                kind=InvoiceKind.RENEWAL,
                status=InvoiceStatus.PAID if paid else InvoiceStatus.OPEN,
                currency=currency,
                total_cents=total,
                period_start=start,
                period_end=end,
                charge_id=charge_id or "",
                attempts=1,
                next_attempt_at=None if paid else now + retry_delay(1),
                created_at=now,
                paid_at=now if paid else None,
            )
        )
        lines.append(invoice_lines)
        subscription.current_period_start, subscription.current_period_end = start, end
        if not paid:
            subscription.status = SubscriptionStatus.PAST_DUE
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            description=line.description,
            quantity=line.quantity,
            unit_cents=line.unit_cents,
            amount_cents=line.amount_cents,
        )
        for invoice, invoice_lines in zip(invoices, lines, strict=True)
        for line in invoice_lines
    )
    _periods_move(subscriptions)
    audit_events_record(
        events=[
            AuditEvent(
                account_id=invoice.account_id,
                actor=None,
                verb=AuditVerb.SUBSCRIPTION_RENEWED,
                after=renewal_audit_after(
                    start=invoice.period_start,
                    end=invoice.period_end,
                    invoice=invoice,
                    paid=invoice.status == InvoiceStatus.PAID,
                ),
                created_at=now,
            )
            for invoice in invoices
        ]
    )
    templates = renewal_notice_templates()
    billing_admins_notify_many(
        texts={
            invoice.account_id: renewal_notice_text(
                end=invoice.period_end,
                invoice=invoice,
                paid=invoice.status == InvoiceStatus.PAID,
                templates=templates,
            )
            for invoice in invoices
        },
        now=now,
    )


def _periods_move(subscriptions: list[Subscription]) -> None:
    """Save each subscription's new period and status, in one UPDATE.

    On PostgreSQL the new values travel as arrays joined by id (UPDATE ... FROM unnest).
    Django's bulk_update sends a CASE with a branch per row for every column: building it took
    the ORM about as long as all the batch's inserts together (measured at 500 a batch), and
    PostgreSQL tries the branches one by one for every row. Elsewhere (SQLite, tests and the
    embedded default) bulk_update is fine.
    """
    fields = ["current_period_start", "current_period_end", "status"]
    if connection.vendor != "postgresql":
        Subscription.objects.bulk_update(subscriptions, fields)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_subscription AS s SET current_period_start = v.period_start, "
            "current_period_end = v.period_end, status = v.status "
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::text[]) "
            "AS v(id, period_start, period_end, status) WHERE s.id = v.id",
            [
                [s.pk for s in subscriptions],
                [s.current_period_start for s in subscriptions],
                [s.current_period_end for s in subscriptions],
                [s.status for s in subscriptions],
            ],
        )


def renewals_run(*, now: datetime, batch_size: int | None = None) -> dict[str, int]:
    """The periodic job: renew what is due, in batches, and retry unpaid invoices.

    Failures stay with their subscription: a batch that fails for any unexpected reason is
    rolled back whole, and its subscriptions are renewed one at a time by `subscription_renew`,
    where one failure is logged and does not stop the others. Subscriptions whose account
    another transaction holds are skipped; the next run (every few minutes) renews them.

    `batch_size` (default: settings.RENEWAL_BATCH_SIZE): subscriptions per transaction. Bigger
    batches mean fewer round trips, but a batch holds its accounts' locks while it charges
    every card in it, one after the other.
    """
    if batch_size is None:
        batch_size = settings.RENEWAL_BATCH_SIZE
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    result = {"renewed": 0, "failed": 0, "retried": 0}
    # The batch writes invoice lines for invoices inserted in the same bulk statement, so it
    # needs their ids back (PostgreSQL, SQLite 3.35+); elsewhere everything goes one by one.
    batching = connection.features.can_return_rows_from_bulk_insert
    due = subscriptions_due(now=now)
    for offset in range(0, len(due), batch_size):
        batch = due[offset : offset + batch_size]
        one_by_one = batch
        if batching:
            try:
                outcome = renewal_batch_run(subscription_ids=batch, now=now)
            except Exception:
                logger.exception(
                    "renewal batch of %s subscription(s) failed; renewing them one at a time",
                    len(batch),
                )
            else:
                result["renewed"] += len(outcome.renewed)
                one_by_one = outcome.one_by_one
        for subscription_id in one_by_one:
            try:
                result["renewed"] += subscription_renew(subscription_id=subscription_id, now=now)
            except Exception:
                result["failed"] += 1
                logger.exception("renewal of subscription %s failed", subscription_id)
    for invoice_id in invoices_due_for_retry(now=now):
        try:
            result["retried"] += invoice_retry(invoice_id=invoice_id, now=now)
        except Exception:
            result["failed"] += 1
            logger.exception("retry of invoice %s failed", invoice_id)
    return result
