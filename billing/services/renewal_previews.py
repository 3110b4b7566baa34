"""What the next renewal will cost, before and after a change: the preview "Remove unassigned
seats" shows before it is confirmed. Nothing is written."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from billing.catalogue import catalogue_get
from billing.models import Subscription
from billing.services.bundles import bundle_renewal_state, plan_period_cents
from seats.pools.selectors import PoolSummary


@dataclass(frozen=True)
class RenewalPreview:
    """The next renewal's charge as things stand (`before_cents`) and with the change."""

    before_cents: int
    after_cents: int
    currency: str
    interval: str
    renewal_date: datetime


def seat_removal_preview(
    *,
    subscription: Subscription,
    pools: Iterable[PoolSummary],
    seat_type: str,
    quantity: int,
) -> RenewalPreview:
    """The next renewal with `quantity` fewer bought seats of `seat_type`.

    The renewal is priced as the renewal job will price it: the plan at renewal (pending
    downgrades, removals and a billing switch applied) and the seats each pool keeps for the
    next period (pending removals applied). `pools` are the account's (seat_pool_summaries), so
    a page showing several previews reads them once.
    """
    plan = bundle_renewal_state(subscription)
    seats = {pool.seat_type: pool.purchased - pool.pending_removal for pool in pools}
    fewer = dict(seats)
    fewer[seat_type] = max(0, seats.get(seat_type, 0) - quantity)

    def cost(purchased: dict[str, int]) -> int:
        return plan_period_cents(
            hubs=plan.hubs, addons=plan.addons, purchased=purchased, interval=plan.interval
        )

    return RenewalPreview(
        before_cents=cost(seats),
        after_cents=cost(fewer),
        currency=catalogue_get().currency,
        interval=plan.interval,
        renewal_date=subscription.current_period_end,
    )
