"""“Buy 1 <type> seat and approve”: a seat request approved together with the seat bought for it.

When no seat of the requested type is left, a billing admin buys one through "Add seats"
(seats_purchase) and the request is approved in the purchase's own transaction, after the charge
succeeded: a declined card rolls back and approves nothing, and what would refuse the approval
(the request was decided or cancelled meanwhile, the seat can't be given) is checked under the
account's lock before the card is charged.

When the bank asks the billing admin to authenticate the payment, the purchase waits ("needs
authentication") and keeps the request and its approver with what it grants: once the provider
confirms the money (billing.services.payments, once) the seat is added and the request approved
(`seat_request_approve_paid`), unless it can no longer be (decided or cancelled meanwhile): the
seat bought stays, and the approver is told.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.errors import DomainError
from accounts.models import Membership
from billing.models import Invoice, InvoiceStatus
from billing.services.purchases import seats_purchase
from seats.models import SeatRequest, SeatRequestStatus
from seats.requests.services import seat_request_approve_check, seat_request_approve_within


def seat_request_buy_and_approve(
    *,
    seat_request: SeatRequest,
    actor_membership: Membership,
    idempotency_key: str,
    now: datetime | None = None,
) -> Invoice:
    """Buy one seat of the request's type and approve the request; the purchase's invoice.

    A double submit (the same idempotency key) returns the first invoice and changes nothing.
    """
    now = now or timezone.now()

    def check() -> None:
        seat_request_approve_check(seat_request=seat_request, actor_membership=actor_membership)

    def approve(invoice: Invoice) -> None:
        # A payment the bank must confirm first grants nothing yet: the request stays open, to
        # be approved with the seat once the money is confirmed (seat_request_approve_paid).
        if invoice.status != InvoiceStatus.PAID:
            return
        # A replay of a purchase that already approved the request finds it closed.
        if SeatRequest.objects.filter(pk=seat_request.pk, status=SeatRequestStatus.OPEN).exists():
            seat_request_approve_within(
                seat_request=seat_request, actor_membership=actor_membership, now=now
            )

    return seats_purchase(
        account=seat_request.account,
        seat_type=seat_request.seat_type,
        quantity=1,
        idempotency_key=idempotency_key,
        actor=actor_membership.user,
        now=now,
        check_first=check,
        commit_with=approve,
        grant_with={"seat_request": seat_request.pk, "approver": actor_membership.pk},
    )


def seat_request_approve_paid(*, invoice: Invoice, now: datetime) -> str:
    """Approve the request a purchase that waited for the bank was made for, now that its seat
    was granted: "approved", or "not_approved" when the request can no longer be approved (it
    was decided or cancelled meanwhile, the approver lost the right, the person can't take the
    seat): the seat bought stays. In the caller's transaction, under the account's lock."""
    grant = invoice.grant
    seat_request = SeatRequest.objects.filter(
        pk=grant["seat_request"], account=invoice.account_id
    ).first()
    approver = (
        Membership.objects.filter(pk=grant["approver"], account=invoice.account_id)
        .select_related("user", "account")
        .first()
    )
    if seat_request is None or approver is None:
        return "not_approved"
    try:
        # A savepoint: a refusal undoes the approval's writes, never the seat paid for.
        with transaction.atomic():
            seat_request_approve_within(
                seat_request=seat_request, actor_membership=approver, now=now
            )
    except DomainError:
        return "not_approved"
    return "approved"
