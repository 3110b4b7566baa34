"""Hypothesis against every form that takes free text or a file: whatever is typed or uploaded,
the answer is a page (never a 500), and a refused form writes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import AuditEvent, Membership, PermissionSet, Preset, Team, User
from billing.models import BillingContact, CardOnFile, Invoice
from billing.services.subscriptions import subscription_start
from invitations.models import Invitation, SalesforceConnection
from seats.models import SeatLedgerEntry
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Any text a person or a script could send in a form field, control characters and NUL included.
TEXT = st.text(max_size=300)
WATCHED: list[type[Model]] = [
    User,
    Membership,
    Team,
    Preset,
    PermissionSet,
    Invitation,
    SalesforceConnection,
    CardOnFile,
    BillingContact,
    Invoice,
    SeatLedgerEntry,
    AuditEvent,
]


def rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WATCHED}


@pytest.fixture
def admin(client):
    account = AccountFactory(name="Acme")
    subscription_start(
        account=account,
        hubs={"marketing": "professional", "sales": "professional"},
        interval="monthly",
        now=timezone.now(),
        actor=None,
        extra_seats={"core": 2},
    )
    admin = MembershipFactory(account=account, super_admin=True)
    client.force_login(admin.user)
    return admin


def post_and_check(client, url, data, **extra):
    before = rows()
    response = client.post(url, data, **extra)
    assert response.status_code < 500, (url, data)
    if response.status_code == 200:
        # The form was shown again with its errors: nothing may have been written.
        assert rows() == before, (url, data)
    return response


@FUZZ
@given(username=TEXT, password=TEXT)
def test_the_sign_in_form_never_fails(client, username, password):
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    assert response.status_code < 500


@FUZZ
@given(email=TEXT)
def test_the_forgot_password_form_never_fails(client, email):
    response = client.post(reverse("accounts:password_reset"), {"email": email})
    assert response.status_code < 500


@FUZZ
@given(first=TEXT, last=TEXT, language=TEXT)
def test_the_profile_form_never_fails(client, admin, first, last, language):
    post_and_check(
        client,
        reverse("accounts:profile"),
        {"first_name": first, "last_name": last, "language": language},
    )


@FUZZ
@given(emails=TEXT)
def test_typed_addresses_never_fail(client, admin, emails):
    post_and_check(
        client, reverse("invitations:create_user"), {"source": "typed", "emails": emails}
    )


# Any file name but "." and "..", which Django's own upload object refuses before any request.
FILE_NAMES = st.text(min_size=1, max_size=40).map(lambda n: n.replace("/", "_"))


@FUZZ
@given(content=st.binary(max_size=3000), name=FILE_NAMES.filter(lambda n: n not in {".", ".."}))
def test_any_uploaded_file_never_fails(client, admin, content, name):
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    post_and_check(
        client, reverse("invitations:create_user"), {"source": "csv", "csv_file": upload}
    )


@FUZZ
@given(url=TEXT, token=TEXT)
def test_the_salesforce_connection_form_never_fails(client, admin, url, token):
    post_and_check(
        client,
        reverse("invitations:salesforce_connect"),
        {"instance_url": url, "access_token": token},
    )


@FUZZ
@given(number=TEXT, month=TEXT, year=TEXT, cvc=TEXT)
def test_the_card_form_never_fails(client, admin, number, month, year, cvc):
    post_and_check(
        client,
        reverse("billing:card"),
        {"number": number, "exp_month": month, "exp_year": year, "cvc": cvc},
    )


@FUZZ
@given(quantity=TEXT, key=TEXT)
def test_the_add_seats_form_never_fails(client, admin, quantity, key):
    CardOnFile.objects.get_or_create(
        account=admin.account,
        defaults={
            "gateway_token": "tok_test_ok_0000000000000000",
            "brand": "Visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": 2040,
        },
    )
    response = client.post(
        reverse("billing:seats_add", args=["core"]), {"quantity": quantity, "idempotency_key": key}
    )
    assert response.status_code < 500


@FUZZ
@given(quantity=TEXT)
def test_the_remove_seats_form_never_fails(client, admin, quantity):
    post_and_check(client, reverse("billing:seats_remove", args=["core"]), {"quantity": quantity})


@FUZZ
@given(name=TEXT, email=TEXT, threshold=TEXT)
def test_the_billing_contact_and_warning_forms_never_fail(client, admin, name, email, threshold):
    url = reverse("billing:contact")
    post_and_check(client, url, {"form": "contact", "name": name, "email": email})
    post_and_check(client, url, {"form": "warning", "threshold": threshold})


@FUZZ
@given(q=TEXT, seat=TEXT, team=TEXT, status=TEXT, invitation=TEXT, access=TEXT, days=TEXT)
def test_the_users_list_filters_never_fail(
    client, admin, q, seat, team, status, invitation, access, days
):
    query = {
        "q": q,
        "seat": seat,
        "team": team,
        "status": status,
        "invitation": invitation,
        "access": access,
        "inactive_days": days,
        "sort": q[:10],
        "page": days,
    }
    assert client.get(reverse("seats:users"), query).status_code < 500
    export = client.get(reverse("seats:users_export"), query)
    assert export.status_code < 500
    b"".join(export.streaming_content)


@FUZZ
@given(note=TEXT, seat=TEXT)
def test_the_deactivate_form_never_fails(client, admin, note, seat):
    member = MembershipFactory(account=admin.account, view_only=True)
    post_and_check(
        client,
        reverse("seats:user_action", args=[member.pk, "deactivate"]),
        {"note": note, "seat": seat},
    )


@FUZZ
@given(name=TEXT, parent=TEXT)
def test_the_create_team_form_never_fails(client, admin, name, parent):
    response = client.post(reverse("accounts:teams"), {"name": name, "parent": parent})
    assert response.status_code < 500


@FUZZ
@given(actor=TEXT, target=TEXT, verb=TEXT, start=TEXT, end=TEXT)
def test_the_audit_log_filters_never_fail(client, admin, actor, target, verb, start, end):
    query = {"actor": actor, "target": target, "verb": verb, "date_from": start, "date_to": end}
    assert client.get(reverse("seats:audit_log"), query).status_code < 500


@FUZZ
@given(action=TEXT, seat=TEXT, team=TEXT, permission_set=TEXT, members=st.lists(TEXT, max_size=3))
def test_the_bulk_edit_form_never_fails(client, admin, action, seat, team, permission_set, members):
    data = {
        "action": action,
        "seat_type": seat,
        "team": team,
        "permission_set": permission_set,
        "members": members,
    }
    assert client.post(reverse("seats:users_bulk"), data).status_code < 500


@FUZZ
@given(name=TEXT, description=TEXT)
def test_the_permission_set_form_never_fails(client, admin, name, description):
    post_and_check(
        client,
        reverse("seats:permission_set_create"),
        {"name": name, "description": description},
    )


@FUZZ
@given(name=TEXT, language=TEXT, landing=TEXT)
def test_the_preset_form_never_fails(client, admin, name, language, landing):
    post_and_check(
        client,
        reverse("seats:preset_create"),
        {"name": name, "default_language": language, "default_landing_page": landing},
    )


@FUZZ
@given(days=TEXT, warning=TEXT, emails=TEXT, enabled=TEXT)
def test_the_reclaim_policy_form_never_fails(client, admin, days, warning, emails, enabled):
    post_and_check(
        client,
        reverse("seats:reclaim_policy"),
        {
            "enabled": enabled,
            "inactive_days": days,
            "warning_days": warning,
            "exempt_emails": emails,
        },
    )


@FUZZ
@given(days=TEXT, members=st.lists(TEXT, max_size=3))
def test_the_move_to_view_only_form_never_fails(client, admin, days, members):
    post_and_check(
        client, reverse("seats:inactive_move", args=["core"]), {"days": days, "members": members}
    )
