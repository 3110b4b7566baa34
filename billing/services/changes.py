"""What waits for the renewal date, and the auto-renewal: cancelling a pending change,
switching monthly/annual at renewal, cancelling and resuming auto-renewal.

Auto-renewal can't be cancelled while paid seats are assigned (the people are named), and no
paid seat can be assigned while it is cancelled.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import account_lock
from accounts.models import Account, AuditVerb, User
from accounts.services import audit_record
from accounts.text import day
from billing.errors import NoPendingChange, NoSubscription, PaidSeatsAssigned
from billing.models import (
    Subscription,
    SubscriptionItem,
)
from billing.periods import BillingInterval
from billing.selectors import paid_seat_holders, subscription_live_get
from billing.services.subscriptions import subscription_pools_sync
from seats.pools.services import billing_admins_notify, seat_pools_ending_set

# --- Pending changes, auto-renewal and the billing interval ---------------------------------------


def _live_locked(account: Account) -> tuple[Account, Subscription]:
    # The account lock first, as every billing write: then the subscription row.
    account = account_lock(account)
    subscription = subscription_live_get(account=account)
    if subscription is None:
        raise NoSubscription()
    return account, Subscription.objects.select_for_update().get(pk=subscription.pk)


@transaction.atomic(durable=True)
def subscription_change_cancel(
    *, account: Account, item_id: int, actor: User, now: datetime | None = None
) -> SubscriptionItem:
    """ "Cancel this change": the item renews as it is now (no downgrade, no removal)."""
    now = now or timezone.now()
    account, subscription = _live_locked(account)
    item = SubscriptionItem.objects.filter(subscription=subscription, pk=item_id).first()
    if item is None or not item.has_pending_change:
        raise NoPendingChange()
    before = {
        "tier_at_renewal": item.tier_at_renewal,
        "quantity_at_renewal": item.quantity_at_renewal,
        "remove_at_renewal": item.remove_at_renewal,
    }
    item.tier_at_renewal, item.quantity_at_renewal, item.remove_at_renewal = "", None, False
    item.save(update_fields=["tier_at_renewal", "quantity_at_renewal", "remove_at_renewal"])
    subscription_pools_sync(account=account, subscription=subscription, actor=actor, now=now)
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.SUBSCRIPTION_CHANGED,
        before={"product": item.product, **before},
        after={"product": item.product, "pending": None},
        now=now,
    )
    return item


@transaction.atomic(durable=True)
def subscription_interval_switch(
    *, account: Account, interval: str, actor: User, now: datetime | None = None
) -> Subscription:
    """Monthly ↔ annual from the renewal date on; asking for the current one cancels a switch."""
    now = now or timezone.now()
    interval = BillingInterval(interval)
    account, subscription = _live_locked(account)
    before = subscription.interval_at_renewal
    subscription.interval_at_renewal = "" if interval == subscription.interval else interval
    subscription.save(update_fields=["interval_at_renewal"])
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.SUBSCRIPTION_CHANGED,
        before={"interval_at_renewal": before},
        after={"interval_at_renewal": subscription.interval_at_renewal},
        now=now,
    )
    return subscription


@transaction.atomic(durable=True)
def auto_renewal_cancel(
    *, account: Account, actor: User, now: datetime | None = None
) -> Subscription:
    """ "Cancel auto-renewal": the subscription ends at the period end, with no charge.

    Refused while anyone holds a paid seat (they are named). Can be resumed until then.
    """
    now = now or timezone.now()
    account, subscription = _live_locked(account)
    holders = paid_seat_holders(account=account)
    if holders:
        raise PaidSeatsAssigned(count=len(holders), people=", ".join(holders), names=holders)
    if not subscription.cancel_at_period_end:
        subscription.cancel_at_period_end = True
        subscription.save(update_fields=["cancel_at_period_end"])
        seat_pools_ending_set(account=account, ending=True)
        audit_record(
            account=account,
            actor=actor,
            verb=AuditVerb.SUBSCRIPTION_CHANGED,
            before={"auto_renewal": True},
            after={"auto_renewal": False, "ends": subscription.current_period_end.isoformat()},
            now=now,
        )
        billing_admins_notify(
            account=account,
            text=lambda: (
                _("%(who)s cancelled auto-renewal: the subscription ends on %(date)s.")
                % {
                    "who": actor.display_name,
                    "date": day(subscription.current_period_end),
                }
            ),
            now=now,
        )
    return subscription


@transaction.atomic(durable=True)
def auto_renewal_resume(
    *, account: Account, actor: User, now: datetime | None = None
) -> Subscription:
    """Resume auto-renewal before the period ends: the subscription renews as usual."""
    now = now or timezone.now()
    account, subscription = _live_locked(account)
    if subscription.cancel_at_period_end:
        subscription.cancel_at_period_end = False
        subscription.save(update_fields=["cancel_at_period_end"])
        seat_pools_ending_set(account=account, ending=False)
        audit_record(
            account=account,
            actor=actor,
            verb=AuditVerb.SUBSCRIPTION_CHANGED,
            before={"auto_renewal": False},
            after={"auto_renewal": True},
            now=now,
        )
        billing_admins_notify(
            account=account,
            text=lambda: _("%(who)s resumed auto-renewal.") % {"who": actor.display_name},
            now=now,
        )
    return subscription
