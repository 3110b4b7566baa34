"""/api/v1/users: the Users tab for scripts (list, one user, Create user in a batch, change,
deactivate, reactivate, remove, the invitation resent or revoked)."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import Header, Query, Status
from ninja.errors import ValidationError

from accounts.models import Membership, Preset, Team
from accounts.teams.services import member_teams_set
from api.models import ApiScope
from api.problems import Problem
from api.schemas import (
    NO_NUL,
    USER_PAGE_CHECK,
    DeactivateIn,
    InvitationCode,
    InvitationRevoked,
    SeatCode,
    SortCode,
    StatusCode,
    UserOut,
    UserPage,
    UserPatchIn,
    UsersCreated,
    UsersCreateIn,
)
from api.services import Answer
from api.v1.base import ERRORS, Caller, api, idempotent_post, needs
from invitations.parsing import ParsedPerson
from invitations.services.links import invitation_resend, invitation_revoke
from invitations.services.members import members_invite
from seats.permissions.choice import AccessChoice, AccessMode, access_resolve
from seats.permissions.services import member_access_set
from seats.presets.services import preset_apply
from seats.users.selectors import (
    DirectoryFilters,
    DirectoryRow,
    directory_columns,
    directory_rows,
    member_directory,
)
from seats.users.services.lifecycle import (
    member_deactivate,
    member_reactivate,
    member_remove,
    member_super_admin_set,
)
from seats.users.services.seat import member_seat_change, seat_change_check

# --- Users ------------------------------------------------------------------------------------


def _user_out(member: Membership | DirectoryRow, now) -> dict[str, Any]:
    """A membership's (its extra teams prefetched) or a DirectoryRow's answer."""
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
        "extra_teams": [
            {"id": t.pk, "name": t.name}
            for t in (
                member.extra_teams if isinstance(member, DirectoryRow) else member.extra_teams.all()
            )
        ],
        "invitation_state": state.value if state else None,
        # To the second: the list (written by pydantic) and a user's own answer (by ninja's
        # encoder) would write a fraction of a second differently.
        "last_active_at": _to_second(member.last_active_at),
        "created_at": _to_second(member.created_at),
    }


def _to_second(moment: datetime | None) -> datetime | None:
    return moment.replace(microsecond=0) if moment is not None else None


def _columns(sort: str) -> tuple[str, ...]:
    # The Users tab's sort columns, then the id: a total order, so a cursor names one place.
    return directory_columns(sort.lstrip("-"))


def _cursor_encode(sort: str, member: DirectoryRow) -> str:
    values = []
    for column in _columns(sort):
        obj: Any = member
        for part in column.split("__"):
            obj = getattr(obj, part)
        values.append(obj)
    raw = json.dumps([sort, values]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_values(sort: str, cursor: str) -> list:
    """The sort columns' values of the row the cursor names (the list goes on after it, in the
    sort's order: a keyset, stable under inserts)."""
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
    return values


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
    team: int | None = Query(None, ge=1, description="A team's id: its main or extra members."),
    access: str = Query(
        "",
        max_length=120,
        pattern=NO_NUL,
        description="The Access column: super_admin, seat_defaults, custom, template:<code> "
        "or set:<id>.",
    ),
    invitation: InvitationCode | None = None,
    inactive_days: int | None = Query(
        None, ge=1, le=3650, description="Not active for at least this many days (or never)."
    ),
    sort: SortCode = "name",
    cursor: str | None = Query(None, max_length=2000, pattern=NO_NUL),
    limit: int = Query(50, ge=1, le=100),
):
    """The Users tab's list: its filters (status, seat, search, team, access, invitation,
    inactivity), sorted, a page at a time. Pages follow `next_cursor`; a user added meanwhile
    shifts nothing already read."""
    now = timezone.now()
    filters = DirectoryFilters(
        q=q,
        seat_type=seat or "",
        team_id=team,
        status=status or "",
        invitation_state=invitation or "",
        access=access,
        inactive_days=inactive_days,
        sort=sort.lstrip("-"),
        descending=sort.startswith("-"),
    )
    # Read as values (DirectoryRow, as the Users tab reads its rows): building a Membership,
    # its User and Team for each row cost more than the rest of the answer.
    rows = directory_rows(
        account=request.auth.account,
        filters=filters,
        now=now,
        limit=limit + 1,
        after=_cursor_values(sort, cursor) if cursor else None,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    page = USER_PAGE_CHECK.validate_python(
        {
            "users": [_user_out(m, now) for m in rows],
            "next_cursor": _cursor_encode(sort, rows[-1]) if more else None,
        }
    )
    # Checked against UserPage's schema above, then written by pydantic (in Rust): through
    # ninja's json.dumps a page of users took longer to write than to read.
    return HttpResponse(USER_PAGE_CHECK.dump_json(page), content_type=api.get_content_type())


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

    now = timezone.now()

    def answer(result) -> Answer:
        ids = [m.pk for m in result.memberships]
        members = member_directory(account=caller.account, filters=DirectoryFilters(), now=now)
        created = {m.pk: m for m in members.filter(pk__in=ids)}
        users = [UserOut(**_user_out(created[pk], now)).model_dump(mode="json") for pk in ids]
        return Answer(201, {"users": users, "created_people": result.created_users})

    def change(commit_with) -> None:
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
            commit_with=commit_with,
        )

    return idempotent_post(
        caller,
        operation="POST /users",
        idempotency_key=idempotency_key,
        body=body,
        change=change,
        answer=answer,
    )


def _member_for_write(caller: Caller, user_id: int) -> Membership:
    member = Membership.objects.filter(account=caller.account, pk=user_id).first()
    if member is None:
        raise Http404
    return member


def _user_answer(caller: Caller, user_id: int) -> dict[str, Any]:
    return _user_out(_member_get(caller.account, user_id), timezone.now())


def _teams_get(caller: Caller, ids: list[int], field: str) -> list[Team]:
    teams = {t.pk: t for t in Team.objects.filter(account=caller.account, pk__in=ids)}
    missing = [i for i in ids if i not in teams]
    if missing:
        raise ValidationError(
            [{"loc": ("body", field), "msg": f"No team of this account has the id {missing[0]}."}]
        )
    return [teams[i] for i in ids]


@dataclass(frozen=True)
class _Patch:
    """A PATCH, checked: what each step needs, looked up within the caller's account."""

    seat_type: str | None
    access: AccessChoice | None
    is_super_admin: bool | None
    teams: tuple[Team | None, list[Team]] | None
    preset: Preset | None


def _patch_check(caller: Caller, member: Membership, payload: UserPatchIn) -> _Patch:
    sent = payload.model_fields_set
    if "access" in sent and "permission_set_id" in sent:
        raise ValidationError(
            [{"loc": ("body", "permission_set_id"), "msg": "Send access or permission_set_id."}]
        )
    access = None
    if payload.access is not None:
        access = AccessChoice(
            mode=payload.access.mode,
            template=payload.access.template,
            permissions=payload.access.permissions,
        )
    elif payload.permission_set_id is not None:
        access = AccessChoice(mode=AccessMode.TEMPLATE, template=f"set:{payload.permission_set_id}")
    teams = None
    if payload.teams is not None:
        main_id = payload.teams.main_team_id
        main = _teams_get(caller, [main_id], "teams.main_team_id")[0] if main_id else None
        teams = (main, _teams_get(caller, payload.teams.extra_team_ids, "teams.extra_team_ids"))
    preset = None
    if payload.preset_id is not None:
        preset = Preset.objects.filter(account=caller.account, pk=payload.preset_id).first()
        if preset is None:
            raise ValidationError(
                [{"loc": ("body", "preset_id"), "msg": "No preset of this account has this id."}]
            )
    seat_type = payload.seat_type if payload.seat_type != member.seat_type else None
    # The refusals that need no lock, before anything changes: the seat move, and the access
    # on the seat the member will hold.
    if seat_type is not None:
        seat_change_check(
            membership=member, seat_type=seat_type, actor_membership=caller.membership
        )
    if access is not None:
        access_resolve(
            account=caller.account,
            seat_type=seat_type or member.seat_type,
            choice=access,
            actor_membership=caller.membership,
        )
    return _Patch(seat_type, access, payload.is_super_admin, teams, preset)


@api.patch(
    "/users/{user_id}",
    response={200: UserOut, 404: Problem, 409: Problem, **ERRORS},
    **needs(ApiScope.USERS_WRITE),
    summary="Change a user",
    tags=["users"],
)
def user_change(request, user_id: int, payload: UserPatchIn):
    """What the user's page changes: seat, access or permission set, super admin, teams, or a
    preset applied; only the fields sent. Each is refused for the page's reasons. The checks
    that need no lock run before anything changes; a seat taken meanwhile stops the request
    before the rest (the seat changes first)."""
    caller: Caller = request.auth
    member = _member_for_write(caller, user_id)
    patch = _patch_check(caller, member, payload)
    actor = caller.membership
    with caller.attributed():
        if patch.seat_type is not None:
            member_seat_change(membership=member, seat_type=patch.seat_type, actor_membership=actor)
        if patch.access is not None:
            member.refresh_from_db()
            member_access_set(membership=member, choice=patch.access, actor_membership=actor)
        if patch.is_super_admin is not None and patch.is_super_admin != member.is_super_admin:
            member.refresh_from_db()
            member_super_admin_set(
                membership=member, is_super_admin=patch.is_super_admin, actor_membership=actor
            )
        if patch.teams is not None:
            main, extra = patch.teams
            member_teams_set(
                membership=member,
                main_team=main,
                extra_teams=extra,
                actor=actor.user,
                actor_membership=actor,
            )
        if patch.preset is not None:
            preset_apply(preset=patch.preset, membership_ids=[member.pk], actor_membership=actor)
    return _user_answer(caller, user_id)


@api.post(
    "/users/{user_id}/deactivate",
    response={200: UserOut, 404: Problem, **ERRORS},
    **needs(ApiScope.USERS_WRITE),
    summary="Deactivate a user",
    tags=["users"],
)
def user_deactivate(request, user_id: int, payload: DeactivateIn):
    """ "Deactivate user": they can no longer sign in to the account; their paid seat is kept
    for them unless `release_seat`. Deactivating a deactivated user changes nothing."""
    caller: Caller = request.auth
    member = _member_for_write(caller, user_id)
    with caller.attributed():
        member_deactivate(
            membership=member,
            release_seat=payload.release_seat,
            actor=caller.membership.user,
            actor_membership=caller.membership,
            note=payload.note,
        )
    return _user_answer(caller, user_id)


@api.post(
    "/users/{user_id}/reactivate",
    response={200: UserOut, 404: Problem, **ERRORS},
    **needs(ApiScope.USERS_WRITE),
    summary="Reactivate a user",
    tags=["users"],
)
def user_reactivate(request, user_id: int):
    """ "Reactivate user": back on the seat they kept (one who never accepted is invited again)."""
    caller: Caller = request.auth
    member = _member_for_write(caller, user_id)
    with caller.attributed():
        member_reactivate(membership=member, actor_membership=caller.membership)
    return _user_answer(caller, user_id)


@api.delete(
    "/users/{user_id}",
    response={204: None, 404: Problem, **ERRORS},
    **needs(ApiScope.USERS_WRITE),
    summary="Remove a user",
    tags=["users"],
)
def user_remove(request, user_id: int):
    """ "Remove from account": a deactivated user only (deactivate first); their history stays
    in the Audit log."""
    caller: Caller = request.auth
    member = _member_for_write(caller, user_id)
    with caller.attributed():
        member_remove(membership=member, actor_membership=caller.membership)
    return Status(204, None)


@api.post(
    "/users/{user_id}/invitation/resend",
    response={200: UserOut, 404: Problem, 409: Problem, **ERRORS},
    **needs(ApiScope.USERS_WRITE),
    summary="Resend an invitation",
    tags=["users"],
)
def invitation_resend_op(request, user_id: int):
    """ "Resend invite": a fresh emailed link with a fresh expiry, to an invited user."""
    caller: Caller = request.auth
    _member_for_write(caller, user_id)
    with caller.attributed():
        invitation_resend(
            account=caller.account, membership_id=user_id, actor=caller.membership.user
        )
    return _user_answer(caller, user_id)


@api.post(
    "/users/{user_id}/invitation/revoke",
    response={200: InvitationRevoked, 404: Problem, **ERRORS},
    **needs(ApiScope.USERS_WRITE),
    summary="Revoke an invitation",
    tags=["users"],
)
def invitation_revoke_op(request, user_id: int):
    """ "Revoke invite": every link of the invitation stops working and a paid seat the invitee
    held is released; they stay listed as invited."""
    caller: Caller = request.auth
    _member_for_write(caller, user_id)
    with caller.attributed():
        revocation = invitation_revoke(
            account=caller.account,
            membership_id=user_id,
            actor=caller.membership.user,
            actor_membership=caller.membership,
        )
    return {
        "user": _user_answer(caller, user_id),
        "links_revoked": revocation.links,
        "seat_released": revocation.seat_released,
    }
