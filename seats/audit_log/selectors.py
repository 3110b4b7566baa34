"""Reads of the account-wide Audit log: the filtered events and the actors to filter by. Each
event is put in words by seats.changes, the formatter the per-user history shares."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Account, AuditEvent, User


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
    """The account's audit events matching the filters, newest first, actors and targets joined
    in."""
    events = AuditEvent.objects.filter(account=account).select_related("actor", "target__user")
    if filters.actor_id:
        events = events.filter(actor_id=filters.actor_id)
    if filters.target:
        events = events.filter(target_email__icontains=filters.target.strip())
    if filters.verb:
        events = events.filter(verb=filters.verb)
    if filters.date_from:
        events = events.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to and filters.date_to < date.max:  # the last day there is: no end
        # The whole of the last day, in the site's time zone.
        events = events.filter(created_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    return events.order_by("-created_at", "-id")


def audit_actor_choices(*, account: Account) -> list[User]:
    """The people who did something in the account, by email. One query."""
    actor_ids = AuditEvent.objects.filter(account=account, actor__isnull=False).values("actor_id")
    return list(User.objects.filter(pk__in=actor_ids).order_by("email"))
