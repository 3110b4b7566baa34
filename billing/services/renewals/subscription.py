"""Renewal: at the end of a period, apply scheduled changes, invoice and charge the next one.

This module renews one subscription, one period per transaction (`subscription_renew`), and
retries unpaid invoices (`invoice_retry`). The periodic job
(billing.services.renewals.batches.renewals_run) renews the common case in batches and sends
the rest here. Both charge the new period's invoice after their transaction has committed,
with no lock held (billing.services.renewals.charges).

Scheduled changes are seat removals (billing.services.removals) and the downgrades, removals
and interval switch of billing.services.checkout; a subscription whose auto-renewal was
cancelled ends instead (status canceled, nothing charged).

Once per period: the renewal invoice is unique per (subscription, period start), and the
period dates move in the same transaction, so a second run finds nothing due. After an outage
the job catches up period by period, in order. A declined charge leaves the subscription past
due with an open invoice that is retried later; it never takes seats away.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.locks import account_lock
from accounts.models import Account, AuditVerb
from accounts.services import audit_record
from accounts.text import day
from billing.catalogue import catalogue_get
from billing.models import (
    LIVE_SUBSCRIPTION_STATUSES,
    CardOnFile,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Subscription,
    SubscriptionStatus,
)
from billing.periods import period_end
from billing.services.charges import (
    card_charge,
    charge_paid,
    charge_refund_if_extra,
    customer_id_get,
    invoice_charge_note,
    payment_waiting_completed,
)
from billing.services.renewals.charges import (
    RenewalNotCharged,
    renewal_invoice_untried,
    renewal_invoices_charge,
    retry_delay,
)
from billing.services.renewals.prices import renewal_lines
from billing.services.subscriptions import subscription_pools_sync
from seats.pools.services import (
    billing_admins_notify,
    seat_pools_lock,
    seat_pools_renew,
    seat_pools_sync,
)

logger = logging.getLogger(__name__)


def _renew_one_period(*, subscription_id: int, now: datetime) -> Invoice | None:
    """Renew the subscription's current period if it has ended: the new period's invoice,
    written untried, when it did; None otherwise."""
    with transaction.atomic(durable=True):
        subscription = Subscription.objects.select_related("account").get(pk=subscription_id)
        # The account lock orders this renewal after any purchase, removal, plan change or
        # assignment in flight, and keeps them out until the new period is written.
        account = account_lock(subscription.account_id)
        subscription = (
            Subscription.objects.select_for_update()
            .filter(pk=subscription_id, status__in=LIVE_SUBSCRIPTION_STATUSES)
            .first()
        )
        if subscription is None or subscription.current_period_end > now:
            return None
        start = subscription.current_period_end
        if subscription.cancel_at_period_end:
            _subscription_end(subscription=subscription, account=account, now=now)
            return None
        _pending_changes_apply(subscription=subscription, account=account, start=start, now=now)
        end = period_end(subscription.anchor, start, subscription.interval)
        # Pools after their account and subscription, as the seat services lock them.
        pools = seat_pools_lock(account_ids=[account.pk])
        # The scheduled removals take effect; seats of a type the plan no longer enables (a
        # downgrade) are not renewed.
        seat_pools_renew(pools=pools, now=now)
        # An invoice's lines are written once, in the account's default language.
        with translation.override(account.default_language):
            lines = renewal_lines(subscription=subscription, pools=pools)
        invoice = renewal_invoice_untried(
            invoice=Invoice(
                account=account,
                subscription=subscription,
                kind=InvoiceKind.RENEWAL,
                currency=catalogue_get().currency,
                total_cents=sum(line.amount_cents for line in lines),
                period_start=start,
                period_end=end,
                created_at=now,
            ),
            now=now,
        )
        invoice.save(force_insert=True)
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
        subscription.current_period_start, subscription.current_period_end = start, end
        subscription.save(
            update_fields=[
                "current_period_start",
                "current_period_end",
                "interval",
                "anchor",
                "interval_at_renewal",
            ]
        )
    return invoice


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
    subscription_pools_sync(account=account, subscription=subscription, actor=None, now=now)
    audit_record(
        account=account,
        actor=None,
        verb=AuditVerb.SUBSCRIPTION_CHANGED,
        after={"applied_at_renewal": applied, "interval": subscription.interval},
        now=now,
    )


def _subscription_end(*, subscription: Subscription, account: Account, now: datetime) -> None:
    """Auto-renewal was cancelled: end the subscription at its period end, charging nothing."""
    subscription.status = SubscriptionStatus.CANCELED
    subscription.save(update_fields=["status"])
    seat_pools_sync(account=account, included={}, enabled=(), actor=None, now=now)
    seat_pools_renew(pools=seat_pools_lock(account_ids=[account.pk]), now=now, ending=True)
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
        text=lambda: (
            _(
                "The subscription ended on %(date)s: auto-renewal was cancelled. "
                "Nothing was charged."
            )
            % {"date": day(subscription.current_period_end)}
        ),
        now=now,
    )


def subscription_renew(*, subscription_id: int, now: datetime, max_periods: int = 120) -> int:
    """Renew every period of this subscription that has ended by `now`, oldest first.

    Each period is its own transaction, its invoice charged once that has committed, with no
    lock held (billing.services.renewals.charges). A crash half-way keeps the periods already
    done and the next run continues from there. Returns how many periods were renewed; raises
    RenewalNotCharged, after renewing no further, when a charge raised something unexpected.
    """
    renewed = 0
    while renewed < max_periods:
        invoice = _renew_one_period(subscription_id=subscription_id, now=now)
        if invoice is None:
            break
        renewed += 1
        if renewal_invoices_charge(invoices=[invoice], now=now).failed:
            raise RenewalNotCharged(invoice_id=invoice.pk, renewed=renewed)
    return renewed


def invoice_retry(*, invoice_id: int, now: datetime) -> bool:
    """Charge an open invoice that is due again; True when it was paid. A past-due
    subscription is active again once all its account's invoices are paid.

    The card is charged with no lock held and the outcome recorded in a short transaction,
    which re-checks that nobody recorded this attempt meanwhile. Each attempt has its own
    idempotency key: a provider answers a key it has seen with its first answer, a decline
    included, so one key for every attempt would turn a card that works again into a decline
    forever. A renewal invoice that was never tried (its run died before charging it) is
    charged as its renewal would have been.
    """
    invoice = Invoice.objects.get(pk=invoice_id)
    if invoice.status != InvoiceStatus.OPEN or (
        invoice.next_attempt_at is not None and invoice.next_attempt_at > now
    ):
        return False
    if invoice.kind == InvoiceKind.RENEWAL and invoice.attempts == 0:
        outcome = renewal_invoices_charge(invoices=[invoice], now=now)
        if outcome.failed:
            raise RenewalNotCharged(invoice_id=invoice.pk)
        return bool(outcome.paid)
    attempt = invoice.attempts + 1
    # A payment that waited for the bank may have been completed from the admins' link since
    # (its webhook not handled yet): record that one rather than charge again.
    charge = payment_waiting_completed(invoice=invoice) or card_charge(
        card_token=CardOnFile.objects.filter(account=invoice.account_id)
        .values_list("gateway_token", flat=True)
        .first(),
        customer_id=customer_id_get(account_id=invoice.account_id),
        amount_cents=invoice.total_cents,
        currency=invoice.currency,
        key=f"invoice:{invoice.pk}:attempt:{attempt}",
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        invoice=invoice,
    )
    with transaction.atomic(durable=True):
        # The account first, as every billing write: a retry recorded by another run meanwhile
        # is seen below, and the subscription's status changes under the same lock.
        account = account_lock(invoice.account_id)
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.status != InvoiceStatus.OPEN or invoice.attempts != attempt - 1:
            # Another run recorded this attempt (with the same key: one charge), or the
            # admins' link paid the invoice meanwhile: then this charge was one too many.
            charge_refund_if_extra(invoice=invoice, charge=charge)
            return False
        invoice.attempts = attempt
        if not charge_paid(charge):
            invoice.next_attempt_at = now + retry_delay(attempt)
            if charge is not None:  # waits for the bank: the admins' link completes this one
                invoice.payment_id = charge.payment_id
            invoice.save()
            return False
        invoice.status, invoice.paid_at, invoice.next_attempt_at = InvoiceStatus.PAID, now, None
        invoice_charge_note(invoice=invoice, charge=charge)
        invoice.save()
        still_open = Invoice.objects.filter(account=account, status=InvoiceStatus.OPEN).exists()
        if not still_open and invoice.subscription_id:
            Subscription.objects.filter(
                pk=invoice.subscription_id, status=SubscriptionStatus.PAST_DUE
            ).update(status=SubscriptionStatus.ACTIVE)
        billing_admins_notify(
            account=account,
            text=lambda: _("Invoice %(number)s was paid.") % {"number": invoice.number},
        )
        return True


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
