"""/api/v1/audit-events: the Audit log for scripts, filtered as on the page, a page at a time."""

import base64
import binascii
import json
from datetime import UTC, date, datetime
from typing import Any, Literal

from django.db.models import Q, QuerySet
from ninja import Field, Query, Schema
from ninja.errors import ValidationError
from pydantic import AwareDatetime

from accounts.models import AuditEvent, AuditVerb
from api.models import ApiScope
from api.schemas import NO_NUL
from api.v1.base import ERRORS, api, needs
from seats.audit_log.forms import AuditFilterForm
from seats.audit_log.selectors import audit_actor_choices, audit_event_list
from seats.changes import event_subject

VerbCode = Literal[tuple(AuditVerb.values)]  # type: ignore[valid-type]


class AuditActorOut(Schema):
    id: int = Field(description="The person's id, as the `actor` filter takes it.")
    email: str
    name: str


class AuditTargetOut(Schema):
    id: int | None = Field(description="The user's id (GET /users/{id}); null once removed.")
    email: str
    name: str = Field(description="The name this account shows (the email once removed).")


class AuditEventOut(Schema):
    id: int
    # Text, not the enum: an event of a kind since retired still reads.
    verb: str = Field(description="What happened: one of the `verb` filter's values.")
    action: str = Field(description="The verb in words, as the Audit log shows it.")
    actor: AuditActorOut | None = Field(description="Who did it; null: the system.")
    api_key_name: str | None = Field(
        description="The API key the change was made through; null: a page or the system."
    )
    target: AuditTargetOut | None = Field(description="The user it is about, if any.")
    subject: str = Field(description="Whom or what it is about: a user, team, set or preset.")
    before: Any = Field(description="What it changed, as it was: {field: value}, or null.")
    after: Any = Field(description="What it changed, as it became: {field: value}, or null.")
    created_at: datetime


class AuditEventPage(Schema):
    events: list[AuditEventOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


def _event_out(event: AuditEvent, verbs: dict[str, str]) -> dict[str, Any]:
    actor = event.actor
    return {
        "id": event.pk,
        "verb": event.verb,
        "action": str(verbs.get(event.verb, event.verb)),
        "actor": (
            {"id": actor.pk, "email": actor.email, "name": actor.display_name} if actor else None
        ),
        "api_key_name": event.api_key_name or None,
        "target": (
            {"id": event.target_id, "email": event.target_email, "name": event_subject(event)}
            if event.target_email
            else None
        ),
        "subject": event_subject(event),
        "before": event.before,
        "after": event.after,
        "created_at": event.created_at,
    }


# The cursor is the last event's place in the order (time, then id, both descending): an event
# added meanwhile is newer than every cursor, so it shifts nothing already read.


def _cursor_encode(event: AuditEvent) -> str:
    raw = json.dumps([event.created_at.isoformat(), event.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_after(events: QuerySet[AuditEvent], cursor: str) -> QuerySet[AuditEvent]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, pk = json.loads(raw)
        if not isinstance(at, str) or not isinstance(pk, int):
            raise ValueError
        when = datetime.fromisoformat(at)
        if when.tzinfo is None or not -(2**63) <= pk < 2**63:
            raise ValueError
        when.astimezone(UTC)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise ValidationError(
            [{"loc": ("query", "cursor"), "msg": "Not a cursor of this list."}]
        ) from None
    return events.filter(Q(created_at__lt=when) | Q(created_at=when, pk__lt=pk))


def _in_range(name: str, value: Any) -> None:
    # The database takes times in UTC: a time that has none (year 1 ahead of UTC) is refused.
    try:
        if isinstance(value, datetime):
            value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            [{"loc": ("query", name), "msg": "Out of the range of dates."}]
        ) from None


# Parameters whose type ruff does not know to be immutable, described once here.
DATE_FROM = Query(None, description="From this day on (the site's time zone).")
DATE_TO = Query(None, description="Up to the end of this day.")
SINCE = Query(None, description="At or after this time (ISO 8601 with its offset).")


@api.get(
    "/audit-events",
    response={200: AuditEventPage, **ERRORS},
    **needs(ApiScope.AUDIT_READ),
    summary="List audit events",
    tags=["audit log"],
)
def audit_events_list(
    request,
    actor: int | None = Query(None, description="Who did it: a person's id (actor.id)."),
    target: str = Query(
        "", max_length=254, pattern=NO_NUL, description="Part of the target's email."
    ),
    verb: VerbCode | None = None,
    date_from: date | None = DATE_FROM,
    date_to: date | None = DATE_TO,
    since: AwareDatetime | None = SINCE,
    cursor: str | None = Query(None, max_length=2000, pattern=NO_NUL),
    limit: int = Query(50, ge=1, le=100),
):
    """Every change in the account, newest first, filtered as the Audit log filters (actor,
    target email, kind, days) and a page at a time: pages follow `next_cursor`; an event added
    meanwhile shifts nothing already read. Each event names the API key it came through."""
    account = request.auth.account
    _in_range("since", since)
    data = {
        "actor": actor or "",
        "target": target,
        "verb": verb or "",
        "date_from": date_from.isoformat() if date_from else "",
        "date_to": date_to.isoformat() if date_to else "",
    }
    form = AuditFilterForm(data, actors=audit_actor_choices(account=account))
    if not form.is_valid():
        raise ValidationError(
            [
                {"loc": ("query", field), "msg": " ".join(messages)}
                for field, messages in form.errors.items()
            ]
        )
    events = audit_event_list(account=account, filters=form.filters())
    if since is not None:
        # In UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows ("-19:58").
        events = events.filter(created_at__gte=since.astimezone(UTC))
    if cursor:
        events = _cursor_after(events, cursor)
    rows = list(events[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    verbs = dict(AuditVerb.choices)
    return {
        "events": [_event_out(event, verbs) for event in rows],
        "next_cursor": _cursor_encode(rows[-1]) if more else None,
    }
