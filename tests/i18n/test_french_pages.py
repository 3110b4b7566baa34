"""Every page a French-speaking person reaches is in French (issue #18).

On the `manage.py demo` account, each demo user's Profile says French: the super admin, the
billing admin, the users admin, a View-only member, and an invitee following their emailed link
(the account's default language French). The test client follows every same-site link from
their landing page (as tests/e2e/test_accessibility.py does in Chromium), submits the key forms
empty to see their errors, and walks "Create user" to its end. Each page's visible text
(tests/i18n/english.py) must hold no English label of the catalogue, and its `<html lang>` must
be "fr". A failure names the person, the page and the English phrases found.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import (
    Account,
    Membership,
    Notification,
    PermissionSet,
    Preset,
    SolutionsPartner,
    Team,
    User,
)
from api.models import ApiKey
from invitations.services.links import invitation_resend
from seats.models import SeatRequest
from seats.requests.services import seat_request_create
from tests.i18n.crawl import NOT_PAGES, Form, absolute, crawl_key, page_parts, view_name
from tests.i18n.english import english_found, visible_text

pytestmark = pytest.mark.django_db

# The API's reference (/api/v1/docs) stays in English, as the API does: its words are the names
# and descriptions of operations and fields a script uses, not labels of a page.
NOT_PAGES.add("api_v1:openapi-view")

# Forms whose error state is checked too: on this page, the form submitted with its typed fields
# left empty (the `name=value` of the button pressed, else the form's last button).
ERROR_STATES = {
    "accounts:password_reset": None,
    "invitations:create_user": None,
    "billing:seats_add": None,
    "accounts:teams": None,
    "accounts:profile": None,
    "accounts:account_defaults": None,
    "seats:permission_set_create": None,
    "seats:preset_create": None,
    "billing:talk_to_sales": None,
    "billing:contact": None,
    "scim:settings": None,
    "seats:my_seat": None,
    "api:api_key_create": None,
}
# Pages each person must reach, so that a crawl that stops early cannot pass by seeing little.
MUST_REACH = {
    "super admin": {
        "seats:users",
        "seats:user",
        "seats:audit_log",
        "seats:permission_sets",
        "accounts:teams",
        "billing:seats",
        "billing:account",
        "billing:pricing",
        "invitations:create_user",
        "invitations:create_user_access",
        "invitations:create_user_review",
        "invitations:created_users",
        "accounts:profile",
        "seats:seat_requests",
    },
    "billing admin": {"billing:seats", "billing:account", "billing:pricing", "billing:invoices"},
    "users admin": {"seats:users", "invitations:create_user", "invitations:created_users"},
    "view-only member": {"seats:my_seat", "accounts:profile"},
    "invitee": {"invitations:accept", "accounts:profile", "seats:my_seat"},
    "signed out": {
        "accounts:login",
        "accounts:password_reset",
        "accounts:password_reset_done",
        "accounts:password_reset_confirm",
    },
}
PEOPLE = {
    "super admin": "superadmin@demo.example.com",
    "billing admin": "billing@demo.example.com",
    "users admin": "useradmin@demo.example.com",
    "view-only member": "viewer@demo.example.com",
}
INVITEE = "tom.content@demo.example.com"
DEMO_PASSWORD = "demo-password-2026"


@pytest.fixture
def demo():
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # An open seat request, so that "Seat requests" lists one with its Approve and Deny.
    seat_request_create(
        membership=Membership.objects.get(user__email="ava.ops@demo.example.com"),
        seat_type="core",
        reason="I prepare the monthly operations report.",
    )
    User.objects.filter(email__in=[*PEOPLE.values(), INVITEE]).update(language="fr")
    mail.outbox.clear()


def names_from_the_data() -> list[str]:
    """What people typed (names of people, teams, accounts, sets, presets, keys; a request's
    reason): a French page shows them as they were typed."""
    names = set()
    for model, fields in [
        (User, ["first_name", "last_name", "email"]),
        (Membership, ["first_name", "last_name"]),
        (Account, ["name"]),
        (Team, ["name"]),
        (PermissionSet, ["name", "description"]),
        (Preset, ["name"]),
        (SolutionsPartner, ["name"]),
        (ApiKey, ["name"]),
        (SeatRequest, ["reason"]),
        # A notification is written once, in the language its reader had then (the demo's were
        # written before these people chose French); a new one is written in French.
        (Notification, ["text"]),
    ]:
        for row in model.objects.values_list(*fields):
            names |= {value for value in row if value}
        if model in {User, Membership}:
            names |= {
                f"{first} {last}".strip()
                for first, last in model.objects.values_list("first_name", "last_name")
            }
    return sorted(names)


class FrenchCrawl:
    """Visits pages as one person, once per URL name and set of query keys, and keeps every
    page whose text holds English or whose language is not French."""

    def __init__(self, client: Client, who: str):
        self.client, self.who = client, who
        self.names = names_from_the_data()
        self.seen: dict[tuple, str] = {}
        self.problems: list[str] = []

    def check(self, label: str, path: str, html: str) -> list[str]:
        """The page's links; its English, if any, kept as a problem."""
        text, lang = visible_text(html)
        found = english_found(text, allowed=self.names)
        if found:
            self.problems.append(f"[{self.who}] {label} ({path}): English {found}")
        if "<html" in html and lang != "fr":
            self.problems.append(f'[{self.who}] {label} ({path}): <html lang="{lang}">')
        links, _ = page_parts(html)
        return [absolute(path, href) for href in links]

    def answer(self, label: str, path: str, response) -> list[str]:
        """Check an answer (a redirect's target as a page of its own); its links."""
        while response.status_code in {301, 302, 303}:
            path = absolute(path, response["Location"])
            if crawl_key(path) is None:
                return []
            response = self.client.get(path)
            label = crawl_key(path)[0]
        if "text/html" not in response.get("Content-Type", ""):
            return []
        return self.check(label, path, response.content.decode())

    def run(self, start: list[str]) -> set[str]:
        queue = list(start)
        while queue:
            url = queue.pop(0).split("#")[0]
            key = crawl_key(url)
            if key is None or key in self.seen:
                continue
            self.seen[key] = url
            name, keys = key
            label = name + (f" ?{'&'.join(keys)}" if keys else "")
            queue += self.answer(label, url, self.client.get(url))
        for (name, keys), url in list(self.seen.items()):
            if name in ERROR_STATES and not keys:
                self.error_state(name, url)
        return {name for name, _ in self.seen}

    def form_of(self, path: str) -> Form | None:
        _, forms = page_parts(self.client.get(path).content.decode())
        forms = [f for f in forms if f.method == "post" and f.in_main and f.typed]
        return forms[-1] if forms else None

    def error_state(self, name: str, path: str) -> None:
        form = self.form_of(path)
        if form is None:
            return
        action = absolute(path, form.action or path)
        response = self.client.post(action, form.emptied(ERROR_STATES[name]))
        self.answer(f"{name} (submitted empty)", action, response)

    def create_user_steps(self) -> set[str]:
        """ "Create user" to its end: typed addresses, the seat and access step (submitted
        without a template first), the review, the created users."""
        steps = {
            "create_user": reverse("invitations:create_user"),
            "access": reverse("invitations:create_user_access"),
            "review": reverse("invitations:create_user_review"),
        }
        self.answer(
            "invitations:create_user (an address already there)",
            steps["create_user"],
            self.client.post(
                steps["create_user"], {"source": "typed", "emails": "viewer@demo.example.com"}
            ),
        )
        self.client.post(
            steps["create_user"], {"source": "typed", "emails": "new.person@demo.example.com"}
        )
        self.answer(
            "invitations:create_user_access", steps["access"], self.client.get(steps["access"])
        )
        form = self.form_of(steps["access"])
        data = form.emptied()
        self.answer(
            "invitations:create_user_access (a template not chosen)",
            steps["access"],
            self.client.post(steps["access"], {**data, "mode": "template", "template": ""}),
        )
        self.client.post(steps["access"], {**data, "mode": "defaults", "seat_type": "view_only"})
        self.answer(
            "invitations:create_user_review", steps["review"], self.client.get(steps["review"])
        )
        response = self.client.post(steps["review"])
        self.answer("invitations:created_users", steps["review"], response)
        return {view_name(path) for path in steps.values()} | {"invitations:created_users"}

    def verdict(self, reached: set[str]) -> None:
        missed = MUST_REACH[self.who] - reached
        assert not missed, f"[{self.who}] the crawl missed {sorted(missed)}"
        assert not self.problems, f"{len(self.problems)} pages not in French:\n" + "\n".join(
            self.problems
        )


def french_client() -> Client:
    """A browser whose person picked Français with the switcher (before signing in)."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    return client


@pytest.mark.parametrize("who", list(PEOPLE))
def test_every_page_a_french_speaking_member_reaches_is_in_french(demo, who):
    client = Client()  # no cookie, no Accept-Language: only the Profile says French
    client.force_login(User.objects.get(email=PEOPLE[who]))
    crawl = FrenchCrawl(client, who)

    reached = crawl.run(["/"])
    if who in {"super admin", "users admin"}:
        reached |= crawl.create_user_steps()

    crawl.verdict(reached)


def test_every_signed_out_page_is_in_french_once_francais_is_chosen(
    demo, django_capture_on_commit_callbacks
):
    client = french_client()
    crawl = FrenchCrawl(client, "signed out")
    reached = crawl.run([reverse("accounts:login"), reverse("accounts:password_reset")])
    crawl.answer(
        "accounts:login (wrong password)",
        reverse("accounts:login"),
        client.post(
            reverse("accounts:login"),
            {"username": PEOPLE["view-only member"], "password": "wrong-password"},
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            reverse("accounts:password_reset"), {"email": PEOPLE["view-only member"]}
        )
    crawl.answer("accounts:password_reset", reverse("accounts:password_reset"), sent)
    reached.add(view_name(sent["Location"]))
    (message,) = mail.outbox
    link = re.search(r"https?://\S+(/password-reset/\S+/)", message.body).group(1)
    reached |= crawl.run([link])

    crawl.verdict(reached)


def test_every_page_a_french_invitee_reaches_is_in_french(demo, django_capture_on_commit_callbacks):
    invitee = Membership.objects.get(user__email=INVITEE)
    Account.objects.filter(pk=invitee.account_id).update(default_language="fr")
    admin = Membership.objects.get(user__email=PEOPLE["super admin"])
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(account=invitee.account, membership_id=invitee.pk, actor=admin.user)
    (message,) = [m for m in mail.outbox if m.to == [INVITEE]]
    link = urlsplit(re.search(r"https?://\S+/invite/\S+/", message.body).group(0)).path
    client = Client()  # a new browser asking for no language: the account's default decides
    crawl = FrenchCrawl(client, "invitee")

    crawl.answer("invitations:accept", link, client.get(link))
    accept = reverse("invitations:accept")
    crawl.answer("invitations:accept (submitted empty)", accept, client.post(accept, {}))
    client.post(
        accept,
        {
            "first_name": "Tom",
            "last_name": "Becker",
            "password1": DEMO_PASSWORD,
            "password2": DEMO_PASSWORD,
        },
    )
    reached = crawl.run(["/"]) | {"invitations:accept"}

    crawl.verdict(reached)


def test_the_check_finds_the_english_of_a_page_in_english(demo):
    """The crawl's eye works: the same pages read in English are caught, phrase by phrase."""
    User.objects.filter(email=PEOPLE["super admin"]).update(language="en")
    client = Client()
    client.force_login(User.objects.get(email=PEOPLE["super admin"]))
    crawl = FrenchCrawl(client, "super admin")

    crawl.answer("seats:users", reverse("seats:users"), client.get(reverse("seats:users")))

    [problem, lang] = crawl.problems
    assert problem.startswith("[super admin] seats:users (/settings/users/): English [")
    for phrase in ["'Create user'", "'Users & Teams'", "'Export CSV'", "'Seats'"]:
        assert phrase in problem
    assert lang.endswith('<html lang="en">')
