"""Reads for the Teams, Presets, Permission sets and Audit log pages.

Each list costs a constant number of queries whatever its length: counts come from correlated
subqueries (a join per count would multiply rows), related rows from one join or one prefetch.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import (
    Access,
    Account,
    AuditEvent,
    AuditVerb,
    Membership,
    MembershipStatus,
    PermissionSet,
    Preset,
    SeatType,
    Team,
    User,
)
from seats.builtin_sets import BUILTIN_PERMISSION_SETS, BuiltinPermissionSet
from seats.catalogue import (
    PERMISSIONS,
    PERMISSIONS_BY_CODE,
    SEAT_RULES,
    level_label,
    permissions_complete,
    permissions_fit_seat,
)
from seats.exports import csv_cell, csv_lines
from seats.permission_sets import seat_needed

TeamThrough = Membership.extra_teams.through


def _count(queryset: QuerySet, group_by: str) -> Coalesce:
    """COUNT(*) of `queryset` per outer row, as a subquery; 0 when there are none."""
    counted = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# --- Teams -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    team: Team
    depth: int
    path: str
    main_count: int = 0
    extra_count: int = 0

    @property
    def depth_class(self) -> str:
        return f"depth-{min(self.depth, 6)}"


def _tree_order(teams: Iterable[Any]) -> list[tuple[Any, int, str]]:
    """Teams depth-first, each under its parent, siblings by name: (team, depth, path)."""
    teams = list(teams)
    ids = {t.pk for t in teams}
    children: dict[int | None, list[Any]] = defaultdict(list)
    for team in teams:
        children[team.parent_id if team.parent_id in ids else None].append(team)
    ordered: list[tuple[Any, int, str]] = []
    seen: set[int] = set()

    def walk(parent_id: int | None, depth: int, prefix: str) -> None:
        for team in sorted(children[parent_id], key=lambda t: (t.name.lower(), t.pk)):
            if team.pk in seen:
                continue
            seen.add(team.pk)
            path = f"{prefix} › {team.name}" if prefix else team.name
            ordered.append((team, depth, path))
            walk(team.pk, depth + 1, path)

    walk(None, 0, "")
    return ordered


def team_rows(*, account: Account) -> list[TeamRow]:
    """Every team of the account in tree order, with its parent and member counts. One query."""
    teams = (
        Team.objects.filter(account=account)
        .select_related("parent")
        .annotate(
            main_count=_count(Membership.objects.filter(main_team=OuterRef("pk")), "main_team"),
            extra_count=_count(TeamThrough.objects.filter(team=OuterRef("pk")), "team"),
        )
    )
    return [
        TeamRow(team, depth, path, team.main_count, team.extra_count)
        for team, depth, path in _tree_order(teams)
    ]


def team_subtree_ids(*, account: Account, team: Team) -> set[int]:
    """The team and every team below it."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Team.objects.filter(account=account).values_list("id", "parent_id"):
        children[parent_id].append(pk)
    found, todo = set(), [team.pk]
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children[pk])
    return found


def team_choices(*, account: Account, exclude: Iterable[int] = ()) -> list[tuple[int, str]]:
    """(id, "Parent › Child") for a team select, in tree order. One query."""
    exclude = set(exclude)
    teams = Team.objects.filter(account=account).only("id", "name", "parent_id")
    return [(team.pk, path) for team, _depth, path in _tree_order(teams) if team.pk not in exclude]


def team_member_list(*, team: Team) -> QuerySet[Membership]:
    """The team's members (main or extra), by email, with their user joined in."""
    extra_ids = TeamThrough.objects.filter(team=team).values("membership_id")
    return (
        Membership.objects.filter(account_id=team.account_id)
        .filter(Q(main_team=team) | Q(pk__in=extra_ids))
        .select_related("user")
        .order_by("user__email", "pk")
    )


def members_matching(*, account_id: int, q: str = "") -> QuerySet[Membership]:
    """Members of the account whose name or email contains every word of `q`, by email."""
    members = Membership.objects.filter(account_id=account_id).select_related("user", "main_team")
    for word in q.split():
        members = members.filter(
            Q(user__email__icontains=word)
            | Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
        )
    return members.order_by("user__email", "pk")


def team_member_candidates(*, team: Team, q: str = "", limit: int = 100) -> list[Membership]:
    """Members of the account not yet in the team, matching `q`: the "Add a member" choices."""
    in_team = team_member_list(team=team).values("pk")
    return list(members_matching(account_id=team.account_id, q=q).exclude(pk__in=in_team)[:limit])


# --- Permission sets ---------------------------------------------------------------------------


def seat_need_label(seat_type: SeatType) -> str:
    """ "Needs a Sales seat", or for a set any seat holds, "Fits a View-only seat"."""
    label = SEAT_RULES[seat_type].label
    if seat_type == SeatType.VIEW_ONLY:
        return _("Fits a %(seat)s") % {"seat": label}
    return _("Needs a %(seat)s") % {"seat": label}


@dataclass(frozen=True)
class SetRow:
    name: str
    description: str
    seat: SeatType
    needs: str
    users: int
    presets: int = 0
    permission_set: PermissionSet | None = None
    builtin: BuiltinPermissionSet | None = None


def builtin_set_rows(*, account: Account) -> list[SetRow]:
    """The built-in sets, with how many of the account's members use each. One query."""
    users = dict(
        Membership.objects.filter(account=account, access=Access.TEMPLATE)
        .values("permission_template")
        .annotate(n=Count("pk"))
        .values_list("permission_template", "n")
    )
    return [
        SetRow(
            name=str(s.name),
            description=str(s.description),
            seat=s.seat_type,
            needs=seat_need_label(s.seat_type),
            users=users.get(s.code, 0),
            builtin=s,
        )
        for s in BUILTIN_PERMISSION_SETS
    ]


def permission_set_rows(*, account: Account) -> list[SetRow]:
    """The account's own sets with their users and presets counted. One query."""
    sets = (
        PermissionSet.objects.filter(account=account)
        .annotate(
            users=_count(
                Membership.objects.filter(
                    permission_set=OuterRef("pk"), access=Access.PERMISSION_SET
                ),
                "permission_set",
            ),
            preset_count=_count(
                Preset.objects.filter(permission_set=OuterRef("pk")), "permission_set"
            ),
        )
        .order_by("name", "pk")
    )
    rows = []
    for s in sets:
        seat = seat_needed(s.permissions)
        rows.append(
            SetRow(
                name=s.name,
                description=s.description,
                seat=seat,
                needs=seat_need_label(seat),
                users=s.users,
                presets=s.preset_count,
                permission_set=s,
            )
        )
    return rows


def permission_set_member_list(*, permission_set: PermissionSet) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(
            account_id=permission_set.account_id,
            permission_set=permission_set,
            access=Access.PERMISSION_SET,
        )
        .select_related("user", "main_team")
        .order_by("user__email", "pk")
    )


def permission_set_users_count(*, permission_set: PermissionSet) -> int:
    return permission_set_member_list(permission_set=permission_set).count()


@dataclass(frozen=True)
class LevelChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class SetChangePreview:
    """What saving a set would do: how many users change, and which permissions."""

    users: int
    changes: list[LevelChange] = field(default_factory=list)


def permission_set_change_preview(
    *, permission_set: PermissionSet, permissions: Mapping[str, str]
) -> SetChangePreview:
    old = permissions_complete(permission_set.permissions)
    new = permissions_complete(permissions)
    changes = [
        LevelChange(str(p.full_label), str(level_label(old[p.code])), str(level_label(new[p.code])))
        for p in PERMISSIONS
        if old[p.code] != new[p.code]
    ]
    return SetChangePreview(
        users=permission_set_users_count(permission_set=permission_set), changes=changes
    )


@dataclass(frozen=True)
class Candidate:
    membership: Membership
    fits: bool


def permission_set_candidates(
    *, permission_set: PermissionSet, q: str = "", limit: int = 100
) -> list[Candidate]:
    """Members not on the set, matching `q`, each saying whether their seat can hold it."""
    permissions = permissions_complete(permission_set.permissions)
    members = members_matching(account_id=permission_set.account_id, q=q).exclude(
        permission_set=permission_set
    )[:limit]
    return [Candidate(m, permissions_fit_seat(permissions, m.seat_type)) for m in members]


# --- Presets -----------------------------------------------------------------------------------


def preset_list(*, account: Account) -> list[Preset]:
    """The account's presets with their set, teams and users counted. Two queries."""
    return list(
        Preset.objects.filter(account=account)
        .select_related("permission_set", "main_team")
        .prefetch_related(Prefetch("extra_teams", queryset=Team.objects.order_by("name")))
        .annotate(users=_count(Membership.objects.filter(preset=OuterRef("pk")), "preset"))
        .order_by("name", "pk")
    )


# --- Audit log ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    target: str = ""
    verb: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_event_list(*, account: Account, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The account's audit events matching the filters, newest first, actors joined in."""
    events = AuditEvent.objects.filter(account=account).select_related("actor")
    if filters.actor_id:
        events = events.filter(actor_id=filters.actor_id)
    if filters.target:
        events = events.filter(target_email__icontains=filters.target.strip())
    if filters.verb:
        events = events.filter(verb=filters.verb)
    if filters.date_from:
        events = events.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        # The whole of the last day, in the site's time zone.
        events = events.filter(created_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    return events.order_by("-created_at", "-id")


def audit_actor_choices(*, account: Account) -> list[User]:
    """The people who did something in the account, by email. One query."""
    actor_ids = AuditEvent.objects.filter(account=account, actor__isnull=False).values("actor_id")
    return list(User.objects.filter(pk__in=actor_ids).order_by("email"))


_KEY_LABELS = {
    "access": gettext_lazy("Access"),
    "permission_set": gettext_lazy("Permission set"),
    "permission_template": gettext_lazy("Built-in set"),
    "permissions": gettext_lazy("Permissions"),
    "main_team": gettext_lazy("Main team"),
    "extra_teams": gettext_lazy("Extra teams"),
    "team": gettext_lazy("Team"),
    "parent": gettext_lazy("Parent team"),
    "preset": gettext_lazy("Preset"),
    "seat_type": gettext_lazy("Seat"),
    "status": gettext_lazy("Status"),
    "is_super_admin": gettext_lazy("Super admin"),
    "members_moved_to": gettext_lazy("Members moved to"),
    "child_teams": gettext_lazy("Child teams"),
    "users_updated": gettext_lazy("Users updated"),
    "default_language": gettext_lazy("Default language"),
    "default_landing_page": gettext_lazy("Default landing page"),
}
_VALUE_LABELS = {
    "access": dict(Access.choices),
    "seat_type": dict(SeatType.choices),
    "status": dict(MembershipStatus.choices),
}
# Catalogue order, in which the pages list permissions.
_ORDER = {p.code: i for i, p in enumerate(PERMISSIONS)}
# The permissions a detail line names before it says "and N more".
PERMISSION_LINES = 8


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    action: str
    subject: str
    changes: list[Change]


def _key_label(key: str) -> str:
    return str(_KEY_LABELS[key]) if key in _KEY_LABELS else key.replace("_", " ").capitalize()


def _value(key: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        # Nested details (a subscription's hubs, the permissions a change moved): key: value.
        return "; ".join(f"{k}: {_value(str(k), v)}" for k, v in sorted(value.items()))
    labels = _VALUE_LABELS.get(key, {})
    return str(labels.get(value, value))


def _level(level: Any) -> str:
    if level is None:
        return "—"
    try:
        return str(level_label(level))
    except (KeyError, TypeError):
        return str(level)


def _lowest(code: str) -> str | None:
    permission = PERMISSIONS_BY_CODE.get(code)
    return permission.lowest if permission else None


def _permission_changes(before: Any, after: Any) -> list[Change]:
    """The permissions whose level moved. A set created (no "before") or deleted (no "after")
    lists only the permissions above their lowest level: "—" stands for the missing side."""
    before = before if isinstance(before, dict) else None
    after = after if isinstance(after, dict) else None
    codes = set(before or {}) | set(after or {})
    lines = []
    for code in sorted(codes, key=lambda c: (_ORDER.get(c, len(_ORDER)), c)):
        old = before.get(code, _lowest(code)) if before is not None else None
        new = after.get(code, _lowest(code)) if after is not None else None
        if old == new or (None in (old, new) and (old or new) == _lowest(code)):
            continue
        permission = PERMISSIONS_BY_CODE.get(code)
        label = str(permission.full_label) if permission else code
        lines.append(Change(label, _level(old), _level(new)))
    if len(lines) > PERMISSION_LINES:
        more = len(lines) - PERMISSION_LINES
        lines = [*lines[:PERMISSION_LINES], Change(_("… and %(n)s more") % {"n": more}, "", "")]
    return lines


def audit_changes(event: AuditEvent) -> list[Change]:
    """What an event changed, one line per field, permission dicts narrowed to what moved."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    changes = []
    # jsonb keeps no key order: lines follow _KEY_LABELS, unknown keys by name, permissions last.
    order = {key: i for i, key in enumerate(_KEY_LABELS)}
    keys = sorted(set(before) | set(after), key=lambda k: (k == "permissions", order.get(k, 99), k))
    for key in keys:
        if key == "permissions":
            # One-sided only when the whole other side is missing (created, deleted): an event
            # that simply didn't record the permissions after says nothing about them.
            if (key in before and key in after) or not (before and after):
                changes += _permission_changes(before.get(key), after.get(key))
        else:
            old, new = _value(key, before.get(key)), _value(key, after.get(key))
            if old != new:
                changes.append(Change(_key_label(key), old, new))
    return changes


def audit_subject(event: AuditEvent) -> str:
    """Whom or what the event is about: the member's email, or the team, set or preset."""
    if event.target_email:
        return event.target_email
    for snapshot in (event.after, event.before):
        if isinstance(snapshot, dict):
            for key in ("team", "permission_set", "preset", "name"):
                if snapshot.get(key):
                    return str(snapshot[key])
    return ""


def audit_rows(events: Iterable[AuditEvent]) -> list[AuditRow]:
    verbs = dict(AuditVerb.choices)
    return [
        AuditRow(
            event,
            str(verbs.get(event.verb, event.verb)),
            audit_subject(event),
            audit_changes(event),
        )
        for event in events
    ]


# The CSV-injection guard lives in seats.exports, shared by every export.
csv_safe = csv_cell


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def audit_csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """The events as CSV, line by line (for a StreamingHttpResponse), read in chunks."""
    verbs = dict(AuditVerb.choices)
    header = [_("Time (UTC)"), _("Actor"), _("Action"), _("Action code"), _("Target")]
    rows = (
        [
            event.created_at.astimezone(UTC).isoformat(),
            event.actor.email if event.actor else "",
            str(verbs.get(event.verb, event.verb)),
            event.verb,
            audit_subject(event),
            _json(event.before),
            _json(event.after),
        ]
        for event in events.iterator(chunk_size=1000)
    )
    yield from csv_lines([*header, _("Before"), _("After")], rows)
