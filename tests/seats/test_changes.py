"""The one change formatter (seats/changes.py): every kind of audit event the services write
reads in the product's words on the Audit log, the per-user history and their CSV exports: no
codes, no Python reprs, no ids, no ISO timestamps, nothing cut.
"""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    Account,
    AuditEvent,
    AuditVerb,
    Membership,
    SeatType,
    Team,
)
from accounts.services import account_defaults_update, account_seat_warning_set
from accounts.teams.services import team_create, team_delete, team_parent_set, team_rename
from api.services import api_key_create, api_key_revoke
from billing.models import Subscription
from billing.services.cards import billing_contact_save, card_save
from billing.services.changes import subscription_interval_switch
from billing.services.purchases import seats_purchase
from billing.services.removals import seat_removal_cancel, seat_removal_schedule
from billing.services.renewals.subscription import subscription_renew
from billing.services.savings import unassigned_seats_notify_run
from invitations.services.links import (
    invitation_link_copy,
    invitation_resend,
    invitation_revoke,
)
from scim.services import UserFields, scim_settings_save, scim_user_update
from seats.changes import audit_rows, changes_text
from seats.models import SeatPool
from seats.permission_sets.services import (
    permission_set_create,
    permission_set_delete,
    permission_set_update,
)
from seats.permissions.choice import AccessChoice, AccessMode
from seats.permissions.services import member_access_set
from seats.pools.services import seats_assigned_count
from seats.presets.services import PresetFields, preset_create, preset_delete, preset_update
from seats.reclaim.services import reclaim_policy_set, reclaim_run
from seats.requests.services import (
    seat_request_approve,
    seat_request_cancel,
    seat_request_create,
    seat_request_deny,
)
from seats.users.services.lifecycle import (
    member_deactivate,
    member_reactivate,
    member_remove,
    member_super_admin_set,
)
from seats.users.services.seat import member_seat_change

pytestmark = pytest.mark.django_db

# What must never reach a reader: Python reprs, raw booleans, ISO timestamps, stored codes.
RAW = [
    re.compile(r"[\[\]{}]"),
    # "None" is a level's label ("Contacts: Edit: None → Everything"), not a repr.
    re.compile(r"\b(True|False)\b"),
    re.compile(r"\d{4}-\d{2}-\d{2}"),
    re.compile(r"\b[a-z]+_[a-z_]+\b"),  # a snake_case code or key: view_only, marketing_email
    re.compile(r"…"),
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def member(email: str) -> Membership:
    return Membership.objects.select_related("user", "account").get(
        account__name="Demo Co.", user__email=email
    )


@pytest.fixture
def demo_events() -> Account:
    """Demo Co. as `manage.py demo` makes it, then every other kind of change, each through the
    service a page calls."""
    call_command("demo", stdout=io.StringIO())
    admin = member("superadmin@demo.example.com")
    account, actor = admin.account, admin.user
    marketing = Team.objects.get(account=account, name="Marketing")
    sales = Team.objects.get(account=account, name="Sales")
    viewer = member("viewer@demo.example.com")

    member_seat_change(membership=viewer, seat_type=SeatType.CORE, actor_membership=admin)
    account_defaults_update(account=account, actor=actor, default_language="fr")
    # The account now defaults to French; the super admin whose pages these tests read chose
    # English in their Profile, so the words asserted below stay English.
    type(actor).objects.filter(pk=actor.pk).update(language="en")
    member_access_set(
        membership=member("viewer@demo.example.com"),
        choice=AccessChoice(mode=AccessMode.TEMPLATE, template="builtin:marketer"),
        actor_membership=admin,
    )
    member_super_admin_set(membership=viewer, is_super_admin=True, actor_membership=admin)
    ops = team_create(account=account, name="Operations", actor=actor)
    team_rename(team=ops, name="Ops", actor=actor)
    team_parent_set(team=ops, parent=marketing, actor=actor)
    team_delete(team=ops, actor=actor, move_members_to=sales)
    reps = permission_set_create(
        account=account,
        name="Field reps",
        description="Deals and contacts",
        permissions={"crm.contacts.edit": "everything", "crm.deals.edit": "team"},
        actor_membership=admin,
    )
    permission_set_update(
        permission_set=reps,
        name="Field reps",
        description="Deals only",
        permissions={"crm.deals.edit": "everything"},
        actor_membership=admin,
    )
    fields = PresetFields(
        name="Starter",
        permission_set=reps,
        main_team=marketing,
        extra_teams=[sales],
        default_language="en",
        default_landing_page="marketing_email",
    )
    preset = preset_create(account=account, fields=fields, actor_membership=admin)
    preset_update(
        preset=preset,
        fields=PresetFields(**{**fields.__dict__, "default_landing_page": "deals"}),
        actor_membership=admin,
    )
    preset_delete(preset=preset, actor=actor)
    permission_set_delete(permission_set=reps, actor=actor)
    former = member("isla.former@demo.example.com")
    member_reactivate(membership=former, actor_membership=admin)
    member_deactivate(membership=former, release_seat=True, actor=actor, note="Gone")
    member_remove(membership=member("isla.former@demo.example.com"), actor_membership=admin)
    invited = member("tom.content@demo.example.com")
    invitation_link_copy(account=account, membership_id=invited.pk, actor=actor)
    invitation_resend(account=account, membership_id=invited.pk, actor=actor)
    invitation_revoke(account=account, membership_id=invited.pk, actor=actor)
    key = api_key_create(
        actor_membership=admin,
        name="HRIS sync",
        scopes=["users:read", "users:write"],
        expires_on=timezone.localdate() + timedelta(days=90),
    ).key
    api_key_revoke(key=key, actor_membership=admin)
    scim_settings_save(
        account=account,
        default_seat="core",
        fallback_seat="view_only",
        release_seat_on_deactivate=False,
        send_invitations=True,
        actor=admin,
    )
    renamed = member("tom.content@demo.example.com")
    scim_user_update(
        member=renamed,
        actor=admin,
        fields=UserFields(email=renamed.user.email, first_name="Thomas", last_name="Content"),
    )

    account_seat_warning_set(account=account, threshold=2, actor=actor)
    card_save(
        account=account,
        number="4242424242424242",
        exp_month=12,
        exp_year=2031,
        cvc="123",
        actor=actor,
    )
    billing_contact_save(
        account=account, name="Bea Lindqvist", email="bea@demo.example.com", actor=actor
    )
    seats_purchase(
        account=account, seat_type=SeatType.CORE, quantity=2, idempotency_key="k1", actor=actor
    )
    ethan, mia = member("ethan.finance@demo.example.com"), member("mia.design@demo.example.com")
    asked = seat_request_create(membership=ethan, seat_type=SeatType.CORE, reason="Budget reviews")
    seat_request_cancel(seat_request=asked, membership=ethan)
    asked = seat_request_create(membership=ethan, seat_type=SeatType.CORE, reason="Forecasts")
    seat_request_deny(seat_request=asked, actor_membership=admin, note="Next quarter")
    asked = seat_request_create(membership=mia, seat_type=SeatType.CORE, reason="Design reviews")
    seat_request_approve(seat_request=asked, actor_membership=admin)
    # Every free Core seat is to go at the renewal; assigning one more keeps one of them.
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    free = pool.total - seats_assigned_count(account=account, seat_type=SeatType.CORE)
    seat_removal_schedule(account=account, seat_type=SeatType.CORE, quantity=free, actor=actor)
    member_seat_change(
        membership=member("ava.ops@demo.example.com"),
        seat_type=SeatType.CORE,
        actor_membership=admin,
    )
    seat_removal_cancel(account=account, seat_type=SeatType.CORE, actor=actor)
    subscription_interval_switch(account=account, interval="annual", actor=actor)
    subscription = Subscription.objects.get(account=account)
    subscription_renew(
        subscription_id=subscription.pk, now=subscription.current_period_end + timedelta(hours=1)
    )
    # The reclaim policy: set, a warning, a reclaim.
    reclaim_policy_set(
        account=account,
        enabled=True,
        inactive_days=30,
        warning_days=7,
        exempt_members=[member("viewer@demo.example.com")],
        exempt_teams=[marketing],
        actor_membership=admin,
    )
    idle = member("ava.ops@demo.example.com")
    Membership.objects.filter(pk=idle.pk).update(
        last_active_at=timezone.now() - timedelta(days=40), main_team=None
    )
    idle.extra_teams.clear()
    reclaim_run(now=timezone.now())
    reclaim_run(now=timezone.now() + timedelta(days=8))
    # Savings at renewal: the billing admins told of the unassigned seats.
    renewal = Subscription.objects.get(account=account).current_period_end
    assert unassigned_seats_notify_run(now=renewal - timedelta(days=10))["sent"]
    return account


def raw_bits(text: str) -> list[str]:
    return [m.group(0) for pattern in RAW for m in pattern.finditer(text)]


def test_every_kind_of_event_reads_in_the_products_words(demo_events):
    events = AuditEvent.objects.filter(account=demo_events).select_related("actor", "target__user")
    rows = audit_rows(events)
    assert {row.event.verb for row in rows} == set(AuditVerb.values)
    for row in rows:
        lines = changes_text(row.changes)
        text = " | ".join([row.action, row.actor, row.subject, lines])
        assert raw_bits(text) == [], (row.event.verb, row.event.before, row.event.after, text)


def test_a_change_names_labels_from_the_catalogue(demo_events):
    events = AuditEvent.objects.filter(account=demo_events).select_related("actor", "target__user")
    lines = {
        (row.event.verb, change.label, change.before, change.after)
        for row in audit_rows(events)
        for change in row.changes
    }
    assert (AuditVerb.SEAT_CHANGED, "Seat", "View-only seat", "Core seat") in lines
    assert (AuditVerb.SUPER_ADMIN_CHANGED, "Super admin", "No", "Yes") in lines
    assert (AuditVerb.PERMISSIONS_CHANGED, "Built-in set", "—", "Marketer") in lines
    assert (AuditVerb.PRESET_CHANGED, "Default landing page", "Marketing email", "Deals") in lines
    assert (AuditVerb.TEAM_DELETED, "Members moved to", "—", "Sales") in lines


def test_a_long_change_is_kept_whole_and_pages_show_the_rest_in_place(demo_events):
    created = AuditEvent.objects.get(
        account=demo_events, verb=AuditVerb.MEMBER_ACTIVATED, target_email="viewer@demo.example.com"
    )
    [row] = audit_rows(
        AuditEvent.objects.filter(
            target=created.target, verb=AuditVerb.PERMISSIONS_CHANGED
        ).select_related("actor", "target__user")
    )
    assert len(row.changes) > 8
    assert row.shown + row.more == row.changes
    assert len(row.shown) == 8


def test_dates_in_events_are_written_for_people(demo_events):
    rows = audit_rows(
        AuditEvent.objects.filter(account=demo_events, verb=AuditVerb.INVITATION_LINK_COPIED)
    )
    [change] = rows[0].changes
    assert change.label == "Link expires"
    # CLDR's medium date and short time (Babel): "Dec 13, 2026, 9:24 AM" (a narrow no-break
    # space before AM), never the ISO string the event recorded.
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d\u202f[AP]M", change.after)


def export(client, url):
    response = client.get(url)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_both_csv_exports_use_the_same_words(client, demo_events):
    admin = member("superadmin@demo.example.com")
    client.force_login(admin.user)
    viewer = member("viewer@demo.example.com")
    history = export(client, reverse("seats:user_history", args=[viewer.pk]) + "?format=csv")
    log = export(client, reverse("seats:audit_log_export") + "?target=viewer@demo")
    assert (
        history[0]
        == log[0]
        == [
            "Time (UTC)",
            "Actor",
            "Action",
            "Action code",
            "Target",
            "Changes",
        ]
    )
    assert history[1:] == log[1:]
    seat = next(r for r in history if r[3] == AuditVerb.SEAT_CHANGED)
    assert "Seat: View-only seat → Core seat" in seat[5].splitlines()
    for row in history[1:]:
        assert raw_bits(row[2] + row[5]) == [], row
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row[0])


def test_the_history_page_shows_no_internal_data(client, demo_events):
    admin = member("superadmin@demo.example.com")
    client.force_login(admin.user)
    viewer = member("viewer@demo.example.com")
    page = client.get(reverse("seats:user_history", args=[viewer.pk])).content.decode()
    table = page[page.index('<table class="table history"') : page.index("</table>")]
    visible = re.sub(r"<[^>]+>", " ", table)
    assert raw_bits(visible) == []
    for word in ["seat_type", "is_super_admin", "permission_template", "extra_teams"]:
        assert word not in table
    assert "Seat" in visible and "View-only" in visible and "Core" in visible
    assert "Show" in visible  # the long permission change opens in place
