"""/api/v1/seats and billing in the matrix."""

from django.utils import timezone

from accounts.models import Membership, SeatType
from api.models import ApiScope
from billing.services.cards import card_save
from billing.services.removals import seat_removal_schedule
from tests.api.operations import Operation


def a_card(owner: Membership) -> dict[str, int]:
    """A card on file in the owner's account, for a purchase to be charged on."""
    card_save(
        account=owner.account,
        number="4242 4242 4242 4242",
        exp_month=12,
        exp_year=timezone.now().year + 3,
        cvc="123",
        actor=owner.user,
    )
    return {}


def a_removal(owner: Membership) -> dict[str, int]:
    """One bought Core seat of the owner's account scheduled for removal (its pool's id)."""
    pool = seat_removal_schedule(
        account=owner.account, seat_type=SeatType.CORE, quantity=1, actor=owner.user
    )
    return {"removal": pool.pk}


OPERATIONS = [
    Operation("GET", "/api/v1/seats", ApiScope.BILLING_READ, 200),
    Operation(
        "POST",
        "/api/v1/seats/purchases",
        ApiScope.BILLING_WRITE,
        201,
        ids=a_card,
        body=lambda n: {"seat_type": "core", "quantity": 1},
        idempotent=True,
    ),
    Operation("GET", "/api/v1/seats/removals", ApiScope.BILLING_READ, 200),
    Operation(
        "POST",
        "/api/v1/seats/removals",
        ApiScope.BILLING_WRITE,
        201,
        body=lambda n: {"seat_type": "core", "quantity": 1},
    ),
    Operation(
        "DELETE", "/api/v1/seats/removals/{removal}", ApiScope.BILLING_WRITE, 204, ids=a_removal
    ),
    Operation("GET", "/api/v1/subscription", ApiScope.BILLING_READ, 200),
    Operation("GET", "/api/v1/invoices", ApiScope.BILLING_READ, 200),
]
