"""Every write of "Request a seat": a member on a View-only seat asks for a paid seat, the
admins who add and edit users approve (the seat is assigned in the same transaction) or deny it,
and the member may cancel it while it is open.

Locks: the account's row first, as every seat write (accounts.locks); the seat change then takes
the pool's and the member's; the request row is written last, only while it is still open. Every
writer of a request holds the account's lock, so a request's status can't change under one.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import account_lock, member_lock
from accounts.models import AuditVerb, Membership, MembershipStatus, SeatType
from accounts.notifications import NotificationKind
from accounts.policy import AccountPermission, membership_can
from accounts.services import Notice, NoticeText, audit_record, members_notify, notify
from seats.catalogue import PAID_SEAT_TYPES, SEAT_RULES
from seats.errors import (
    NotEnoughSeats,
    NotEnoughSeatsAtRenewal,
    SeatRequestClosed,
    SeatRequestDuplicate,
    SeatRequestNoSeatLeft,
    SeatRequestOnlyFromViewOnly,
    SeatRequestReasonRequired,
    SeatRequestsNotYours,
    SeatTypeUnavailable,
)
from seats.models import SeatRequest, SeatRequestStatus
from seats.pools.services import seat_eligibility_check
from seats.requests.selectors import seat_request_approvers
from seats.users.services.seat import member_seat_move, seat_change_check

REASON_MAX_LENGTH = 500


def _label(seat_type: str) -> str:
    return str(SEAT_RULES[SeatType(seat_type)].label)


@transaction.atomic(durable=True)
def seat_request_create(
    *, membership: Membership, seat_type: str, reason: str, now: datetime | None = None
) -> SeatRequest:
    """ "Request a seat": ask the admins for a paid seat, saying why. Only from a View-only
    seat, for a type the account's plan enables, once per type while a request is open."""
    now = now or timezone.now()
    membership = member_lock(membership)  # the account's row, then the member's
    if seat_type not in PAID_SEAT_TYPES:
        raise SeatTypeUnavailable(seat=seat_type, field="seat_type")
    if membership.seat_type != SeatType.VIEW_ONLY:
        raise SeatRequestOnlyFromViewOnly(seat=membership.get_seat_type_display())
    label = _label(seat_type)
    try:
        seat_eligibility_check(
            account=membership.account, seat_type=seat_type, emails=[membership.user.email]
        )
    except SeatTypeUnavailable:
        raise SeatTypeUnavailable(seat=label, field="seat_type") from None
    reason = reason.strip()
    if not reason:
        raise SeatRequestReasonRequired()
    seat_request = SeatRequest(
        account=membership.account,
        membership=membership,
        seat_type=seat_type,
        reason=reason[:REASON_MAX_LENGTH],
        created_at=now,
    )
    if SeatRequest.objects.filter(
        membership=membership, seat_type=seat_type, status=SeatRequestStatus.OPEN
    ).exists():
        raise SeatRequestDuplicate(seat=label)
    try:
        # The partial unique index is the last word (the account's lock already queues a
        # second submit behind the first).
        with transaction.atomic():
            seat_request.save(force_insert=True)
    except IntegrityError:
        raise SeatRequestDuplicate(seat=label) from None
    audit_record(
        account=membership.account,
        actor=membership.user,
        verb=AuditVerb.SEAT_REQUESTED,
        target=membership,
        after={"seat_type": seat_type, "reason": seat_request.reason},
        now=now,
    )

    def text() -> str:
        return _("%(name)s asks for a %(seat)s: “%(reason)s”") % {
            "name": membership.display_name,
            "seat": _label(seat_type),
            "reason": seat_request.reason,
        }

    members_notify(
        notices=[
            Notice(
                membership=admin,
                kind=NotificationKind.SEAT_REQUESTS,
                text=text,
                url=reverse("seats:seat_requests"),
            )
            for admin in seat_request_approvers(account=membership.account)
            if admin.pk != membership.pk
        ],
        now=now,
    )
    return seat_request


def _open_request(seat_request: SeatRequest) -> SeatRequest:
    """The request as it is now, with its member; refused unless still open. The caller holds
    the account's lock, which every writer of a request takes."""
    current = SeatRequest.objects.select_related("membership__user", "membership__account").get(
        pk=seat_request.pk
    )
    if current.status != SeatRequestStatus.OPEN:
        raise SeatRequestClosed(status=current.get_status_display().lower())
    return current


def _decider_check(actor_membership: Membership) -> None:
    if not membership_can(actor_membership, AccountPermission.USERS):
        raise SeatRequestsNotYours()


def _close(
    seat_request: SeatRequest, *, status: str, actor, note: str, now: datetime
) -> SeatRequest:
    """Write the decision, only if the request is still open (the account's lock makes sure)."""
    seat_request.status = status
    seat_request.decided_by = actor
    seat_request.decided_at = now
    seat_request.note = note.strip()[:REASON_MAX_LENGTH]
    written = SeatRequest.objects.filter(pk=seat_request.pk, status=SeatRequestStatus.OPEN).update(
        status=status, decided_by=actor, decided_at=now, note=seat_request.note
    )
    if not written:
        raise SeatRequestClosed(status=status)
    return seat_request


def _requester_tell(seat_request: SeatRequest, text: NoticeText, now: datetime) -> None:
    def told() -> str:
        if not seat_request.note:
            return text()
        return _("%(text)s Note: “%(note)s”") % {"text": text(), "note": seat_request.note}

    notify(
        membership=seat_request.membership,
        kind=NotificationKind.SEAT_REQUESTS,
        text=told,
        url=reverse("seats:my_seat"),
        now=now,
    )


def seat_request_approve_check(
    *, seat_request: SeatRequest, actor_membership: Membership
) -> SeatRequest:
    """Raise what would stop this approval, capacity aside, before anything is written or paid
    for ("Buy 1 seat and approve" checks it before charging). In the caller's transaction,
    which holds the account's lock."""
    _decider_check(actor_membership)
    current = _open_request(seat_request)
    if current.membership.status != MembershipStatus.ACTIVE:
        raise SeatRequestClosed(status=current.membership.get_status_display().lower())
    if current.membership.seat_type != current.seat_type:
        seat_change_check(
            membership=current.membership,
            seat_type=current.seat_type,
            actor_membership=actor_membership,
        )
    return current


def seat_request_approve_within(
    *,
    seat_request: SeatRequest,
    actor_membership: Membership,
    note: str = "",
    now: datetime | None = None,
) -> SeatRequest:
    """Approve in the caller's transaction: assign the seat ("Assign a seat"'s own write, under
    the pool's lock), close the request, tell the requester. SeatRequestNoSeatLeft when no seat
    of the type is free."""
    now = now or timezone.now()
    account_lock(seat_request.account_id)
    current = seat_request_approve_check(
        seat_request=seat_request, actor_membership=actor_membership
    )
    label = _label(current.seat_type)
    try:
        member_seat_move(
            membership=current.membership,
            seat_type=current.seat_type,
            actor_membership=actor_membership,
            now=now,
        )
    except NotEnoughSeatsAtRenewal:
        raise
    except NotEnoughSeats:
        raise SeatRequestNoSeatLeft(seat=label, name=current.membership.display_name) from None
    _close(
        current,
        status=SeatRequestStatus.APPROVED,
        actor=actor_membership.user,
        note=note,
        now=now,
    )
    audit_record(
        account=current.account,
        actor=actor_membership.user,
        verb=AuditVerb.SEAT_REQUEST_APPROVED,
        target=current.membership,
        after={"seat_type": current.seat_type, "note": current.note},
        now=now,
    )
    _requester_tell(
        current,
        lambda: (
            _("Your request for a %(seat)s in %(account)s was approved: the seat is yours.")
            % {"seat": _label(current.seat_type), "account": current.account.name}
        ),
        now,
    )
    return current


@transaction.atomic(durable=True)
def seat_request_approve(
    *,
    seat_request: SeatRequest,
    actor_membership: Membership,
    note: str = "",
    now: datetime | None = None,
) -> SeatRequest:
    """ "Approve": assign the requested seat from those available, or refuse with
    SeatRequestNoSeatLeft (a billing admin may then buy one and approve:
    billing.services.seat_requests)."""
    return seat_request_approve_within(
        seat_request=seat_request, actor_membership=actor_membership, note=note, now=now
    )


@transaction.atomic(durable=True)
def seat_request_deny(
    *,
    seat_request: SeatRequest,
    actor_membership: Membership,
    note: str = "",
    now: datetime | None = None,
) -> SeatRequest:
    """ "Deny", with an optional note for the requester. Nothing else changes."""
    now = now or timezone.now()
    account_lock(seat_request.account_id)
    _decider_check(actor_membership)
    current = _open_request(seat_request)
    _close(
        current, status=SeatRequestStatus.DENIED, actor=actor_membership.user, note=note, now=now
    )
    audit_record(
        account=current.account,
        actor=actor_membership.user,
        verb=AuditVerb.SEAT_REQUEST_DENIED,
        target=current.membership,
        after={"seat_type": current.seat_type, "note": current.note},
        now=now,
    )
    _requester_tell(
        current,
        lambda: (
            _("Your request for a %(seat)s in %(account)s was denied.")
            % {"seat": _label(current.seat_type), "account": current.account.name}
        ),
        now,
    )
    return current


@transaction.atomic(durable=True)
def seat_request_cancel(
    *, seat_request: SeatRequest, membership: Membership, now: datetime | None = None
) -> SeatRequest:
    """ "Cancel request": the requester withdraws an open request of their own."""
    now = now or timezone.now()
    account_lock(seat_request.account_id)
    current = _open_request(seat_request)
    if current.membership_id != membership.pk:
        raise SeatRequestsNotYours()
    _close(current, status=SeatRequestStatus.CANCELLED, actor=membership.user, note="", now=now)
    audit_record(
        account=current.account,
        actor=membership.user,
        verb=AuditVerb.SEAT_REQUEST_CANCELLED,
        target=current.membership,
        before={"seat_type": current.seat_type},
        now=now,
    )
    return current
