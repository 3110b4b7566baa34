"""Settings → "Provisioning (SCIM)": super admins only; the base URL and the SCIM keys (the token
shown once, the key working against /scim/v2/ until revoked); the seats of provisioned users,
saved and audited, refusals at the field; seat rules by group added and removed within the
account."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, AuditVerb, SeatType
from api.models import ApiKey
from scim.models import ScimSeatRule, ScimSettings
from tests.api.conftest import token_for
from tests.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db

PAGE = "/settings/provisioning/"


def signed_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def settings_posted(**changes) -> dict:
    data = {
        "default_seat": "view_only",
        "fallback_seat": "",
        "release_seat_on_deactivate": "on",
    }
    return data | changes


@pytest.fixture
def team(account):
    return TeamFactory(account=account, name="Sales EMEA")


@pytest.fixture
def rule(admin, team):
    return ScimSeatRule.objects.create(account=admin.account, team=team, seat_type=SeatType.SALES)


# --- Who may open it ------------------------------------------------------------------------


def test_the_page_is_listed_in_the_settings_navigation_of_super_admins(admin):
    response = signed_in(admin).get(reverse("api:api_keys"))

    assert reverse("scim:settings") == PAGE
    assert b'href="/settings/provisioning/"' in response.content
    assert "Provisioning (SCIM)" in response.content.decode()


def test_only_super_admins_open_the_provisioning_pages(admin, rule):
    users_admin = MembershipFactory(account=admin.account)
    token_for(admin, scopes=["scim"], name="Okta")
    key = ApiKey.objects.get()
    pages = (
        reverse("scim:settings"),
        reverse("scim:key_revoke", args=[key.pk]),
        reverse("scim:rule_remove", args=[rule.pk]),
    )
    for url in pages:
        assert signed_in(users_admin).get(url).status_code == 403
        assert signed_in(admin).get(url).status_code == 200
        anonymous = Client().get(url)
        assert anonymous.status_code == 302
        assert "/sign-in/" in anonymous["Location"]
    profile = signed_in(users_admin).get(reverse("accounts:profile"))
    assert b"Provisioning (SCIM)" not in profile.content


def test_others_can_post_none_of_the_forms(admin, team, rule):
    users_admin = MembershipFactory(account=admin.account)
    client = signed_in(users_admin)

    assert client.post(reverse("scim:key_create"), {"name": "Okta"}).status_code == 403
    assert client.post(reverse("scim:settings_save"), settings_posted()).status_code == 403
    rule_data = {"team": team.pk, "seat_type": "core"}
    assert client.post(reverse("scim:rule_add"), rule_data).status_code == 403
    assert client.post(reverse("scim:rule_remove", args=[rule.pk])).status_code == 403
    assert not ApiKey.objects.exists()
    assert not ScimSettings.objects.exists()
    assert ScimSeatRule.objects.count() == 1


def test_the_forms_take_no_get(admin):
    client = signed_in(admin)
    for name in ("scim:key_create", "scim:settings_save", "scim:rule_add"):
        assert client.get(reverse(name)).status_code == 405


# --- Connection: the base URL and the keys --------------------------------------------------


def test_the_page_shows_the_absolute_base_url(admin):
    response = signed_in(admin).get(PAGE)

    assert response.status_code == 200
    assert b'value="http://testserver/scim/v2/"' in response.content


def test_a_key_made_here_is_shown_once_and_works_against_scim_until_revoked(admin):
    client = signed_in(admin)

    made = client.post(reverse("scim:key_create"), {"name": "Okta"})

    assert made.status_code == 200
    token = made.context["created"].token
    assert token.encode() in made.content
    key = ApiKey.objects.get()
    assert (key.name, key.scopes, key.expires_on) == ("Okta", ["scim"], None)
    idp = Client(headers={"Authorization": f"Bearer {token}"})
    assert idp.get("/scim/v2/ServiceProviderConfig").status_code == 200

    listing = client.get(PAGE)
    assert b"Okta" in listing.content
    assert token.split("_", 2)[2].encode() not in listing.content

    confirm = client.get(reverse("scim:key_revoke", args=[key.pk]))
    assert "Revoke “Okta”?" in confirm.content.decode()
    assert ApiKey.objects.get().revoked_at is None
    revoked = client.post(reverse("scim:key_revoke", args=[key.pk]), follow=True)
    assert "SCIM key “Okta” revoked." in revoked.content.decode()
    assert idp.get("/scim/v2/ServiceProviderConfig").status_code == 401
    assert AuditEvent.objects.filter(verb=AuditVerb.API_KEY_REVOKED).count() == 1


def test_a_key_needs_a_name(admin):
    response = signed_in(admin).post(reverse("scim:key_create"), {"name": "  "})

    assert response.status_code == 200
    assert response.context["key_form"].errors["name"]
    assert not ApiKey.objects.exists()


def test_only_scim_keys_are_listed_and_revoked_here(admin):
    token_for(admin, scopes=["users:read"], name="HRIS sync")
    token_for(admin, scopes=["scim"], name="Entra ID")
    hris = ApiKey.objects.get(name="HRIS sync")
    client = signed_in(admin)

    page = client.get(PAGE)

    assert [key.name for key in page.context["keys"]] == ["Entra ID"]
    assert client.post(reverse("scim:key_revoke", args=[hris.pk])).status_code == 404
    assert ApiKey.objects.get(name="HRIS sync").revoked_at is None


def test_another_accounts_scim_key_cannot_be_revoked(admin):
    other_admin = MembershipFactory(super_admin=True)
    token_for(other_admin, scopes=["scim"], name="Their Okta")
    key = ApiKey.objects.get()

    assert signed_in(admin).post(reverse("scim:key_revoke", args=[key.pk])).status_code == 404
    assert ApiKey.objects.get().revoked_at is None


# --- Seats for provisioned users ------------------------------------------------------------


def test_the_form_shows_the_defaults_before_anything_is_saved(admin):
    form = signed_in(admin).get(PAGE).context["settings_form"]

    assert form.initial == {
        "default_seat": SeatType.VIEW_ONLY,
        "fallback_seat": "",
        "release_seat_on_deactivate": True,
        "send_invitations": False,
    }


def test_saving_the_seat_settings_keeps_them_and_writes_the_audit_log(admin):
    client = signed_in(admin)

    response = client.post(
        reverse("scim:settings_save"),
        settings_posted(default_seat="core", fallback_seat="view_only", send_invitations="on"),
    )

    assert response.status_code == 302
    assert response["Location"] == PAGE
    saved = ScimSettings.objects.get(account=admin.account)
    assert (
        saved.default_seat,
        saved.fallback_seat,
        saved.release_seat_on_deactivate,
        saved.send_invitations,
    ) == ("core", "view_only", True, True)
    event = AuditEvent.objects.get(verb=AuditVerb.SCIM_SETTINGS_CHANGED)
    assert event.actor == admin.user
    assert event.before["default_seat"] == "view_only"
    assert event.after["default_seat"] == "core"
    page = client.get(PAGE)
    assert "The seats for provisioned users were saved." in page.content.decode()
    assert page.context["settings_form"].initial["default_seat"] == "core"


def test_unticking_release_seat_is_saved_as_no(admin):
    data = settings_posted()
    del data["release_seat_on_deactivate"]

    signed_in(admin).post(reverse("scim:settings_save"), data)

    assert ScimSettings.objects.get().release_seat_on_deactivate is False


def test_a_paid_fallback_seat_is_refused_at_the_field(admin):
    response = signed_in(admin).post(
        reverse("scim:settings_save"), settings_posted(fallback_seat="core")
    )

    assert response.status_code == 200
    assert list(response.context["settings_form"].errors) == ["fallback_seat"]
    assert b'id="id_fallback_seat_error"' in response.content
    assert not ScimSettings.objects.exists()
    assert not AuditEvent.objects.filter(verb=AuditVerb.SCIM_SETTINGS_CHANGED).exists()


def test_an_unknown_default_seat_is_refused_at_the_field(admin):
    response = signed_in(admin).post(
        reverse("scim:settings_save"), settings_posted(default_seat="gold")
    )

    assert list(response.context["settings_form"].errors) == ["default_seat"]
    assert not ScimSettings.objects.exists()


# --- Seat rules by group --------------------------------------------------------------------


def test_adding_a_rule_lists_it_and_writes_the_audit_log(admin, team):
    client = signed_in(admin)

    response = client.post(reverse("scim:rule_add"), {"team": team.pk, "seat_type": "sales"})

    assert response.status_code == 302
    rule = ScimSeatRule.objects.get()
    assert (rule.account, rule.team, rule.seat_type) == (admin.account, team, "sales")
    event = AuditEvent.objects.get(verb=AuditVerb.SCIM_SETTINGS_CHANGED)
    assert event.after == {"seat_rule": "Sales EMEA → sales"}
    page = client.get(PAGE).content.decode()
    assert "Members of Sales EMEA now get a Sales seat." in page
    assert "Members of <strong>Sales EMEA</strong> get a Sales seat" in page


def test_a_team_that_has_a_rule_already_is_refused_at_the_field(admin, team, rule):
    response = signed_in(admin).post(
        reverse("scim:rule_add"), {"team": team.pk, "seat_type": "core"}
    )

    assert response.status_code == 200
    assert response.context["rule_form"].errors == {
        "team": ["This team already has a seat rule. Remove it first to change it."]
    }
    assert ScimSeatRule.objects.get().seat_type == "sales"


def test_another_accounts_team_is_refused_at_the_field(admin, team):
    theirs = TeamFactory(name="Their team")

    response = signed_in(admin).post(
        reverse("scim:rule_add"), {"team": theirs.pk, "seat_type": "core"}
    )

    assert response.status_code == 200
    assert response.context["rule_form"].errors == {"team": ["Choose one of this account's teams."]}
    assert "Their team" not in response.content.decode()
    assert not ScimSeatRule.objects.exists()


def test_removing_a_rule_asks_first_then_removes_it_and_writes_the_audit_log(admin, rule):
    client = signed_in(admin)
    url = reverse("scim:rule_remove", args=[rule.pk])

    confirm = client.get(url)
    assert "Remove the seat rule for “Sales EMEA”?" in confirm.content.decode()
    assert ScimSeatRule.objects.exists()

    done = client.post(url, follow=True)

    assert not ScimSeatRule.objects.exists()
    assert "The seat rule for Sales EMEA was removed." in done.content.decode()
    event = AuditEvent.objects.get(verb=AuditVerb.SCIM_SETTINGS_CHANGED)
    assert event.before == {"seat_rule": "Sales EMEA → sales"}


def test_another_accounts_rule_is_not_found(admin):
    other_team = TeamFactory(name="Elsewhere")
    theirs = ScimSeatRule.objects.create(
        account=other_team.account, team=other_team, seat_type=SeatType.CORE
    )
    client = signed_in(admin)

    assert client.get(reverse("scim:rule_remove", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("scim:rule_remove", args=[theirs.pk])).status_code == 404
    assert ScimSeatRule.objects.exists()


def test_the_pages_refuse_put_patch_and_delete_while_the_scim_service_takes_them(admin, rule):
    """The settings pages share the "scim" namespace with /scim/v2/, which answers PATCH and
    DELETE itself: only the pages get the pages' 405."""
    client = signed_in(admin)
    for verb in ("put", "patch", "delete"):
        response = getattr(client, verb)(reverse("scim:rule_remove", args=[rule.pk]))
        assert response.status_code == 405
    assert ScimSeatRule.objects.exists()
    idp = Client(headers={"Authorization": f"Bearer {token_for(admin, scopes=['scim'])}"})
    assert idp.delete("/scim/v2/Users/999999").status_code == 404
