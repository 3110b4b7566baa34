"""/api/v1/seats and billing: seat counts, seats bought and removed, the subscription and its
invoices. Thin over the pages' own services (billing.services.purchases, .removals,
.renewal_previews) and selectors: every price, limit and refusal is theirs."""

import base64
import binascii
import hashlib
import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from ninja import Field, Header, Query, Schema, Status
from ninja.errors import ValidationError

from accounts.models import Account
from api.models import ApiScope
from api.problems import Problem, problem_response
from api.schemas import NO_NUL, SeatPoolOut, SeatsOut
from api.services import Answer
from api.v1.base import ERRORS, Caller, api, idempotent_post, needs
from billing.errors import NoPendingRemoval, NoSubscription
from billing.models import Invoice, ItemKind, Subscription
from billing.selectors import (
    invoices_list,
    seat_pool_summary_get,
    subscription_live_get,
    subscription_plan_rows,
)
from billing.services.purchases import (
    MAX_SEATS_PER_PURCHASE,
    seats_purchase,
    seats_purchase_quote,
)
from billing.services.removals import seat_removal_cancel, seat_removal_schedule
from billing.services.renewal_previews import seat_removal_preview
from seats.catalogue import PAID_SEAT_TYPES
from seats.models import SeatPool
from seats.pools.selectors import PoolSummary, seat_pool_summaries

PaidSeatCode = Literal[tuple(t.value for t in PAID_SEAT_TYPES)]  # type: ignore[valid-type]


# --- Schemas ----------------------------------------------------------------------------------


class SeatsPurchaseIn(Schema):
    seat_type: PaidSeatCode
    quantity: int = Field(ge=1, le=MAX_SEATS_PER_PURCHASE)


class PurchaseQuoteOut(Schema):
    seat_type: PaidSeatCode
    seat_label: str
    quantity: int
    unit_period_cents: int = Field(description="One seat for a whole billing period.")
    period_cents: int = Field(description="The seats for a whole billing period.")
    amount_cents: int = Field(description="Charged now: the seats prorated to the renewal date.")
    currency: str
    interval: str
    period_start: datetime
    period_end: datetime


class InvoiceLineOut(Schema):
    description: str
    quantity: int
    unit_cents: int
    amount_cents: int


class InvoiceOut(Schema):
    id: int
    number: str
    kind: str = Field(description="purchase, renewal or checkout.")
    status: str = Field(
        description="paid, open (a renewal not paid yet), needs_authentication (the bank asks the "
        "card holder first: nothing granted yet) or void (refused or abandoned: nothing taken)."
    )
    total_cents: int
    currency: str
    created_at: datetime
    paid_at: datetime | None
    period_start: datetime
    period_end: datetime
    lines: list[InvoiceLineOut]


class PurchaseOut(Schema):
    invoice: InvoiceOut
    seats: SeatPoolOut = Field(description="The seat type's counts once the seats were bought.")


class SeatsRemovalIn(Schema):
    seat_type: PaidSeatCode
    quantity: int = Field(ge=1, le=MAX_SEATS_PER_PURCHASE)


class RenewalOut(Schema):
    amount_cents: int = Field(description="The next renewal's charge as things stand now.")
    currency: str
    interval: str
    renewal_date: date


class RemovalOut(Schema):
    id: int = Field(description="The removal's id: its seat type's pool (one removal per type).")
    seat_type: PaidSeatCode
    label: str
    quantity: int = Field(description="Bought seats the renewal takes away.")
    purchased: int = Field(description="Paid seats now.")
    purchased_at_renewal: int
    effective_on: date = Field(description="The renewal date.")


class RemovalScheduled(Schema):
    removal: RemovalOut
    next_renewal: RenewalOut | None


class RemovalsOut(Schema):
    removals: list[RemovalOut]


class HubOut(Schema):
    hub: str
    name: str
    tier: str
    tier_label: str
    tier_at_renewal: str | None = Field(description="A downgrade at the renewal date, if any.")
    removed_at_renewal: bool


class AddonOut(Schema):
    addon: str
    name: str
    quantity: int
    quantity_at_renewal: int | None
    removed_at_renewal: bool


class SubscriptionOut(Schema):
    status: str = Field(description="active or past_due.")
    interval: str
    interval_at_renewal: str | None
    current_period_start: datetime
    current_period_end: datetime
    renewal_date: date
    auto_renew: bool = Field(description="False: the subscription ends at the renewal date.")
    hubs: list[HubOut]
    addons: list[AddonOut]
    next_renewal: RenewalOut | None = Field(description="None when it does not renew.")


class InvoicePage(Schema):
    invoices: list[InvoiceOut]
    next_cursor: str | None


# --- What several answers share ---------------------------------------------------------------


def _renewal_date(subscription: Subscription | None) -> date | None:
    return timezone.localdate(subscription.current_period_end) if subscription else None


def _pool_out(pool: PoolSummary, renewal: date | None) -> dict[str, Any]:
    return {
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


def _invoice_out(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "kind": invoice.kind,
        "status": invoice.status,
        "total_cents": invoice.total_cents,
        "currency": invoice.currency,
        "created_at": invoice.created_at,
        "paid_at": invoice.paid_at,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_cents": line.unit_cents,
                "amount_cents": line.amount_cents,
            }
            for line in invoice.lines.all()
        ],
    }


def _next_renewal(
    subscription: Subscription | None, pools: list[PoolSummary]
) -> dict[str, Any] | None:
    """The next renewal's charge as "Remove unassigned seats" previews it (removing nothing),
    or None: no subscription, or one that ends at the renewal date."""
    if subscription is None or subscription.cancel_at_period_end:
        return None
    preview = seat_removal_preview(
        subscription=subscription,
        pools=pools,
        seat_type=pools[0].seat_type if pools else PAID_SEAT_TYPES[0],
        quantity=0,
    )
    return {
        "amount_cents": preview.before_cents,
        "currency": preview.currency,
        "interval": preview.interval,
        "renewal_date": timezone.localdate(preview.renewal_date),
    }


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
    renewal = _renewal_date(subscription_live_get(account=account))
    return {
        "renewal_date": renewal,
        "seats": [_pool_out(pool, renewal) for pool in seat_pool_summaries(account=account)],
    }


def _purchase_key(caller: Caller, idempotency_key: str) -> str:
    """The invoice's own idempotency key for this caller's Idempotency-Key: two callers sending
    the same value never meet, and a page's form key (a bare UUID) never looks like one."""
    digest = hashlib.sha256(f"{caller}\n{idempotency_key}".encode()).hexdigest()
    return f"api:{digest[:60]}"


@api.post(
    "/seats/purchases",
    response={200: PurchaseQuoteOut, 201: PurchaseOut, 409: Problem, **ERRORS},
    **needs(ApiScope.BILLING_WRITE),
    summary="Buy seats",
    tags=["seats"],
)
def seats_purchases_create(
    request,
    payload: SeatsPurchaseIn,
    dry_run: bool = Query(
        False, description="true: answer 200 with the price, charge and change nothing."
    ),
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=NO_NUL,
        description="Required to buy: a new value for each new purchase; a retry with the same "
        "one gets the first answer and is never charged twice. A dry run ignores it.",
    ),
):
    """ "Add seats" → "Buy now": charge the card on file for the seats prorated to the renewal
    date (one invoice) and add them to the pool at once; 201 with the invoice and the seat
    type's new counts. `?dry_run=true` answers 200 with the price the page shows and writes
    nothing (no Idempotency-Key needed: there is nothing to replay). No plan, no card, a
    declined card, seats the plan doesn't sell: a 409 problem, nothing charged or changed."""
    caller: Caller = request.auth
    if dry_run:
        quote = seats_purchase_quote(
            account=caller.account,
            seat_type=payload.seat_type,
            quantity=payload.quantity,
            now=timezone.now(),
        )
        return Status(200, asdict(quote))
    if idempotency_key is None:
        raise ValidationError(
            [
                {
                    "loc": ("header", "Idempotency-Key"),
                    "msg": "Required to buy (not for ?dry_run=true).",
                }
            ]
        )
    body = payload.model_dump(mode="json")

    def answer(invoice: Invoice) -> Answer:
        subscription = subscription_live_get(account=caller.account)
        pool = seat_pool_summary_get(account=caller.account, seat_type=payload.seat_type)
        out = PurchaseOut(
            invoice=InvoiceOut(**_invoice_out(invoice)),
            seats=SeatPoolOut(**_pool_out(pool, _renewal_date(subscription))),
        )
        return Answer(201, out.model_dump(mode="json"))

    def change(commit_with) -> None:
        seats_purchase(
            account=caller.account,
            seat_type=payload.seat_type,
            quantity=payload.quantity,
            idempotency_key=_purchase_key(caller, idempotency_key),
            actor=caller.membership.user,
            commit_with=commit_with,
        )

    return idempotent_post(
        caller,
        operation="POST /seats/purchases",
        idempotency_key=idempotency_key,
        body=body,
        change=change,
        answer=answer,
    )


# --- Removals ---------------------------------------------------------------------------------
#
# A removal's id is the id of its seat type's pool: a seat type has at most one pending removal
# (scheduling more adds to it, "Cancel this removal" cancels all of it), and a removal has no
# row of its own (it is the pool's purchased seats minus those kept for the next period). The
# id stays the same when a removal is cancelled and another scheduled.


def _removal_out(pool: PoolSummary, pool_id: int, subscription: Subscription) -> dict[str, Any]:
    return {
        "id": pool_id,
        "seat_type": pool.seat_type,
        "label": pool.label,
        "quantity": pool.pending_removal,
        "purchased": pool.purchased,
        "purchased_at_renewal": pool.purchased - pool.pending_removal,
        "effective_on": timezone.localdate(subscription.current_period_end),
    }


def _pool_ids(account: Account) -> dict[str, int]:
    return dict(SeatPool.objects.filter(account=account).values_list("seat_type", "pk"))


@api.get(
    "/seats/removals",
    response={200: RemovalsOut, **ERRORS},
    **needs(ApiScope.BILLING_READ),
    summary="Pending seat removals",
    tags=["seats"],
)
def seats_removals_list(request):
    """Bought seats to be removed at the renewal date, one removal per seat type (its id is the
    seat type's pool's: DELETE /seats/removals/{id} cancels it). None without a subscription."""
    account = request.auth.account
    subscription = subscription_live_get(account=account)
    if subscription is None:
        return {"removals": []}
    ids = _pool_ids(account)
    return {
        "removals": [
            _removal_out(pool, ids[pool.seat_type], subscription)
            for pool in seat_pool_summaries(account=account)
            if pool.pending_removal
        ]
    }


@api.post(
    "/seats/removals",
    response={201: RemovalScheduled, 409: Problem, **ERRORS},
    **needs(ApiScope.BILLING_WRITE),
    summary="Remove unassigned seats at renewal",
    tags=["seats"],
)
def seats_removals_create(request, payload: SeatsRemovalIn):
    """ "Remove unassigned seats": `quantity` more bought seats of the type go at the renewal
    date; nothing changes now. 201 with the type's pending removal (all of it, with any
    scheduled before) and what the next renewal will cost. More than may be removed (seats
    assigned, or included with the plan) or no subscription: a 409 problem.

    Not idempotent: each call removes `quantity` more; read GET /seats/removals before a
    retry."""
    caller: Caller = request.auth
    with caller.attributed():
        seat_removal_schedule(
            account=caller.account,
            seat_type=payload.seat_type,
            quantity=payload.quantity,
            actor=caller.membership.user,
        )
    subscription = subscription_live_get(account=caller.account)
    pools = seat_pool_summaries(account=caller.account)
    pool = next(p for p in pools if p.seat_type == payload.seat_type)
    return Status(
        201,
        {
            "removal": _removal_out(pool, _pool_ids(caller.account)[pool.seat_type], subscription),
            "next_renewal": _next_renewal(subscription, pools),
        },
    )


@api.delete(
    "/seats/removals/{removal_id}",
    response={204: None, 404: Problem, **ERRORS},
    **needs(ApiScope.BILLING_WRITE),
    summary="Cancel a seat removal",
    tags=["seats"],
)
def seats_removal_cancel(request, removal_id: int):
    """ "Cancel this removal": the next period keeps every seat of the type. 404 when there is
    no pending removal with this id (never scheduled, already cancelled or done, another
    account's)."""
    caller: Caller = request.auth
    pool = SeatPool.objects.filter(account=caller.account, pk=removal_id).first()
    if pool is None:
        raise Http404
    try:
        with caller.attributed():
            seat_removal_cancel(
                account=caller.account, seat_type=pool.seat_type, actor=caller.membership.user
            )
    except NoPendingRemoval:
        raise Http404 from None
    return Status(204, None)


# --- The subscription and its invoices --------------------------------------------------------


@api.get(
    "/subscription",
    response={200: SubscriptionOut, 404: Problem, **ERRORS},
    **needs(ApiScope.BILLING_READ),
    summary="The subscription",
    tags=["billing"],
)
def subscription_get(request):
    """Account & Billing → "Subscriptions": the hubs and add-ons with their changes pending for
    the renewal date, the billing interval, the current period, whether it renews and what the
    renewal will cost. No live subscription: a 404 problem (`no_subscription`)."""
    account = request.auth.account
    subscription = subscription_live_get(account=account)
    if subscription is None:
        return problem_response(404, code=NoSubscription.code, detail=str(NoSubscription()))
    rows = subscription_plan_rows(subscription)
    return {
        "status": subscription.status,
        "interval": subscription.interval,
        "interval_at_renewal": subscription.interval_at_renewal or None,
        "current_period_start": subscription.current_period_start,
        "current_period_end": subscription.current_period_end,
        "renewal_date": _renewal_date(subscription),
        "auto_renew": not subscription.cancel_at_period_end,
        "hubs": [
            {
                "hub": row.item.product,
                "name": row.name,
                "tier": row.item.tier,
                "tier_label": row.now,
                "tier_at_renewal": row.item.tier_at_renewal or None,
                "removed_at_renewal": row.item.remove_at_renewal,
            }
            for row in rows
            if row.item.kind == ItemKind.HUB
        ],
        "addons": [
            {
                "addon": row.item.product,
                "name": row.name,
                "quantity": row.item.quantity,
                "quantity_at_renewal": row.item.quantity_at_renewal,
                "removed_at_renewal": row.item.remove_at_renewal,
            }
            for row in rows
            if row.item.kind == ItemKind.ADDON
        ],
        "next_renewal": _next_renewal(subscription, seat_pool_summaries(account=account)),
    }


def _invoice_cursor(invoice: Invoice) -> str:
    raw = json.dumps([invoice.created_at.isoformat(), invoice.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _invoices_after(invoices: QuerySet[Invoice], cursor: str) -> QuerySet[Invoice]:
    """The invoices after the cursor's, newest first (keyset: a new invoice shifts nothing)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, pk = json.loads(raw)
        if not isinstance(created, str) or type(pk) is not int or not 0 < pk < 2**63:
            raise ValueError
        at = datetime.fromisoformat(created)
        if at.tzinfo is None:
            raise ValueError
        at = at.astimezone(UTC)  # out of range here, not in the database
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError):
        raise ValidationError(
            [{"loc": ("query", "cursor"), "msg": "Not a cursor of this list."}]
        ) from None
    return invoices.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))


@api.get(
    "/invoices",
    response={200: InvoicePage, **ERRORS},
    **needs(ApiScope.BILLING_READ),
    summary="List invoices",
    tags=["billing"],
)
def invoices_get(
    request,
    cursor: str | None = Query(None, max_length=200, pattern=NO_NUL),
    limit: int = Query(25, ge=1, le=100),
):
    """Account & Billing → "Invoices": newest first with their lines, a page at a time. Pages
    follow `next_cursor`; an invoice added meanwhile shifts nothing already read."""
    invoices = invoices_list(account=request.auth.account).prefetch_related("lines")
    if cursor:
        invoices = _invoices_after(invoices, cursor)
    rows = list(invoices[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "invoices": [_invoice_out(invoice) for invoice in rows],
        "next_cursor": _invoice_cursor(rows[-1]) if more else None,
    }
