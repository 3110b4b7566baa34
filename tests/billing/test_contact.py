"""Account & Billing → "Billing contact" and the seat-limit warning threshold."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, AuditVerb
from billing.models import BillingContact
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing_admin(client):
    admin = MembershipFactory(super_admin=True)
    client.force_login(admin.user)
    return admin


def test_the_billing_contact_is_saved(client, billing_admin):
    client.post(
        reverse("billing:contact"),
        {"form": "contact", "name": "Ada Lovelace", "email": "Ada@Example.com"},
    )
    contact = BillingContact.objects.get(account=billing_admin.account)
    assert (contact.name, contact.email) == ("Ada Lovelace", "ada@example.com")


def test_a_bad_billing_email_is_refused_at_the_field(client, billing_admin):
    response = client.post(
        reverse("billing:contact"), {"form": "contact", "name": "Ada", "email": "not-an-email"}
    )
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not BillingContact.objects.exists()


def test_the_seat_warning_threshold_is_saved_and_audited(client, billing_admin):
    client.post(reverse("billing:contact"), {"form": "warning", "threshold": "3"})
    billing_admin.account.refresh_from_db()
    assert billing_admin.account.seat_warning_threshold == 3
    event = AuditEvent.objects.get(verb=AuditVerb.BILLING_CHANGED)
    assert event.after == {"seat_warning_threshold": 3}


@pytest.mark.parametrize("bad", ["-1", "abc", "", "100001"])
def test_a_bad_threshold_is_refused_at_the_field(client, billing_admin, bad):
    response = client.post(reverse("billing:contact"), {"form": "warning", "threshold": bad})
    assert response.status_code == 200
    billing_admin.account.refresh_from_db()
    assert billing_admin.account.seat_warning_threshold == 1
