"""Reads of the account-wide Audit log: the filtered events, and each event's changes in the
product's words (labels of permissions, seats and levels from the catalogue: this is why the
page lives on floor 2, see ARCHITECTURE), on screen and in the CSV export."""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.exports import csv_lines
from accounts.models import (
    Access,
    Account,
    AuditEvent,
    AuditVerb,
    MembershipStatus,
    SeatType,
    User,
)
from seats.catalogue import (
    PERMISSIONS,
    PERMISSIONS_BY_CODE,
    level_label,
)


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
