"""Renewal: at the end of a period, apply scheduled changes, invoice and charge the next one.

This module renews one subscription, one period per transaction (`subscription_renew`), and
holds what both paths share: the lines, the charge, the texts. The periodic job
(billing.services.renewal_batches.renewals_run) renews the common case in batches and sends
the rest here.

Scheduled changes are seat removals (billing.services.removals) and the downgrades, removals
and interval switch of billing.services.checkout; a subscription whose auto-renewal was
cancelled ends instead (status canceled, nothing charged).

Once per period: the renewal invoice is unique per (subscription, period start), and the
period dates move in the same transaction, so a second run finds nothing due. After an outage
the job catches up period by period, in order. A declined charge leaves the subscription past
due with an open invoice that is retried later; it never takes seats away.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Account, AuditVerb
from accounts.services import audit_record
from billing.catalogue import catalogue_get, enabled_seat_types, included_core_seats
from billing.errors import BillingError
from billing.gateway import gateway_get
from billing.models import (
    LIVE_SUBSCRIPTION_STATUSES,
    CardOnFile,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    ItemKind,
    Subscription,
    SubscriptionStatus,
)
from billing.periods import period_end
from billing.services.renewal_prices import renewal_lines
from seats.models import LedgerReason, SeatPool
from seats.services import billing_admins_notify, seat_ledger_append, seat_pools_sync

logger = logging.getLogger(__name__)

# A declined renewal is retried after these delays, then every day until paid.
RETRY_DELAYS = (timedelta(hours=6), timedelta(days=1), timedelta(days=2))


def retry_delay(attempts: int) -> timedelta:
    """Delay before the next charge attempt after `attempts` failed ones (1 = the first)."""
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def renewal_charge_key(*, subscription_id: int, period_start: datetime) -> str:
    """What a renewal charge pays for: the period, not the invoice row. A run killed after the
    provider took the money rolls the invoice back, and the next run's new invoice must not
    pay again."""
    return f"renewal:{subscription_id}:{period_start.isoformat()}"


def card_charge(
    *,
    card_token: str | None,
    amount_cents: int,
    currency: str,
    key: str,
    period_start: datetime,
    period_end: datetime,
) -> str | None:
    """Charge the card on file (its gateway token; None: there is none); the charge id, or
    None (nothing raised) when it can't be paid.

    The idempotency key names what is paid for (`key`) and the card: the same charge asked
    again — a retry after a timeout, a job killed after the provider took the money — can never
    be taken twice, and a new card is a new request that the provider does not answer with the
    old card's decline. Anything but a BillingError (a bug, a gateway that breaks its
    contract) is raised.
    """
    if card_token is None:
        return None
    try:
        charge = gateway_get().charge(
            card_token=card_token,
            amount_cents=amount_cents,
            currency=currency,
            idempotency_key=f"{key}:{card_token}",
            description=f"seatmgr {period_start.date()} - {period_end.date()}",
        )
    except BillingError as failure:
        logger.info("charge %s failed: %s", key, failure.code)
        return None
    return charge.id


def _charge(*, account: Account, invoice: Invoice, key: str) -> bool:
    """Charge an invoice on the account's card; False (and nothing raised) when it can't be
    paid. See `card_charge`."""
    charge_id = card_charge(
        card_token=CardOnFile.objects.filter(account=account)
        .values_list("gateway_token", flat=True)
        .first(),
        amount_cents=invoice.total_cents,
        currency=invoice.currency,
        key=key,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
    )
    if charge_id is None:
        return False
    invoice.charge_id = charge_id
    return True


def renewal_audit_after(*, start: datetime, end: datetime, invoice: Invoice, paid: bool) -> dict:
    """What the SUBSCRIPTION_RENEWED audit event records."""
    return {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "invoice": invoice.number,
        "paid": paid,
    }


def renewal_notice_templates() -> dict[bool, str]:
    """What the billing admins are told about a renewal, paid (True) or not (False), in the
    active language, to be filled in by `renewal_notice_text`."""
    return {
        True: _("Your subscription renewed until %(end)s; invoice %(number)s was paid."),
        False: _(
            "Your subscription renewed until %(end)s, but invoice %(number)s could not be "
            "charged. Update the card on file; we'll try again. Nobody loses a seat."
        ),
    }


def renewal_notice_text(
    *, end: datetime, invoice: Invoice, paid: bool, templates: dict[bool, str] | None = None
) -> str:
    """What the billing admins are told about a renewal, paid or not (`templates`: those of
    `renewal_notice_templates`, when a batch has already translated them)."""
    templates = templates or renewal_notice_templates()
    return templates[paid] % {"end": end.date().isoformat(), "number": invoice.number}


def _renew_one_period(*, subscription_id: int, now: datetime) -> bool:
    """Renew the subscription's current period if it has ended. True when it did."""
    with transaction.atomic(durable=True):
        subscription = Subscription.objects.select_related("account").get(pk=subscription_id)
        account = Account.objects.select_for_update().get(pk=subscription.account_id)
        subscription = (
            Subscription.objects.select_for_update()
            .filter(pk=subscription_id, status__in=LIVE_SUBSCRIPTION_STATUSES)
            .first()
        )
        if subscription is None or subscription.current_period_end > now:
            return False
        start = subscription.current_period_end
        if subscription.cancel_at_period_end:
            _subscription_end(subscription=subscription, account=account, now=now)
            return False
        _pending_changes_apply(subscription=subscription, account=account, start=start, now=now)
        end = period_end(subscription.anchor, start, subscription.interval)
        pools = list(SeatPool.objects.select_for_update().filter(account=account).order_by("id"))
        for pool in pools:
            # Seats of a type the plan no longer enables (a downgrade) are not renewed.
            if not pool.enabled and pool.purchased_at_renewal:
                pool.purchased_at_renewal = 0
        for pool in pools:
            if pool.purchased != pool.purchased_at_renewal:
                pool.purchased = pool.purchased_at_renewal
                pool.save(update_fields=["purchased", "purchased_at_renewal", "updated_at"])
                seat_ledger_append(pool=pool, reason=LedgerReason.RENEWAL, actor=None, now=now)
        lines = renewal_lines(subscription=subscription, pools=pools)
        invoice = Invoice.objects.create(
            account=account,
            subscription=subscription,
            kind=InvoiceKind.RENEWAL,
            status=InvoiceStatus.OPEN,
            currency=catalogue_get().currency,
            total_cents=sum(line.amount_cents for line in lines),
            period_start=start,
            period_end=end,
            attempts=1,
            created_at=now,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                description=line.description,
                quantity=line.quantity,
                unit_cents=line.unit_cents,
                amount_cents=line.amount_cents,
            )
            for line in lines
        )
        paid = invoice.total_cents == 0 or _charge(
            account=account,
            invoice=invoice,
            key=renewal_charge_key(subscription_id=subscription.pk, period_start=start),
        )
        if paid:
            invoice.status, invoice.paid_at = InvoiceStatus.PAID, now
        else:
            invoice.next_attempt_at = now + retry_delay(1)
            subscription.status = SubscriptionStatus.PAST_DUE
        invoice.save()
        subscription.current_period_start, subscription.current_period_end = start, end
        subscription.save(
            update_fields=[
                "current_period_start",
                "current_period_end",
                "status",
                "interval",
                "anchor",
                "interval_at_renewal",
            ]
        )
        audit_record(
            account=account,
            actor=None,
            verb=AuditVerb.SUBSCRIPTION_RENEWED,
            after=renewal_audit_after(start=start, end=end, invoice=invoice, paid=paid),
            now=now,
        )
        billing_admins_notify(
            account=account,
            text=renewal_notice_text(end=end, invoice=invoice, paid=paid),
            now=now,
        )
        return True


def _pending_changes_apply(
    *, subscription: Subscription, account: Account, start: datetime, now: datetime
) -> None:
    """Apply the downgrades, removals and interval switch scheduled for this renewal date.

    Runs inside the renewal's transaction, before the new period is invoiced, so it happens once
    per period: the pending fields are cleared in the same commit that moves the dates.
    """
    items = list(subscription.items.select_for_update())
    pending = [item for item in items if item.has_pending_change]
    switch = subscription.interval_at_renewal
    if not pending and not switch:
        return
    applied = {}
    for item in pending:
        if item.remove_at_renewal:
            applied[item.product] = None
            item.delete()
            continue
        if item.tier_at_renewal:
            item.tier = item.tier_at_renewal
        if item.quantity_at_renewal is not None:
            item.quantity = item.quantity_at_renewal
        applied[item.product] = item.tier or item.quantity
        item.tier_at_renewal, item.quantity_at_renewal = "", None
        item.save(update_fields=["tier", "quantity", "tier_at_renewal", "quantity_at_renewal"])
    if switch:
        # Periods are counted from the anchor: a new interval starts counting at this renewal.
        subscription.interval, subscription.anchor = switch, start
        subscription.interval_at_renewal = ""  # saved with the new period's dates
    hubs = _hub_tiers(subscription)
    seat_pools_sync(
        account=account,
        included={"core": included_core_seats(hubs.items())},
        enabled=enabled_seat_types(hubs.items()),
        actor=None,
        now=now,
    )
    audit_record(
        account=account,
        actor=None,
        verb=AuditVerb.SUBSCRIPTION_CHANGED,
        after={"applied_at_renewal": applied, "interval": subscription.interval},
        now=now,
    )


def _hub_tiers(subscription: Subscription) -> dict[str, str]:
    """{hub: tier} as stored now (not a prefetched list that predates the changes)."""
    return dict(subscription.items.filter(kind=ItemKind.HUB).values_list("product", "tier"))


def _subscription_end(*, subscription: Subscription, account: Account, now: datetime) -> None:
    """Auto-renewal was cancelled: end the subscription at its period end, charging nothing."""
    subscription.status = SubscriptionStatus.CANCELED
    subscription.save(update_fields=["status"])
    seat_pools_sync(account=account, included={}, enabled=(), actor=None, now=now)
    for pool in SeatPool.objects.select_for_update().filter(account=account).order_by("id"):
        if pool.purchased or pool.purchased_at_renewal:
            pool.purchased = pool.purchased_at_renewal = 0
            pool.save(update_fields=["purchased", "purchased_at_renewal", "updated_at"])
            seat_ledger_append(pool=pool, reason=LedgerReason.RENEWAL, actor=None, now=now)
    audit_record(
        account=account,
        actor=None,
        verb=AuditVerb.SUBSCRIPTION_CHANGED,
        before={"status": SubscriptionStatus.ACTIVE},
        after={"status": SubscriptionStatus.CANCELED, "ended": now.isoformat()},
        now=now,
    )
    billing_admins_notify(
        account=account,
        text=_(
            "The subscription ended on %(date)s: auto-renewal was cancelled. Nothing was charged."
        )
        % {"date": subscription.current_period_end.date().isoformat()},
        now=now,
    )


def subscription_renew(*, subscription_id: int, now: datetime, max_periods: int = 120) -> int:
    """Renew every period of this subscription that has ended by `now`, oldest first.

    Each period is its own transaction, so a crash half-way keeps the periods already done
    and the next run continues from there. Returns how many periods were renewed.
    """
    renewed = 0
    while renewed < max_periods and _renew_one_period(subscription_id=subscription_id, now=now):
        renewed += 1
    return renewed


@transaction.atomic(durable=True)
def invoice_retry(*, invoice_id: int, now: datetime) -> bool:
    """Charge an open invoice again; a past-due subscription is active again once all is paid."""
    invoice = Invoice.objects.select_related("account").get(pk=invoice_id)
    account = Account.objects.select_for_update().get(pk=invoice.account_id)
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.status != InvoiceStatus.OPEN or (
        invoice.next_attempt_at is not None and invoice.next_attempt_at > now
    ):
        return False
    invoice.attempts += 1
    if _charge(account=account, invoice=invoice, key=f"invoice:{invoice.pk}"):
        invoice.status, invoice.paid_at, invoice.next_attempt_at = InvoiceStatus.PAID, now, None
        invoice.save()
        still_open = Invoice.objects.filter(account=account, status=InvoiceStatus.OPEN).exists()
        if not still_open and invoice.subscription_id:
            Subscription.objects.filter(
                pk=invoice.subscription_id, status=SubscriptionStatus.PAST_DUE
            ).update(status=SubscriptionStatus.ACTIVE)
        billing_admins_notify(
            account=account, text=_("Invoice %(number)s was paid.") % {"number": invoice.number}
        )
        return True
    invoice.next_attempt_at = now + retry_delay(invoice.attempts)
    invoice.save()
    return False


def subscriptions_due(*, now: datetime) -> list[int]:
    return list(
        Subscription.objects.filter(
            status__in=LIVE_SUBSCRIPTION_STATUSES, current_period_end__lte=now
        )
        .order_by("current_period_end", "id")
        .values_list("pk", flat=True)
    )


def invoices_due_for_retry(*, now: datetime) -> list[int]:
    return list(
        Invoice.objects.filter(status=InvoiceStatus.OPEN, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)
    )
