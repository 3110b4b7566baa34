"""Charging renewal invoices, with no lock held while the provider answers.

A renewal is written in two steps. First the renewal itself (renewals.subscription, one by
one, and renewals.batches), under its account's lock: the period moves on, the
seats renew, and the period's invoice is written open and not yet tried (attempts 0, due at
once). Then, here, with no transaction open, each card is charged
(billing.services.charges.card_charge: the charging policy is written there), and one short
transaction records what came of it: paid, or past due with a retry scheduled, with the
renewal's audit event and the billing admins' notice. A real provider takes a fraction of a
second a charge, a batch of 500 minutes: meanwhile its accounts are free, and their admins can
assign, buy and remove seats.

Once per period: the charge's idempotency key names the period (`renewal_charge_key`). If the
process dies after the provider took the money and before that was recorded, the invoice stays
open and untried, the renewal job's retry pass charges it again with the same key, and the
provider answers with the first charge. Recording re-checks under the lock that the invoice is
still open and untried, so two runs that charged the same invoice record it once.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.locks import accounts_lock
from accounts.models import AuditEvent, AuditVerb
from accounts.services import audit_events_record, rows_update
from accounts.text import day
from billing.gateway import Charge
from billing.models import (
    CardOnFile,
    Invoice,
    InvoiceStatus,
    PaymentCustomer,
    Subscription,
    SubscriptionStatus,
)
from billing.services.charges import card_charge, charge_paid, invoice_charge_note
from seats.pools.services import billing_admins_notify_many

logger = logging.getLogger(__name__)

# A declined renewal is retried after these delays, then every day until paid.
RETRY_DELAYS = (timedelta(hours=6), timedelta(days=1), timedelta(days=2))


def retry_delay(attempts: int) -> timedelta:
    """Delay before the next charge attempt after `attempts` failed ones (1 = the first)."""
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def renewal_charge_key(*, subscription_id: int, period_start: datetime) -> str:
    """What a renewal's first charge pays for: the period, not the invoice row. A run killed
    after the provider took the money, before that was recorded (or, on the one-by-one path's
    fallback, before the batch's invoice was written), must not pay again."""
    return f"renewal:{subscription_id}:{period_start.isoformat()}"


def renewal_audit_after(*, start: datetime, end: datetime, invoice: Invoice, paid: bool) -> dict:
    """What the SUBSCRIPTION_RENEWED audit event records."""
    return {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "invoice": invoice.number,
        "paid": paid,
    }


def invoice_authenticate_url(invoice: Invoice) -> str:
    """Where a billing admin pays an unpaid invoice now, or completes a payment that waits for
    the bank's authentication."""
    return reverse("billing:invoice_authenticate", args=[invoice.pk])


def renewal_authentication_text(*, invoice: Invoice) -> str:
    """What the billing admins are told when the bank asks to authenticate a renewal's
    payment (off session, nobody could): the notification links to the page that does it."""
    return _(
        "Your subscription renewed until %(end)s, but your bank asks you to confirm the "
        "payment of invoice %(number)s: open this notification to confirm it. We'll also try "
        "again. Nobody loses a seat."
    ) % {"end": day(invoice.period_end), "number": invoice.number}


def renewal_notice_text(*, end: datetime, invoice: Invoice, paid: bool) -> str:
    """What the billing admins are told about a renewal, paid or not, in the active language."""
    if paid:
        text = _("Your subscription renewed until %(end)s; invoice %(number)s was paid.")
    else:
        text = _(
            "Your subscription renewed until %(end)s, but invoice %(number)s could not be "
            "charged. Open this notification to pay it now, or update the card on file; we'll "
            "try again. Nobody loses a seat."
        )
    return text % {"end": day(end), "number": invoice.number}


def renewal_invoice_untried(*, invoice: Invoice, now: datetime) -> Invoice:
    """The renewal's invoice as its renewal writes it: open, not tried yet, due at once (so
    that the job's retry pass charges it, should this process die before it does)."""
    invoice.status, invoice.attempts, invoice.next_attempt_at = InvoiceStatus.OPEN, 0, now
    return invoice


class RenewalNotCharged(Exception):
    """A renewal was written but its charge raised something unexpected (see
    `renewal_invoices_charge`): the invoice is open and untried, for the next run's retry
    pass. `renewed`: the periods renewed before and including this one."""

    def __init__(self, *, invoice_id: int, renewed: int = 1) -> None:
        super().__init__(f"renewal invoice {invoice_id} was not charged")
        self.invoice_id, self.renewed = invoice_id, renewed


@dataclass(frozen=True)
class ChargesOutcome:
    """What became of the renewal invoices given to `renewal_invoices_charge`, by id: paid, or
    not charged because something unexpected was raised (open and untried, for the job's retry
    pass). The others were left unpaid (declined, no card: past due, retried later)."""

    paid: list[int]
    failed: list[int]


def renewal_invoices_charge(*, invoices: Sequence[Invoice], now: datetime) -> ChargesOutcome:
    """Charge these renewal invoices, open and untried as their renewal wrote them, then
    record the outcomes of those still untried by then.

    Must be called with no transaction open: the charges are made outside any, then one short
    transaction records them all. An invoice whose charge raised something unexpected is
    logged and left untried; the others are recorded.
    """
    if not invoices:
        return ChargesOutcome(paid=[], failed=[])
    accounts = {i.account_id for i in invoices}
    card_tokens = dict(
        CardOnFile.objects.filter(account__in=accounts).values_list("account_id", "gateway_token")
    )
    customers = dict(
        PaymentCustomer.objects.filter(account__in=accounts, deleted_at__isnull=True).values_list(
            "account_id", "customer_id"
        )
    )
    # Invoice id: its charge (one with an empty id: nothing to pay), or None (not paid).
    charges: dict[int, Charge | None] = {}
    failed = []
    for invoice in invoices:
        if not invoice.total_cents:
            charges[invoice.pk] = Charge(id="", amount_cents=0, currency=invoice.currency)
            continue
        try:
            charges[invoice.pk] = card_charge(
                card_token=card_tokens.get(invoice.account_id),
                customer_id=customers.get(invoice.account_id, ""),
                amount_cents=invoice.total_cents,
                currency=invoice.currency,
                key=renewal_charge_key(
                    subscription_id=invoice.subscription_id, period_start=invoice.period_start
                ),
                period_start=invoice.period_start,
                period_end=invoice.period_end,
                invoice=invoice,
            )
        except Exception:
            logger.exception("renewal invoice %s not charged; the next run tries again", invoice.pk)
            failed.append(invoice.pk)
    recorded = _charges_record(
        invoices=[invoice for invoice in invoices if invoice.pk in charges],
        charges=charges,
        now=now,
    )
    return ChargesOutcome(
        paid=[i.pk for i in recorded if charge_paid(charges[i.pk])],
        failed=failed,
    )


def _charges_record(
    *, invoices: list[Invoice], charges: dict[int, Charge | None], now: datetime
) -> list[Invoice]:
    """Record the first charge of each of these renewal invoices (`charges`: by invoice id, as
    in `renewal_invoices_charge`), unless another run has since; those recorded. One
    transaction, a constant number of queries."""
    if not invoices:
        return []
    with transaction.atomic(durable=True):
        # The accounts first, as every billing service locks them: two runs that charged the
        # same invoice (with the same key: the provider took the money once) record it one
        # after the other, and the second finds it tried already.
        accounts_lock(list({invoice.account_id for invoice in invoices}))
        for invoice in invoices:
            charge = charges[invoice.pk]
            invoice.attempts = 1
            if not charge_paid(charge):
                invoice.next_attempt_at = now + retry_delay(1)
                # Waiting for the bank's authentication: the link the admins get completes it.
                invoice.payment_id = charge.payment_id if charge is not None else ""
            else:
                invoice.status, invoice.paid_at = InvoiceStatus.PAID, now
                invoice.next_attempt_at = None
                invoice_charge_note(invoice=invoice, charge=charge)
        written = rows_update(
            invoices,
            [
                "status",
                "attempts",
                "next_attempt_at",
                "charge_id",
                "payment_id",
                "receipt_url",
                "paid_at",
            ],
            where={"status": InvoiceStatus.OPEN, "attempts": 0},
        )
        invoices = [invoice for invoice in invoices if invoice.pk in written]
        # A subscription cancelled since its renewal stays cancelled.
        Subscription.objects.filter(
            pk__in=[i.subscription_id for i in invoices if i.status == InvoiceStatus.OPEN],
            status=SubscriptionStatus.ACTIVE,
        ).update(status=SubscriptionStatus.PAST_DUE)
        paid = {invoice.pk: invoice.status == InvoiceStatus.PAID for invoice in invoices}
        waiting = {
            invoice.pk
            for invoice in invoices
            if not paid[invoice.pk] and charges[invoice.pk] is not None
        }
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
                        paid=paid[invoice.pk],
                    ),
                    created_at=now,
                )
                for invoice in invoices
            ]
        )
        # Each text is written for each billing admin, in their language (NoticeText): bound
        # to its invoice here, not read from the loop's variable when it is written.
        billing_admins_notify_many(
            notices=[
                (
                    invoice.account_id,
                    partial(
                        renewal_notice_text,
                        end=invoice.period_end,
                        invoice=invoice,
                        paid=paid[invoice.pk],
                    )
                    if invoice.pk not in waiting
                    else partial(renewal_authentication_text, invoice=invoice),
                    # Unpaid: the link pays it (and asks the bank, if it wants to be asked).
                    *([invoice_authenticate_url(invoice)] if not paid[invoice.pk] else []),
                )
                for invoice in invoices
            ],
            now=now,
        )
    return invoices
