"""Create a bundle, checkout, Your plan, auto-renewal and Talk to sales over HTTP.

Only super admins and holders of "Edit billing" open them (DOMAIN.md section 7). Initech is on
Marketing Hub Professional and Sales Hub Professional, monthly, April 2027; the clock is frozen
half-way through the period.
"""

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, Membership, SeatType
from accounts.policy import ON, AccountPermission
from billing.catalogue import HubCode, TierCode
from billing.models import (
    CardOnFile,
    Invoice,
    InvoiceKind,
    SalesRequest,
    Subscription,
    SubscriptionItem,
)
from billing.periods import BillingInterval
from billing.selectors import subscription_live_get
from billing.services.subscriptions import subscription_start
from seats.catalogue import seat_default_permissions
from seats.models import SeatPool
from tests.factories import AccountFactory, CardOnFileFactory, MembershipFactory

pytestmark = pytest.mark.django_db

START = datetime(2027, 4, 1, tzinfo=UTC)
HALF_WAY = datetime(2027, 4, 16, tzinfo=UTC)
CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)
VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
OWNED = {"hub_marketing": "on", "tier_marketing": "professional"} | {
    "hub_sales": "on",
    "tier_sales": "professional",
    "interval": "monthly",
}
BUNDLE = reverse("billing:bundle")
CHECKOUT = reverse("billing:checkout")
PLAN = reverse("billing:plan")
AUTO_RENEWAL = reverse("billing:auto_renewal")
SALES = reverse("billing:talk_to_sales")

PAGES = [
    "billing:bundle",
    "billing:bundle_total",
    "billing:checkout",
    "billing:plan",
    "billing:auto_renewal",
    "billing:talk_to_sales",
    "billing:talk_to_sales_done",
]


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(HALF_WAY, tick=False)
    return time_machine


@pytest.fixture
def account():
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
def billing_admin(account) -> Membership:
    return MembershipFactory(
        account=account, permissions={**CORE_DEFAULTS, AccountPermission.BILLING.value: ON}
    )


@pytest.fixture
def users_admin(account) -> Membership:
    return MembershipFactory(
        account=account, permissions={**CORE_DEFAULTS, AccountPermission.USERS.value: ON}
    )


@pytest.fixture
def card(account) -> CardOnFile:
    return CardOnFileFactory(account=account)


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def state(account) -> dict:
    return {
        "items": sorted(
            SubscriptionItem.objects.filter(subscription__account=account).values_list(
                "product", "tier", "quantity", "tier_at_renewal", "remove_at_renewal"
            )
        ),
        "subscriptions": sorted(
            Subscription.objects.filter(account=account).values_list(
                "status", "interval_at_renewal", "cancel_at_period_end"
            )
        ),
        "invoices": Invoice.objects.filter(account=account).count(),
        "pools": sorted(
            SeatPool.objects.filter(account=account).values_list("seat_type", "included", "enabled")
        ),
        "sales requests": SalesRequest.objects.count(),
        "cards": CardOnFile.objects.filter(account=account).count(),
        "audit": AuditEvent.objects.filter(account=account).count(),
    }


def sales_item(account) -> SubscriptionItem:
    return SubscriptionItem.objects.get(subscription__account=account, product="sales")


# --- Permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_a_billing_admin_opens_every_plan_page(billing_admin, card, name):
    query = "?" + "&".join(f"{k}={v}" for k, v in OWNED.items()) if "bundle" in name else ""
    url = reverse(name) + (query or ("?hub_cms=on&tier_cms=starter&interval=monthly"))
    assert signed_in(billing_admin).get(url).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_a_member_without_edit_billing_is_refused_every_plan_page(users_admin, name):
    assert signed_in(users_admin).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", [*PAGES, "billing:interval"])
def test_an_anonymous_visitor_is_sent_to_sign_in(name):
    response = Client().get(reverse(name))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("accounts:login")
    assert parse_qs(location.query) == {"next": [reverse(name)]}


def test_an_anonymous_post_changes_nothing(account):
    before = state(account)
    response = Client().post(reverse("billing:change_cancel", args=[sales_item(account).pk]))
    assert response.status_code == 302
    assert state(account) == before


def posts(account):
    return [
        (CHECKOUT, {**OWNED, "hub_cms": "on", "tier_cms": "starter", "idempotency_key": "k1"}),
        (CHECKOUT, {**OWNED, "tier_sales": "starter", "idempotency_key": "k2"}),
        (reverse("billing:change_cancel", args=[sales_item(account).pk]), {}),
        (reverse("billing:interval"), {"interval": "annual"}),
        (AUTO_RENEWAL, {"action": "cancel"}),
        (SALES, {"message": "More", "phone": "555", "preferred_time": ""}),
    ]


def test_a_member_without_edit_billing_changes_nothing(account, users_admin, card):
    sales_item(account).__class__.objects.filter(pk=sales_item(account).pk).update(
        tier_at_renewal="starter"
    )
    before = state(account)
    client = signed_in(users_admin)
    for url, data in posts(account):
        assert client.post(url, data | {"payment": "card_on_file"}).status_code == 403, url
    assert state(account) == before


# --- Create a bundle and checkout ----------------------------------------------------------------


def row_prices(response) -> dict[str, str]:
    """The bundle page's "Price per month" column: {"hub marketing": "$800", ...}."""
    rows = re.findall(
        r'<tr data-(hub|addon)="([^"]+)">.*?<td class="num" data-row-price>([^<]*)</td>',
        response.content.decode(),
        re.S,
    )
    return {f"{kind} {code}": price for kind, code, price in rows}


def test_the_bundle_starts_from_the_current_plan(billing_admin):
    response = signed_in(billing_admin).get(BUNDLE)
    form = response.context["form"]
    assert form.initial["hub_marketing"] and form.initial["tier_sales"] == "professional"
    # A ticked row says what it costs a month at its tier or quantity; an unticked one is not
    # in the bundle and shows no price.
    assert row_prices(response) == {
        "hub marketing": "$800",
        "hub sales": "$0",
        "hub service": "—",
        "hub cms": "—",
        "hub operations": "—",
        "addon marketing_contacts": "—",
        "addon transactional_email": "—",
        "addon custom_objects": "—",
    }


def test_the_bundle_page_prices_each_row_as_asked(billing_admin):
    data = {**OWNED, "hub_cms": "on", "tier_cms": "starter", "addon_custom_objects": "on"}
    response = signed_in(billing_admin).get(
        BUNDLE, data | {"qty_custom_objects": "3", "tier_operations": "enterprise"}
    )
    prices = row_prices(response)
    assert (prices["hub cms"], prices["addon custom_objects"]) == ("$25", "$600")
    assert prices["hub operations"] == "—"  # a tier chosen but not ticked: no price


def test_the_bundle_page_lists_the_seats_bought_at_the_tiers_ticked(billing_admin):
    client = signed_in(billing_admin)
    page = client.get(BUNDLE)
    assert page.context["seat_rows"] == [("core", "Core seat × 2", 10000)]
    assert re.search(
        r'<tr data-seat="core"><th scope="row">Core seat × 2</th>'
        r'<td class="num" data-row-price>\$100</td>',
        page.text,
    )
    # A higher tier ticked raises a Core seat's price: 2 × 75.
    data = {**OWNED, "hub_cms": "on", "tier_cms": "enterprise"}
    body = client.get(reverse("billing:bundle_total"), data).json()
    assert body["rows"]["seats"] == {"core": "$150"}
    # Without a hub selling Core seats, the seats go at renewal: no price.
    body = client.get(reverse("billing:bundle_total"), {**OWNED, "hub_marketing": ""}).json()
    assert body["rows"]["seats"] == {"core": "—"}


def test_the_running_total_is_per_period_and_today(billing_admin):
    data = {**OWNED, "hub_cms": "on", "tier_cms": "professional"}
    body = signed_in(billing_admin).get(reverse("billing:bundle_total"), data).json()
    # CMS Pro 450 USD a month: half of it today; the period adds up Marketing, CMS and 2 seats.
    assert body["today_cents"] == 22500
    assert body["period_cents"] == 80000 + 45000 + 2 * 5000


def test_the_running_total_carries_the_amounts_as_the_page_shows_them(billing_admin):
    data = {**OWNED, "hub_cms": "on", "tier_cms": "professional"}
    data |= {"addon_marketing_contacts": "on", "qty_marketing_contacts": "150"}
    body = signed_in(billing_admin).get(reverse("billing:bundle_total"), data).json()
    # The page script writes these strings as they are: it never formats money itself.
    assert (body["today"], body["period"]) == ("$975", "$2,850")
    hubs = body["rows"]["hubs"]
    assert (hubs["marketing"], hubs["sales"], hubs["cms"]) == ("$800", "$0", "$450")
    assert hubs["operations"] == "—"
    assert body["rows"]["addons"]["marketing_contacts"] == "$1,500"
    assert body["rows"]["addons"]["custom_objects"] == "—"


def test_the_running_total_says_what_is_wrong(billing_admin):
    response = signed_in(billing_admin).get(reverse("billing:bundle_total"), {"interval": "x"})
    assert response.status_code == 400
    assert response.json()["error"]


def test_a_refused_running_total_still_prices_the_rows(billing_admin):
    data = {**OWNED, "addon_custom_objects": "on", "qty_custom_objects": "abc"}
    response = signed_in(billing_admin).get(reverse("billing:bundle_total"), data)
    assert response.status_code == 400
    assert response.json()["error"]
    # A quantity that is not a number costs nothing; the other rows keep their prices.
    assert response.json()["rows"]["addons"]["custom_objects"] == "$0"
    assert response.json()["rows"]["hubs"]["marketing"] == "$800"


def test_buying_an_upgrade_charges_and_shows_the_invoice(account, billing_admin, card):
    data = {**OWNED, "hub_cms": "on", "tier_cms": "professional"}
    client = signed_in(billing_admin)
    summary = client.get(CHECKOUT, data)
    assert summary.status_code == 200
    assert summary.context["quote"].today_cents == 22500
    response = client.post(CHECKOUT, data | {"idempotency_key": "k1", "payment": "card_on_file"})
    invoice = Invoice.objects.get(account=account, kind=InvoiceKind.CHECKOUT)
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:invoice", args=[invoice.pk])
    assert invoice.total_cents == 22500


def summary_rows(response) -> dict[str, tuple[str, str]]:
    """The checkout summary: {product: (per period, today)}."""
    rows = re.findall(
        r'<tr data-product="([^"]+)">.*?'
        r'<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>',
        response.content.decode(),
        re.S,
    )
    return {product: (period, today) for product, period, today in rows}


def test_the_checkout_summary_lists_the_seats_bought_and_adds_up(account, billing_admin, card):
    data = {**OWNED, "hub_cms": "on", "tier_cms": "professional"}
    response = signed_in(billing_admin).get(CHECKOUT, data)
    # Marketing Hub Pro 800, Sales Hub Pro 0, CMS Hub Pro 450 (half today), 2 Core seats at 50.
    assert summary_rows(response) == {
        "marketing": ("$800", "$0"),
        "sales": ("$0", "$0"),
        "cms": ("$450", "$225"),
        "seat:core": ("$100", "$0"),
    }
    assert "Core seat × 2" in response.content.decode()
    quote = response.context["quote"]
    assert (quote.period_cents, quote.today_cents) == (135000, 22500)


def test_paying_with_the_card_on_file_ignores_the_card_fields(account, billing_admin, card):
    data = {**OWNED, "hub_cms": "on", "tier_cms": "starter", "idempotency_key": "k1"}
    typed = {"number": "not a card", "exp_month": "13", "exp_year": "1", "cvc": "x"}
    response = signed_in(billing_admin).post(CHECKOUT, data | typed | {"payment": "card_on_file"})
    assert response.status_code == 302
    kept = CardOnFile.objects.get(account=account)
    assert (kept.gateway_token, kept.last4) == (card.gateway_token, card.last4)
    assert Invoice.objects.filter(account=account, kind=InvoiceKind.CHECKOUT).count() == 1


def test_checkout_with_a_new_card_saves_it(account, billing_admin):
    data = {**OWNED, "hub_cms": "on", "tier_cms": "starter", "idempotency_key": "k1"}
    new_card = {"payment": "new_card", "number": VISA, "exp_month": "12", "exp_year": "2030"}
    response = signed_in(billing_admin).post(CHECKOUT, data | new_card | {"cvc": "123"})
    assert response.status_code == 302
    assert CardOnFile.objects.get(account=account).last4 == "4242"


def test_a_declined_checkout_with_a_new_card_keeps_the_card_on_file(account, billing_admin, card):
    before = state(account)
    data = {**OWNED, "hub_cms": "on", "tier_cms": "starter", "idempotency_key": "k1"}
    declined = {"payment": "new_card", "number": DECLINED, "exp_month": "12", "exp_year": "2030"}

    response = signed_in(billing_admin).post(CHECKOUT, data | declined | {"cvc": "123"})

    assert response.status_code == 200
    assert "Your card was declined. Nothing was charged." in str(
        response.context["pay"].non_field_errors()
    )
    kept = CardOnFile.objects.get(account=account)
    assert (kept.gateway_token, kept.last4, kept.updated_at) == (
        card.gateway_token,
        card.last4,
        card.updated_at,
    )
    assert state(account) == before


def test_a_refused_checkout_with_a_new_card_keeps_the_card_on_file(account, billing_admin, card):
    MembershipFactory(account=account, seat_type=SeatType.SALES)
    before = state(account)
    without_sales = {"hub_marketing": "on", "tier_marketing": "professional"}
    data = without_sales | {"interval": "monthly", "idempotency_key": "k1"}
    new_card = {"payment": "new_card", "number": VISA, "exp_month": "12", "exp_year": "2030"}

    response = signed_in(billing_admin).post(CHECKOUT, data | new_card | {"cvc": "123"})

    assert response.status_code == 200
    assert CardOnFile.objects.get(account=account).gateway_token == card.gateway_token
    assert state(account) == before


def test_a_bad_card_is_a_message_at_the_field_and_nothing_is_bought(account, billing_admin):
    before = state(account)
    data = {**OWNED, "hub_cms": "on", "tier_cms": "starter", "idempotency_key": "k1"}
    bad = {"payment": "new_card", "number": "1234", "exp_month": "12", "exp_year": "2030"}
    response = signed_in(billing_admin).post(CHECKOUT, data | bad | {"cvc": "123"})
    assert response.status_code == 200
    assert response.context["pay"].errors["number"]
    assert state(account) == before


@pytest.mark.parametrize(
    ("entered", "field"),
    [
        ({"exp_month": "1", "exp_year": "2027", "cvc": "123"}, "exp_month"),
        ({"exp_month": "12", "exp_year": "2030", "cvc": "1234"}, "cvc"),
    ],
    ids=["expired", "security code"],
)
def test_a_new_card_the_provider_refuses_is_a_message_at_its_field(
    account, billing_admin, card, entered, field
):
    before = state(account)
    data = {**OWNED, "hub_cms": "on", "tier_cms": "starter", "idempotency_key": "k1"}
    new_card = {"payment": "new_card", "number": VISA} | entered

    response = signed_in(billing_admin).post(CHECKOUT, data | new_card)

    assert response.status_code == 200
    assert list(response.context["pay"].errors) == [field]
    assert state(account) == before


def test_a_new_card_needs_its_fields(account, billing_admin):
    data = {**OWNED, "hub_cms": "on", "tier_cms": "starter", "idempotency_key": "k1"}
    response = signed_in(billing_admin).post(CHECKOUT, data | {"payment": "new_card"})
    assert response.status_code == 200
    assert response.context["pay"].errors["cvc"]


def test_an_empty_bundle_is_a_message_and_nothing_changes(account, billing_admin):
    before = state(account)
    response = signed_in(billing_admin).get(CHECKOUT, {"interval": "monthly"})
    assert response.status_code == 200
    assert "Choose at least one hub or add-on." in response.context["form"].non_field_errors()
    assert state(account) == before


def test_a_bad_add_on_quantity_is_a_message_at_the_field(account, billing_admin):
    data = {**OWNED, "addon_custom_objects": "on", "qty_custom_objects": "abc"}
    response = signed_in(billing_admin).get(CHECKOUT, data)
    assert response.context["form"].errors["qty_custom_objects"]


def test_a_refused_downgrade_lists_the_people(account, billing_admin, card):
    for name in ("Bill", "Joanna", "Peter"):
        MembershipFactory(account=account, seat_type=SeatType.SALES, user__first_name=name)
    before = state(account)
    data = {**OWNED, "tier_sales": "starter", "idempotency_key": "k1", "payment": "card_on_file"}
    response = signed_in(billing_admin).post(CHECKOUT, data)
    assert response.status_code == 200
    assert b"Reassign these 3 users first" in response.content
    assert b"Joanna" in response.content
    assert state(account) == before


def test_a_downgrade_is_scheduled_and_shown_on_your_plan(account, billing_admin, card):
    data = {**OWNED, "tier_sales": "starter", "idempotency_key": "k1", "payment": "card_on_file"}
    client = signed_in(billing_admin)
    response = client.post(CHECKOUT, data)
    assert response["Location"] == PLAN
    assert sales_item(account).tier_at_renewal == "starter"
    page = client.get(PLAN)
    assert b"Cancel this change" in page.content


def test_cancel_this_change(account, billing_admin):
    item = sales_item(account)
    SubscriptionItem.objects.filter(pk=item.pk).update(tier_at_renewal="starter")
    response = signed_in(billing_admin).post(reverse("billing:change_cancel", args=[item.pk]))
    assert response["Location"] == PLAN
    assert sales_item(account).tier_at_renewal == ""


def test_cancelling_another_accounts_change_changes_nothing(account, billing_admin):
    other = AccountFactory()
    subscription_start(
        account=other, hubs={"sales": "starter"}, interval="monthly", now=START, actor=None
    )
    item = SubscriptionItem.objects.get(subscription__account=other)
    SubscriptionItem.objects.filter(pk=item.pk).update(remove_at_renewal=True)
    signed_in(billing_admin).post(reverse("billing:change_cancel", args=[item.pk]))
    item.refresh_from_db()
    assert item.remove_at_renewal


def test_the_interval_switch_is_saved_for_the_renewal_date(account, billing_admin):
    signed_in(billing_admin).post(reverse("billing:interval"), {"interval": "annual"})
    assert subscription_live_get(account=account).interval_at_renewal == "annual"


def test_a_bad_interval_is_a_message(account, billing_admin):
    response = signed_in(billing_admin).post(reverse("billing:interval"), {"interval": "weekly"})
    assert response.status_code == 302
    assert subscription_live_get(account=account).interval_at_renewal == ""


# --- Auto-renewal --------------------------------------------------------------------------------


def test_cancel_auto_renewal_is_refused_with_the_people_on_paid_seats(account, billing_admin):
    response = signed_in(billing_admin).post(AUTO_RENEWAL, {"action": "cancel"})
    assert response.status_code == 400
    assert billing_admin.user.get_full_name().encode() in response.content
    assert not subscription_live_get(account=account).cancel_at_period_end


def test_cancel_and_resume_auto_renewal(account, billing_admin):
    Membership.objects.filter(pk=billing_admin.pk).update(seat_type=SeatType.PARTNER)
    client = signed_in(billing_admin)
    assert client.post(AUTO_RENEWAL, {"action": "cancel"})["Location"] == PLAN
    assert subscription_live_get(account=account).cancel_at_period_end
    assert client.post(AUTO_RENEWAL, {"action": "resume"})["Location"] == PLAN
    assert not subscription_live_get(account=account).cancel_at_period_end


# --- Talk to sales -------------------------------------------------------------------------------


def test_talk_to_sales_stores_and_confirms(billing_admin, mailoutbox, settings):
    settings.SALES_EMAIL = "deals@example.com"
    data = {"message": "100 Sales seats", "phone": "+1 555 0100", "preferred_time": "Mornings"}
    response = signed_in(billing_admin).post(SALES, data)
    assert response["Location"] == reverse("billing:talk_to_sales_done")
    assert SalesRequest.objects.get().message == "100 Sales seats"


def test_talk_to_sales_without_a_phone_is_a_message_at_the_field(billing_admin):
    response = signed_in(billing_admin).post(SALES, {"message": "Hi", "phone": " "})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert not SalesRequest.objects.exists()


def test_talk_to_sales_from_a_bundle_keeps_the_bundle(billing_admin):
    bundle = {**OWNED, "hub_cms": "on", "tier_cms": "enterprise", "tier_service": "starter"}
    client = signed_in(billing_admin)

    page = client.get(SALES, bundle)

    assert page.context["quote"].period_cents == 80000 + 150000 + 2 * 7500
    message = page.context["form"]["message"].value()
    assert message.splitlines() == [
        "We'd like to talk about this bundle, billed monthly:",
        "- Marketing Hub Professional: $800",
        "- Sales Hub Professional: $0",
        "- CMS Hub Enterprise: $1,500",
        "- Core seat × 2: $150",
        "Per period: $2,450",
    ]
    # The bundle travels with the form, so a refused submit still shows it.
    refused = client.post(SALES, {**bundle, "message": message, "phone": ""})
    assert refused.context["quote"].period_cents == page.context["quote"].period_cents
    client.post(SALES, {**bundle, "message": message, "phone": "+1 555 0100"})
    assert SalesRequest.objects.get().message == message


def test_talk_to_sales_without_a_bundle_starts_empty(billing_admin):
    page = signed_in(billing_admin).get(SALES)
    assert page.context["quote"] is None
    assert not page.context["form"]["message"].value()
