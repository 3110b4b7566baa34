"""Teams: renaming, nesting, deleting, and who is in them (DOMAIN.md section 6, "Teams" tab).

Creating a team is accounts.services.team_create. Every change of the team tree (parent links,
deletion) locks the account row first, so two admins moving teams at the same moment cannot
build a cycle between them. Lock order, as everywhere: Account, then Team, then Membership.

A member is in at most one team as their main team and in any number of others as extra teams;
a team is never both a member's main and one of their extra teams.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import TeamCycle, TeamMoveToItself, TeamNameRequired, TeamNameTaken
from accounts.locks import account_lock, member_lock, members_lock
from accounts.models import Account, AuditVerb, Membership, Preset, Team, User
from accounts.policy import super_admin_target_check
from accounts.selectors import name_unique_check
from accounts.services import audit_record, named_row_save


class TeamRole(StrEnum):
    """How a member belongs to a team."""

    MAIN = "main"
    EXTRA = "extra"

    @property
    def label(self) -> str:
        return str(_("Main team") if self == TeamRole.MAIN else _("Extra team"))


def team_name_check(*, account: Account, name: str, team: Team | None = None) -> str:
    """The name, trimmed, unless another team of the account has it in any case."""
    return name_unique_check(
        rows=Team.objects.filter(account=account),
        name=name,
        exclude=team,
        required=TeamNameRequired,
        taken=TeamNameTaken,
    )


def _team_lock(team: Team) -> Team:
    return Team.objects.select_for_update(of=("self",)).select_related("account").get(pk=team.pk)


@transaction.atomic(durable=True)
def team_rename(*, team: Team, name: str, actor: User | None) -> Team:
    team = _team_lock(team)
    old = team.name
    team.name = team_name_check(account=team.account, name=name, team=team)
    if team.name == old:
        return team
    team.full_clean(validate_constraints=False)
    named_row_save(team, taken=TeamNameTaken, update_fields=["name"])
    audit_record(
        account=team.account,
        actor=actor,
        verb=AuditVerb.TEAM_RENAMED,
        before={"team": old},
        after={"team": team.name},
    )
    return team


def team_ancestor_ids(*, parents: dict[int, int | None], team_id: int | None) -> list[int]:
    """`team_id` and every team above it, nearest first, from a {team id: parent id} map."""
    chain: list[int] = []
    while team_id is not None and team_id not in chain:
        chain.append(team_id)
        team_id = parents.get(team_id)
    return chain


@transaction.atomic(durable=True)
def team_parent_set(*, team: Team, parent: Team | None, actor: User | None) -> Team:
    """Move a team under `parent` (None: to the top level). A team can't go under itself or
    under one of its own sub-teams."""
    account_lock(team.account_id)
    team = _team_lock(team)
    if parent is not None and parent.account_id != team.account_id:
        raise ValueError("a team's parent must be in the same account")
    old_parent = team.parent
    if (parent.pk if parent else None) == team.parent_id:
        return team
    if parent is not None:
        # Read under the account's lock: nobody else is moving a team of this account now.
        parents = dict(Team.objects.filter(account=team.account).values_list("id", "parent_id"))
        if team.pk in team_ancestor_ids(parents=parents, team_id=parent.pk):
            raise TeamCycle(team=team.name, parent=parent.name)
    team.parent = parent
    team.save(update_fields=["parent"])
    audit_record(
        account=team.account,
        actor=actor,
        verb=AuditVerb.TEAM_MOVED,
        before={"team": team.name, "parent": old_parent.name if old_parent else None},
        after={"team": team.name, "parent": parent.name if parent else None},
    )
    return team


def _teams_of(membership: Membership) -> dict:
    return {
        "main_team": membership.main_team.name if membership.main_team else None,
        "extra_teams": sorted(t.name for t in membership.extra_teams.all()),
    }


@transaction.atomic(durable=True)
def team_delete(
    *,
    team: Team,
    actor: User | None,
    move_members_to: Team | None = None,
    now: datetime | None = None,
) -> None:
    """Delete a team. Its members move to `move_members_to` in the same role (main or extra),
    or, when it is None, just lose this team. Its child teams move up to its parent. Presets
    that put people in it put them in `move_members_to` instead (or in no team).
    """
    now = now or timezone.now()
    account_lock(team.account_id)
    team = _team_lock(team)
    account = team.account
    if move_members_to is not None:
        if move_members_to.account_id != account.pk:
            raise ValueError("members can only move to a team of the same account")
        if move_members_to.pk == team.pk:
            raise TeamMoveToItself()
    # By primary key, not DISTINCT over the join: PostgreSQL locks no rows of a DISTINCT query.
    in_team = Membership.objects.filter(Q(main_team=team) | Q(extra_teams=team)).values("pk")
    members = list(
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "main_team")
        .prefetch_related("extra_teams")
        .filter(pk__in=in_team, account=account)
        .order_by("pk")
    )
    for membership in members:
        before = _teams_of(membership)
        extras = [t for t in membership.extra_teams.all() if t.pk != team.pk]
        if membership.main_team_id == team.pk:
            membership.main_team = move_members_to
        elif move_members_to is not None:
            extras.append(move_members_to)
        # One role per team: a team that became the main team is no longer an extra one.
        extras = {t.pk: t for t in extras if t.pk != membership.main_team_id}.values()
        membership.save(update_fields=["main_team", "updated_at"])
        membership.extra_teams.set(list(extras))
        audit_record(
            account=account,
            actor=actor,
            verb=AuditVerb.TEAMS_CHANGED,
            target=membership,
            before=before,
            after={
                "main_team": membership.main_team.name if membership.main_team else None,
                "extra_teams": sorted(t.name for t in extras),
            },
            now=now,
        )
    using_team = Preset.objects.filter(Q(main_team=team) | Q(extra_teams=team)).values("pk")
    presets = list(
        Preset.objects.select_for_update().filter(pk__in=using_team, account=account).order_by("pk")
    )
    for preset in presets:
        if preset.main_team_id == team.pk:
            preset.main_team = move_members_to
            preset.save(update_fields=["main_team"])
        else:
            preset.extra_teams.remove(team)
            if move_members_to is not None and move_members_to.pk != preset.main_team_id:
                preset.extra_teams.add(move_members_to)
    children = list(
        Team.objects.filter(parent=team).order_by("name").values_list("name", flat=True)
    )
    Team.objects.filter(parent=team).update(parent=team.parent_id)
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.TEAM_DELETED,
        before={
            "team": team.name,
            "parent": team.parent.name if team.parent else None,
            "members": len(members),
            "child_teams": children,
        },
        after={
            "members_moved_to": move_members_to.name if move_members_to else None,
            "presets_changed": sorted(p.name for p in presets),
        },
        now=now,
    )
    team.delete()


@transaction.atomic(durable=True)
def team_member_add(
    *, team: Team, membership: Membership, role: TeamRole, actor: User | None
) -> Membership:
    """Put a member in a team as their main team (replacing the one they had) or as an extra."""
    role = TeamRole(role)
    if membership.account_id != team.account_id:
        raise ValueError("a member can only join a team of their account")
    # The team's lock keeps it from being deleted while the member joins it.
    team = _team_lock(team)
    membership = member_lock(membership)
    before = _teams_of(membership)
    if role == TeamRole.MAIN:
        membership.main_team = team
        membership.save(update_fields=["main_team", "updated_at"])
        membership.extra_teams.remove(team)
    elif membership.main_team_id != team.pk:
        membership.extra_teams.add(team)
    else:
        # Already in it as main team: making it an extra team too would give two roles.
        membership.main_team = None
        membership.save(update_fields=["main_team", "updated_at"])
        membership.extra_teams.add(team)
    after = _teams_of(membership)
    if after != before:
        audit_record(
            account=team.account,
            actor=actor,
            verb=AuditVerb.TEAMS_CHANGED,
            target=membership,
            before=before,
            after=after,
        )
    return membership


@transaction.atomic(durable=True)
def team_member_remove(*, team: Team, membership: Membership, actor: User | None) -> Membership:
    """Take a member out of a team, whichever role they had in it."""
    if membership.account_id != team.account_id:
        raise ValueError("a member can only leave a team of their account")
    team = _team_lock(team)
    membership = member_lock(membership)
    before = _teams_of(membership)
    if membership.main_team_id == team.pk:
        membership.main_team = None
        membership.save(update_fields=["main_team", "updated_at"])
    membership.extra_teams.remove(team)
    after = _teams_of(membership)
    if after != before:
        audit_record(
            account=team.account,
            actor=actor,
            verb=AuditVerb.TEAMS_CHANGED,
            target=membership,
            before=before,
            after=after,
        )
    return membership


@transaction.atomic(durable=True)
def team_create(
    *,
    account: Account,
    name: str,
    actor: User | None,
    parent: Team | None = None,
    commit_with: Callable[[Team], None] | None = None,
) -> Team:
    """ "Create team": a name unique in the account, under `parent` or at the top.
    `commit_with(team)` is a caller's write that must commit with the team or not at all (the
    JSON API's idempotency record), called inside the team's transaction."""
    if parent is not None and parent.account_id != account.pk:
        raise ValueError("a team's parent must be in the same account")
    team = Team(account=account, name=team_name_check(account=account, name=name), parent=parent)
    team.full_clean(validate_constraints=False)
    named_row_save(team, taken=TeamNameTaken)
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.TEAM_CREATED,
        after={"name": team.name, "parent": parent.name if parent else None},
    )
    if commit_with is not None:
        commit_with(team)
    return team


@transaction.atomic(durable=True)
def member_teams_set(
    *,
    membership: Membership,
    main_team: Team | None,
    extra_teams: list[Team],
    actor: User | None,
    actor_membership: Membership | None = None,
) -> Membership:
    """Put a member in one main team and any number of extra teams of their account. Only a
    super admin changes a super admin's teams (`actor_membership` None is system work)."""
    teams = [main_team, *extra_teams] if main_team else list(extra_teams)
    if any(team.account_id != membership.account_id for team in teams):
        raise ValueError("teams must belong to the member's account")
    membership = member_lock(membership)
    super_admin_target_check(membership, actor_membership)
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


@transaction.atomic(durable=True)
def team_members_set_many(
    *,
    team: Team,
    add: Iterable[Membership] = (),
    remove: Iterable[Membership] = (),
    actor: User | None,
) -> list[Membership]:
    """Put many members in a team and take others out, in one transaction (a directory's group
    pushed whole). One joining without a main team gets this one as main team, else as an extra
    one; one leaving loses it whichever role they had. Returns the members whose teams changed."""
    add_ids = {m.pk for m in add}
    remove_ids = {m.pk for m in remove} - add_ids
    account = account_lock(team.account_id)
    team = _team_lock(team)
    members = members_lock(account, add_ids | remove_ids)
    if len(members) != len(add_ids | remove_ids):
        raise ValueError("members must belong to the team's account")
    extra_of = defaultdict(set)
    for member_id, team_id in Membership.extra_teams.through.objects.filter(
        membership_id__in=[m.pk for m in members]
    ).values_list("membership_id", "team_id"):
        extra_of[member_id].add(team_id)
    names = dict(Team.objects.filter(account=account).values_list("pk", "name"))
    changed = []
    for member in members:
        extras = set(extra_of[member.pk])
        main = member.main_team_id
        before = {"main_team": names.get(main), "extra_teams": sorted(names[t] for t in extras)}
        if member.pk in add_ids and team.pk != main and team.pk not in extras:
            if main is None:
                main = team.pk
            else:
                extras.add(team.pk)
        elif member.pk in remove_ids:
            main = None if main == team.pk else main
            extras.discard(team.pk)
        after = {"main_team": names.get(main), "extra_teams": sorted(names[t] for t in extras)}
        if after == before:
            continue
        if main != member.main_team_id:
            member.main_team_id = main
            member.save(update_fields=["main_team", "updated_at"])
        member.extra_teams.set(extras)
        audit_record(
            account=account,
            actor=actor,
            verb=AuditVerb.TEAMS_CHANGED,
            target=member,
            before=before,
            after=after,
        )
        changed.append(member)
    return changed
