"""Settings → "API keys": made by super admins only, the token shown once and kept only as a
hash, expiry, revoking, and both written to the Audit log under the key's name."""

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, AuditVerb
from api.errors import ApiKeyExpiryPast, ApiKeyNameRequired, ApiKeyScopesRequired
from api.models import ApiKey
from api.selectors import api_key_for_token
from api.services import api_key_create, api_key_revoke
from seats.changes import audit_rows
from tests.api.conftest import bearer, token_for
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def signed_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_a_new_key_is_a_256_bit_smk_token_kept_only_as_its_sha256(admin):
    created = api_key_create(
        actor_membership=admin, name="HRIS sync", scopes=["users:read"], expires_on=None
    )

    prefix, key_id, secret = created.token.split("_", 2)
    assert prefix == "smk" and key_id == created.key.key_id
    assert len(secret) >= 43  # 32 random bytes, base64url
    stored = ApiKey.objects.get()
    assert stored.secret_hash == hashlib.sha256(created.token.encode()).hexdigest()
    assert secret not in str(list(ApiKey.objects.values()))


@pytest.mark.parametrize(
    ("name", "scopes", "days", "error"),
    [
        (" ", ["users:read"], None, ApiKeyNameRequired),
        ("Sync", [], None, ApiKeyScopesRequired),
        ("Sync", ["nonsense"], None, ApiKeyScopesRequired),
        ("Sync", ["users:read"], -1, ApiKeyExpiryPast),
    ],
)
def test_a_key_without_a_name_a_scope_or_with_a_past_expiry_is_refused(
    admin, name, scopes, days, error
):
    expires = timezone.localdate() + timedelta(days=days) if days is not None else None
    with pytest.raises(error):
        api_key_create(actor_membership=admin, name=name, scopes=scopes, expires_on=expires)
    assert not ApiKey.objects.exists()


def test_creating_and_revoking_a_key_are_audit_events_naming_it(admin):
    created = api_key_create(
        actor_membership=admin,
        name="Nightly report",
        scopes=["billing:read", "users:read"],
        expires_on=None,
    )
    api_key_revoke(key=created.key, actor_membership=admin)

    events = AuditEvent.objects.filter(verb__startswith="api_key.").order_by("id")
    assert [e.verb for e in events] == [AuditVerb.API_KEY_CREATED, AuditVerb.API_KEY_REVOKED]
    created_row, revoked_row = audit_rows(events)
    assert (created_row.action, created_row.subject) == ("API key created", "Nightly report")
    assert created_row.actor == "Ada Lovelace"  # made on the page, by a person
    assert [(c.label, c.after) for c in created_row.changes] == [
        ("Name", "Nightly report"),
        ("Scopes", "users:read, billing:read"),
    ]
    assert (revoked_row.action, revoked_row.subject) == ("API key revoked", "Nightly report")


def test_the_page_shows_the_token_once_and_lists_the_key_without_it(admin):
    client = signed_in(admin)

    response = client.post(
        reverse("api:api_key_create"),
        {"name": "HRIS sync", "scopes": ["users:read", "users:write"], "expires_on": ""},
    )

    assert response.status_code == 200
    token = response.context["created"].token
    assert token.encode() in response.content
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    listing = client.get(reverse("api:api_keys"))
    assert b"HRIS sync" in listing.content
    assert token.encode() not in listing.content
    assert token.split("_", 2)[2].encode() not in listing.content


def test_the_form_says_what_is_missing_at_the_field(admin):
    response = signed_in(admin).post(reverse("api:api_key_create"), {"name": "", "scopes": []})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["This field is required."],
        "scopes": ["Choose at least one scope."],
    }
    assert not ApiKey.objects.exists()


def test_only_super_admins_open_the_api_keys_pages(admin, token):
    users_admin = MembershipFactory(account=admin.account)
    key = ApiKey.objects.get()
    for url in (
        reverse("api:api_keys"),
        reverse("api:api_key_create"),
        reverse("api:api_key_revoke", args=[key.pk]),
    ):
        assert signed_in(users_admin).get(url).status_code == 403
        assert signed_in(admin).get(url).status_code == 200


def test_another_accounts_key_cannot_be_revoked(admin, token):
    other_admin = MembershipFactory(super_admin=True)
    key = ApiKey.objects.get()

    response = signed_in(other_admin).post(reverse("api:api_key_revoke", args=[key.pk]))

    assert response.status_code == 404
    assert ApiKey.objects.get().revoked_at is None


def test_revoking_on_the_page_makes_the_next_call_401(admin, token):
    api = Client(headers=bearer(token))
    assert api.get("/api/v1/users").status_code == 200
    key = ApiKey.objects.get()

    confirm = signed_in(admin).get(reverse("api:api_key_revoke", args=[key.pk]))
    assert b"Revoke \xe2\x80\x9cHRIS sync\xe2\x80\x9d?" in confirm.content
    signed_in(admin).post(reverse("api:api_key_revoke", args=[key.pk]))

    response = api.get("/api/v1/users")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_an_expired_key_is_refused_from_the_day_after_its_last_day(admin, time_machine):
    today = timezone.localdate()
    token = token_for(admin, expires_on=today)
    api = Client(headers=bearer(token))
    assert api.get("/api/v1/users").status_code == 200

    time_machine.move_to(timezone.now() + timedelta(days=1), tick=False)

    assert api.get("/api/v1/users").status_code == 401


def test_a_key_stops_working_when_its_maker_is_no_longer_a_super_admin(admin, token):
    admin.is_super_admin = False
    admin.save(update_fields=["is_super_admin"])

    assert Client(headers=bearer(token)).get("/api/v1/users").status_code == 401


def test_last_used_is_recorded(admin, token):
    assert ApiKey.objects.get().last_used_at is None

    Client(headers=bearer(token)).get("/api/v1/users")

    assert ApiKey.objects.get().last_used_at is not None


def test_a_token_is_checked_with_one_query_and_gives_its_key_account_and_maker(
    admin, token, django_assert_num_queries
):
    with django_assert_num_queries(1):
        key = api_key_for_token(token, now=timezone.now())

    assert key is not None and key.account == admin.account
    assert key.created_by == admin and key.created_by.user.email == admin.user.email
    assert "users:read" in key.scopes  # the JSON column decoded as the ORM would
    # A right key id with a wrong secret, and an unknown key id, find nothing.
    assert api_key_for_token(token[:-4] + "AAAA", now=timezone.now()) is None
    assert api_key_for_token("smk_unknown_secret", now=timezone.now()) is None
