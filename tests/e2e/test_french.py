"""seatmgr in French, in Chromium (issue #18): "Créer un utilisateur" and the billing admin's
"Sièges" driven through the French labels, money and dates as French writes them, the language
switcher used with the keyboard only, and screenshots of French pages (var/screenshots/fr/) to
look at for layouts that French's longer words break."""

import re
from pathlib import Path

import pytest
from babel.dates import format_date
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership, MembershipStatus, SeatType, User
from billing.selectors import subscription_live_get
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from seats.catalogue import seat_default_permissions
from seats.permissions.choice import AccessChoice, AccessMode
from tests.e2e.conftest import page_width
from tests.factories import MembershipFactory, subscribed_account
from tests.i18n.crawl import crawl_key

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "fr"
BILLING_ADMIN = {**seat_default_permissions("core"), "account.billing": "on"}
# An amount as French writes it: "100,00 $US", "1 234,56 $US" (narrow no-break spaces).
FRENCH_MONEY = re.compile(r"^\d{1,3}([\u202f\u00a0 ]\d{3})*,\d\d\u00a0\$US$")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


@pytest.fixture
def account():
    return subscribed_account(extra_seats={"core": 2})


def french_renewal_date(account) -> str:
    """The renewal date as French writes it ("6 janv. 2027")."""
    end = timezone.localtime(subscription_live_get(account=account).current_period_end)
    return format_date(end.date(), "medium", locale="fr")


def fact(scope, term: str):
    return scope.locator("dt", has_text=re.compile(rf"^{re.escape(term)}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def settings_nav(page):
    return page.get_by_role("navigation", name="Paramètres")


def test_a_french_super_admin_creates_a_user_through_the_french_labels(page, signed_in, account):
    # A list to read: people of every status, with names and addresses of ordinary length.
    for first, last, fields in [
        ("Marie-Claude", "Lefèvre-Dubois", {"status": MembershipStatus.INVITED}),
        (
            "Jean-Baptiste",
            "Delacroix",
            {"status": MembershipStatus.DEACTIVATED, "deactivated_at": timezone.now()},
        ),
        ("Amélie", "Fontaine", {"seat_type": SeatType.VIEW_ONLY}),
    ]:
        MembershipFactory(
            account=account,
            user__first_name=first,
            user__last_name=last,
            user__email=f"{first.lower()}.{last.lower()}@acme.example",
            **fields,
        )
    signed_in("super admin", account=account, user__language="fr")
    settings_nav(page).get_by_role("link", name="Utilisateurs et équipes").click()
    expect(page.get_by_role("heading", name="Utilisateurs et équipes")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    shot(page, "users-tab")
    assert page_width(page) <= 1280, "the French Users tab scrolls sideways"

    page.get_by_role("link", name="Créer un utilisateur").click()
    page.get_by_label("Adresses e-mail").fill("ada@acme.example, grace@acme.example")
    page.get_by_role("button", name="Suivant").click()
    page.get_by_label("Attribuer un siège").select_option(value="core")
    page.get_by_role("button", name="Vérifier l'accès").click()

    expect(page.get_by_role("heading", name="Vérifier l'accès")).to_be_visible()
    expect(page.get_by_test_id("review-seat")).to_have_text("Siège principal")
    shot(page, "create-user-review")
    page.get_by_role("button", name="Créer un utilisateur").click()

    created = page.locator("#created-users")
    for email in ["ada@acme.example", "grace@acme.example"]:
        row = created.get_by_role("row", name=re.compile(re.escape(email)))
        expect(row.get_by_role("button", name="Copier le lien d'invitation")).to_be_visible()
    invited = Membership.objects.filter(account=account, status=MembershipStatus.INVITED)
    assert {"ada@acme.example", "grace@acme.example"} <= set(
        invited.values_list("user__email", flat=True)
    )


def test_a_french_billing_admin_buys_seats_and_removes_them_then_cancels_the_removal(
    page, signed_in, account
):
    signed_in("member", account=account, permissions=BILLING_ADMIN, user__language="fr")
    settings_nav(page).get_by_role("link", name="Utilisateurs et équipes").click()
    page.get_by_role("navigation", name="Utilisateurs et équipes").get_by_role(
        "link", name="Sièges", exact=True
    ).click()
    card = page.get_by_role("region", name="Siège principal")
    card.get_by_role("link", name="Ajouter des sièges").click()
    page.get_by_label("Numéro de carte").fill("4242 4242 4242 4242")
    page.get_by_label("Mois d'expiration").fill("12")
    page.get_by_label("Année d'expiration").fill(str(timezone.now().year + 3))
    page.get_by_label("Code de sécurité").fill("123")
    page.get_by_role("button", name="Enregistrer la carte").click()

    quantity = page.get_by_label("Nombre de sièges")
    quantity.fill("2")
    quantity.dispatch_event("input")
    expect(fact(page, "À payer aujourd'hui")).to_have_text(FRENCH_MONEY)
    expect(fact(page, "À payer aujourd'hui")).to_have_text(re.compile(r"^100,00"))
    page.get_by_role("button", name="Acheter maintenant").click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(fact(page.get_by_role("region", name="Siège principal"), "Total")).to_have_text("7")

    settings_nav(page).get_by_role("link", name="Compte et facturation").click()
    expect(page.locator("main")).to_contain_text(french_renewal_date(account))
    shot(page, "account-and-billing")
    page.get_by_role("navigation", name="Compte et facturation").get_by_role(
        "link", name="Abonnements"
    ).click()
    row = page.locator("#seat-subscriptions").get_by_role(
        "row", name=re.compile("Siège principal|sièges principaux")
    )
    row.get_by_role("link", name="Supprimer les sièges non attribués").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Sièges à supprimer").fill("2")
    expect(dialog.get_by_role("button", name="Supprimer 2 sièges")).to_be_visible()
    # The next renewal's price, before → after, as French writes amounts ("1 000,00 $US").
    price = dialog.get_by_test_id("renewal-price")
    expect(price.locator("[data-price-before]")).to_have_text(FRENCH_MONEY)
    expect(price.locator("[data-price-after]")).to_have_text(FRENCH_MONEY)
    expect(price.locator("[data-price-before]")).to_have_text(re.compile(r"^1\u202f000,00"))
    # 2 of the 4 Core seats bought beyond the 3 included, at 50 $US each: 100 $US less.
    expect(price.locator("[data-price-after]")).to_have_text("900,00\u00a0$US")
    shot(page, "remove-dialog")
    dialog.get_by_role("button", name="Supprimer 2 sièges").click()
    expect(page.get_by_role("status")).to_be_visible()

    row = page.locator("#seat-subscriptions").get_by_role(
        "row", name=re.compile("Siège principal|sièges principaux")
    )
    expect(row).to_contain_text(french_renewal_date(account))
    row.get_by_role("link", name="Annuler cette suppression").click()
    page.get_by_role("button", name="Annuler cette suppression").click()
    expect(page.get_by_role("status")).to_contain_text("La suppression a été annulée.")


def choose_french_with_the_keyboard(page) -> None:
    """Tab to the language switcher, pick Français with the arrow keys, Tab to its button and
    press Enter: no mouse."""
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "language-switcher":
            break
    else:
        raise AssertionError("the language switcher is not reachable with Tab")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#language-switcher")).to_have_value("fr")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Change language", f"Tab after the switcher lands on {focused!r}"
    page.keyboard.press("Enter")
    page.wait_for_load_state()


def test_the_sign_in_page_switches_to_french_with_the_keyboard_only(page, account):
    page.goto("/sign-in/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    choose_french_with_the_keyboard(page)

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
    expect(page.get_by_label("Langue")).to_have_value("fr")
    shot(page, "sign-in")
    assert page_width(page) <= 1280


def test_the_invitation_page_switches_to_french_with_the_keyboard_only(page, account):
    inviter = MembershipFactory(account=account, super_admin=True)
    members_invite(
        account=account,
        actor_membership=inviter,
        people=[ParsedPerson(email="bob@acme.example")],
        seat_type=SeatType.CORE,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=True,
    )
    (message,) = [m for m in mail.outbox if m.to == ["bob@acme.example"]]
    page.goto(re.search(r"https?://\S+?(/invite/\S+/)", message.body).group(1))
    expect(page.locator("html")).to_have_attribute("lang", "en")

    choose_french_with_the_keyboard(page)

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Définir le mot de passe et rejoindre")).to_be_visible()


def test_no_page_a_french_super_admin_reaches_scrolls_sideways_at_1280(page, signed_in):
    """French's longer words (buttons, table headers, badges) must not widen any page past the
    window: every page the demo's super admin reaches, read in French, fits 1280 px."""
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    User.objects.filter(email="superadmin@demo.example.com").update(language="fr")
    page.goto("/sign-in/")
    page.get_by_label("Email").fill("superadmin@demo.example.com")
    page.get_by_label("Password").fill("demo-password-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in/" not in url)
    origin = re.match(r"https?://[^/]+", page.url).group(0)

    seen, wide, queue = set(), [], [origin + "/"]
    while queue:
        url = queue.pop(0).split("#")[0]
        if not url.startswith(origin):
            continue
        path = url[len(origin) :]
        key = crawl_key(path)
        if key is None or key in seen:
            continue
        seen.add(key)
        if "format" in key[1] or key[0] == "api_v1:openapi-view":
            # A CSV download, not a page; the API's reference stays English (tests/i18n).
            continue
        response = page.goto(url)
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        assert page.locator("html").get_attribute("lang") == "fr", path
        if page_width(page) > 1280:
            wide.append(f"{key[0]} ({path}): {page_width(page)} px")
        queue += page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")

    assert len(seen) > 30, f"the crawl saw only {len(seen)} pages"
    assert not wide, "French pages wider than 1280 px:\n" + "\n".join(wide)
