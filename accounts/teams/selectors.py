"""Reads of the Teams tab: the team tree with its member counts, in a constant number of queries
whatever its size (counts from correlated subqueries; a join per count would multiply rows)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, QuerySet

from accounts.models import (
    Account,
    Membership,
    Team,
)
from accounts.selectors import _count, members_matching

TeamThrough = Membership.extra_teams.through


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


def team_member_candidates(*, team: Team, q: str = "", limit: int = 100) -> list[Membership]:
    """Members of the account not yet in the team, matching `q`: the "Add a member" choices."""
    in_team = team_member_list(team=team).values("pk")
    return list(members_matching(account_id=team.account_id, q=q).exclude(pk__in=in_team)[:limit])
