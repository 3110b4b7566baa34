"""/api/v1/seats and billing: seat counts, seats bought and removed, the subscription and its
invoices."""

from django.utils import timezone

from api.models import ApiScope
from api.schemas import SeatsOut
from api.v1.base import ERRORS, api, needs
from billing.selectors import subscription_live_get
from seats.pools.selectors import seat_pool_summaries

# --- Seats ------------------------------------------------------------------------------------


@api.get(
    "/seats",
    response={200: SeatsOut, **ERRORS},
    **needs(ApiScope.BILLING_READ),
    summary="Seat counts",
    tags=["seats"],
)
def seats_list(request):
    """Each paid seat type: assigned, available, purchased now and at renewal, included,
    pending removal, and the renewal date (as Users & Teams → Seats shows them)."""
    account = request.auth.account
    subscription = subscription_live_get(account=account)
    renewal = timezone.localdate(subscription.current_period_end) if subscription else None
    return {
        "renewal_date": renewal,
        "seats": [
            {
                "seat_type": pool.seat_type,
                "label": pool.label,
                "assigned": pool.assigned,
                "available": pool.available,
                "included": pool.included,
                "purchased": pool.purchased,
                "purchased_at_renewal": pool.purchased - pool.pending_removal,
                "pending_removal": pool.pending_removal,
                "total": pool.total,
                "total_at_renewal": pool.total_at_renewal,
                "renewal_date": renewal,
            }
            for pool in seat_pool_summaries(account=account)
        ],
    }
