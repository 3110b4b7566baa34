"""The Seats, Account & Billing and Pricing pages, over HTTP with Django's test client.

DOMAIN.md section 7: only super admins and holders of "Edit billing" see and use them. The
account subscribes to Marketing Hub Professional (3 Core seats included) and Sales Hub
Professional, and bought 2 Core seats; its period is April 2027 (30 days), and the clock is
frozen half-way through it, so a Core seat (50 USD a month) costs 25 USD today.
"""

import html
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Account, AuditEvent, Membership, SeatType
from accounts.policy import ON, AccountPermission
from billing.catalogue import HubCode, TierCode
from billing.models import BillingContact, CardOnFile, Invoice, InvoiceKind, InvoiceStatus
from billing.periods import BillingInterval
from billing.services.removals import seat_removal_schedule
from billing.services.subscriptions import subscription_start
from seats.catalogue import seat_default_permissions
from seats.models import SeatLedgerEntry, SeatPool
from tests.factories import (
    AccountFactory,
    CardOnFileFactory,
    InvoiceFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db

START = datetime(2027, 4, 1, tzinfo=UTC)
HALF_WAY = datetime(2027, 4, 16, tzinfo=UTC)
CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)
VISA = "4242 4242 4242 4242"
ADD_CORE = reverse("billing:seats_add", args=[SeatType.CORE])
QUOTE_CORE = reverse("billing:seats_quote", args=[SeatType.CORE])
REMOVE_CORE = reverse("billing:seats_remove", args=[SeatType.CORE])
CANCEL_CORE = reverse("billing:seats_remove_cancel", args=[SeatType.CORE])
REMOVE_QUOTE_CORE = reverse("billing:seats_remove_quote", args=[SeatType.CORE])
CARD = reverse("billing:card")

# Every billing page, by URL name and arguments ("invoice" stands for an invoice of the account).
PAGES = [
    ("billing:seats", []),
    ("billing:seats_add", [SeatType.CORE]),
    ("billing:seats_quote", [SeatType.CORE]),
    ("billing:account", []),
    ("billing:seats_remove", [SeatType.CORE]),
    ("billing:seats_remove_cancel", [SeatType.CORE]),
    ("billing:seats_remove_quote", [SeatType.CORE]),
    ("billing:card", []),
    ("billing:invoices", []),
    ("billing:invoice", ["invoice"]),
    ("billing:contact", []),
    ("billing:pricing", []),
]
PAGE_IDS = [name.removeprefix("billing:") for name, _args in PAGES]

# What a member without "Edit billing" might post to each page that changes something.
POSTS = [
    (ADD_CORE, {"quantity": "2", "idempotency_key": "form-1"}),
    (REMOVE_CORE, {"quantity": "1"}),
    (CANCEL_CORE, {}),
    (CARD, {"number": VISA, "exp_month": "12", "exp_year": "2030", "cvc": "123"}),
    (reverse("billing:contact"), {"name": "Mallory", "email": "mallory@example.com"}),
]
POST_IDS = ["seats_add", "seats_remove", "seats_remove_cancel", "card", "contact"]


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(HALF_WAY, tick=False)
    return time_machine


@pytest.fixture
def account() -> Account:
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=START,
        actor=None,
        extra_seats={SeatType.CORE: 2},
    )
    return account


@pytest.fixture
def admin(account) -> Membership:
    return MembershipFactory(account=account, super_admin=True)


@pytest.fixture
def billing_admin(account) -> Membership:
    """Holds "Edit billing" on a Core seat, without being a super admin."""
    return MembershipFactory(
        account=account, permissions={**CORE_DEFAULTS, AccountPermission.BILLING.value: ON}
    )


@pytest.fixture
def users_admin(account) -> Membership:
    """Holds "Add and edit users", not "Edit billing"."""
    return MembershipFactory(
        account=account, permissions={**CORE_DEFAULTS, AccountPermission.USERS.value: ON}
    )


@pytest.fixture
def viewer(account) -> Membership:
    return MembershipFactory(account=account, view_only=True)


@pytest.fixture
def card(account) -> CardOnFile:
    return CardOnFileFactory(account=account)


@pytest.fixture
def invoice(account) -> Invoice:
    return InvoiceFactory(account=account)


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def page_url(name: str, args: list, invoice: Invoice) -> str:
    url = reverse(name, args=[invoice.pk if a == "invoice" else a for a in args])
    quoted = name in ("billing:seats_quote", "billing:seats_remove_quote")
    return f"{url}?quantity=1" if quoted else url


def core_pool(account: Account) -> SeatPool:
    return SeatPool.objects.get(account=account, seat_type=SeatType.CORE)


def billing_state(account: Account) -> dict[str, object]:
    """Everything a billing page could change."""
    return {
        "pools": sorted(
            SeatPool.objects.filter(account=account).values_list(
                "seat_type", "included", "purchased", "purchased_at_renewal"
            )
        ),
        "invoices": sorted(Invoice.objects.filter(account=account).values_list("pk", "status")),
        "ledger": SeatLedgerEntry.objects.filter(pool__account=account).count(),
        "cards": list(CardOnFile.objects.filter(account=account).values_list("gateway_token")),
        "contacts": list(BillingContact.objects.filter(account=account).values_list("email")),
        "audit": AuditEvent.objects.filter(account=account).count(),
    }


# --- Who may open the pages ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args"), PAGES, ids=PAGE_IDS)
@pytest.mark.parametrize("role", ["admin", "billing_admin"])
def test_a_billing_admin_or_super_admin_opens_every_billing_page(
    request, card, invoice, role, name, args
):
    member = request.getfixturevalue(role)

    response = signed_in(member).get(page_url(name, args, invoice))

    assert response.status_code == 200


@pytest.mark.parametrize(("name", "args"), PAGES, ids=PAGE_IDS)
@pytest.mark.parametrize("role", ["users_admin", "viewer"])
def test_a_member_without_edit_billing_is_refused_every_billing_page(
    request, card, invoice, role, name, args
):
    member = request.getfixturevalue(role)

    response = signed_in(member).get(page_url(name, args, invoice))

    assert response.status_code == 403


@pytest.mark.parametrize(("name", "args"), PAGES, ids=PAGE_IDS)
def test_an_anonymous_visitor_is_sent_to_sign_in(invoice, name, args):
    url = page_url(name, args, invoice)

    response = Client().get(url)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("accounts:login")
    assert parse_qs(location.query) == {"next": [url]}


def test_an_invoice_of_another_account_is_not_found(billing_admin):
    elsewhere = InvoiceFactory()

    response = signed_in(billing_admin).get(reverse("billing:invoice", args=[elsewhere.pk]))

    assert response.status_code == 404


def test_an_invoice_of_the_account_shows_its_lines(billing_admin, account):
    own = InvoiceFactory(account=account, kind=InvoiceKind.PURCHASE, total_cents=7500)
    own.lines.create(
        description="Core seat, prorated", quantity=3, unit_cents=5000, amount_cents=7500
    )

    response = signed_in(billing_admin).get(reverse("billing:invoice", args=[own.pk]))

    assert response.status_code == 200
    assert "Core seat, prorated" in response.content.decode()


@pytest.mark.parametrize(("url", "data"), POSTS, ids=POST_IDS)
@pytest.mark.parametrize("role", ["users_admin", "viewer"])
def test_a_post_by_a_member_without_edit_billing_changes_nothing(
    request, account, admin, card, role, url, data
):
    seat_removal_schedule(
        account=account, seat_type=SeatType.CORE, quantity=1, actor=admin.user, now=HALF_WAY
    )
    member = request.getfixturevalue(role)
    before = billing_state(account)

    response = signed_in(member).post(url, data)

    assert response.status_code == 403
    assert billing_state(account) == before


# --- Add seats -----------------------------------------------------------------------------------


def test_the_quote_returns_the_prorated_amount_as_json(billing_admin):
    response = signed_in(billing_admin).get(QUOTE_CORE, {"quantity": "3"})

    assert response.status_code == 200
    assert response.json() == {
        "quantity": 3,
        "amount_cents": 7500,
        "period_cents": 15000,
        "currency": "usd",
        "amount": "$75",
        "period": "$150",
    }


@pytest.mark.parametrize(
    ("quantity", "error"),
    [
        ("0", "Choose a number of seats from 1 to 1000."),
        ("-1", "Choose a number of seats from 1 to 1000."),
        ("abc", "Enter a whole number of seats."),
        ("100000", "Choose a number of seats from 1 to 1000."),
        ("", "Enter a whole number of seats."),
    ],
)
def test_the_quote_answers_a_bad_quantity_with_a_message(billing_admin, quantity, error):
    response = signed_in(billing_admin).get(QUOTE_CORE, {"quantity": quantity})

    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_the_add_seats_page_shows_the_price_due_today(billing_admin, card):
    response = signed_in(billing_admin).get(ADD_CORE, {"quantity": "3"})

    assert response.status_code == 200
    assert response.context["quote"].amount_cents == 7500


def test_add_seats_without_a_card_sends_to_the_card_page_and_back(billing_admin):
    response = signed_in(billing_admin).get(ADD_CORE)

    assert response.status_code == 302
    assert response["Location"] == f"{CARD}?next={ADD_CORE}"


def test_buy_now_without_a_card_sends_to_the_card_page_and_buys_nothing(billing_admin, account):
    before = billing_state(account)

    response = signed_in(billing_admin).post(
        ADD_CORE, {"quantity": "2", "idempotency_key": "form-1"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{CARD}?next={ADD_CORE}"
    assert billing_state(account) == before


def test_saving_a_card_returns_to_the_page_that_asked_for_it(billing_admin, account):
    response = signed_in(billing_admin).post(
        CARD,
        {"number": VISA, "exp_month": "12", "exp_year": "2030", "cvc": "123", "next": ADD_CORE},
    )

    assert response.status_code == 302
    assert response["Location"] == ADD_CORE
    assert CardOnFile.objects.get(account=account).last4 == "4242"


def test_buy_now_charges_the_card_and_grows_the_pool(billing_admin, account, card):
    response = signed_in(billing_admin).post(
        ADD_CORE, {"quantity": "2", "idempotency_key": "form-1"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:seats")
    [invoice] = Invoice.objects.filter(account=account)
    assert (invoice.status, invoice.total_cents, invoice.created_by) == (
        InvoiceStatus.PAID,
        5000,
        billing_admin.user,
    )
    assert (core_pool(account).purchased, core_pool(account).purchased_at_renewal) == (4, 4)


def test_submitting_buy_now_twice_buys_once(billing_admin, account, card):
    client = signed_in(billing_admin)
    form = {"quantity": "2", "idempotency_key": "form-1"}

    client.post(ADD_CORE, form)
    client.post(ADD_CORE, form)

    assert Invoice.objects.filter(account=account).count() == 1
    assert core_pool(account).purchased == 4


def test_a_declined_card_is_explained_on_the_page_and_buys_nothing(billing_admin, account):
    CardOnFileFactory(account=account, declined=True)
    before = billing_state(account)

    response = signed_in(billing_admin).post(
        ADD_CORE, {"quantity": "2", "idempotency_key": "form-1"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Your card was declined. Nothing was charged. Use another card or contact your bank."
    ]
    assert billing_state(account) == before


@pytest.mark.parametrize(
    ("quantity", "error"),
    [
        ("0", "Add at least 1 seat."),
        ("-1", "Add at least 1 seat."),
        ("abc", "Enter a whole number."),
        ("100000", "You can add at most 1,000 seats at a time."),
    ],
)
def test_buy_now_with_a_bad_quantity_says_why_at_the_field(
    billing_admin, account, card, quantity, error
):
    before = billing_state(account)

    response = signed_in(billing_admin).post(
        ADD_CORE, {"quantity": quantity, "idempotency_key": "form-1"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["quantity"] == [error]
    assert f'<p class="field-error" role="alert">{error}</p>' in response.content.decode()
    assert billing_state(account) == before


def test_an_unknown_seat_type_is_not_found(billing_admin, card):
    response = signed_in(billing_admin).get(reverse("billing:seats_add", args=["partner"]))

    assert response.status_code == 404


# --- Remove unassigned seats and cancel the removal ----------------------------------------------


def test_removing_seats_schedules_them_for_the_renewal(billing_admin, account):
    response = signed_in(billing_admin).post(REMOVE_CORE, {"quantity": "1"})

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:account")
    pool = core_pool(account)
    assert (pool.purchased, pool.purchased_at_renewal) == (2, 1)


@pytest.mark.parametrize(
    ("quantity", "error"),
    [
        ("0", "Remove at least 1 seat."),
        ("-1", "Remove at least 1 seat."),
        ("abc", "Enter a whole number."),
        (
            "100000",
            "You can remove at most 2 Core seats: 1 is assigned, and the 3 included with your "
            "plan can&#x27;t be removed. Unassign seats first to remove more.",
        ),
    ],
)
def test_removing_a_bad_quantity_says_why_at_the_field(billing_admin, account, quantity, error):
    before = billing_state(account)

    response = signed_in(billing_admin).post(REMOVE_CORE, {"quantity": quantity})

    assert response.status_code == 200
    assert f'<p class="field-error" role="alert">{error}</p>' in response.content.decode()
    assert billing_state(account) == before


def test_removing_more_seats_than_are_unassigned_says_why_at_the_field(billing_admin, account):
    before = billing_state(account)

    response = signed_in(billing_admin).post(REMOVE_CORE, {"quantity": "3"})

    assert response.status_code == 200
    assert response.context["form"].errors["quantity"] == [
        "You can remove at most 2 Core seats: 1 is assigned, and the 3 included with your plan "
        "can't be removed. Unassign seats first to remove more."
    ]
    assert billing_state(account) == before


def renewal_price(response) -> str:
    """The "Next renewal" preview of a remove form, as read: "$900 → $850 a month"."""
    found = re.search(r'data-testid="renewal-price">(.*?)</dd>', response.text, re.S).group(1)
    found = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", found)
    return " ".join(re.sub(r"<[^>]+>", "", html.unescape(found)).split())


def test_the_remove_dialog_previews_the_next_renewal_before_and_after(billing_admin, account):
    # Marketing Hub Pro 800 + Sales Hub Pro 0 + 2 Core seats at 50: 900 a month; one fewer: 850.
    response = signed_in(billing_admin).get(reverse("billing:account"))
    assert renewal_price(response) == "$900 → $850 a month"


def test_the_remove_page_previews_the_quantity_asked(billing_admin, account):
    response = signed_in(billing_admin).post(REMOVE_CORE, {"quantity": "3"})  # too many
    assert response.status_code == 200
    assert renewal_price(response) == "$900 → $800 a month"  # at most the 2 bought go


def test_the_renewal_preview_counts_a_removal_already_scheduled(billing_admin, account):
    seat_removal_schedule(
        account=account, seat_type=SeatType.CORE, quantity=1, actor=billing_admin.user
    )
    response = signed_in(billing_admin).get(REMOVE_QUOTE_CORE, {"quantity": "1"})
    assert response.json() == {
        "quantity": 1,
        "before_cents": 85000,
        "after_cents": 80000,
        "before": "$850",
        "after": "$800",
    }


@pytest.mark.parametrize(
    ("quantity", "error"),
    [
        ("0", "Choose a number of seats from 1 to 2."),
        (
            "3",
            "You can remove at most 2 Core seats: 1 is assigned, and the 3 included with your "
            "plan can't be removed. Unassign seats first to remove more.",
        ),
        ("abc", "Enter a whole number of seats."),
    ],
)
def test_the_renewal_preview_answers_a_bad_quantity_with_a_message(billing_admin, quantity, error):
    response = signed_in(billing_admin).get(REMOVE_QUOTE_CORE, {"quantity": quantity})
    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_removing_seats_from_the_seats_tab_returns_to_it(billing_admin, account):
    client = signed_in(billing_admin)
    tab = client.get(reverse("billing:seats"))
    assert "Remove unassigned seats" in tab.text
    assert renewal_price(tab) == "$900 → $850 a month"

    response = client.post(REMOVE_CORE, {"quantity": "2", "next": reverse("billing:seats")})

    assert response["Location"] == reverse("billing:seats")
    assert core_pool(account).purchased_at_renewal == 0


def test_removing_seats_never_returns_to_another_site(billing_admin, account):
    response = signed_in(billing_admin).post(
        REMOVE_CORE, {"quantity": "1", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == reverse("billing:account")


def test_cancelling_a_removal_restores_the_seats_at_renewal(billing_admin, account):
    seat_removal_schedule(
        account=account,
        seat_type=SeatType.CORE,
        quantity=2,
        actor=billing_admin.user,
        now=HALF_WAY,
    )

    response = signed_in(billing_admin).post(CANCEL_CORE)

    assert response.status_code == 302
    assert core_pool(account).purchased_at_renewal == 2


def test_cancelling_when_nothing_is_scheduled_changes_nothing(billing_admin, account):
    before = billing_state(account)

    response = signed_in(billing_admin).post(CANCEL_CORE, follow=True)

    assert response.status_code == 200
    assert "There is no removal to cancel." in response.content.decode()
    assert billing_state(account) == before


# --- The Seats tab -------------------------------------------------------------------------------

SEATS = reverse("billing:seats")


def test_the_seats_tabs_pager_keeps_the_filter_on_the_next_page(billing_admin, account):
    MembershipFactory.create_batch(55, account=account, view_only=True)
    client = signed_in(billing_admin)

    first = client.get(SEATS, {"seat": SeatType.VIEW_ONLY})
    next_link = html.unescape(re.search(r'href="([^"]+)" rel="next"', first.text).group(1))
    second = client.get(SEATS + next_link)

    assert parse_qs(urlsplit(next_link).query) == {"seat": ["view_only"], "page": ["2"]}
    assert first.context["page"].paginator.count == 55
    assert len(second.context["page"].object_list) == 5
    assert {m.seat_type for m in second.context["page"].object_list} == {SeatType.VIEW_ONLY}


def test_the_seats_tab_offers_clear_only_once_filtered(billing_admin):
    client = signed_in(billing_admin)
    clear = f'href="{SEATS}">Clear</a>'

    assert clear not in client.get(SEATS).text
    assert clear not in client.get(SEATS, {"page": "1"}).text
    assert clear in client.get(SEATS, {"q": ""}).text


# --- "Buy more seats" from another page: Add seats prefilled, then back there -------------------


def test_add_seats_opened_with_a_quantity_and_next_is_prefilled_and_returns_there(
    billing_admin, account, card
):
    client = signed_in(billing_admin)
    draft = reverse("invitations:create_user_access")

    page = client.get(ADD_CORE, {"quantity": "3", "next": draft})
    response = client.post(ADD_CORE, {"quantity": "3", "idempotency_key": "k-1", "next": draft})

    assert page.context["form"]["quantity"].value() == "3"
    assert f'name="next" value="{draft}"' in page.content.decode()
    assert (response.status_code, response["Location"]) == (302, draft)
    assert core_pool(account).purchased == 5  # 2 before, 3 bought


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x"])
def test_add_seats_ignores_a_next_outside_this_site(billing_admin, account, card, next_url):
    client = signed_in(billing_admin)

    page = client.get(ADD_CORE, {"quantity": "1", "next": next_url})
    response = client.post(ADD_CORE, {"quantity": "1", "idempotency_key": "k-2", "next": next_url})

    assert next_url not in page.content.decode()
    assert response["Location"] == reverse("billing:seats")


def test_add_seats_without_a_card_keeps_the_quantity_and_next_through_the_card_page(
    billing_admin,
):
    client = signed_in(billing_admin)
    draft = reverse("invitations:create_user_access")

    response = client.get(ADD_CORE, {"quantity": "2", "next": draft})

    back = urlsplit(client.get(response["Location"]).context["next"])
    assert (back.path, parse_qs(back.query)) == (ADD_CORE, {"quantity": ["2"], "next": [draft]})
