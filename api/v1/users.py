"""/api/v1/users: the Users tab for scripts (list, one user, Create user in a batch, change,
deactivate, reactivate, remove, the invitation resent or revoked)."""

import base64
import binascii
import json
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from ninja import Header, Query, Status
from ninja.errors import ValidationError

from accounts.models import Membership
from api.models import ApiScope
from api.problems import Problem
from api.schemas import (
    NO_NUL,
    SeatCode,
    SortCode,
    StatusCode,
    UserOut,
    UserPage,
    UsersCreated,
    UsersCreateIn,
)
from api.services import Answer, idempotent
from api.v1.base import ERRORS, Caller, api, needs
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from seats.permissions.choice import AccessChoice
from seats.users.selectors import SORTS, DirectoryFilters, member_directory

# --- Users ------------------------------------------------------------------------------------


def _user_out(member: Membership, now) -> dict[str, Any]:
    state = member.invitation_state_at(now)
    return {
        "id": member.pk,
        "email": member.user.email,
        "name": member.display_name,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "status": member.status,
        "seat_type": member.seat_type,
        "is_super_admin": member.is_super_admin,
        "access": member.access,
        "permission_set_id": member.permission_set_id,
        "permission_template": member.permission_template,
        "main_team": (
            {"id": member.main_team.pk, "name": member.main_team.name} if member.main_team else None
        ),
        "extra_teams": [{"id": t.pk, "name": t.name} for t in member.extra_teams.all()],
        "invitation_state": state.value if state else None,
        "last_active_at": member.last_active_at,
        "created_at": member.created_at,
    }


def _columns(sort: str) -> tuple[str, ...]:
    # The Users tab's sort columns, then the id: a total order, so a cursor names one place.
    return (*SORTS[sort.lstrip("-")], "id")


def _cursor_encode(sort: str, member: Membership) -> str:
    values = []
    for column in _columns(sort):
        obj: Any = member
        for part in column.split("__"):
            obj = getattr(obj, part)
        values.append(obj)
    raw = json.dumps([sort, values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_after(members: QuerySet, sort: str, cursor: str) -> QuerySet:
    """The rows after the cursor's, in the sort's order (keyset: stable under inserts)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, values = json.loads(raw)
        columns = _columns(sort)
        if cursor_sort != sort or len(values) != len(columns):
            raise ValueError
        if not isinstance(values[-1], int) or not all(isinstance(v, str) for v in values[:-1]):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationError(
            [{"loc": ("query", "cursor"), "msg": "Not a cursor of this list and sort."}]
        ) from None
    op = "lt" if sort.startswith("-") else "gt"
    after = Q()
    for i, column in enumerate(columns):
        step = Q(**{f"{column}__{op}": values[i]})
        for earlier, value in zip(columns[:i], values[:i], strict=False):
            step &= Q(**{earlier: value})
        after |= step
    return members.filter(after)


@api.get(
    "/users",
    response={200: UserPage, **ERRORS},
    **needs(ApiScope.USERS_READ),
    summary="List users",
    tags=["users"],
)
def users_list(
    request,
    status: StatusCode | None = None,
    seat: SeatCode | None = None,
    q: str = Query("", max_length=200, pattern=NO_NUL, description="Words of the name or email."),
    sort: SortCode = "name",
    cursor: str | None = Query(None, max_length=2000, pattern=NO_NUL),
    limit: int = Query(50, ge=1, le=100),
):
    """The Users tab's list: filtered by status, seat and a search, sorted, a page at a time.
    Pages follow `next_cursor`; a user added meanwhile shifts nothing already read."""
    now = timezone.now()
    filters = DirectoryFilters(
        q=q,
        seat_type=seat or "",
        status=status or "",
        sort=sort.lstrip("-"),
        descending=sort.startswith("-"),
    )
    members = member_directory(account=request.auth.account, filters=filters, now=now)
    if cursor:
        members = _cursor_after(members, sort, cursor)
    rows = list(members[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "users": [_user_out(m, now) for m in rows],
        "next_cursor": _cursor_encode(sort, rows[-1]) if more else None,
    }


def _member_get(account, member_id: int) -> Membership:
    filters = DirectoryFilters()
    member = (
        member_directory(account=account, filters=filters, now=timezone.now())
        .filter(pk=member_id)
        .first()
    )
    if member is None:
        raise Http404
    return member


@api.get(
    "/users/{user_id}",
    response={200: UserOut, 404: Problem, **ERRORS},
    **needs(ApiScope.USERS_READ),
    summary="Get a user",
    tags=["users"],
)
def user_get(request, user_id: int):
    """One user of the key's account, as the list shows them; another account's id is a 404."""
    return _user_out(_member_get(request.auth.account, user_id), timezone.now())


@api.post(
    "/users",
    response={201: UsersCreated, 400: Problem, 409: Problem, **ERRORS},
    **needs(ApiScope.USERS_WRITE),
    summary="Create users",
    tags=["users"],
)
def users_create(
    request,
    payload: UsersCreateIn,
    idempotency_key: str = Header(
        ...,
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=NO_NUL,
        description="A new value for each new batch; a retry with the same one is answered "
        "with the first answer and adds nobody twice.",
    ),
):
    """Create user, for up to 100 addresses on one seat with one access choice: the page's
    rules exactly, all or nothing (a refused batch lists why, address by address)."""
    caller: Caller = request.auth
    body = payload.model_dump(mode="json")

    def act(keep) -> Answer:
        now = timezone.now()
        answers: list[Answer] = []

        def answer_keep(result) -> None:
            ids = [m.pk for m in result.memberships]
            members = member_directory(account=caller.account, filters=DirectoryFilters(), now=now)
            created = {m.pk: m for m in members.filter(pk__in=ids)}
            users = [UserOut(**_user_out(created[pk], now)).model_dump(mode="json") for pk in ids]
            answer = Answer(201, {"users": users, "created_people": result.created_users})
            keep(answer)
            answers.append(answer)

        members_invite(
            account=caller.account,
            actor_membership=caller.membership,
            people=[ParsedPerson(p.email, p.first_name, p.last_name) for p in payload.users],
            seat_type=payload.seat_type,
            access=AccessChoice(
                mode=payload.access.mode,
                template=payload.access.template,
                permissions=payload.access.permissions,
            ),
            send_email=payload.send_email,
            now=now,
            commit_with=answer_keep,
        )
        return answers[0]

    with caller.attributed():
        answer = idempotent(
            caller=caller,
            idempotency_key=idempotency_key,
            operation="POST /users",
            request_body=json.dumps(body, sort_keys=True).encode(),
            act=act,
        )
    return Status(answer.status, answer.body)
