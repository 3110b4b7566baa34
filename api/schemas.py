"""The JSON API's request and answer shapes (pydantic, through django-ninja)."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import BaseModel, TypeAdapter
from typing_extensions import TypedDict

from accounts.models import InvitationState, MembershipStatus, SeatType
from invitations.parsing import MAX_FILE_PEOPLE
from seats.permissions.choice import AccessMode

SeatCode = Literal[tuple(SeatType.values)]  # type: ignore[valid-type]
StatusCode = Literal[tuple(MembershipStatus.values)]  # type: ignore[valid-type]
AccessModeCode = Literal[tuple(AccessMode.values)]  # type: ignore[valid-type]
# No NUL character reaches the database (PostgreSQL refuses it in text).
NO_NUL = r"^[^\x00]*$"
InvitationCode = Literal[tuple(InvitationState.values)]  # type: ignore[valid-type]
SortCode = Literal["name", "-name", "email", "-email", "seat", "-seat", "status", "-status"]


# The users list's answer is built as plain dicts (api.v1.users._user_out), so its shapes are
# plain pydantic models: ninja's Schema reads every object through a Django-aware wrapper
# first, which for a page of 100 users took a quarter of the request.
class TeamRef(BaseModel):
    id: int
    name: str


class UserOut(BaseModel):
    id: int = Field(description="The user's id in this account (their membership).")
    email: str
    name: str = Field(description="The name this account shows (or the email).")
    first_name: str
    last_name: str
    status: StatusCode
    seat_type: SeatCode
    is_super_admin: bool
    access: str = Field(description="seat_defaults, template, permission_set or custom.")
    permission_set_id: int | None
    permission_template: str
    main_team: TeamRef | None
    extra_teams: list[TeamRef]
    invitation_state: str | None = Field(
        description="pending, expired, revoked, not_sent or accepted; null for no invitation."
    )
    last_active_at: datetime | None
    created_at: datetime


class UserPage(BaseModel):
    users: list[UserOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


def _as_dicts(model: type[BaseModel], **nested) -> type:
    """`model`'s fields as a TypedDict (`nested`: a field's type, where it names another
    model): pydantic checks a value against it as against the model, and gives plain dicts."""
    fields = {
        name: nested.get(name, field.annotation) for name, field in model.model_fields.items()
    }
    return TypedDict(f"{model.__name__}Dict", fields)  # type: ignore[operator]


_TEAM_REF = _as_dicts(TeamRef)
# UserPage, checked as dicts: the same checks as the model's, without building a model for
# every user and team of the page (a page of 50 cost the API a tenth of its time so).
USER_PAGE_CHECK = TypeAdapter(
    _as_dicts(
        UserPage,
        users=list[
            _as_dicts(UserOut, main_team=_TEAM_REF | None, extra_teams=list[_TEAM_REF])  # type: ignore[valid-type]
        ],
    )
)


class PersonIn(Schema):
    # Checked by Create user's rules (a refused address is listed, not a schema error).
    email: str = Field(max_length=254, pattern=NO_NUL, json_schema_extra={"format": "email"})
    first_name: str = Field("", max_length=150, pattern=NO_NUL)
    last_name: str = Field("", max_length=150, pattern=NO_NUL)


class AccessIn(Schema):
    mode: AccessModeCode = "defaults"
    template: str = Field(
        "",
        max_length=100,
        pattern=NO_NUL,
        description='With mode "template": "builtin:<code>" or "set:<id>".',
    )
    permissions: dict[str, str] = Field(
        default_factory=dict, description='With mode "scratch": {permission code: level}.'
    )


class UsersCreateIn(Schema):
    # The one batch limit of Create user (members_invite refuses more too).
    users: list[PersonIn] = Field(min_length=1, max_length=MAX_FILE_PEOPLE)
    seat_type: SeatCode
    access: AccessIn = Field(default_factory=AccessIn)
    send_email: bool = Field(True, description="Email each person their invitation.")


class UsersCreated(Schema):
    users: list[UserOut]
    created_people: int = Field(description="How many had no seatmgr sign-in before.")


class SeatPoolOut(Schema):
    seat_type: SeatCode
    label: str
    assigned: int
    available: int = Field(description="Free now and at the renewal date.")
    included: int
    purchased: int = Field(description="Paid seats now.")
    purchased_at_renewal: int = Field(description="Paid seats from the renewal date.")
    pending_removal: int
    total: int
    total_at_renewal: int
    renewal_date: date | None


class SeatsOut(Schema):
    seats: list[SeatPoolOut]
    renewal_date: date | None


class TeamsIn(Schema):
    main_team_id: int | None = Field(None, description="null: no main team.")
    extra_team_ids: list[int] = Field(default_factory=list, max_length=500)


class UserPatchIn(Schema):
    """Only the fields sent change, in this order: seat, access (or permission set), super
    admin, teams, preset. Everything is checked before anything changes."""

    seat_type: SeatCode | None = None
    access: AccessIn | None = None
    permission_set_id: int | None = Field(
        None, description='Shorthand for access {"mode": "template", "template": "set:<id>"}.'
    )
    is_super_admin: bool | None = None
    teams: TeamsIn | None = None
    preset_id: int | None = Field(None, description="Apply a preset: its teams and its set.")


class DeactivateIn(Schema):
    release_seat: bool = Field(
        False, description="Release their paid seat (they move to a View-only seat)."
    )
    note: str = Field("", max_length=500, pattern=NO_NUL)


class InvitationRevoked(Schema):
    user: UserOut
    links_revoked: int
    seat_released: SeatCode | None
