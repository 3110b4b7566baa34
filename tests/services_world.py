"""What the service tests of teams, permission sets and presets share: Acme and its super admin
Ada (the `account` and `admin` fixtures), and helpers to make teams and sets and read the audit.

Used by tests/accounts/teams/test_services.py and tests/seats/{permission_sets,presets}/
test_services.py, which import the fixtures by name (pytest finds a fixture in a module's
namespace); a conftest.py would have to be tests/conftest.py, global to every test.
"""

import pytest

from accounts.models import AuditEvent
from seats.permission_sets.builtin import builtin_permission_set_get
from seats.permission_sets.services import permission_set_create
from tests.factories import AccountFactory, MembershipFactory, TeamFactory

SALES_REP = dict(builtin_permission_set_get("sales_rep").permissions)


@pytest.fixture
def account():
    return AccountFactory(name="Acme")


@pytest.fixture
def admin(account):
    return MembershipFactory(account=account, super_admin=True, user__email="ada@acme.example")


def team(account, name, parent=None):
    return TeamFactory(account=account, name=name, parent=parent)


def events(verb):
    return list(AuditEvent.objects.filter(verb=verb).order_by("id"))


def teams_of(membership):
    membership.refresh_from_db()
    return (
        membership.main_team.name if membership.main_team else None,
        sorted(t.name for t in membership.extra_teams.all()),
    )


def marketing_set(account, actor_membership, name="Field marketing"):
    return permission_set_create(
        account=account,
        name=name,
        description="Events and forms",
        permissions={"crm.contacts.edit": "everything", "marketing.forms": "edit"},
        actor_membership=actor_membership,
    )
