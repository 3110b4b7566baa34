"""/api/v1/ seats bought and removed, the subscription and its invoices: the pages' prices and
refusals, charged once per Idempotency-Key, changes attributed to the key.

Initech (tests/api/conftest.py) subscribes to Marketing and Sales Hub Professional, monthly,
from NOW (a 30-day April): an extra Core seat is 50 USD a month, it bought one; the super admin
holds one of its 4 Core seats. The clock is frozen half way through the period."""

import base64
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, AuditVerb, SeatType
from api.models import IdempotencyRecord
from billing.gateway import TestGateway, gateway_get
from billing.models import CardOnFile, Invoice
from billing.services.cards import card_save
from billing.services.purchases import seats_purchase, seats_purchase_quote
from seats.models import SeatPool
from tests.api.conftest import bearer, subscribed_account, token_for
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
NOW = datetime(2027, 4, 1, tzinfo=UTC)
HALF_WAY = datetime(2027, 4, 16, tzinfo=UTC)
VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"


class CountingGateway(TestGateway):
    """The test mode, counting the charges it was asked for."""

    def __init__(self) -> None:
        self.charges: list[int] = []

    def charge(self, **kwargs):
        charge = super().charge(**kwargs)
        self.charges.append(charge.amount_cents)
        return charge


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def half_way(account, clock):
    clock.move_to(HALF_WAY, tick=False)


@pytest.fixture
def provider(settings) -> CountingGateway:
    settings.PAYMENT_GATEWAY = f"{__name__}.CountingGateway"
    gateway_get.cache_clear()
    yield gateway_get()
    gateway_get.cache_clear()


def save_card(account, admin, number: str = VISA) -> CardOnFile:
    return card_save(
        account=account, number=number, exp_month=12, exp_year=2030, cvc="123", actor=admin.user
    )


@pytest.fixture
def card(account, admin) -> CardOnFile:
    return save_card(account, admin)


def buy(api: Client, body: dict | None = None, key: str | None = "buy-1", **query):
    headers = {"Idempotency-Key": key} if key else {}
    path = "/api/v1/seats/purchases"
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return api.post(
        path,
        body or {"seat_type": "core", "quantity": 3},
        content_type="application/json",
        headers=headers,
    )


def core(account) -> tuple[int, int]:
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    return pool.purchased, pool.purchased_at_renewal


def everything(account) -> dict[str, object]:
    """What a purchase or removal could change, to show a refused one changed none of it."""
    return {
        "pools": sorted(
            SeatPool.objects.filter(account=account).values_list(
                "seat_type", "purchased", "purchased_at_renewal"
            )
        ),
        "invoices": Invoice.objects.filter(account=account).count(),
        "audit": AuditEvent.objects.filter(account=account).count(),
    }


# --- POST /seats/purchases --------------------------------------------------------------------


def test_a_dry_run_quotes_what_the_add_seats_page_quotes_and_charges_nothing(
    api, admin, account, card, half_way, provider
):
    before = everything(account)

    response = buy(api, key=None, dry_run="true")

    page = Client()
    page.force_login(admin.user)
    quoted = page.get(reverse("billing:seats_quote", args=["core"]), {"quantity": 3}).json()
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["amount_cents"], body["period_cents"], body["unit_period_cents"]) == (
        7500,
        15000,
        5000,
    )
    assert (body["amount_cents"], body["period_cents"]) == (
        quoted["amount_cents"],
        quoted["period_cents"],
    )
    assert (body["currency"], body["quantity"], body["interval"]) == ("usd", 3, "monthly")
    assert body["period_end"] == "2027-05-01T00:00:00Z"
    assert everything(account) == before
    assert provider.charges == []
    assert not IdempotencyRecord.objects.exists()


def test_buying_charges_the_quote_once_adds_the_seats_and_answers_the_invoice(
    api, account, card, half_way, provider
):
    response = buy(api)

    assert response.status_code == 201, response.content
    body = response.json()
    invoice = Invoice.objects.get(account=account)
    assert body["invoice"]["number"] == invoice.number
    assert (body["invoice"]["total_cents"], body["invoice"]["currency"]) == (7500, "usd")
    assert (body["invoice"]["kind"], body["invoice"]["status"]) == ("purchase", "paid")
    assert [(li["quantity"], li["amount_cents"]) for li in body["invoice"]["lines"]] == [(3, 7500)]
    assert (body["seats"]["seat_type"], body["seats"]["purchased"]) == ("core", 4)
    assert body["seats"]["total"] == 7  # 3 included, 1 bought before, 3 now
    assert core(account) == (4, 4)
    assert provider.charges == [7500]
    bought = AuditEvent.objects.get(account=account, verb=AuditVerb.SEATS_BOUGHT)
    assert bought.api_key_name == "HRIS sync"


def test_a_replay_gets_the_first_answer_and_buys_nothing_more(
    api, account, card, half_way, provider
):
    first = buy(api)
    again = buy(api)

    assert again.status_code == 201
    assert again.json() == first.json()
    assert Invoice.objects.filter(account=account).count() == 1
    assert core(account) == (4, 4)
    assert provider.charges == [7500]


def test_the_same_key_with_another_body_is_a_422_and_buys_nothing(api, account, card, half_way):
    buy(api)
    before = everything(account)

    response = buy(api, {"seat_type": "core", "quantity": 2})

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"] == "urn:seatmgr:problem:idempotency_key_reused"
    assert everything(account) == before


def test_a_purchase_without_an_idempotency_key_is_a_422(api, account, card):
    response = buy(api, key=None)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["header.Idempotency-Key"]
    assert not Invoice.objects.filter(account=account).exists()


def test_two_keys_sending_the_same_idempotency_key_value_each_buy(
    api, admin, account, card, half_way
):
    other = Client(headers=bearer(token_for(admin, name="Other script")))

    assert buy(api, key="same").status_code == 201
    assert buy(other, key="same").status_code == 201

    assert Invoice.objects.filter(account=account).count() == 2
    assert core(account) == (7, 7)


def test_a_declined_card_is_a_409_changes_nothing_and_the_key_may_be_retried(
    api, admin, account, half_way
):
    save_card(account, admin, DECLINED)
    before = everything(account)

    response = buy(api)

    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] == "urn:seatmgr:problem:card_declined"
    assert "Nothing was charged" in body["detail"]
    assert everything(account) == before

    save_card(account, admin, VISA)
    assert buy(api).status_code == 201
    assert core(account) == (4, 4)


def test_without_a_card_a_purchase_is_a_409(api, account):
    response = buy(api)

    assert response.status_code == 409
    assert response.json()["type"] == "urn:seatmgr:problem:no_card_on_file"
    assert not Invoice.objects.filter(account=account).exists()


@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_without_a_subscription_buying_or_a_dry_run_is_a_409(dry_run):
    account = AccountFactory(name="Hooli")
    admin = MembershipFactory(account=account, super_admin=True)
    save_card(account, admin)
    client = Client(headers=bearer(token_for(admin)))

    response = buy(client, dry_run=dry_run)

    assert response.status_code == 409
    assert response.json()["type"] == "urn:seatmgr:problem:no_subscription"
    assert not Invoice.objects.filter(account=account).exists()


def test_seats_the_plan_does_not_sell_are_a_409(api, account, card):
    response = buy(api, {"seat_type": "service", "quantity": 1})

    assert response.status_code == 409
    assert response.json()["type"] == "urn:seatmgr:problem:seats_not_for_sale"


def test_a_quantity_out_of_range_is_a_422_naming_the_field(api, card):
    response = buy(api, {"seat_type": "core", "quantity": 0}, dry_run="true")

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.payload.quantity"]


# --- Removals ---------------------------------------------------------------------------------


def remove(api: Client, quantity: int = 1, seat_type: str = "core"):
    return api.post(
        "/api/v1/seats/removals",
        {"seat_type": seat_type, "quantity": quantity},
        content_type="application/json",
    )


def test_a_removal_is_scheduled_listed_and_cancelled(api, account):
    renews_at = api.get("/api/v1/subscription").json()["next_renewal"]["amount_cents"]

    scheduled = remove(api)

    assert scheduled.status_code == 201, scheduled.content
    body = scheduled.json()
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    assert body["removal"]["id"] == pool.pk
    assert (body["removal"]["quantity"], body["removal"]["purchased_at_renewal"]) == (1, 0)
    assert body["removal"]["effective_on"] == "2027-05-01"
    # One Core seat (50 USD a month) fewer from the renewal.
    assert body["next_renewal"]["amount_cents"] == renews_at - 5000
    assert core(account) == (1, 0)
    assert api.get("/api/v1/seats/removals").json()["removals"] == [body["removal"]]
    assert AuditEvent.objects.get(verb=AuditVerb.SEAT_REMOVAL_SCHEDULED).api_key_name

    cancelled = api.delete(f"/api/v1/seats/removals/{pool.pk}")

    assert cancelled.status_code == 204
    assert not cancelled.content
    assert core(account) == (1, 1)
    assert api.get("/api/v1/seats/removals").json() == {"removals": []}
    assert AuditEvent.objects.filter(verb=AuditVerb.SEAT_REMOVAL_CANCELLED).count() == 1
    # Nothing pending any more: the removal is gone.
    assert api.delete(f"/api/v1/seats/removals/{pool.pk}").status_code == 404


def test_removing_more_than_may_be_removed_is_a_409_and_changes_nothing(api, account):
    before = everything(account)

    response = remove(api, quantity=2)  # 1 bought; the 3 included can't go

    assert response.status_code == 409
    assert response.json()["type"] == "urn:seatmgr:problem:removal_too_large"
    assert everything(account) == before


def test_another_accounts_removal_is_a_404_and_stays(api):
    globex = subscribed_account("Globex")
    globex_admin = MembershipFactory(account=globex, super_admin=True)
    remove(Client(headers=bearer(token_for(globex_admin))))
    pool = SeatPool.objects.get(account=globex, seat_type=SeatType.CORE)

    response = api.delete(f"/api/v1/seats/removals/{pool.pk}")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert core(globex) == (1, 0)
    assert api.get("/api/v1/seats/removals").json() == {"removals": []}


# --- GET /subscription ------------------------------------------------------------------------


def test_the_subscription_shows_the_plan_period_and_next_renewal(api):
    response = api.get("/api/v1/subscription")

    assert response.status_code == 200
    body = response.json()
    assert {h["hub"]: h["tier"] for h in body["hubs"]} == {
        "marketing": "professional",
        "sales": "professional",
    }
    assert (body["status"], body["interval"], body["auto_renew"]) == ("active", "monthly", True)
    assert body["current_period_start"] == "2027-04-01T00:00:00Z"
    assert body["renewal_date"] == "2027-05-01"
    assert body["next_renewal"]["currency"] == "usd"
    assert body["next_renewal"]["amount_cents"] > 0


def test_without_a_subscription_it_is_a_404_problem():
    admin = MembershipFactory(account=AccountFactory(name="Hooli"), super_admin=True)
    client = Client(headers=bearer(token_for(admin)))

    response = client.get("/api/v1/subscription")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"] == "urn:seatmgr:problem:no_subscription"
    assert client.get("/api/v1/seats/removals").json() == {"removals": []}


# --- GET /invoices ----------------------------------------------------------------------------


def test_invoices_are_listed_newest_first_a_page_at_a_time(api, admin, account, card, clock):
    for day, key in [(2, "a"), (3, "b"), (4, "c")]:
        clock.move_to(datetime(2027, 4, day, tzinfo=UTC), tick=False)
        seats_purchase(
            account=account, seat_type="core", quantity=1, idempotency_key=key, actor=admin.user
        )
    numbers = [i.number for i in Invoice.objects.filter(account=account).order_by("-created_at")]
    globex = subscribed_account("Globex")  # another account's invoices are not listed
    save_card(globex, MembershipFactory(account=globex, super_admin=True))

    first = api.get("/api/v1/invoices", {"limit": 2}).json()
    rest = api.get("/api/v1/invoices", {"limit": 2, "cursor": first["next_cursor"]}).json()

    assert [i["number"] for i in first["invoices"]] == numbers[:2]
    assert [i["number"] for i in rest["invoices"]] == numbers[2:]
    assert rest["next_cursor"] is None
    newest = first["invoices"][0]
    assert (newest["kind"], newest["status"], newest["currency"]) == ("purchase", "paid", "usd")
    assert newest["created_at"] == "2027-04-04T00:00:00Z"
    assert newest["total_cents"] == sum(li["amount_cents"] for li in newest["lines"]) > 0


@pytest.mark.parametrize(
    "raw",
    [b"not a cursor", b'["2027-04-01T00:00:00", 1]', b'["0001-01-01T00:00:00+14:00", 1]'],
)
def test_a_cursor_that_is_not_one_is_a_422(api, raw):
    cursor = base64.urlsafe_b64encode(raw).decode()

    response = api.get("/api/v1/invoices", {"cursor": cursor})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.cursor"


def test_the_page_quote_service_is_what_the_dry_run_uses(api, account, half_way):
    quote = seats_purchase_quote(account=account, seat_type="sales", quantity=2, now=HALF_WAY)

    body = buy(api, {"seat_type": "sales", "quantity": 2}, key=None, dry_run="true").json()

    assert body["amount_cents"] == quote.amount_cents == 10000
