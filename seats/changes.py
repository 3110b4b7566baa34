"""The one formatter of changes: an audit event in the product's words, "before → after" per
field. The Audit log, its CSV, a user's "View permissions history" and its CSV all read events
through here, so the same event reads the same everywhere.

Seat, permission, level, built-in set and landing page labels come from the catalogue (this is
why it lives on floor 2); names are stored in the events, never ids; dates are written in the
viewer's language (CLDR, accounts.text), times in the viewer's time zone. Nothing is
cut: a page shows the first lines of a long change and the rest in place (`AuditRow.more`).

Keys that only a higher floor can label (billing's hubs, intervals, money) are registered by
that floor at start-up (`change_key_register`), so the formatter never imports upward.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from babel.numbers import format_decimal
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.exports import csv_lines
from accounts.models import Access, AuditEvent, AuditVerb, MembershipStatus
from accounts.text import babel_locale, day, moment_text
from seats.catalogue import (
    LANDING_PAGES,
    PERMISSIONS,
    PERMISSIONS_BY_CODE,
    SEAT_RULES,
    level_label,
)
from seats.permission_sets.builtin import BUILTIN_PERMISSION_SETS

# The order lines follow (jsonb keeps no key order), and each key's label.
_KEY_LABELS: dict[str, Any] = {
    "name": gettext_lazy("Name"),
    "team": gettext_lazy("Team"),
    "parent": gettext_lazy("Parent team"),
    "preset": gettext_lazy("Preset"),
    "status": gettext_lazy("Status"),
    "seat_type": gettext_lazy("Seat"),
    "is_super_admin": gettext_lazy("Super admin"),
    "access": gettext_lazy("Access"),
    "permission_set": gettext_lazy("Permission set"),
    "permission_template": gettext_lazy("Built-in set"),
    "description": gettext_lazy("Description"),
    "main_team": gettext_lazy("Main team"),
    "extra_teams": gettext_lazy("Extra teams"),
    "members_moved_to": gettext_lazy("Members moved to"),
    "child_teams": gettext_lazy("Child teams"),
    "users": gettext_lazy("Users on it"),
    "users_updated": gettext_lazy("Users updated"),
    "presets": gettext_lazy("Presets using it"),
    "default_language": gettext_lazy("Default language"),
    "default_landing_page": gettext_lazy("Default landing page"),
    "invite_email": gettext_lazy("Invitation emailed"),
    "expires_at": gettext_lazy("Link expires"),
    "links_revoked": gettext_lazy("Links revoked"),
    "note": gettext_lazy("Note"),
    "reason": gettext_lazy("Why"),
    "purchased_at_renewal": gettext_lazy("Paid seats at renewal"),
    "quantity": gettext_lazy("Quantity"),
    "invoice": gettext_lazy("Invoice"),
    "seat_warning_threshold": gettext_lazy("Low-seat warning at"),
    "permissions": gettext_lazy("Permissions"),
    "scopes": gettext_lazy("Scopes"),
    "expires_on": gettext_lazy("Key expires"),
    "enabled": gettext_lazy("On"),
    "inactive_days": gettext_lazy("Days without activity"),
    "warning_days": gettext_lazy("Days of warning"),
    "exempt_people": gettext_lazy("Exempt people"),
    "exempt_teams": gettext_lazy("Exempt teams"),
    "reclaim_on": gettext_lazy("Seat moves on"),
    "restore_until": gettext_lazy("Permissions given back with the seat until"),
    "unassigned": gettext_lazy("Unassigned seats"),
    "saving": gettext_lazy("Saving a period"),
    "renewal_on": gettext_lazy("Renewal date"),
}


def _choices(pairs: Iterable[tuple[Any, Any]]) -> Callable[[Any], str]:
    labels = dict(pairs)
    return lambda value: str(labels.get(value, value))


def _builtin_label(code: Any) -> str:
    by_code = {s.code: s.name for s in BUILTIN_PERMISSION_SETS}
    return str(by_code.get(code, code))


_VALUE_FORMATS: dict[str, Callable[[Any], str]] = {
    "access": _choices(Access.choices),
    "seat_type": _choices((seat, rule.label) for seat, rule in SEAT_RULES.items()),
    "status": _choices(MembershipStatus.choices),
    "permission_template": _builtin_label,
    "default_language": lambda code: str(dict(settings.LANGUAGES).get(code, code)),
    "default_landing_page": _choices(LANDING_PAGES),
}


# A key that means something else in some kinds of event: (verb, key) -> label.
_VERB_KEY_LABELS: dict[tuple[str, str], Any] = {}


def change_key_register(
    key: str,
    label: Any,
    value: Callable[[Any], str] | None = None,
    *,
    verbs: Iterable[str] = (),
) -> None:
    """Teach the formatter a key that a higher floor records: its label (in `verbs` only, when
    given) and, optionally, how to write its values (a value the function doesn't know it
    should return as it came)."""
    if verbs:
        _VERB_KEY_LABELS.update({(verb, key): label for verb in verbs})
    else:
        _KEY_LABELS[key] = label
    if value is not None:
        known = _VALUE_FORMATS.get(key)
        _VALUE_FORMATS[key] = value if known is None else _either(known, value)


def _either(first: Callable[[Any], str], second: Callable[[Any], str]) -> Callable[[Any], str]:
    # Two floors label the same key ("status" of a member, of a subscription): the first that
    # knows the value wins.
    def both(value: Any) -> str:
        text = first(value)
        return second(value) if text == str(value) else text

    return both


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str
    permission: bool = False  # one permission's level, not a field of the event


# Lines a page shows before "Show N more" (the rest opens in place).
CHANGE_LINES = 8


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    action: str
    actor: str
    actor_email: str
    subject: str
    subject_email: str
    changes: list[Change]

    @property
    def shown(self) -> list[Change]:
        return self.changes[:CHANGE_LINES]

    @property
    def more(self) -> list[Change]:
        return self.changes[CHANGE_LINES:]


def key_label(key: str, verb: str = "") -> str:
    if (verb, key) in _VERB_KEY_LABELS:
        return str(_VERB_KEY_LABELS[verb, key])
    return str(_KEY_LABELS[key]) if key in _KEY_LABELS else key.replace("_", " ").capitalize()


def moment_format(value: datetime | date) -> str:
    """A date, or a moment in the site's time zone, as the viewer's language writes it."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        if (value.hour, value.minute, value.second) != (0, 0, 0):
            return moment_text(value)
    return day(value)


def _moment(text: str) -> str | None:
    # An ISO date or timestamp the event recorded ("2026-12-23", "2026-12-23T10:00:00+00:00").
    if len(text) < 10 or not text[:4].isdigit() or text[4:5] != "-":
        return None
    try:
        parsed = parse_datetime(text) or parse_date(text)
    except ValueError:
        return None
    return moment_format(parsed) if parsed else None


def value_format(key: str, value: Any) -> str:
    """One recorded value in words: labels for codes, Yes/No, names joined, dates localised."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(value_format(key, v) for v in value)
    if isinstance(value, dict) and key not in _VALUE_FORMATS:
        # Nested details: each inner key by its label, its value in words.
        return "; ".join(
            f"{key_label(str(k))}: {value_format(str(k), v)}" for k, v in sorted(value.items())
        )
    if key in _VALUE_FORMATS:
        return _VALUE_FORMATS[key](value)
    if isinstance(value, str):
        return _moment(value) or value
    if isinstance(value, int | float):
        return format_decimal(value, locale=babel_locale())
    return str(value)


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


# Catalogue order, in which the pages list permissions.
_ORDER = {p.code: i for i, p in enumerate(PERMISSIONS)}


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
        label = str(permission.full_label) if permission else key_label(code)
        lines.append(Change(label, _level(old), _level(new), permission=True))
    return lines


def event_changes(event: AuditEvent) -> list[Change]:
    """What an event changed, one line per field, permission dicts narrowed to what moved."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    changes = []
    order = {key: i for i, key in enumerate(_KEY_LABELS)}
    keys = sorted(set(before) | set(after), key=lambda k: (k == "permissions", order.get(k, 99), k))
    for key in keys:
        if key == "permissions":
            # One-sided only when the whole other side is missing (created, deleted): an event
            # that simply didn't record the permissions after says nothing about them.
            if (key in before and key in after) or not (before and after):
                changes += _permission_changes(before.get(key), after.get(key))
        else:
            old, new = value_format(key, before.get(key)), value_format(key, after.get(key))
            if old != new:
                changes.append(Change(key_label(key, event.verb), old, new))
    return changes


def event_subject(event: AuditEvent) -> str:
    """Whom or what the event is about: the member's name, or the team, set or preset."""
    if event.target_email:
        # The name as this account may see it (Membership.display_name): the one it typed until
        # the person joins it, never a name set in another account.
        member = event.target
        return member.display_name if member is not None else event.target_email
    for snapshot in (event.after, event.before):
        if isinstance(snapshot, dict):
            # A preset's snapshot names its permission set too: the preset comes first.
            for key in ("team", "preset", "permission_set", "name", "seat_type"):
                if snapshot.get(key):
                    return value_format(key, snapshot[key])
    return ""


def _actor(event: AuditEvent) -> tuple[str, str]:
    """Who did it: the person, or the API key the change came through (and whose key it is)."""
    if event.api_key_name:
        key = _("API key “%(name)s”") % {"name": event.api_key_name}
        return key, event.actor.display_name if event.actor else ""
    if event.actor is None:
        return _("System"), ""
    return event.actor.display_name, event.actor.email


def _actor_csv(event: AuditEvent) -> str:
    person = event.actor.email if event.actor else _("System")
    if event.api_key_name:
        return _("API key “%(name)s” (%(person)s)") % {"name": event.api_key_name, "person": person}
    return person


def audit_rows(events: Iterable[AuditEvent]) -> list[AuditRow]:
    """Events ready for a page. Read them with `select_related("actor", "target__user")`."""
    verbs = dict(AuditVerb.choices)
    rows = []
    for event in events:
        actor, actor_email = _actor(event)
        subject = event_subject(event)
        rows.append(
            AuditRow(
                event=event,
                action=str(verbs.get(event.verb, event.verb)),
                actor=actor,
                actor_email=actor_email if actor_email != actor else "",
                subject=subject,
                subject_email=event.target_email if event.target_email != subject else "",
                changes=event_changes(event),
            )
        )
    return rows


def changes_text(changes: Iterable[Change]) -> str:
    """The changes as lines of text (a CSV cell, an email): "Label: before → after"."""
    return "\n".join(
        f"{c.label}: {c.before} → {c.after}" if (c.before or c.after) else c.label for c in changes
    )


def audit_csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """Events as CSV, line by line (for a StreamingHttpResponse), read in chunks: the same
    words as the page, people by address (unambiguous in a spreadsheet), the time in UTC as a
    spreadsheet reads it, and every change, one per line of the "Changes" cell."""
    verbs = dict(AuditVerb.choices)
    header = [_("Time (UTC)"), _("Actor"), _("Action"), _("Action code"), _("Target")]
    rows = (
        [
            event.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            _actor_csv(event),
            str(verbs.get(event.verb, event.verb)),
            event.verb,
            event.target_email or event_subject(event),
            changes_text(event_changes(event)),
        ]
        for event in events.iterator(chunk_size=1000)
    )
    yield from csv_lines([*header, _("Changes")], rows)


def changes_notice(changes: list[Change]) -> str:
    """A change told in one sentence (a notification): each field "before → after", and how
    many permissions moved (the history lists them one by one)."""
    parts = [f"{c.label}: {c.before} → {c.after}" for c in changes if not c.permission]
    moved = sum(1 for c in changes if c.permission)
    if moved:
        parts.append(
            ngettext("%(n)s permission changed", "%(n)s permissions changed", moved) % {"n": moved}
        )
    return "; ".join(parts)
