"""The reclaim policy: off by default; warns each inactive person and the super admins the
warning's days before, then moves them to a View-only seat (the seat stays bought and free);
exemptions; given back with the same seat within 30 days; idempotent, catches up, one failure
per person. Time is frozen and moved (time-machine)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accounts.models import AuditEvent, AuditVerb, Notification, SeatType
from seats.models import SeatPool
from seats.pools.services import seats_assigned_count
from seats.reclaim.models import ReclaimNotice, ReclaimPolicy
from seats.reclaim.services import reclaim_policy_set, reclaim_run
from seats.users.services.seat import member_seat_change
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.seats.reclaim.conftest import CORE_DEFAULTS, NOW, signed_in

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
POLICY = reverse("seats:reclaim_policy")
CUSTOM = {**CORE_DEFAULTS, "crm.deals.delete": "everything", "crm.contacts.edit": "everything"}


def policy_on(admin, *, days=90, warning=7, people=(), teams=()):
    return reclaim_policy_set(
        account=admin.account,
        enabled=True,
        inactive_days=days,
        warning_days=warning,
        exempt_members=list(people),
        exempt_teams=list(teams),
        actor_membership=admin,
    )


def idle_member(account, email="idle@initech.example", *, last_active=NOW, **fields):
    return MembershipFactory(
        account=account, user=UserFactory(email=email), last_active_at=last_active, **fields
    )


def seat(member) -> str:
    member.refresh_from_db()
    return member.seat_type


def test_the_policy_is_off_until_a_super_admin_turns_it_on(account, admin):
    idle = idle_member(account, last_active=NOW - 400 * DAY)

    result = reclaim_run(now=NOW)

    assert result == {"warned": 0, "reclaimed": 0, "failed": 0}
    assert seat(idle) == SeatType.CORE
    assert not ReclaimPolicy.objects.exists()


def test_a_super_admin_sets_the_policy_on_its_page_and_it_is_audited(account, admin):
    team = TeamFactory(account=account, name="Field sales")
    keeper = idle_member(account, "keeper@initech.example")

    response = signed_in(admin).post(
        POLICY,
        {
            "enabled": "on",
            "inactive_days": "60",
            "warning_days": "10",
            "exempt_emails": "Keeper@initech.example",
            "exempt_teams": [team.pk],
        },
    )

    assert response.status_code == 302
    policy = ReclaimPolicy.objects.get(account=account)
    assert (policy.enabled, policy.inactive_days, policy.warning_days) == (True, 60, 10)
    assert list(policy.exempt_members.all()) == [keeper]
    assert list(policy.exempt_teams.all()) == [team]
    event = AuditEvent.objects.get(verb=AuditVerb.RECLAIM_POLICY_CHANGED)
    assert event.after["exempt_people"] == ["keeper@initech.example"]


def test_the_warning_must_come_before_the_reclaim(account, admin):
    response = signed_in(admin).post(
        POLICY, {"enabled": "on", "inactive_days": "7", "warning_days": "7"}
    )

    assert response.status_code == 200
    assert "The warning must come before" in response.content.decode()
    assert not ReclaimPolicy.objects.exists()


def test_only_super_admins_open_the_policy(account, users_admin):
    assert signed_in(users_admin).get(POLICY).status_code == 403


def test_the_person_and_the_super_admins_are_warned_the_warning_days_before(
    account, admin, django_capture_on_commit_callbacks
):
    idle = idle_member(account)
    policy_on(admin, days=90, warning=7)

    early = reclaim_run(now=NOW + 82 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        on_time = reclaim_run(now=NOW + 83 * DAY)

    assert early["warned"] == 0 and on_time["warned"] == 1
    notice = ReclaimNotice.objects.get(membership=idle)
    assert notice.reclaim_on == NOW + 90 * DAY
    assert Notification.objects.filter(
        membership=idle, text__contains="Sign in before then to keep it"
    ).exists()
    assert idle.display_name in Notification.objects.filter(membership=admin).get().text
    assert AuditEvent.objects.filter(verb=AuditVerb.RECLAIM_WARNED, target=idle).count() == 1
    assert seat(idle) == SeatType.CORE
    assert {m.to[0] for m in mail.outbox} == {"idle@initech.example", admin.user.email}


def test_the_seat_is_reclaimed_on_the_day_and_stays_bought_and_available(account, admin):
    idle = idle_member(account, permissions=CUSTOM, access="custom")
    policy_on(admin)
    pool_before = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    assigned_before = seats_assigned_count(account=account, seat_type=SeatType.CORE)
    reclaim_run(now=NOW + 83 * DAY)

    result = reclaim_run(now=NOW + 90 * DAY)

    assert result["reclaimed"] == 1
    assert seat(idle) == SeatType.VIEW_ONLY
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    assert (pool.purchased, pool.purchased_at_renewal) == (
        pool_before.purchased,
        pool_before.purchased_at_renewal,
    )
    assert seats_assigned_count(account=account, seat_type=SeatType.CORE) == assigned_before - 1
    event = AuditEvent.objects.get(verb=AuditVerb.SEAT_RECLAIMED, target=idle)
    assert event.actor is None and event.before == {"seat_type": "core"}
    assert AuditEvent.objects.filter(verb=AuditVerb.SEAT_CHANGED, target=idle).exists()
    assert Notification.objects.filter(membership=idle, text__contains="come back").exists()


def test_running_the_job_twice_does_nothing_more(account, admin):
    idle = idle_member(account)
    policy_on(admin)
    reclaim_run(now=NOW + 83 * DAY)
    reclaim_run(now=NOW + 83 * DAY)
    reclaim_run(now=NOW + 90 * DAY)

    again = reclaim_run(now=NOW + 90 * DAY)

    assert again == {"warned": 0, "reclaimed": 0, "failed": 0}
    assert ReclaimNotice.objects.filter(membership=idle).count() == 1
    assert AuditEvent.objects.filter(verb=AuditVerb.RECLAIM_WARNED).count() == 1
    assert AuditEvent.objects.filter(verb=AuditVerb.SEAT_RECLAIMED).count() == 1


def test_a_late_run_reclaims_what_was_due_meanwhile(account, admin):
    idle = idle_member(account)
    policy_on(admin)
    reclaim_run(now=NOW + 83 * DAY)

    result = reclaim_run(now=NOW + 120 * DAY)  # the job was down for a month

    assert result["reclaimed"] == 1
    assert seat(idle) == SeatType.VIEW_ONLY


def test_nobody_is_reclaimed_without_the_full_warning(account, admin):
    idle = idle_member(account)
    policy_on(admin)

    first = reclaim_run(now=NOW + 120 * DAY)  # never warned: warned now, moved a week later
    before = reclaim_run(now=NOW + 126 * DAY)
    after = reclaim_run(now=NOW + 127 * DAY)

    assert (first["warned"], first["reclaimed"]) == (1, 0)
    assert before["reclaimed"] == 0 and after["reclaimed"] == 1
    assert seat(idle) == SeatType.VIEW_ONLY


def test_someone_active_again_after_the_warning_keeps_their_seat(account, admin):
    idle = idle_member(account)
    policy_on(admin)
    reclaim_run(now=NOW + 83 * DAY)
    type(idle).objects.filter(pk=idle.pk).update(last_active_at=NOW + 85 * DAY)

    result = reclaim_run(now=NOW + 90 * DAY)

    assert result["reclaimed"] == 0
    assert seat(idle) == SeatType.CORE


def test_someone_never_active_counts_from_the_day_they_were_added(account, admin):
    never = idle_member(account, "never@initech.example", last_active=None, created_at=NOW)
    policy_on(admin)

    assert reclaim_run(now=NOW + 82 * DAY)["warned"] == 0
    assert reclaim_run(now=NOW + 83 * DAY)["warned"] == 1
    assert ReclaimNotice.objects.get(membership=never).reclaim_on == NOW + 90 * DAY


def test_super_admins_chosen_people_and_members_of_chosen_teams_are_exempt(account, admin):
    type(admin).objects.filter(pk=admin.pk).update(last_active_at=NOW - 400 * DAY)
    team = TeamFactory(account=account, name="Field sales")
    chosen = idle_member(account, "chosen@initech.example")
    in_team = idle_member(account, "team@initech.example", main_team=team)
    extra = idle_member(account, "extra@initech.example")
    extra.extra_teams.add(team)
    policy_on(admin, people=[chosen], teams=[team])

    result = reclaim_run(now=NOW + 200 * DAY)

    assert result == {"warned": 0, "reclaimed": 0, "failed": 0}
    assert {seat(m) for m in (admin, chosen, in_team, extra)} == {SeatType.CORE}


def test_deactivated_members_are_left_to_release_seat(account, admin):
    gone = idle_member(account, "gone@initech.example", deactivated=True)
    policy_on(admin)

    assert reclaim_run(now=NOW + 200 * DAY) == {"warned": 0, "reclaimed": 0, "failed": 0}
    assert seat(gone) == SeatType.CORE


def test_exempted_after_the_warning_keeps_the_seat(account, admin):
    idle = idle_member(account)
    policy = policy_on(admin)
    reclaim_run(now=NOW + 83 * DAY)
    policy.exempt_members.add(idle)

    assert reclaim_run(now=NOW + 90 * DAY)["reclaimed"] == 0
    assert seat(idle) == SeatType.CORE


def test_given_the_seat_again_within_30_days_the_permissions_come_back(account, admin):
    idle = idle_member(account, permissions=CUSTOM, access="custom")
    policy_on(admin)
    reclaim_run(now=NOW + 83 * DAY)
    reclaim_run(now=NOW + 90 * DAY)
    idle.refresh_from_db()
    assert idle.permissions != CUSTOM

    member_seat_change(
        membership=idle, seat_type=SeatType.CORE, actor_membership=admin, now=NOW + 119 * DAY
    )

    idle.refresh_from_db()
    assert (idle.seat_type, idle.permissions, idle.access) == (SeatType.CORE, CUSTOM, "custom")
    assert ReclaimNotice.objects.get(membership=idle).restored_at == NOW + 119 * DAY


def test_given_the_seat_again_after_30_days_the_old_permissions_stay_gone(account, admin):
    idle = idle_member(account, permissions=CUSTOM, access="custom")
    policy_on(admin)
    reclaim_run(now=NOW + 83 * DAY)
    reclaim_run(now=NOW + 90 * DAY)

    member_seat_change(
        membership=idle, seat_type=SeatType.CORE, actor_membership=admin, now=NOW + 121 * DAY
    )

    idle.refresh_from_db()
    assert idle.seat_type == SeatType.CORE and idle.permissions != CUSTOM
    assert ReclaimNotice.objects.get(membership=idle).restored_at is None


def test_one_persons_failure_does_not_stop_the_others(account, admin, monkeypatch, caplog):
    first = idle_member(account, "first@initech.example")
    second = idle_member(account, "second@initech.example")
    policy_on(admin)
    reclaim_run(now=NOW + 83 * DAY)
    from seats.reclaim import services

    real = services.members_seat_apply

    def failing(*, members, **kwargs):
        if members[0].pk == first.pk:
            raise RuntimeError("the database went away")
        return real(members=members, **kwargs)

    monkeypatch.setattr(services, "members_seat_apply", failing)

    result = reclaim_run(now=NOW + 90 * DAY)

    assert (result["reclaimed"], result["failed"]) == (1, 1)
    assert (seat(first), seat(second)) == (SeatType.CORE, SeatType.VIEW_ONLY)
    assert "reclaim failed" in caplog.text
    assert ReclaimNotice.objects.get(membership=first).reclaimed_at is None  # tried again later


def test_the_management_command_runs_the_job_at_the_time_given(account, admin):
    idle = idle_member(account)
    policy_on(admin)
    out = StringIO()

    call_command("reclaim_seats", "--now", (NOW + 83 * DAY).isoformat(), stdout=out)
    call_command("reclaim_seats", "--now", (NOW + 90 * DAY).isoformat(), stdout=out)

    assert "warned 1, reclaimed 0" in out.getvalue()
    assert "warned 0, reclaimed 1" in out.getvalue()
    assert seat(idle) == SeatType.VIEW_ONLY


def test_one_persons_failed_warning_does_not_stop_the_others(account, admin, monkeypatch, caplog):
    first = idle_member(account, "first@initech.example")
    second = idle_member(account, "second@initech.example")
    policy_on(admin)
    from seats.reclaim import services

    real = services.members_notify

    def failing(*, notices, now):
        if any(n.membership.pk == first.pk for n in notices):
            raise RuntimeError("the mail queue went away")
        return real(notices=notices, now=now)

    monkeypatch.setattr(services, "members_notify", failing)

    result = reclaim_run(now=NOW + 83 * DAY)

    assert (result["warned"], result["failed"]) == (1, 1)
    assert list(ReclaimNotice.objects.values_list("membership", flat=True)) == [second.pk]
    assert "reclaim warning failed" in caplog.text
    monkeypatch.setattr(services, "members_notify", real)
    assert reclaim_run(now=NOW + 84 * DAY)["warned"] == 1  # the next run warns them
