"""The pages of "Request a seat": "Your seat" (the form), Users & Teams → "Seat requests" (the
list, its tab count, Approve and Deny) and "Add seats" opened to buy one seat and approve."""

import re
import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import SeatType
from accounts.policy import ON, AccountPermission
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from seats.catalogue import seat_default_permissions
from seats.models import SeatRequest, SeatRequestStatus
from seats.requests.services import seat_request_create
from tests.factories import AccountFactory, CardOnFileFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 4, 1, tzinfo=UTC)


def subscribed(name: str, sales: int = 1):
    account = AccountFactory(name=name)
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={SeatType.SALES: sales},
    )
    return account


@pytest.fixture
def account():
    return subscribed("Acme")


@pytest.fixture
def admin(account):
    return MembershipFactory(account=account, super_admin=True)


@pytest.fixture
def viewer(account):
    return MembershipFactory(account=account, view_only=True)


def ask(membership, seat_type=SeatType.SALES):
    return seat_request_create(membership=membership, seat_type=seat_type, reason="Forecasts")


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_a_viewer_requests_a_seat_from_your_seat(client, account, viewer):
    client.force_login(viewer.user)
    page = client.get(reverse("seats:my_seat"))
    assert "You have a View-only seat" in text(page)
    assert "Needs a Sales seat" in text(page)  # the paid tools they can't use
    response = client.post(
        reverse("seats:my_seat"), {"seat_type": "sales", "reason": "I run forecasts"}
    )
    assert response.status_code == 302
    assert SeatRequest.objects.get().reason == "I run forecasts"
    assert "Your request was sent" in text(client.get(reverse("seats:my_seat")))


def test_the_profile_of_a_viewer_offers_request_a_seat(client, viewer):
    client.force_login(viewer.user)
    page = client.get(reverse("accounts:profile"))
    assert "Request a seat" in text(page)
    assert reverse("seats:my_seat") in page.content.decode()


def test_a_duplicate_is_refused_at_the_seat_field(client, viewer):
    ask(viewer)
    client.force_login(viewer.user)
    response = client.post(reverse("seats:my_seat"), {"seat_type": "sales", "reason": "Again"})
    assert response.status_code == 200
    html = response.content.decode()
    error = re.search(r'id="id_seat_type_error".*?</div>', html, re.S)
    assert error and "You already asked for a Sales seat" in error.group(0)
    assert SeatRequest.objects.count() == 1


def test_the_reason_is_required_and_bounded(client, viewer):
    client.force_login(viewer.user)
    empty = client.post(reverse("seats:my_seat"), {"seat_type": "sales", "reason": ""})
    assert "Say why you need the seat" in text(empty)
    long = client.post(reverse("seats:my_seat"), {"seat_type": "sales", "reason": "x" * 501})
    assert "Keep it to 500 characters" in text(long)
    assert not SeatRequest.objects.exists()


def test_the_tab_counts_open_requests(client, account, admin, viewer):
    ask(viewer)
    ask(MembershipFactory(account=account, view_only=True), seat_type=SeatType.CORE)
    client.force_login(admin.user)
    page = client.get(reverse("seats:users")).content.decode()
    tab = re.search(r'<a href="/settings/seat-requests/"[^>]*>(.*?)</a>', page, re.S).group(1)
    assert "Seat requests" in tab and "2 open requests" in tab


def test_approve_assigns_the_seat(client, admin, viewer):
    seat_request = ask(viewer)
    client.force_login(admin.user)
    response = client.post(reverse("seats:seat_request_approve", args=[seat_request.pk]))
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert viewer.seat_type == SeatType.SALES
    assert "now has a Sales seat" in text(client.get(response.url))


def test_with_no_seat_left_a_users_admin_is_told_a_billing_admin_can_buy_one(client, account):
    # A sales manager who adds and edits users holds the only Sales seat (and the Sales tools,
    # which a Sales seat's defaults give: nobody grants what they don't hold).
    users_admin = MembershipFactory(
        account=account,
        seat_type=SeatType.SALES,
        permissions={**seat_default_permissions(SeatType.SALES), AccountPermission.USERS: ON},
    )
    seat_request = ask(MembershipFactory(account=account, view_only=True))
    client.force_login(users_admin.user)
    page = text(client.get(reverse("seats:seat_requests")))
    assert "A billing admin can buy one and approve this request" in page
    assert "Buy 1 Sales seat and approve" not in page
    response = client.post(reverse("seats:seat_request_approve", args=[seat_request.pk]))
    shown = text(client.get(response.url))
    assert "No Sales seat is left to give" in shown, shown[shown.index("Settings") :][:600]
    assert SeatRequest.objects.get().status == SeatRequestStatus.OPEN


def test_a_billing_admin_buys_one_and_approves_through_add_seats(client, account, admin, viewer):
    MembershipFactory(account=account, seat_type=SeatType.SALES)
    CardOnFileFactory(account=account)
    seat_request = ask(viewer)
    client.force_login(admin.user)
    listing = client.get(reverse("seats:seat_requests")).content.decode()
    link = re.search(r'href="([^"]+)"[^>]*>Buy 1 Sales seat and approve', listing).group(1)
    page = client.get(link.replace("&amp;", "&"))
    assert "approves" in text(page) and "Buy 1 Sales seat and approve" in text(page)
    response = client.post(
        reverse("billing:seats_add", args=["sales"]),
        {
            "quantity": "5",  # ignored: one seat for one request
            "idempotency_key": uuid.uuid4().hex,
            "request": seat_request.pk,
            "next": reverse("seats:seat_requests"),
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("seats:seat_requests")
    viewer.refresh_from_db()
    assert viewer.seat_type == SeatType.SALES
    assert SeatRequest.objects.get().status == SeatRequestStatus.APPROVED
    assert account.seat_pools.get(seat_type=SeatType.SALES).purchased == 2


def test_deny_with_a_note(client, admin, viewer):
    seat_request = ask(viewer)
    client.force_login(admin.user)
    url = reverse("seats:seat_request_deny", args=[seat_request.pk])
    assert "Deny request" in text(client.get(url))
    client.post(url, {"note": "Next quarter"})
    seat_request.refresh_from_db()
    assert (seat_request.status, seat_request.note) == (SeatRequestStatus.DENIED, "Next quarter")


def test_another_accounts_request_is_not_found(client, admin):
    other = subscribed("Globex")
    theirs = ask(MembershipFactory(account=other, view_only=True))
    client.force_login(admin.user)
    for name in ("seats:seat_request_approve", "seats:seat_request_deny"):
        assert client.post(reverse(name, args=[theirs.pk])).status_code == 404
    add = reverse("billing:seats_add", args=["sales"]) + f"?request={theirs.pk}"
    CardOnFileFactory(account=admin.account)
    assert client.get(add).status_code == 404
    assert SeatRequest.objects.get().status == SeatRequestStatus.OPEN


def test_the_list_costs_the_same_queries_for_5_or_25_requests(client, account, admin):
    def make(n):
        for _ in range(n):
            ask(MembershipFactory(account=account, view_only=True), seat_type=SeatType.CORE)

    client.force_login(admin.user)
    url = reverse("seats:seat_requests")
    make(5)
    client.get(url)
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    make(20)
    with CaptureQueriesContext(connection) as twenty_five:
        page = client.get(url)
    assert page.content.decode().count('data-testid="seat-request-') == 25
    assert len(twenty_five) == len(five)
