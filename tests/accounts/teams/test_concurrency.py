"""Teams room (accounts.teams): two admins changing the team tree or team names at the same moment
(DOMAIN.md section 6, STYLE.md item 3).

Real threads with their own connections, released together. Only PostgreSQL takes the row locks
this is about; on SQLite the module skips.
"""

import pytest

from accounts.models import Team
from accounts.teams.services import team_ancestor_ids, team_parent_set, team_rename
from tests.concurrency import kinds, run_together
from tests.factories import AccountFactory, MembershipFactory, TeamFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_admins_nesting_two_teams_under_each_other_build_no_cycle():
    account = AccountFactory()
    actor = MembershipFactory(account=account, super_admin=True).user
    sales, support = TeamFactory(account=account), TeamFactory(account=account)

    outcomes = run_together(
        [
            lambda: team_parent_set(team=sales, parent=support, actor=actor),
            lambda: team_parent_set(team=support, parent=sales, actor=actor),
        ]
    )

    assert kinds(outcomes) == ["Team", "TeamCycle"]
    parents = dict(Team.objects.filter(account=account).values_list("id", "parent_id"))
    for team_id in parents:
        chain = team_ancestor_ids(parents=parents, team_id=team_id)
        assert parents.get(chain[-1]) is None, "every chain of parents ends at the top level"


def test_two_admins_giving_two_teams_the_same_name_leave_one_with_it():
    account = AccountFactory()
    actor = MembershipFactory(account=account, super_admin=True).user
    first, second = TeamFactory(account=account), TeamFactory(account=account)

    outcomes = run_together(
        [
            lambda: team_rename(team=first, name="Sales", actor=actor),
            lambda: team_rename(team=second, name="SALES", actor=actor),
        ]
    )

    assert kinds(outcomes) == ["Team", "TeamNameTaken"]
    assert Team.objects.filter(account=account, name__iexact="sales").count() == 1
