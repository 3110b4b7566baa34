"""Reads of the Users tab and a user's page: the filtered, sorted directory in pages whose count
stops at COUNT_CAP, the "Access" filter's choices and a member's permissions history."""

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import NamedTuple

from django.db import connection
from django.db.models import Expression, F, Prefetch, Q, QuerySet, TextField
from django.utils.translation import gettext as _

from accounts.models import Access, Account, AuditEvent, Membership, PermissionSet, Team, User
from accounts.prepared import PreparedRead, ShapedRead
from accounts.selectors import id_from, member_search
from seats.permission_sets.builtin import BUILTIN_PERMISSION_SETS

# Sort columns; ties go by name, then by id. Every one but "email" is a column of the
# membership, so that the name order (the default) is an index read (Membership.sort_name).
SORTS = {
    "name": ("sort_name",),
    "email": ("user__email",),
    "seat": ("seat_type", "sort_name"),
    "status": ("status", "sort_name"),
    "last_active": ("last_active_at", "sort_name"),
}


NULLABLE = {"last_active_at"}


# The list counts matching members up to this many; beyond it the pager says "more than".
COUNT_CAP = 10_000


@dataclass(frozen=True)
class DirectoryFilters:
    q: str = ""
    seat_type: str = ""
    team_id: int | None = None
    status: str = ""
    invitation_state: str = ""
    access: str = ""
    inactive_days: int | None = None
    sort: str = "name"
    descending: bool = False


def access_filter(value: str) -> Q:
    """Members whose "Access" column reads `value`: super_admin, seat_defaults, custom,
    template:<code> or set:<id>."""
    if value == "super_admin":
        return Q(is_super_admin=True)
    not_super = Q(is_super_admin=False)
    if value.startswith("template:"):
        return not_super & Q(access=Access.TEMPLATE, permission_template=value[9:])
    if value.startswith("set:") and id_from(value[4:]):
        return not_super & Q(access=Access.PERMISSION_SET, permission_set_id=id_from(value[4:]))
    if value in (Access.SEAT_DEFAULTS, Access.CUSTOM):
        return not_super & Q(access=value)
    return Q(pk__in=[])


def member_directory(*, account: Account, filters: DirectoryFilters, now) -> QuerySet[Membership]:
    """The Users tab's rows: searched, filtered and sorted, with what a row shows joined in.

    A page of it costs a constant number of queries: one for the rows (user, main team and
    permission set joined), one for their extra teams.
    """
    members = member_search(
        account=account,
        now=now,
        q=filters.q,
        seat_type=filters.seat_type,
        invitation_state=filters.invitation_state,
        inactive_days=filters.inactive_days,
    )
    if filters.team_id:
        members = members.filter(
            Q(main_team_id=filters.team_id) | Q(extra_teams__id=filters.team_id)
        ).distinct()
    if filters.status:
        members = members.filter(status=filters.status)
    if filters.access:
        members = members.filter(access_filter(filters.access))
    columns = directory_columns(filters.sort)
    # All columns one way, so that an index on them serves either direction; a member never
    # active sorts as the oldest (first ascending, last descending).
    if filters.descending:
        order = [F(c).desc(nulls_last=True) if c in NULLABLE else F(c).desc() for c in columns]
    else:
        order = [F(c).asc(nulls_first=True) if c in NULLABLE else F(c).asc() for c in columns]
    return members.order_by(*order).prefetch_related(
        Prefetch("extra_teams", queryset=Team.objects.order_by("name"))
    )


class _ExtraTeamsJson(Expression):
    """A member's extra teams as JSON text, [[id, name], ...] by name then id: a subquery of
    each row's own, so that a page's rows bring their extra teams with them (the Users tab, the
    API's list) instead of a second query after them. The tables' and columns' names come from
    the models; it takes no parameters."""

    def __init__(self) -> None:
        super().__init__(output_field=TextField())

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return _extra_teams_sql(connection.vendor, alias), []


@cache
def _extra_teams_sql(vendor: str, member_alias: str) -> str:
    """_ExtraTeamsJson's subquery of the membership `member_alias` (quoted), per database
    `vendor`: PostgreSQL orders inside the aggregate; SQLite's json_group_array takes the rows in
    the order of the select it reads. Each team's name is a subquery by its id, not a join: the
    join made PostgreSQL plan ten times as long (1.1 ms) and hash the account's teams for every
    row."""
    qn = connection.ops.quote_name
    through = Membership.extra_teams.through._meta
    member_id = qn(through.get_field("membership").column)
    team_id = qn(through.get_field("team").column)
    pk, name = (qn(Team._meta.get_field(f).column) for f in ("id", "name"))
    teams = (
        f"SELECT xm.{team_id} AS id, "  # noqa: S608  # nosec B608
        f"(SELECT xt.{name} FROM {qn(Team._meta.db_table)} xt WHERE xt.{pk} = xm.{team_id}) "
        f"AS name FROM {qn(through.db_table)} xm "
        f"WHERE xm.{member_id} = {member_alias}.{qn(Membership._meta.pk.column)}"
    )
    if vendor == "postgresql":
        aggregate = "COALESCE(json_agg(json_build_array(o.id, o.name) ORDER BY o.name, o.id), '[]')"
        return f"(SELECT {aggregate}::text FROM ({teams}) o)"  # noqa: S608  # nosec B608
    aggregate = "json_group_array(json_array(o.id, o.name))"
    return f"(SELECT {aggregate} FROM ({teams} ORDER BY 2, 1) o)"  # noqa: S608  # nosec B608


class NamedRef(NamedTuple):
    """A team or permission set as a row names it: its id and name."""

    pk: int
    name: str


@dataclass(slots=True)
class DirectoryPerson:
    """A row's person: their address and the name they gave themselves."""

    email: str
    first_name: str
    last_name: str

    full_name = User.full_name


@dataclass(slots=True)
class DirectoryRow:
    """One member of the Users tab or the API's list, read as plain values
    (DIRECTORY_ROW_COLUMNS): what a row draws (seats_tags.users_rows) and the API says of it,
    under the membership's own attribute names. Building a Membership, its User, Team and
    PermissionSet for each of a page's rows cost the ORM more than twice what reading the same
    columns as values does (docs/performance.md, benchmarks 1 and 7). The membership's rules
    are not copied: its own properties and `invitation_state_at` read these attributes. Not
    frozen: a frozen dataclass sets each field through object.__setattr__, which made building
    the rows cost three times as much."""

    pk: int
    user: DirectoryPerson
    first_name: str
    last_name: str
    seat_type: str
    is_super_admin: bool
    access: str
    permission_set: NamedRef | None
    permission_template: str
    status: str
    main_team: NamedRef | None
    last_active_at: datetime | None
    invite_expires_at: datetime | None
    invite_revoked_at: datetime | None
    joined_at: datetime | None
    created_at: datetime
    sort_name: str
    extra_teams: tuple[NamedRef, ...]  # by name

    has_joined = Membership.has_joined
    full_name = Membership.full_name
    display_name = Membership.display_name
    invitation_state_at = Membership.invitation_state_at

    @property
    def id(self) -> int:
        return self.pk

    @property
    def permission_set_id(self) -> int | None:
        return self.permission_set.pk if self.permission_set is not None else None


# The columns of a DirectoryRow, in the order directory_row reads them (the last one the
# _ExtraTeamsJson annotation).
DIRECTORY_ROW_COLUMNS = (
    *("pk", "user__email", "user__first_name", "user__last_name", "first_name", "last_name"),
    *("seat_type", "is_super_admin", "access", "permission_set_id", "permission_set__name"),
    *("permission_template", "status", "main_team_id", "main_team__name", "last_active_at"),
    *("invite_expires_at", "invite_revoked_at", "joined_at", "created_at", "sort_name"),
    "extra_teams_json",
)
NO_TEAMS = "[]"


def directory_row(values: tuple) -> DirectoryRow:
    """A DirectoryRow from one row of DIRECTORY_ROW_COLUMNS."""
    (pk, email, user_first, user_last, first, last, seat_type, is_super_admin, access) = values[:9]
    set_id, set_name, template, status, team_id, team_name, *moments, extra = values[9:]
    return DirectoryRow(
        pk,
        DirectoryPerson(email, user_first, user_last),
        first,
        last,
        seat_type,
        is_super_admin,
        access,
        NamedRef(set_id, set_name) if set_id is not None else None,
        template,
        status,
        NamedRef(team_id, team_name) if team_id is not None else None,
        *moments,
        () if extra == NO_TEAMS else tuple(NamedRef(*team) for team in json.loads(extra)),
    )


@dataclass(frozen=True)
class DirectoryPage:
    """One page of the Users tab. It answers what templates/partials/pager.html asks of Django's
    Page (has_other_pages, has_previous, previous_page_number, ..., paginator.num_pages); while
    `count_is_capped`, the number of pages is not known and the pager says "Page N" only."""

    members: list[DirectoryRow]
    number: int
    per_page: int
    count: int
    count_is_capped: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.count_is_capped or self.number * self.per_page < self.count

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def paginator(self) -> "DirectoryPage":
        """Django's Page counts its pages on its paginator (page.paginator.num_pages); this
        page counts them itself."""
        return self

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.members else 0

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.members) - 1 if self.members else 0


class _Shape(NamedTuple):
    """What the text of a directory page's queries depends on besides which values are set
    (ShapedRead): the filters whose value changes the query's form, the order and the slice."""

    invitation_state: str
    access: str
    sort: str
    descending: bool
    # Values of a few each, written into the text on PostgreSQL (accounts.prepared), so that
    # its plan kept for the statement is made for them.
    status: str = ""
    seat_type: str = ""
    offset: int = 0
    limit: int = 0
    after: bool = False  # the rows after a given one (keyset): values after_0, after_1, ...


def directory_columns(sort: str) -> tuple[str, ...]:
    """The columns a directory sorted by `sort` is ordered on: SORTS', then the id (a total
    order, so that a row's values in them name one place in the list)."""
    return (*SORTS.get(sort, SORTS["name"]), "id")


def _after(columns: tuple[str, ...], values: list, *, descending: bool) -> Q:
    """The rows that come after the one whose `columns` hold `values`, in the list's order."""
    op = "lt" if descending else "gt"
    after = Q()
    for i, column in enumerate(columns):
        step = Q(**{f"{column}__{op}": values[i]})
        for earlier, value in zip(columns[:i], values[:i], strict=False):
            step &= Q(**{earlier: value})
        after |= step
    return after


def _directory_members(shape: _Shape, values: dict) -> QuerySet[Membership]:
    """member_directory for a shape and its values (`account` an id; `now`; the filters set
    among q, team_id and inactive_days; with shape.after, the sort columns' values after_0,
    after_1, ... of the row to start after)."""
    filters = DirectoryFilters(
        q=values.get("q", ""),
        seat_type=shape.seat_type,
        team_id=values.get("team_id"),
        status=shape.status,
        invitation_state=shape.invitation_state,
        access=shape.access,
        inactive_days=values.get("inactive_days"),
        sort=shape.sort,
        descending=shape.descending,
    )
    account = Account(pk=values["account"])
    members = member_directory(account=account, filters=filters, now=values["now"])
    if shape.after:
        columns = directory_columns(shape.sort)
        start = [values[f"after_{i}"] for i in range(len(columns))]
        members = members.filter(_after(columns, start, descending=shape.descending))
    return members.prefetch_related(None)


# A page's count and rows: their SQL is written once per shape of filters (accounts.prepared).
# The rows are planned for each account's values: their best plan depends on the account's size.
_directory_count = ShapedRead(
    lambda shape, values: (
        _directory_members(shape, values).order_by().values_list("pk")[: COUNT_CAP + 1]
    ),
    count=True,
)
_directory_rows = ShapedRead(
    lambda shape, values: (
        _directory_members(shape, values)
        .annotate(extra_teams_json=_ExtraTeamsJson())
        .values_list(*DIRECTORY_ROW_COLUMNS)[shape.offset : shape.offset + shape.limit]
    ),
    literal_values=True,
)


def _shape_and_values(account: Account, filters: DirectoryFilters, now) -> tuple[_Shape, dict]:
    values = {"account": account.pk, "now": now}
    for name in ("q", "team_id", "inactive_days"):
        if getattr(filters, name):
            values[name] = getattr(filters, name)
    shape = _Shape(
        filters.invitation_state,
        filters.access,
        filters.sort,
        filters.descending,
        status=filters.status,
        seat_type=filters.seat_type,
    )
    return shape, values


def directory_rows(
    *,
    account: Account,
    filters: DirectoryFilters,
    now,
    limit: int,
    offset: int = 0,
    after: list | None = None,
) -> list[DirectoryRow]:
    """member_directory's DirectoryRows from `offset`, at most `limit`; or, given `after` (the
    values of a row in directory_columns(filters.sort)), those that come after that row: a
    keyset, which rows added meanwhile do not shift."""
    shape, values = _shape_and_values(account, filters, now)
    shape = shape._replace(offset=offset, limit=limit)
    if after is not None:
        shape = shape._replace(after=True)
        values.update({f"after_{i}": value for i, value in enumerate(after)})
    return [directory_row(row) for row in _directory_rows(shape, values)]


def directory_page(
    *, account: Account, filters: DirectoryFilters, now, number: int, per_page: int = 50
) -> DirectoryPage:
    """One page of member_directory's DirectoryRows, with a count that stops at COUNT_CAP so
    that a page view never counts 100,000 rows. The pager stays truthful: past the cap it says
    "more than N" until a page shows the end of the list, and pages past the cap still work."""
    shape, values = _shape_and_values(account, filters, now)
    count = _directory_count(shape, values)
    capped = count > COUNT_CAP
    number = max(1, number)
    if not capped:
        number = min(number, max(1, -(-count // per_page)))
    offset = (number - 1) * per_page
    # One row more than the page shows tells whether a next page exists.
    rows = directory_rows(
        account=account, filters=filters, now=now, offset=offset, limit=per_page + 1
    )
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    if capped:
        seen = offset + len(rows)
        if has_more:
            count = max(COUNT_CAP, seen)
        else:
            count, capped = seen, False
    return DirectoryPage(
        members=rows, number=number, per_page=per_page, count=count, count_is_capped=capped
    )


# The filters' choices, read on every Users tab and export: compiled once per connection.
_team_pairs = PreparedRead(
    lambda account_id: (
        Team.objects.filter(account_id=account_id).order_by("name", "pk").values_list("pk", "name")
    )
)
_permission_set_pairs = PreparedRead(
    lambda account_id: (
        PermissionSet.objects.filter(account_id=account_id)
        .order_by("name", "pk")
        .values_list("pk", "name")
    )
)


def team_choices(*, account: Account) -> list[tuple[int, str]]:
    """The "Team" filter's values: the account's teams as (id, name), by name."""
    return _team_pairs(account.pk)


def access_filter_choices(*, account: Account) -> list[tuple[str, str]]:
    """The values of the Users tab's "Access" filter, the account's own sets included."""
    return [
        ("super_admin", _("Super admin")),
        (Access.SEAT_DEFAULTS, _("Seat defaults")),
        (Access.CUSTOM, _("Custom")),
        *[(f"template:{s.code}", str(s.name)) for s in BUILTIN_PERMISSION_SETS],
        *[(f"set:{pk}", name) for pk, name in _permission_set_pairs(account.pk)],
    ]


def member_history(*, membership: Membership) -> QuerySet:
    """Everything recorded about one member, newest first, with who did it (one query a page)."""
    return (
        AuditEvent.objects.filter(target=membership)
        .select_related("actor", "target__user")
        .order_by("-created_at", "-id")
    )
