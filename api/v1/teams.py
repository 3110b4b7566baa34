"""/api/v1/teams, permission sets and presets: the Teams tab for scripts (list, create, rename and
move, delete), and the permission sets and presets a user can be given (POST and PATCH /users)."""

from typing import Any

from django.http import Http404
from ninja import Field, Header, Query, Schema, Status
from ninja.errors import ValidationError

from accounts.errors import TeamMoveToItself
from accounts.models import Account, Preset, Team
from accounts.teams.selectors import TeamRow, team_rows
from accounts.teams.services import (
    team_create,
    team_delete,
    team_name_check,
    team_parent_set,
    team_rename,
)
from api.models import ApiScope
from api.problems import Problem
from api.schemas import NO_NUL, SeatCode, TeamRef
from api.services import Answer
from api.v1.base import ERRORS, Caller, api, idempotent_post, needs
from seats.catalogue import permissions_complete
from seats.permission_sets.selectors import SetRow, builtin_set_rows, permission_set_rows
from seats.permissions.choice import ACCOUNT_SET_PREFIX, BUILTIN_PREFIX
from seats.presets.selectors import preset_list

# --- Teams ------------------------------------------------------------------------------------


class TeamOut(Schema):
    id: int
    name: str
    parent_id: int | None = Field(description="The team it is under; null at the top level.")
    path: str = Field(description='Its place in the tree, as the pages name it: "Sales › EMEA".')
    depth: int = Field(description="0 at the top level.")
    main_members: int = Field(description="Members whose main team it is.")
    extra_members: int = Field(description="Members in it as an extra team.")


class TeamList(Schema):
    teams: list[TeamOut] = Field(description="Depth-first: each team under its parent, by name.")


class TeamCreateIn(Schema):
    name: str = Field(max_length=100, pattern=NO_NUL)
    parent_id: int | None = Field(None, description="A team of the account; null: top level.")


class TeamChangeIn(Schema):
    name: str | None = Field(None, max_length=100, pattern=NO_NUL)
    parent_id: int | None = Field(
        None, description="Move it under this team; null: to the top level. Left out: unchanged."
    )


def _team_out(row: TeamRow) -> dict[str, Any]:
    return {
        "id": row.team.pk,
        "name": row.team.name,
        "parent_id": row.team.parent_id,
        "path": row.path,
        "depth": row.depth,
        "main_members": row.main_count,
        "extra_members": row.extra_count,
    }


def _team_row(account: Account, team: Team) -> dict[str, Any]:
    return next(_team_out(r) for r in team_rows(account=account) if r.team.pk == team.pk)


def _team_get(account: Account, team_id: int) -> Team:
    team = Team.objects.select_related("parent", "account").filter(account=account, pk=team_id)
    found = team.first()
    if found is None:
        raise Http404
    return found


def _team_named(account: Account, team_id: int | None, loc: tuple[str, str]) -> Team | None:
    """A team of the account that the request names in its body or query (None for null)."""
    if team_id is None:
        return None
    team = Team.objects.filter(account=account, pk=team_id).first()
    if team is None:
        raise ValidationError([{"loc": loc, "msg": "There is no team with this id here."}])
    return team


@api.get(
    "/teams",
    response={200: TeamList, **ERRORS},
    **needs(ApiScope.USERS_READ),
    summary="List teams",
    tags=["teams"],
)
def teams_list(request):
    """Every team of the account, as the Teams tab shows them: its parent and member counts."""
    return {"teams": [_team_out(row) for row in team_rows(account=request.auth.account)]}


@api.post(
    "/teams",
    response={201: TeamOut, 409: Problem, **ERRORS},
    **needs(ApiScope.TEAMS_WRITE),
    summary="Create a team",
    tags=["teams"],
)
def team_create_op(
    request,
    payload: TeamCreateIn,
    idempotency_key: str = Header(
        ...,
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=NO_NUL,
        description="A new value for each new team; a retry with the same one is answered "
        "with the first answer and creates nothing twice.",
    ),
):
    """Create team: a name no other team of the account has (in any case), at the top level or
    under `parent_id`."""
    caller: Caller = request.auth
    parent = _team_named(caller.account, payload.parent_id, ("body", "parent_id"))

    def change(commit_with) -> None:
        team_create(
            account=caller.account,
            name=payload.name,
            parent=parent,
            actor=caller.membership.user,
            commit_with=commit_with,
        )

    return idempotent_post(
        caller,
        operation="POST /teams",
        idempotency_key=idempotency_key,
        body=payload.model_dump(mode="json"),
        change=change,
        answer=lambda team: Answer(
            201, TeamOut(**_team_row(caller.account, team)).model_dump(mode="json")
        ),
    )


@api.patch(
    "/teams/{team_id}",
    response={200: TeamOut, 404: Problem, **ERRORS},
    **needs(ApiScope.TEAMS_WRITE),
    summary="Rename or move a team",
    tags=["teams"],
)
def team_change(request, team_id: int, payload: TeamChangeIn):
    """A new name, a new parent (null: the top level), or both. A team can't go under itself or
    one of its sub-teams; a refused change changes nothing."""
    caller: Caller = request.auth
    team = _team_get(caller.account, team_id)
    sent = payload.model_fields_set
    actor = caller.membership.user
    if "name" in sent and payload.name is None:
        raise ValidationError([{"loc": ("body", "name"), "msg": "A team's name can't be null."}])
    if payload.name is not None:
        # The name's refusal before the move, so that a refused name moves nothing.
        team_name_check(account=caller.account, name=payload.name, team=team)
    with caller.attributed():
        if "parent_id" in sent:
            parent = _team_named(caller.account, payload.parent_id, ("body", "parent_id"))
            team = team_parent_set(team=team, parent=parent, actor=actor)
        if payload.name is not None:
            team = team_rename(team=team, name=payload.name, actor=actor)
    return _team_row(caller.account, team)


@api.delete(
    "/teams/{team_id}",
    response={204: None, 404: Problem, **ERRORS},
    **needs(ApiScope.TEAMS_WRITE),
    summary="Delete a team",
    tags=["teams"],
)
def team_delete_op(
    request,
    team_id: int,
    move_members_to: int | None = Query(
        None,
        description="A team to put its members in, in the same role (main or extra). Left "
        "out: they just lose this team.",
    ),
):
    """Delete a team, as the Teams tab does: its members move to `move_members_to` or lose the
    team, its sub-teams move up to its parent, presets that used it use the other team (or
    none)."""
    caller: Caller = request.auth
    team = _team_get(caller.account, team_id)
    move_to = _team_named(caller.account, move_members_to, ("query", "move_members_to"))
    with caller.attributed():
        try:
            team_delete(team=team, actor=caller.membership.user, move_members_to=move_to)
        except TeamMoveToItself as refused:
            raise TeamMoveToItself(field="move_members_to") from refused
    return Status(204, None)


# --- Permission sets and presets --------------------------------------------------------------


class PermissionSetOut(Schema):
    id: int | None = Field(description="The account's own set's id; null for a built-in set.")
    code: str | None = Field(description="A built-in set's code; null for the account's own.")
    template: str = Field(
        description='What POST /users takes as access.template: "builtin:<code>" or "set:<id>".'
    )
    builtin: bool
    name: str
    description: str
    seat_type: SeatCode = Field(description="The seat it needs (the lowest that holds it).")
    users: int = Field(description="Users on it.")
    presets: int = Field(description="Presets using it (built-in sets: 0).")
    permissions: dict[str, str] = Field(description="{permission code: level}, complete.")


class PermissionSetList(Schema):
    permission_sets: list[PermissionSetOut] = Field(
        description="The built-in sets, then the account's own by name."
    )


def _set_out(row: SetRow) -> dict[str, Any]:
    own, builtin = row.permission_set, row.builtin
    return {
        "id": own.pk if own else None,
        "code": builtin.code if builtin else None,
        "template": f"{BUILTIN_PREFIX}{builtin.code}"
        if builtin
        else f"{ACCOUNT_SET_PREFIX}{own.pk}",
        "builtin": builtin is not None,
        "name": row.name,
        "description": row.description,
        "seat_type": row.seat,
        "users": row.users,
        "presets": row.presets,
        "permissions": permissions_complete(builtin.permissions if builtin else own.permissions),
    }


@api.get(
    "/permission-sets",
    response={200: PermissionSetList, **ERRORS},
    **needs(ApiScope.USERS_READ),
    summary="List permission sets",
    tags=["permission sets"],
)
def permission_sets_list(request):
    """The permission sets a user can be given, as the Permission sets page lists them."""
    account = request.auth.account
    rows = [*builtin_set_rows(account=account), *permission_set_rows(account=account)]
    return {"permission_sets": [_set_out(row) for row in rows]}


class PermissionSetRef(Schema):
    id: int
    name: str


class PresetOut(Schema):
    id: int = Field(description="What POST and PATCH /users take as the preset.")
    name: str
    permission_set: PermissionSetRef | None = Field(description="The account's set it gives.")
    permission_template: str = Field(description='The built-in set it gives ("": none).')
    main_team: TeamRef | None
    extra_teams: list[TeamRef]
    default_language: str
    default_landing_page: str
    users: int = Field(description="Users it was applied to.")


class PresetList(Schema):
    presets: list[PresetOut]


def _preset_out(preset: Preset) -> dict[str, Any]:
    chosen = preset.permission_set
    main = preset.main_team
    return {
        "id": preset.pk,
        "name": preset.name,
        "permission_set": {"id": chosen.pk, "name": chosen.name} if chosen else None,
        "permission_template": preset.permission_template,
        "main_team": {"id": main.pk, "name": main.name} if main else None,
        "extra_teams": [{"id": t.pk, "name": t.name} for t in preset.extra_teams.all()],
        "default_language": preset.default_language,
        "default_landing_page": preset.default_landing_page,
        "users": preset.users,  # type: ignore[attr-defined]  (preset_list's count)
    }


@api.get(
    "/presets",
    response={200: PresetList, **ERRORS},
    **needs(ApiScope.USERS_READ),
    summary="List presets",
    tags=["presets"],
)
def presets_list(request):
    """The account's presets, by name, as the Presets tab lists them."""
    return {"presets": [_preset_out(p) for p in preset_list(account=request.auth.account)]}
