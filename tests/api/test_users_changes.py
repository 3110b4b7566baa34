"""/api/v1/users/{id}: PATCH (seat, access, permission set, super admin, teams, preset),
deactivate, reactivate, remove, and the invitation resent or revoked: the user page's rules,
attributed to the key, and nothing half-written when a change is refused."""

import pytest
from django.core import mail

from accounts.models import (
    AuditEvent,
    AuditVerb,
    Membership,
    MembershipStatus,
    SeatType,
)
from invitations.models import Invitation
from invitations.services.links import invitation_issue
from tests.factories import MembershipFactory, PermissionSetFactory, PresetFactory, TeamFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def patch(api, member, body):
    return api.patch(f"/api/v1/users/{member.pk}", body, content_type="application/json")


def events(member, verb) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(target=member, verb=verb))


def test_a_seat_change_moves_the_member_and_the_audit_log_names_the_key(api, account):
    member = MembershipFactory(account=account, seat_type=SeatType.VIEW_ONLY)

    response = patch(api, member, {"seat_type": "core"})

    assert response.status_code == 200, response.content
    assert response.json()["seat_type"] == "core"
    member.refresh_from_db()
    assert member.seat_type == SeatType.CORE
    (event,) = events(member, AuditVerb.SEAT_CHANGED)
    assert event.api_key_name == "HRIS sync"


def test_a_seat_nobody_has_left_is_a_409_and_nothing_changes(api, account):
    for _ in range(3):  # with the super admin, the account's 4 Core seats are held
        MembershipFactory(account=account)
    member = MembershipFactory(account=account, seat_type=SeatType.VIEW_ONLY)
    team = TeamFactory(account=account)

    response = patch(api, member, {"seat_type": "core", "teams": {"main_team_id": team.pk}})

    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    member.refresh_from_db()
    assert (member.seat_type, member.main_team) == (SeatType.VIEW_ONLY, None)


def test_a_permission_set_of_the_account_is_given_by_its_id(api, account):
    member = MembershipFactory(account=account)
    chosen = PermissionSetFactory(account=account, name="Marketers")

    response = patch(api, member, {"permission_set_id": chosen.pk})

    assert response.status_code == 200, response.content
    assert response.json()["permission_set_id"] == chosen.pk
    assert events(member, AuditVerb.PERMISSIONS_CHANGED)


def test_another_accounts_permission_set_is_refused_and_nothing_changes(api, account, admin):
    member = MembershipFactory(account=account, seat_type=SeatType.VIEW_ONLY)
    foreign = PermissionSetFactory()

    response = patch(api, member, {"seat_type": "core", "permission_set_id": foreign.pk})

    assert response.status_code == 422
    member.refresh_from_db()
    assert member.seat_type == SeatType.VIEW_ONLY
    assert member.permission_set is None


def test_teams_are_set_and_another_accounts_team_is_a_field_error(api, account):
    member = MembershipFactory(account=account)
    sales, emea = TeamFactory(account=account, name="Sales"), TeamFactory(account=account)
    foreign = TeamFactory()

    refused = patch(api, member, {"teams": {"main_team_id": foreign.pk}})
    accepted = patch(
        api, member, {"teams": {"main_team_id": sales.pk, "extra_team_ids": [emea.pk]}}
    )

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.teams.main_team_id"
    assert accepted.status_code == 200
    assert accepted.json()["main_team"] == {"id": sales.pk, "name": "Sales"}
    assert [t["id"] for t in accepted.json()["extra_teams"]] == [emea.pk]


def test_a_preset_puts_the_member_in_its_teams(api, account):
    member = MembershipFactory(account=account)
    team = TeamFactory(account=account, name="Support")
    preset = PresetFactory(account=account, main_team=team)

    response = patch(api, member, {"preset_id": preset.pk})

    assert response.status_code == 200, response.content
    assert response.json()["main_team"]["name"] == "Support"


def test_making_a_super_admin_follows_the_pages_rules(api, account):
    member = MembershipFactory(account=account)
    viewer = MembershipFactory(account=account, seat_type=SeatType.VIEW_ONLY)

    made = patch(api, member, {"is_super_admin": True})
    refused = patch(api, viewer, {"is_super_admin": True})

    assert made.status_code == 200 and made.json()["is_super_admin"] is True
    assert refused.status_code == 422
    assert Membership.objects.get(pk=viewer.pk).is_super_admin is False


def test_an_empty_patch_changes_nothing(api, account):
    member = MembershipFactory(account=account)
    before = AuditEvent.objects.count()

    response = patch(api, member, {})

    assert response.status_code == 200
    assert AuditEvent.objects.count() == before


def test_deactivate_then_reactivate_keeps_the_seat(api, account):
    member = MembershipFactory(account=account)

    off = api.post(
        f"/api/v1/users/{member.pk}/deactivate",
        {"release_seat": False, "note": "Left the company"},
        content_type="application/json",
    )
    on = api.post(f"/api/v1/users/{member.pk}/reactivate")

    assert off.status_code == 200 and off.json()["status"] == "deactivated"
    assert on.status_code == 200 and on.json()["status"] == "active"
    assert on.json()["seat_type"] == "core"
    (event,) = events(member, AuditVerb.MEMBER_DEACTIVATED)
    assert event.api_key_name == "HRIS sync"


def test_the_last_super_admin_cannot_be_deactivated(api, admin):
    response = api.post(f"/api/v1/users/{admin.pk}/deactivate", {}, content_type="application/json")

    assert response.status_code == 422
    admin.refresh_from_db()
    assert admin.status == MembershipStatus.ACTIVE


def test_only_a_deactivated_user_is_removed(api, account):
    active = MembershipFactory(account=account)
    gone = MembershipFactory(account=account, deactivated=True)

    refused = api.delete(f"/api/v1/users/{active.pk}")
    removed = api.delete(f"/api/v1/users/{gone.pk}")

    assert refused.status_code == 422
    assert refused["Content-Type"] == PROBLEM
    assert removed.status_code == 204 and removed.content == b""
    assert not Membership.objects.filter(pk=gone.pk).exists()
    assert Membership.objects.filter(pk=active.pk).exists()
    assert AuditEvent.objects.filter(verb=AuditVerb.MEMBER_REMOVED).count() == 1


def invitee(account, admin, **fields) -> Membership:
    member = MembershipFactory(account=account, invited=True, **fields)
    invitation_issue(membership=member, created_by=admin.user, now=member.created_at)
    return member


def test_resend_emails_a_fresh_link(api, account, admin, django_capture_on_commit_callbacks):
    member = invitee(account, admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/users/{member.pk}/invitation/resend")

    assert response.status_code == 200, response.content
    assert [m.to for m in mail.outbox] == [[member.user.email]]
    assert Invitation.objects.filter(membership=member).count() == 2


def test_resending_to_an_active_user_is_refused(api, admin):
    response = api.post(f"/api/v1/users/{admin.pk}/invitation/resend")

    assert response.status_code in (409, 422)
    assert response["Content-Type"] == PROBLEM


def test_revoke_stops_the_links_and_releases_the_paid_seat(api, account, admin):
    member = invitee(account, admin)

    response = api.post(f"/api/v1/users/{member.pk}/invitation/revoke")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["links_revoked"] == 1
    assert body["seat_released"] == "core"
    assert body["user"]["seat_type"] == "view_only"
    assert not Invitation.objects.filter(membership=member, revoked_at__isnull=True).exists()
