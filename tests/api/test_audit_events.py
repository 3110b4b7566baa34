"""/api/v1/audit-events: the Audit log through a key, filtered as on the page, paged by a cursor
that an event added meanwhile does not shift, each event naming the key it came through."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, AuditVerb
from tests.api.conftest import bearer, subscribed_account, token_for
from tests.factories import AuditEventFactory, MembershipFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def events(api: Client, **query) -> list[dict]:
    response = api.get("/api/v1/audit-events", query)
    assert response.status_code == 200, response.content
    return response.json()["events"]


def test_events_are_filtered_as_the_audit_log_filters_them(api, admin):
    account = admin.account
    ada, bob = admin, MembershipFactory(account=account, user__email="bob@example.com")
    target = MembershipFactory(account=account, user__email="zoe@example.com")
    on_the_2nd = AuditEventFactory(
        account=account, actor=ada.user, target=target, target_email="zoe@example.com",
        verb=AuditVerb.SEAT_CHANGED, created_at=START,
    )  # fmt: skip
    on_the_3rd = AuditEventFactory(
        account=account, actor=bob.user, verb=AuditVerb.TEAM_CREATED,
        after={"name": "Sales", "parent": None}, created_at=START + timedelta(days=1),
    )  # fmt: skip
    AuditEventFactory(verb=AuditVerb.SEAT_CHANGED, created_at=START)  # another account

    by_actor = events(api, actor=bob.user.pk)
    by_target = events(api, target="ZOE@")
    by_verb = events(api, verb="seat.changed")
    by_days = events(api, date_from="2026-03-03", date_to="2026-03-03")
    to_the_end = events(api, date_from="2026-03-02", date_to="9999-12-31")

    assert [e["id"] for e in by_actor] == [on_the_3rd.pk]
    assert [e["id"] for e in by_target] == [on_the_2nd.pk]
    assert [e["id"] for e in by_verb] == [on_the_2nd.pk]
    assert [e["id"] for e in by_days] == [on_the_3rd.pk]
    assert {on_the_2nd.pk, on_the_3rd.pk} <= {e["id"] for e in to_the_end}
    assert by_target[0] == {
        "id": on_the_2nd.pk,
        "verb": "seat.changed",
        "action": "Seat changed",
        "actor": {"id": ada.user.pk, "email": "admin@example.com", "name": "Ada Lovelace"},
        "api_key_name": None,
        "target": {"id": target.pk, "email": "zoe@example.com", "name": target.display_name},
        "subject": target.display_name,
        "before": None,
        "after": None,
        "created_at": "2026-03-02T09:00:00Z",
    }
    assert by_actor[0]["subject"] == "Sales"
    assert by_actor[0]["target"] is None


def test_since_keeps_the_events_at_or_after_a_time(api, admin):
    old = AuditEventFactory(account=admin.account, created_at=START)
    new = AuditEventFactory(account=admin.account, created_at=START + timedelta(hours=1))

    from_nine = events(api, since="2026-03-02T10:00:00+01:00", verb=AuditVerb.MEMBER_ADDED)
    after_nine = events(api, since="2026-03-02T09:00:01Z", verb=AuditVerb.MEMBER_ADDED)

    assert [e["id"] for e in from_nine] == [new.pk, old.pk]
    assert [e["id"] for e in after_nine] == [new.pk]


def test_since_with_an_offset_postgresql_does_not_take_is_read_in_utc(api, admin):
    # ISO 8601 allows "-19:58"; PostgreSQL's timestamptz stops at ±15:59 (a 500 once, found
    # by schemathesis): the time is the same instant in UTC.
    event = AuditEventFactory(account=admin.account, created_at=START)

    # 2026-03-01T13:02-19:58 is 2026-03-02T09:00Z, the event's time.
    found = events(api, since="2026-03-01T13:02:00-19:58", verb=AuditVerb.MEMBER_ADDED)
    later = events(api, since="2026-03-01T13:03:00-19:58", verb=AuditVerb.MEMBER_ADDED)

    assert event.pk in [e["id"] for e in found]
    assert event.pk not in [e["id"] for e in later]


def test_refused_filters_are_a_422_at_their_parameter(api, admin):
    backwards = api.get(
        "/api/v1/audit-events", {"date_from": "2026-03-03", "date_to": "2026-03-02"}
    )
    naive_since = api.get("/api/v1/audit-events", {"since": "2026-03-02T09:00:00"})
    bad_cursor = api.get("/api/v1/audit-events", {"cursor": "not-a-cursor"})

    assert backwards.status_code == 422
    assert [e["field"] for e in backwards.json()["errors"]] == ["query.date_to"]
    assert naive_since.status_code == 422
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["errors"][0]["field"] == "query.cursor"


def test_cursor_pages_miss_nothing_and_repeat_nothing_when_an_event_is_added_meanwhile(api, admin):
    AuditEvent.objects.filter(account=admin.account).delete()
    # Two events at the same time: the id orders them.
    made = [
        AuditEventFactory(account=admin.account, created_at=START + timedelta(minutes=i // 2))
        for i in range(7)
    ]
    first = api.get("/api/v1/audit-events", {"limit": 3}).json()
    seen = [e["id"] for e in first["events"]]
    AuditEventFactory(account=admin.account)  # now: newer than every event listed

    cursor = first["next_cursor"]
    while cursor:
        page = api.get("/api/v1/audit-events", {"limit": 3, "cursor": cursor}).json()
        seen += [e["id"] for e in page["events"]]
        cursor = page["next_cursor"]

    newest_first = sorted(made, key=lambda e: (e.created_at, e.pk), reverse=True)
    assert seen == [e.pk for e in newest_first]


def test_a_change_made_through_a_key_names_the_key_and_its_maker(api, admin):
    api.post(
        "/api/v1/teams",
        {"name": "Sales"},
        content_type="application/json",
        headers={"Idempotency-Key": "sales"},
    )
    page_member = MembershipFactory(account=admin.account, super_admin=True)
    signed_in = Client()
    signed_in.force_login(page_member.user)
    signed_in.post(
        "/api/v1/teams",
        {"name": "Support"},
        content_type="application/json",
        headers={"Idempotency-Key": "support"},
    )

    created = events(api, verb="team.created")

    assert [(e["subject"], e["api_key_name"], e["actor"]["id"]) for e in created] == [
        ("Support", None, page_member.user.pk),
        ("Sales", "HRIS sync", admin.user.pk),
    ]


def test_another_accounts_key_reads_only_its_own_events(admin):
    other_admin = MembershipFactory(account=subscribed_account("Globex"), super_admin=True)
    AuditEventFactory(account=admin.account, verb=AuditVerb.TEAM_CREATED)
    globex = Client(headers=bearer(token_for(other_admin, name="Globex key")))

    listed = globex.get("/api/v1/audit-events").json()["events"]

    assert listed
    assert all(e["verb"] != "team.created" for e in listed)
    assert set(AuditEvent.objects.filter(pk__in=[e["id"] for e in listed]).values_list(
        "account", flat=True
    )) == {other_admin.account_id}  # fmt: skip


def _query_count(api, admin, n: int) -> int:
    AuditEvent.objects.filter(account=admin.account).delete()
    for i in range(n):
        actor = MembershipFactory(account=admin.account)
        target = MembershipFactory(account=admin.account)
        AuditEventFactory(
            account=admin.account,
            actor=actor.user,
            target=target,
            target_email=target.user.email,
            verb=AuditVerb.SEAT_CHANGED,
            before={"seat_type": "core"},
            after={"seat_type": "view_only"},
            api_key_name="HRIS sync" if i % 2 else "",
        )
    api.get("/api/v1/audit-events")  # the key's "last used" moves once a minute: not counted
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/audit-events", {"limit": 100})
    assert len(response.json()["events"]) == n
    return len(queries)


def test_a_page_of_events_takes_as_many_queries_for_50_events_as_for_5(api, admin):
    assert _query_count(api, admin, 5) == _query_count(api, admin, 50)
