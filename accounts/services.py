"""Every write of the accounts floor. Keyword-only, one transaction per top-level service."""

from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction

from accounts.models import (
    Account,
    AuditEvent,
    AuditVerb,
    Membership,
    Team,
    User,
    email_normalise,
)
from accounts.notifications import notification_preferences
from accounts.selectors import SESSION_ACCOUNT_KEY


def audit_record(
    *,
    account: Account,
    actor: User | None,
    verb: AuditVerb,
    target: Membership | None = None,
    before: Any = None,
    after: Any = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append one audit event. Runs inside the caller's transaction."""
    event = AuditEvent(
        account=account,
        actor=actor,
        target=target,
        target_email=target.user.email if target is not None else "",
        verb=verb,
        before=before,
        after=after,
    )
    if now is not None:
        event.created_at = now
    event.save(force_insert=True)
    return event


@transaction.atomic(durable=True)
def account_create(*, name: str, actor: User | None = None) -> Account:
    account = Account(name=name.strip())
    account.full_clean()
    account.save()
    audit_record(account=account, actor=actor, verb=AuditVerb.ACCOUNT_CREATED, after={"name": name})
    return account


def user_get_or_create(
    *, email: str, first_name: str = "", last_name: str = ""
) -> tuple[User, bool]:
    """The person with this address, created without a usable password if new.

    Runs inside the caller's transaction. An existing person's name is left as they set it.
    """
    email = email_normalise(email)
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, False
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user, True


def membership_touch(*, membership: Membership, now: datetime, interval: timedelta) -> bool:
    """Record that a member was active, writing to the database at most once per interval.

    The cache's atomic add() decides which request writes; the others skip the database.
    Returns whether this call wrote.
    """
    key = f"seatmgr:last-active:{membership.pk}"
    if not cache.add(key, 1, timeout=max(int(interval.total_seconds()), 1)):
        return False
    Membership.objects.filter(pk=membership.pk).update(last_active_at=now)
    membership.last_active_at = now
    return True


def current_account_set(*, session, membership: Membership) -> None:
    """Make `membership`'s account the current one for this browser session."""
    session[SESSION_ACCOUNT_KEY] = membership.account_id


@transaction.atomic(durable=True)
def user_profile_update(*, user: User, first_name: str, last_name: str, language: str) -> User:
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["first_name", "last_name", "language"])
    return user


@transaction.atomic(durable=True)
def notification_settings_update(
    *, membership: Membership, choices: dict[str, dict[str, bool]]
) -> Membership:
    """Store the member's choice for every kind and channel (unknown keys are dropped)."""
    known = notification_preferences({})
    membership.notification_settings = {
        kind: {channel: bool(choices.get(kind, {}).get(channel, False)) for channel in channels}
        for kind, channels in known.items()
    }
    membership.save(update_fields=["notification_settings", "updated_at"])
    return membership


@transaction.atomic(durable=True)
def team_create(
    *, account: Account, name: str, actor: User | None, parent: Team | None = None
) -> Team:
    if parent is not None and parent.account_id != account.pk:
        raise ValueError("a team's parent must be in the same account")
    team = Team(account=account, name=name.strip(), parent=parent)
    team.full_clean()
    team.save()
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.TEAM_CREATED,
        after={"name": team.name, "parent": parent.name if parent else None},
    )
    return team


@transaction.atomic(durable=True)
def member_teams_set(
    *,
    membership: Membership,
    main_team: Team | None,
    extra_teams: list[Team],
    actor: User | None,
) -> Membership:
    """Put a member in one main team and any number of extra teams of their account."""
    teams = [main_team, *extra_teams] if main_team else list(extra_teams)
    if any(team.account_id != membership.account_id for team in teams):
        raise ValueError("teams must belong to the member's account")
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    before = {
        "main_team": membership.main_team.name if membership.main_team else None,
        "extra_teams": sorted(t.name for t in membership.extra_teams.all()),
    }
    membership.main_team = main_team
    membership.save(update_fields=["main_team", "updated_at"])
    extras = [t for t in extra_teams if t != main_team]
    membership.extra_teams.set(extras)
    audit_record(
        account=membership.account,
        actor=actor,
        verb=AuditVerb.TEAMS_CHANGED,
        target=membership,
        before=before,
        after={
            "main_team": main_team.name if main_team else None,
            "extra_teams": sorted(t.name for t in extras),
        },
    )
    return membership
