"""What people type is shown as text, never as markup: names, addresses and team names that
look like HTML, on the Users list (whose rows are drawn in Python, seats.templatetags.seats_tags)
and on a user's page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.services.subscriptions import subscription_start
from invitations.services.links import invitation_issue
from tests.factories import AccountFactory, MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(2)>'


@pytest.fixture
def world(client):
    account = AccountFactory(name="Acme")
    subscription_start(
        account=account,
        hubs={"marketing": "professional"},
        interval="monthly",
        now=timezone.now(),
        actor=None,
    )
    admin = MembershipFactory(account=account, super_admin=True)
    team = TeamFactory(account=account, name=f"Sales {ATTRIBUTE}")
    extra = TeamFactory(account=account, name=f"EMEA {SCRIPT}")
    member = MembershipFactory(
        account=account,
        user=UserFactory(email="o'brien+x@example.com"),
        first_name=SCRIPT,
        last_name=ATTRIBUTE,
        main_team=team,
    )
    member.extra_teams.add(extra)
    invitee = MembershipFactory(
        account=account, invited=True, first_name=ATTRIBUTE, last_name=SCRIPT, view_only=True
    )
    invitation_issue(membership=invitee, created_by=admin.user, now=timezone.now())
    client.force_login(admin.user)
    return member


def test_the_users_list_shows_typed_markup_as_text(client, world):
    page = client.get(reverse("seats:users")).content.decode()

    assert SCRIPT not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "o&#x27;brien+x@example.com" in page


def test_a_users_page_shows_typed_markup_as_text(client, world):
    page = client.get(reverse("seats:user", args=[world.pk])).content.decode()

    assert SCRIPT not in page
    assert "<img src=x" not in page
