""" "Talk to sales": the request is stored and emailed to the sales address after commit."""

import pytest
from django.core.exceptions import ValidationError

from billing.models import SalesRequest
from billing.services.sales import sales_request_create
from billing.tasks import sales_request_email_task
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return MembershipFactory(
        super_admin=True, account__name="Initech", user__email="ada@example.com"
    )


def ask(admin, **fields):
    arguments = {"message": "50 Sales seats", "phone": "+1 555 0100", "preferred_time": "Mornings"}
    return sales_request_create(account=admin.account, actor=admin.user, **(arguments | fields))


def test_the_request_is_stored(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        request = ask(admin)
    stored = SalesRequest.objects.get()
    assert stored == request
    assert (stored.account, stored.requested_by) == (admin.account, admin.user)
    assert (stored.message, stored.phone, stored.preferred_time) == (
        "50 Sales seats",
        "+1 555 0100",
        "Mornings",
    )


def test_the_sales_address_gets_an_email_after_commit(
    admin, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SALES_EMAIL = "deals@example.com"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ask(admin)
    assert mailoutbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    [email] = mailoutbox
    assert email.to == ["deals@example.com"]
    assert "Initech" in email.subject
    assert "50 Sales seats" in email.body and "+1 555 0100" in email.body
    assert "ada@example.com" in email.body
    assert SalesRequest.objects.get().emailed_at is not None


def test_the_default_sales_address(settings):
    from seatmgr import settings as project_settings

    assert project_settings.SALES_EMAIL == "sales@seatmgr.localhost"


def test_a_retried_task_sends_once(admin, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(admin)
    assert sales_request_email_task(request.pk) is False
    assert len(mailoutbox) == 1


def test_a_request_without_a_phone_is_refused_and_nothing_is_stored(admin, mailoutbox):
    with pytest.raises(ValidationError) as refused:
        ask(admin, phone="  ")
    assert "phone" in refused.value.message_dict
    assert not SalesRequest.objects.exists()
    assert mailoutbox == []
