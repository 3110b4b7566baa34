"""/api/v1/: the Users tab's list, a user, Create user in a batch, the seat counts; problem
details for every refusal; Idempotency-Key replays; changes attributed to the key."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import (
    AuditEvent,
    AuditVerb,
    Membership,
    MembershipStatus,
    SeatType,
    User,
)
from seats.changes import audit_csv_lines, audit_rows
from tests.api.conftest import bearer, token_for
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def post_users(api: Client, body: dict, key: str = "batch-1"):
    return api.post(
        "/api/v1/users", body, content_type="application/json", headers={"Idempotency-Key": key}
    )


def batch(*emails: str, **fields) -> dict:
    return {"users": [{"email": e} for e in emails], "seat_type": "core", **fields}


# --- GET /users -------------------------------------------------------------------------------


def test_users_are_listed_by_name_and_filtered_like_the_users_tab(api, admin):
    MembershipFactory(account=admin.account, user__first_name="Zoe", user__email="zoe@ex.com")
    MembershipFactory(
        account=admin.account, user__first_name="Bob", user__email="bob@ex.com", view_only=True
    )
    MembershipFactory(user__first_name="Eve", user__email="eve@elsewhere.com")  # another account

    everyone = api.get("/api/v1/users").json()
    viewers = api.get("/api/v1/users", {"seat": "view_only"}).json()
    searched = api.get("/api/v1/users", {"q": "zoe"}).json()
    by_email_desc = api.get("/api/v1/users", {"sort": "-email"}).json()

    assert [u["email"] for u in everyone["users"]] == [
        "admin@example.com",
        "bob@ex.com",
        "zoe@ex.com",
    ]
    assert everyone["next_cursor"] is None
    assert [u["email"] for u in viewers["users"]] == ["bob@ex.com"]
    assert [u["email"] for u in searched["users"]] == ["zoe@ex.com"]
    assert [u["email"] for u in by_email_desc["users"]] == [
        "zoe@ex.com",
        "bob@ex.com",
        "admin@example.com",
    ]


@pytest.mark.parametrize("sort", ["name", "-name", "email", "-email", "seat", "status", "-seat"])
def test_cursor_pages_miss_nobody_and_repeat_nobody_when_users_are_added_meanwhile(
    api, admin, sort
):
    for i in range(7):
        MembershipFactory(account=admin.account, user__email=f"m{i}@ex.com", invited=i % 2 == 0)
    first = api.get("/api/v1/users", {"limit": 3, "sort": sort}).json()
    seen = [u["id"] for u in first["users"]]
    # Someone who sorts before everyone on every key, added between two pages.
    MembershipFactory(
        account=admin.account, user__first_name="Aaron", user__email="aaa@ex.com", view_only=True
    )

    cursor = first["next_cursor"]
    while cursor:
        page = api.get("/api/v1/users", {"limit": 3, "sort": sort, "cursor": cursor}).json()
        seen += [u["id"] for u in page["users"]]
        cursor = page["next_cursor"]

    before_insert = set(
        Membership.objects.filter(account=admin.account)
        .exclude(user__email="aaa@ex.com")
        .values_list("pk", flat=True)
    )
    assert len(seen) == len(set(seen))
    assert before_insert <= set(seen)


def test_a_cursor_that_is_not_one_is_a_422_problem(api):
    response = api.get("/api/v1/users", {"cursor": "not-a-cursor"})

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 422 and body["errors"][0]["field"] == "query.cursor"


def members_add(account, count: int, team) -> None:
    """`count` members in bulk (10,000 one by one would take a minute), half in an extra team."""
    users = User.objects.bulk_create(
        UserFactory.build(email=f"u{i}@ex.com", first_name=f"U{i}") for i in range(count)
    )
    members = Membership.objects.bulk_create(
        MembershipFactory.build(account=account, user=u, main_team=team) for u in users
    )
    Membership.extra_teams.through.objects.bulk_create(
        Membership.extra_teams.through(membership_id=m.pk, team_id=team.pk) for m in members[::2]
    )


@pytest.mark.parametrize("members", [10, 10_000])
def test_listing_users_costs_the_same_queries_at_10_and_10000_members(api, admin, members):
    sales = admin.account.teams.create(name="Sales")
    members_add(admin.account, members - 1, sales)
    api.get("/api/v1/users")  # "last used" written once

    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/users", {"limit": 100})
        cursor = response.json()["next_cursor"]
        following = api.get("/api/v1/users", {"limit": 100, "cursor": cursor}) if cursor else None

    assert response.status_code == 200
    users = response.json()["users"]
    assert len(users) == min(members, 100)
    assert any(u["extra_teams"] == [{"id": sales.pk, "name": "Sales"}] for u in users)
    # Per page: the key (with its account and maker), the page with its extra teams.
    pages = 2 if following else 1
    assert len(queries) == 2 * pages, [q["sql"] for q in queries]
    if following:
        assert following.status_code == 200
        assert {u["id"] for u in following.json()["users"]}.isdisjoint({u["id"] for u in users})


# --- GET /users/{id} --------------------------------------------------------------------------


def test_a_user_is_read_by_id_and_another_accounts_id_is_a_404(api, admin):
    stranger = MembershipFactory()

    mine = api.get(f"/api/v1/users/{admin.pk}")
    theirs = api.get(f"/api/v1/users/{stranger.pk}")

    assert mine.status_code == 200
    assert mine.json()["email"] == "admin@example.com"
    assert mine.json()["is_super_admin"] is True
    assert theirs.status_code == 404
    assert theirs["Content-Type"] == PROBLEM
    assert theirs.json()["type"] == "urn:seatmgr:problem:not_found"


def test_the_list_says_of_a_user_exactly_what_their_own_answer_says(api, admin):
    # The list's answer is written by pydantic, a user's own by ninja's encoder: moments to the
    # second in both, whatever fraction of a second was stored.
    team = TeamFactory(account=admin.account, name="Ops")
    member = MembershipFactory(
        account=admin.account,
        main_team=team,
        last_active_at=datetime(2027, 3, 15, 9, 30, 12, 345678, tzinfo=UTC),
    )
    member.extra_teams.set([TeamFactory(account=admin.account, name="Art")])

    listed = api.get("/api/v1/users")
    own = api.get(f"/api/v1/users/{member.pk}")

    assert listed["Content-Type"] == own["Content-Type"] == "application/json; charset=utf-8"
    (entry,) = [user for user in listed.json()["users"] if user["id"] == member.pk]
    assert entry == own.json()
    assert entry["last_active_at"] == "2027-03-15T09:30:12Z"
    assert (entry["main_team"]["name"], entry["extra_teams"][0]["name"]) == ("Ops", "Art")


# --- POST /users ------------------------------------------------------------------------------


def test_a_batch_is_created_as_create_user_does_and_the_audit_log_names_the_key(
    api, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_users(api, batch("New.One@Example.com", "two@example.com"))

    assert response.status_code == 201
    body = response.json()
    assert [u["email"] for u in body["users"]] == ["new.one@example.com", "two@example.com"]
    assert {u["status"] for u in body["users"]} == {MembershipStatus.INVITED}
    assert {u["invitation_state"] for u in body["users"]} == {"pending"}
    invited = {"new.one@example.com", "two@example.com"}
    assert invited <= {to for message in mail.outbox for to in message.to}
    added = AuditEvent.objects.filter(verb=AuditVerb.MEMBER_ADDED).select_related(
        "actor", "target__user"
    )
    assert {e.api_key_name for e in added} == {"HRIS sync"}
    row = audit_rows(added)[0]
    assert (row.actor, row.actor_email) == ("API key “HRIS sync”", "Ada Lovelace")


def test_send_email_false_sends_nothing(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_users(api, batch("quiet@example.com", send_email=False))
    assert response.status_code == 201
    assert mail.outbox == []


def test_a_replay_gets_the_first_answer_and_adds_nobody_twice(api):
    first = post_users(api, batch("once@example.com"), key="k-1")
    again = post_users(api, batch("once@example.com"), key="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Membership.objects.filter(user__email="once@example.com").count() == 1


def test_the_same_idempotency_key_with_another_body_is_a_422(api):
    post_users(api, batch("once@example.com"), key="k-1")

    response = post_users(api, batch("other@example.com"), key="k-1")

    assert response.status_code == 422
    assert response.json()["type"] == "urn:seatmgr:problem:idempotency_key_reused"
    assert not Membership.objects.filter(user__email="other@example.com").exists()


def test_a_post_without_an_idempotency_key_is_a_422(api):
    response = api.post("/api/v1/users", batch("x@example.com"), content_type="application/json")

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == ["header.Idempotency-Key"]
    assert not Membership.objects.filter(user__email="x@example.com").exists()


def test_more_users_than_free_seats_is_a_409_and_adds_nobody(api, admin):
    # 3 free Core seats.
    response = post_users(api, batch(*[f"p{i}@example.com" for i in range(4)]))

    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "You need 1 more Core seat."
    assert Membership.objects.filter(account=admin.account).count() == 1


def test_a_refused_batch_lists_each_address_and_adds_nobody(api, admin):
    response = post_users(api, batch("fine@example.com", "admin@example.com", "not-an-address"))

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "not-an-address", "detail": "Not a valid email address."},
        {"field": "admin@example.com", "detail": "Already a user in this account."},
    ]
    assert not Membership.objects.filter(user__email="fine@example.com").exists()


def test_a_refused_batch_may_be_retried_with_the_same_idempotency_key(api):
    assert post_users(api, batch("admin@example.com"), key="k-2").status_code == 422
    assert post_users(api, batch("fresh@example.com"), key="k-2").status_code == 201


def test_a_super_admin_grant_follows_the_pages_rule(api):
    response = post_users(api, batch("boss@example.com", access={"mode": "super_admin"}))

    assert response.status_code == 201
    assert response.json()["users"][0]["is_super_admin"] is True


def test_the_signed_in_session_reads_with_the_members_own_rights(admin):
    client = Client()
    client.force_login(admin.user)

    response = client.get("/api/v1/users")

    assert response.status_code == 200
    assert [u["email"] for u in response.json()["users"]] == ["admin@example.com"]


def test_a_signed_in_member_without_the_users_right_gets_a_403(account):
    member = MembershipFactory(account=account)
    client = Client()
    client.force_login(member.user)

    response = client.get("/api/v1/users")

    assert response.status_code == 403
    assert response.json()["type"] == "urn:seatmgr:problem:scope_missing"


def test_a_signed_in_write_needs_the_csrf_token(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin.user)
    body = {"users": [{"email": "csrf@example.com"}], "seat_type": "core", "send_email": False}

    refused = client.post(
        "/api/v1/users", body, content_type="application/json", headers={"Idempotency-Key": "a"}
    )
    client.get("/users/")  # a page sets the CSRF cookie, as in the browser
    accepted = client.post(
        "/api/v1/users",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "a", "X-CSRFToken": client.cookies["csrftoken"].value},
    )

    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:seatmgr:problem:csrf_failed"
    assert accepted.status_code == 201, accepted.content
    assert Membership.objects.filter(user__email="csrf@example.com").count() == 1


def test_a_wrong_key_is_a_401_even_with_a_session(admin):
    client = Client(headers=bearer("smk_nope_nope"))
    client.force_login(admin.user)

    response = client.get("/api/v1/users")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


# --- GET /seats -------------------------------------------------------------------------------


def test_seat_counts_per_type_with_the_renewal_date(api, admin):
    MembershipFactory(account=admin.account)

    body = api.get("/api/v1/seats").json()

    core = next(s for s in body["seats"] if s["seat_type"] == SeatType.CORE)
    assert core == {
        "seat_type": "core",
        "label": "Core seat",
        "assigned": 2,
        "available": 2,
        "included": 3,
        "purchased": 1,
        "purchased_at_renewal": 1,
        "pending_removal": 0,
        "total": 4,
        "total_at_renewal": 4,
        "renewal_date": body["renewal_date"],
    }
    assert body["renewal_date"] is not None


# --- Docs -------------------------------------------------------------------------------------


def test_the_schema_and_its_page_are_served_without_anything_from_elsewhere(client):
    schema = client.get("/api/v1/openapi.json").json()
    page = client.get("/api/v1/docs")

    assert schema["openapi"].startswith("3.1")
    # Every operation is in it: test_authorization checks the schema against the matrix.
    assert {"/api/v1/users", "/api/v1/users/{user_id}", "/api/v1/seats"} <= set(schema["paths"])
    assert page.status_code == 200
    # Every operation is on the page.
    for path, methods in schema["paths"].items():
        for method in methods:
            assert f"{method.upper()} {path}".encode() in page.content
    assert b"https://" not in page.content.replace(b"https://seatmgr", b"")


def test_other_keys_work_on_their_own_account_only(api, admin):
    other_admin = MembershipFactory(super_admin=True)
    other = Client(headers=bearer(token_for(other_admin, name="Globex sync")))

    assert [u["email"] for u in other.get("/api/v1/users").json()["users"]] == [
        other_admin.user.email
    ]


def test_the_readmes_example_batch_is_accepted(api):
    body = {
        "users": [{"email": "grace@example.com", "first_name": "Grace", "last_name": "Hopper"}],
        "seat_type": "core",
        "access": {"mode": "template", "template": "builtin:marketer"},
        "send_email": True,
    }

    response = post_users(api, body, key="onboarding-2027-03-01")

    assert response.status_code == 201
    [grace] = response.json()["users"]
    assert (grace["name"], grace["access"], grace["permission_template"]) == (
        "Grace Hopper",
        "template",
        "marketer",
    )


def test_the_audit_logs_csv_names_the_key_and_its_maker(api, admin):
    post_users(api, batch("csv@example.com"))

    events = AuditEvent.objects.filter(verb=AuditVerb.MEMBER_ADDED).select_related("actor")
    text = "".join(audit_csv_lines(events))

    assert "API key “HRIS sync” (admin@example.com)" in text


def test_users_are_filtered_by_team_access_invitation_and_inactivity_like_the_users_tab(api, admin):
    account = admin.account
    sales = account.teams.create(name="Sales")
    seller = MembershipFactory(account=account, user__email="seller@example.com", main_team=sales)
    extra = MembershipFactory(account=account, user__email="extra@example.com")
    extra.extra_teams.add(sales)
    invited = MembershipFactory(account=account, user__email="new@example.com", invited=True)
    MembershipFactory(
        account=account,
        user__email="recent@example.com",
        last_active_at=timezone.now(),
    )

    def emails(**params) -> list[str]:
        response = api.get("/api/v1/users", {"sort": "email", **params})
        assert response.status_code == 200, response.content
        return [u["email"] for u in response.json()["users"]]

    assert emails(team=sales.pk) == ["extra@example.com", "seller@example.com"]
    assert emails(access="super_admin") == ["admin@example.com"]
    assert emails(invitation="not_sent") == [invited.user.email]
    assert "recent@example.com" not in emails(inactive_days=30)
    assert seller.user.email in emails(inactive_days=30)
    assert api.get("/api/v1/users", {"invitation": "lost"}).status_code == 422
