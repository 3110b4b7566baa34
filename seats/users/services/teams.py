"""Putting members into teams and applying a preset to them (a bulk edit, or after "Create
user"), all or none."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.locks import account_lock
from accounts.models import (
    Account,
    AuditVerb,
    Membership,
    Preset,
    Team,
)
from accounts.services import audit_record
from seats.permissions.choice import permissions_grant_check, preset_access
from seats.permissions.services import members_access_write


def _team_names(membership: Membership) -> dict:
    return {
        "main_team": membership.main_team.name if membership.main_team else None,
        "extra_teams": sorted(t.name for t in membership.extra_teams.all()),
    }


@transaction.atomic(durable=True)
def members_teams_add(
    *,
    account: Account,
    membership_ids: list[int],
    actor_membership: Membership,
    main_team: Team | None = None,
    extra_teams: list[Team] | None = None,
    preset: Preset | None = None,
    now: datetime | None = None,
) -> list[Membership]:
    """Put several members into teams and/or apply a preset to them, all or none.

    A main team replaces the current one; extra teams are added to theirs. A preset brings its
    own teams and, when it has one, its permission set (built-in or the account's), which must
    fit every member's seat and be grantable by the actor.
    """
    now = now or timezone.now()
    extra_teams = list(extra_teams or [])
    if preset is not None:
        main_team = main_team or preset.main_team
        extra_teams += list(preset.extra_teams.all())
    for team in [main_team, *extra_teams, preset]:
        if team is not None and team.account_id != account.pk:
            raise ValueError("teams and presets must belong to the account")
    account_lock(account)
    memberships = list(
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "main_team", "permission_set")
        .filter(account=account, pk__in=membership_ids)
        .order_by("pk")
    )
    actor = actor_membership.user
    access = preset_access(preset) if preset is not None else None
    if access is not None:
        for membership in memberships:
            permissions_grant_check(
                permissions=access.permissions,
                seat_type=membership.seat_type,
                actor_membership=actor_membership,
            )
        members_access_write(memberships=memberships, access=access, actor=actor, now=now)
    for membership in memberships:
        before = _team_names(membership)
        if main_team is not None:
            membership.main_team = main_team
        membership.extra_teams.add(*[t for t in extra_teams if t != membership.main_team])
        if preset is not None:
            membership.preset = preset
        membership.full_clean(exclude=["user", "account"])
        membership.save()
        audit_record(
            account=account,
            actor=actor,
            verb=AuditVerb.TEAMS_CHANGED,
            target=membership,
            before=before,
            after={**_team_names(membership), "preset": preset.name if preset else None},
            now=now,
        )
    return memberships
