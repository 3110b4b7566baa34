"""Savings at renewal: within SAVINGS_WINDOW of the renewal date, a paid seat type with
unassigned seats that could be removed says how much removing them saves a period (on the
Seats tab and Account & Billing), and the billing admins are emailed once per period."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.locks import account_lock
from accounts.models import AuditVerb
from accounts.services import audit_record
from accounts.text import seat_count
from billing.models import LIVE_SUBSCRIPTION_STATUSES, Subscription, UnassignedSeatsNotice
from billing.money import money_format
from billing.selectors import seat_pools_removable_list
from billing.services.renewal_previews import seat_removal_preview
from seats.pools.selectors import PoolSummary
from seats.pools.services import billing_admins_notify

logger = logging.getLogger(__name__)

SAVINGS_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class UnassignedSaving:
    """`quantity` unassigned seats of a paid type that removing at renewal saves
    `saving_cents` a period (`interval`)."""

    pool: PoolSummary
    quantity: int
    saving_cents: int
    currency: str
    interval: str
    renewal_date: datetime

    def text(self) -> str:
        """What it saves, in the active language (a page's, or each billing admin's when they
        are told: a NoticeText; templates call it as `{{ saving.text }}`)."""
        saving = money_format(self.saving_cents, self.currency)
        period = _("a year") if self.interval == "annual" else _("a month")
        return ngettext(
            "%(seats)s is unassigned: remove it at renewal to save %(saving)s %(period)s.",
            "%(seats)s are unassigned: remove them at renewal to save %(saving)s %(period)s.",
            self.quantity,
        ) % {
            "seats": seat_count(self.pool.seat_type, self.quantity),
            "saving": saving,
            "period": period,
        }


def unassigned_savings(
    *, subscription: Subscription | None, pools: list[tuple[PoolSummary, int]], now: datetime
) -> list[UnassignedSaving]:
    """Each paid seat type whose removable unassigned seats save money at a renewal due within
    SAVINGS_WINDOW (a renewal that won't happen, auto-renewal off, saves nothing)."""
    if subscription is None or subscription.status not in LIVE_SUBSCRIPTION_STATUSES:
        return []
    renewal = subscription.current_period_end
    if not (now < renewal <= now + SAVINGS_WINDOW) or subscription.cancel_at_period_end:
        return []
    summaries = [pool for pool, _removable in pools]
    savings = []
    for pool, removable in pools:
        if removable <= 0:
            continue
        preview = seat_removal_preview(
            subscription=subscription, pools=summaries, seat_type=pool.seat_type, quantity=removable
        )
        saving = preview.before_cents - preview.after_cents
        if saving > 0:
            savings.append(
                UnassignedSaving(
                    pool=pool,
                    quantity=removable,
                    saving_cents=saving,
                    currency=preview.currency,
                    interval=preview.interval,
                    renewal_date=renewal,
                )
            )
    return savings


def unassigned_seats_notify_run(*, now: datetime) -> dict[str, int]:
    """Email the billing admins of every account renewing within SAVINGS_WINDOW about its
    unassigned seats, once per seat type and period. Safe to run twice or late; one account's
    failure is logged and the others go on."""
    result = {"sent": 0, "failed": 0}
    due = Subscription.objects.filter(
        status__in=LIVE_SUBSCRIPTION_STATUSES,
        current_period_end__gt=now,
        current_period_end__lte=now + SAVINGS_WINDOW,
    ).values_list("pk", flat=True)
    for subscription_id in due:
        try:
            result["sent"] += unassigned_seats_notify(subscription_id=subscription_id, now=now)
        except Exception:  # this account's problem, for the log; the others are told
            logger.exception("unassigned seats notice failed", extra={"sub": subscription_id})
            result["failed"] += 1
    return result


@transaction.atomic(durable=True)
def unassigned_seats_notify(*, subscription_id: int, now: datetime) -> int:
    """One account's notices (the ones not sent yet this period). Returns how many were sent."""
    subscription = Subscription.objects.select_related("account").get(pk=subscription_id)
    account = account_lock(subscription.account)
    subscription = Subscription.objects.prefetch_related("items").get(pk=subscription_id)
    pools = seat_pools_removable_list(account=account)
    sent = 0
    for saving in unassigned_savings(subscription=subscription, pools=pools, now=now):
        _notice, created = UnassignedSeatsNotice.objects.get_or_create(
            account=account,
            seat_type=saving.pool.seat_type,
            period_end=saving.renewal_date,
            defaults={
                "quantity": saving.quantity,
                "saving_cents": saving.saving_cents,
                "currency": saving.currency,
                "sent_at": now,
            },
        )
        if not created:
            continue
        billing_admins_notify(account=account, text=saving.text, now=now)
        audit_record(
            account=account,
            actor=None,
            verb=AuditVerb.SEATS_UNASSIGNED_NOTICE,
            after={
                "seat_type": saving.pool.seat_type,
                "unassigned": saving.quantity,
                "saving": money_format(saving.saving_cents, saving.currency),
                "renewal_on": saving.renewal_date.date().isoformat(),
            },
            now=now,
        )
        sent += 1
    return sent
