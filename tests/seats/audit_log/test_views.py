"""Audit log room (seats/audit_log/views.py, forms.py, selectors.py), the Audit log page and its
CSV export over HTTP (DOMAIN.md sections 3 and 9): for super admins only, filtered without a 500,
its cells safe in a spreadsheet, its cost constant whatever the length.
"""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, AuditVerb
from tests.factories import AuditEventFactory, MembershipFactory
from tests.pages_world import (
    Action,
    holder_of_everything_but,
    login,
)

# Fixtures, imported by name for pytest to find here (`as`: re-exported, not unused).
from tests.pages_world import admin_client as admin_client
from tests.pages_world import world as world

pytestmark = pytest.mark.django_db

SUPER = "super_admin"

ACTIONS = [
    Action("seats:audit_log", "get", SUPER),
    Action("seats:audit_log_export", "get", SUPER),
]


# --- Who may open what -------------------------------------------------------------------------


def test_the_audit_log_is_for_super_admins_only_even_with_every_permission(client, world):
    login(client, holder_of_everything_but(world, SUPER))
    assert client.get(reverse("seats:audit_log")).status_code == 403


# --- Audit log ---------------------------------------------------------------------------------


def event(world, verb, *, actor=None, email="", at=(2027, 3, 1), **fields):
    return AuditEventFactory(
        account=world.admin.account,
        actor=actor or world.admin.user,
        verb=verb,
        target_email=email,
        created_at=datetime(*at, 12, 0, tzinfo=UTC),
        **fields,
    )


@pytest.fixture
def log(world):
    """Four events in Acme, one in Globex."""
    AuditEvent.objects.all().delete()
    event(world, AuditVerb.TEAM_CREATED, at=(2027, 3, 1), after={"team": "Sales"})
    event(world, AuditVerb.PERMISSIONS_CHANGED, email="bo@acme.example", at=(2027, 3, 2))
    event(
        world,
        AuditVerb.PERMISSIONS_CHANGED,
        actor=world.bo.user,
        email="cy@acme.example",
        at=(2027, 3, 3),
    )
    event(world, AuditVerb.TEAMS_CHANGED, email="bo@acme.example", at=(2027, 3, 4))
    AuditEventFactory(account=world.other_admin.account, verb=AuditVerb.TEAM_CREATED)


def listed(response):
    return [(row.event.verb, row.subject) for row in response.context["rows"]]


def test_the_audit_log_lists_the_accounts_events_newest_first(admin_client, log):
    response = admin_client.get(reverse("seats:audit_log"))
    assert listed(response) == [
        (AuditVerb.TEAMS_CHANGED, "bo@acme.example"),
        (AuditVerb.PERMISSIONS_CHANGED, "cy@acme.example"),
        (AuditVerb.PERMISSIONS_CHANGED, "bo@acme.example"),
        (AuditVerb.TEAM_CREATED, "Sales"),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"verb": AuditVerb.PERMISSIONS_CHANGED}, ["cy@acme.example", "bo@acme.example"]),
        ({"target": "BO@acme"}, ["bo@acme.example", "bo@acme.example"]),
        (
            {"date_from": "2027-03-02", "date_to": "2027-03-03"},
            ["cy@acme.example", "bo@acme.example"],
        ),
        ({"date_to": "2027-03-01"}, ["Sales"]),
    ],
)
def test_the_audit_log_filters(admin_client, log, query, expected):
    response = admin_client.get(reverse("seats:audit_log"), query)
    assert [subject for _verb, subject in listed(response)] == expected


def test_the_last_day_there_is_as_end_date_lists_everything_never_a_500(admin_client, log):
    everything = listed(admin_client.get(reverse("seats:audit_log")))

    response = admin_client.get(reverse("seats:audit_log"), {"date_to": "9999-12-31"})

    assert response.status_code == 200
    assert listed(response) == everything


def test_the_audit_log_filters_by_actor(admin_client, world, log):
    response = admin_client.get(reverse("seats:audit_log"), {"actor": world.bo.user.pk})
    assert listed(response) == [(AuditVerb.PERMISSIONS_CHANGED, "cy@acme.example")]


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "yesterday"},
        {"actor": "999999"},
        {"verb": "nope"},
        {"date_from": "2027-03-04", "date_to": "2027-03-01"},
        {"page": "x"},
    ],
)
def test_a_bad_filter_is_shown_at_its_field_never_a_500(admin_client, log, query):
    response = admin_client.get(reverse("seats:audit_log"), query)
    assert response.status_code == 200
    assert response.context["form"].errors or "page" in query


def export(client, query=None):
    response = client.get(reverse("seats:audit_log_export"), query or {})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    # utf-8-sig: the export starts with a BOM so that spreadsheet programs read accents right.
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_csv_streams_the_filtered_list(admin_client, log):
    rows = export(admin_client, {"verb": AuditVerb.PERMISSIONS_CHANGED})
    assert rows[0][:5] == ["Time (UTC)", "Actor", "Action", "Action code", "Target"]
    assert [(r[2], r[4]) for r in rows[1:]] == [
        ("Permissions changed", "cy@acme.example"),
        ("Permissions changed", "bo@acme.example"),
    ]


def test_export_csv_neutralises_cells_a_spreadsheet_would_run(admin_client, world):
    AuditEvent.objects.all().delete()
    event(world, AuditVerb.TEAM_CREATED, after={"team": '=HYPERLINK("http://evil.example")'})
    [_header, row] = export(admin_client)
    assert row[4] == '\'=HYPERLINK("http://evil.example")'


def test_the_audit_log_has_an_empty_state(client):
    login(client, MembershipFactory(super_admin=True))
    page = client.get(reverse("seats:audit_log")).content.decode()
    assert "Nothing has happened in this account yet." in page


# --- Query counts: constant whatever the length ------------------------------------------------


def many_events(world, n, start):
    for i in range(start, start + n):
        event(
            world,
            AuditVerb.PERMISSIONS_CHANGED,
            email=f"p{i}@acme.example",
            before={"permissions": {"crm.deals.edit": "none"}},
            after={"permissions": {"crm.deals.edit": "team"}},
        )


# Each page's budget: 8 queries of every signed-in page (session, user, membership, last
# active, notifications, switcher, session save) plus the page's own reads.
PAGES = [
    ("seats:audit_log", many_events, 12),
]


@pytest.mark.parametrize(("name", "make", "budget"), PAGES)
def test_a_list_costs_the_same_queries_with_5_and_with_40_rows(
    admin_client, world, django_assert_max_num_queries, name, make, budget
):
    make(world, 5, start=0)
    with django_assert_max_num_queries(budget) as with_five:
        assert admin_client.get(reverse(name)).status_code == 200
    make(world, 35, start=5)
    with django_assert_max_num_queries(len(with_five)):
        response = admin_client.get(reverse(name))
    assert response.status_code == 200


def test_the_audit_log_shows_only_the_permissions_that_moved(admin_client, world, log):
    AuditEvent.objects.all().delete()
    event(
        world,
        AuditVerb.PERMISSIONS_CHANGED,
        email="bo@acme.example",
        before={"permissions": {"crm.deals.edit": "none", "crm.deals.view": "owned"}},
        after={"permissions": {"crm.deals.edit": "team", "crm.deals.view": "owned"}},
    )
    event(
        world,
        AuditVerb.PERMISSION_SET_CREATED,
        after={"permission_set": "Reps", "permissions": {"crm.deals.edit": "team"}},
    )
    rows = admin_client.get(reverse("seats:audit_log")).context["rows"]
    lines = [[(c.label, c.before, c.after) for c in row.changes] for row in rows]
    assert lines == [
        [("Permission set", "—", "Reps"), ("Deals: Edit", "—", "Team only")],
        [("Deals: Edit", "None", "Team only")],
    ]
