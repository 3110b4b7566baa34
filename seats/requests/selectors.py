"""Reads of seat requests: the Users & Teams list, its tab's count, a member's own requests, and
who decides them. Each list is a fixed number of queries, however many requests there are."""

from django.db.models import Q, QuerySet

from accounts.models import Account, Membership, MembershipStatus, SeatType
from accounts.policy import ON, AccountPermission
from accounts.prepared import PreparedRead
from seats.catalogue import PERMISSIONS, SEAT_RULES, seat_ceiling
from seats.models import SeatPool, SeatRequest, SeatRequestStatus

# How many decided requests the list shows under the open ones (the Audit log keeps them all).
RECENTLY_DECIDED = 20


def seat_request_approvers(*, account: Account) -> QuerySet[Membership]:
    """Who decides seat requests: active super admins and holders of "Add and edit users"."""
    holds_users = Q(**{f"permissions__{AccountPermission.USERS}": ON})
    return (
        Membership.objects.filter(account=account, status=MembershipStatus.ACTIVE)
        .filter(Q(is_super_admin=True) | holds_users)
        .select_related("user", "account")
        .order_by("pk")
    )


# Counted on every page the navigation draws: compiled once per connection.
_open_requests = PreparedRead(
    lambda account_id, status: SeatRequest.objects.filter(account_id=account_id, status=status),
    count=True,
)


def seat_requests_open_count(*, account: Account) -> int:
    return _open_requests(account.pk, SeatRequestStatus.OPEN)


def seat_requests_open(*, account: Account) -> QuerySet[SeatRequest]:
    """The open requests, oldest first (first asked, first answered), with the requester."""
    return (
        SeatRequest.objects.filter(account=account, status=SeatRequestStatus.OPEN)
        .select_related("membership__user", "membership__account")
        .order_by("created_at", "pk")
    )


def seat_requests_decided(*, account: Account) -> list[SeatRequest]:
    """The latest decided (or cancelled) requests, newest first, with who decided."""
    return list(
        SeatRequest.objects.filter(account=account)
        .exclude(status=SeatRequestStatus.OPEN)
        .select_related("membership__user", "membership__account", "decided_by")
        .order_by("-decided_at", "-pk")[:RECENTLY_DECIDED]
    )


def seat_request_get(*, account: Account, request_id: int) -> SeatRequest | None:
    """A request of this account (None for another account's id: the page answers 404)."""
    return (
        SeatRequest.objects.filter(account=account, pk=request_id)
        .select_related("membership__user", "membership__account")
        .first()
    )


def member_seat_requests(*, membership: Membership, limit: int = 10) -> list[SeatRequest]:
    """A member's own latest requests, newest first."""
    return list(
        SeatRequest.objects.filter(membership=membership)
        .select_related("decided_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def requestable_seat_types(*, account: Account) -> list[tuple[str, str]]:
    """The paid seat types a member may ask for: those the account's plan enables now and
    keeps at the renewal date, in the catalogue's order (Core, Sales, Service)."""
    enabled = set(
        SeatPool.objects.filter(
            account=account, enabled=True, enabled_at_renewal=True, ending=False
        ).values_list("seat_type", flat=True)
    )
    return [
        (seat, str(SEAT_RULES[seat].label))
        for seat in (SeatType.CORE, SeatType.SALES, SeatType.SERVICE)
        if seat in enabled
    ]


def seat_features(*, seat_type: str, offered: list[tuple[str, str]]) -> list[dict]:
    """The paid seats a member sees on "Your seat": each seat type the account offers, what it
    allows, the tools only it unlocks, and whether the member's seat includes them."""
    ceiling = seat_ceiling(seat_type)
    features = []
    for code, label in offered:
        tools = [p for p in PERMISSIONS if p.requires == code]
        features.append(
            {
                "seat_type": code,
                "label": label,
                "description": SEAT_RULES[SeatType(code)].description,
                "tools": [str(p.label) for p in tools],
                "held": seat_type == code,
                # Core's own tools are everyone's on a paid seat: "included" means this seat's
                # tools reach above their lowest level (for Core: the member holds a paid seat).
                "included": (
                    all(ceiling[p.code] != p.lowest for p in tools)
                    if tools
                    else seat_type in (SeatType.CORE, SeatType.SALES, SeatType.SERVICE)
                ),
            }
        )
    return features
