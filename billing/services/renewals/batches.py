"""The renewal job: due subscriptions renewed in batches, one transaction per batch.

The common case — one period due, renewing as it is, charged on the card on file — is renewed
set-wise: a batch locks its accounts, reads what it needs with a constant number of queries,
computes each invoice with the pure functions of billing.services.renewals.prices, and writes
every row with a few bulk statements, each invoice open and not yet tried. Once the batch has
committed, its invoices are charged with no lock held (billing.services.renewals.charges).
Everything else (several periods to catch up, changes scheduled for the renewal date,
auto-renewal cancelled) goes through `subscription_renew`, one subscription and one period per
transaction.

Once per period: the batch re-checks under its locks that each period is still due, the
unique renewal invoice per (subscription, period) backs that up, and the charge's idempotency
key names the period, so a run killed after the provider took the money and before that was
recorded is not charged again by the next run.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation

from accounts.locks import accounts_lock
from accounts.models import Account
from accounts.services import rows_update
from billing.catalogue import catalogue_get
from billing.models import (
    LIVE_SUBSCRIPTION_STATUSES,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    Subscription,
    SubscriptionItem,
)
from billing.periods import period_end
from billing.services.renewals.charges import (
    RenewalNotCharged,
    renewal_invoice_untried,
    renewal_invoices_charge,
)
from billing.services.renewals.prices import Line, Plan, plan_lines, renewal_plan
from billing.services.renewals.subscription import (
    invoice_retry,
    invoices_due_for_retry,
    subscription_renew,
    subscriptions_due,
)
from seats.models import SeatPool
from seats.pools.services import seat_pools_lock, seat_pools_renew

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch did: the subscriptions it renewed (one period each), the due ones it left
    to `subscription_renew` (see `_renews_as_is`), and the invoices it wrote whose charge
    raised something unexpected (open and untried, for the next run's retry pass)."""

    renewed: list[int]
    one_by_one: list[int]
    not_charged: list[int] = field(default_factory=list)


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
    as they are, then charge their invoices; return which were renewed and which are left to
    `subscription_renew`.

    Anything unexpected while renewing is raised and rolls the whole batch back (the caller
    then goes one by one). Once renewed, the charges' outcomes stay with their subscription:
    a declined card makes it past due with an open invoice to retry, as in the one-by-one path.
    """
    with transaction.atomic(durable=True):
        # Accounts first, as every seat and billing service locks them: while this batch holds
        # them nobody assigns, buys or removes seats, or changes the plan, so the items and
        # pools read below stay true until it commits. SKIP LOCKED: an account busy elsewhere
        # (an admin's request, another run's batch) is left to the next run rather than making
        # this batch wait; two concurrent runs thereby split the work.
        due_accounts = Subscription.objects.filter(pk__in=subscription_ids).values_list(
            "account_id", flat=True
        )
        account_ids = [
            account.pk for account in accounts_lock(list(set(due_accounts)), skip_locked=True)
        ]
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
        for pool in seat_pools_lock(account_ids=[s.account_id for s in subscriptions]):
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
        invoices = []
        if batch:
            invoices = _batch_renew(
                subscriptions=batch, ends=ends, items=items, pools=pools, now=now
            )
    # Committed: the accounts are free again while the provider answers.
    charged = renewal_invoices_charge(invoices=invoices, now=now)
    return BatchOutcome(
        renewed=[s.pk for s in batch], one_by_one=one_by_one, not_charged=charged.failed
    )


def _batch_renew(
    *,
    subscriptions: list[Subscription],
    ends: dict[int, datetime],
    items: dict[int, list[SubscriptionItem]],
    pools: dict[int, list[SeatPool]],
    now: datetime,
) -> list[Invoice]:
    """Renew the locked `subscriptions` (one period each, to `ends`) inside the batch's
    transaction; their invoices, written untried."""
    seat_pools_renew(pools=[p for s in subscriptions for p in pools[s.account_id]], now=now)
    currency = catalogue_get().currency
    invoices, lines = [], []
    # An invoice's lines are written once, in its account's default language.
    languages = dict(
        Account.objects.filter(pk__in={s.account_id for s in subscriptions}).values_list(
            "pk", "default_language"
        )
    )
    # Most subscriptions share a plan (and a language) with others.
    priced: dict[tuple[Plan, str], list[Line]] = {}
    for subscription in subscriptions:
        start, end = subscription.current_period_end, ends[subscription.pk]
        plan = renewal_plan(
            subscription=subscription,
            items=items[subscription.pk],
            pools=pools[subscription.account_id],
        )
        language = languages.get(subscription.account_id) or settings.LANGUAGE_CODE
        if (plan, language) not in priced:
            with translation.override(language):
                priced[plan, language] = plan_lines(plan)
        invoice_lines = priced[plan, language]
        invoices.append(
            renewal_invoice_untried(
                invoice=Invoice(
                    account_id=subscription.account_id,
                    subscription=subscription,
                    kind=InvoiceKind.RENEWAL,
                    currency=currency,
                    total_cents=sum(line.amount_cents for line in invoice_lines),
                    period_start=start,
                    period_end=end,
                    created_at=now,
                ),
                now=now,
            )
        )
        lines.append(invoice_lines)
        subscription.current_period_start, subscription.current_period_end = start, end
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
    rows_update(subscriptions, ["current_period_start", "current_period_end"])
    return invoices


def renewals_run(*, now: datetime, batch_size: int | None = None) -> dict[str, int]:
    """The periodic job: renew what is due, in batches, and retry unpaid invoices.

    Failures stay with their subscription: a batch that fails for any unexpected reason is
    rolled back whole, and its subscriptions are renewed one at a time by `subscription_renew`,
    where one failure is logged and does not stop the others. A renewal whose charge raised
    something unexpected is counted as failed and its invoice left to the next run's retry
    pass. Subscriptions whose account another transaction holds are skipped; the next run
    (every few minutes) renews them.

    `batch_size` (default: settings.RENEWAL_BATCH_SIZE): subscriptions per transaction. Bigger
    batches mean fewer round trips; no lock is held while their cards are charged.
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
    not_charged: set[int] = set()  # counted as failed already: tried again by the next run
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
                result["failed"] += len(outcome.not_charged)
                not_charged.update(outcome.not_charged)
                one_by_one = outcome.one_by_one
        for subscription_id in one_by_one:
            try:
                result["renewed"] += subscription_renew(subscription_id=subscription_id, now=now)
            except RenewalNotCharged as failure:
                result["renewed"] += failure.renewed
                result["failed"] += 1
                not_charged.add(failure.invoice_id)
            except Exception:
                result["failed"] += 1
                logger.exception("renewal of subscription %s failed", subscription_id)
    for invoice_id in invoices_due_for_retry(now=now):
        if invoice_id in not_charged:
            continue
        try:
            result["retried"] += invoice_retry(invoice_id=invoice_id, now=now)
        except Exception:
            result["failed"] += 1
            logger.exception("retry of invoice %s failed", invoice_id)
    return result
