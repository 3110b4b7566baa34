"""Users room, the Users tab (seats/users/views/directory.py, seats/users/selectors.py) over
HTTP: its columns, search, filters, sorting, pages, CSV export, and who may open it and a user's
pages (DOMAIN.md sections 3 and 6). The CSV cell rule itself is tests/accounts/test_exports.py's.

A super admin of Acme ("Ada Admin", admin@acme.example) is signed in with force_login; time is
frozen at NOW, so "last active" and invitation expiry read the same on every run. The signed-in
admin is a member too: she appears in the list, last active NOW (her own request touches it).
"""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Access, Membership, MembershipStatus, SeatType
from accounts.policy import ON, AccountPermission
from accounts.selectors import SESSION_ACCOUNT_KEY
from accounts.services import user_profile_update
from seats.catalogue import seat_default_permissions
from seats.users.selectors import DirectoryFilters, directory_page, directory_rows, member_directory
from tests.factories import (
    MembershipFactory,
    PermissionSetFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
ADMIN_EMAIL = "admin@acme.example"
COLUMNS = (
    "Select",  # the bulk-edit checkbox
    "Name",  # the name, with the address under it (the "Email" field below)
    "Seat",
    "Access",
    "Teams",
    "Status",  # with the invitation under "Invited" (the "Invitation" field below)
    "Last active",
    "Actions",
)
# Shown under another column's value, each in an element marked data-field.
SUB_FIELDS = {"email": "Email", "invitation": "Invitation"}
ACTION_NAMES = (
    "deactivate",
    "reactivate",
    "remove",
    "make_super_admin",
    "remove_super_admin",
    "reset_password",
    "release_seat",
)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin(client, frozen):
    admin = MembershipFactory(
        super_admin=True,
        account__name="Acme",
        user__email=ADMIN_EMAIL,
        user__first_name="Ada",
        user__last_name="Admin",
    )
    client.force_login(admin.user)
    return admin


def member(admin: Membership, email: str, **fields) -> Membership:
    return MembershipFactory(account=admin.account, user__email=email, **fields)


class _UsersTable(HTMLParser):
    """The body rows of #users-table, each a list of its cells' text (whitespace collapsed) and
    a dict of the values shown under them (data-field elements)."""

    def __init__(self):
        super().__init__()
        self.rows: list[tuple[list[str], dict[str, str]]] = []
        self._in_table = self._in_body = False
        self._row: list[str] | None = None
        self._subs: dict[str, list[str]] = {}
        self._cell: list[str] | None = None
        self._field: list[str | None] = []  # the data-field of each open element in the cell

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == "users-table":
            self._in_table = True
        elif self._in_table and tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self._row, self._subs = [], {}
        elif self._row is not None and tag == "td":
            self._cell, self._field = [], []
        elif self._cell is not None and tag not in ("input", "wbr", "br"):
            self._field.append(dict(attrs).get("data-field"))

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif self._cell is not None and self._field:
            self._field.pop()
        elif tag == "tr" and self._row is not None:
            subs = {SUB_FIELDS[k]: " ".join("".join(v).split()) for k, v in self._subs.items()}
            self.rows.append((self._row, subs))
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._in_table = False

    def handle_data(self, data):
        if self._cell is None:
            return
        field = next((f for f in reversed(self._field) if f), None)
        if field:
            self._subs.setdefault(field, []).append(data)
        else:
            self._cell.append(data)


def rows(response) -> list[dict[str, str]]:
    parser = _UsersTable()
    parser.feed(response.content.decode())
    rows = []
    for cells, subs in parser.rows:
        row = dict(zip(COLUMNS, cells, strict=True))
        del row["Select"]
        # A member without a name is listed by their address alone, as the link.
        row["Email"] = subs.get("Email") or row["Name"]
        row["Name"] = row["Name"] or row["Email"]
        row["Invitation"] = subs.get("Invitation", "")
        rows.append(row)
    return rows


def emails(response) -> list[str]:
    return [row["Email"] for row in rows(response)]


def row_for(response, email: str) -> dict[str, str]:
    (row,) = [row for row in rows(response) if row["Email"] == email]
    return row


def result_count(response) -> str:
    found = re.search(r'data-testid="result-count">(.*?)</p>', response.content.decode(), re.S)
    return " ".join(unescape(found.group(1)).split())


def next_link(response) -> str | None:
    found = re.search(r'<a href="([^"]*)" rel="next">', response.content.decode())
    return reverse("seats:users") + unescape(found.group(1)) if found else None


def users(client, **params):
    response = client.get(reverse("seats:users"), params, follow=True)
    assert response.status_code == 200
    return response


def export(client, **params) -> list[list[str]]:
    response = client.get(reverse("seats:users_export"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline="")))


# --- Columns -------------------------------------------------------------------------------------


def test_a_row_shows_name_email_seat_access_teams_status_invitation_and_last_active(client, admin):
    sales = TeamFactory(account=admin.account, name="Sales")
    grace = member(
        admin,
        "grace@acme.example",
        user__first_name="Grace",
        user__last_name="Hopper",
        main_team=sales,
        last_active_at=NOW - timedelta(days=3),
        invite_expires_at=NOW - timedelta(days=20),
        joined_at=NOW - timedelta(days=21),
    )
    grace.extra_teams.set([TeamFactory(account=admin.account, name=n) for n in ("Zeta", "Alpha")])

    row = row_for(users(client), "grace@acme.example")

    assert row == {
        "Name": "Grace Hopper",
        "Email": "grace@acme.example",
        "Seat": "Core seat",
        "Access": "Seat defaults",
        "Teams": "Sales, Alpha, Zeta",
        "Status": "Active",
        "Invitation": "",  # accepted: "Active" says it
        "Last active": "3 days ago",
        # The "Actions" menu of her page, for a super admin looking at an active Core user.
        "Actions": "⋯ View permissions history Reset password Make super admin Deactivate user",
    }


def test_a_member_without_a_name_is_listed_by_email_and_never_active_says_never(client, admin):
    member(admin, "nameless@acme.example", user__first_name="", user__last_name="")

    row = row_for(users(client), "nameless@acme.example")

    assert (row["Name"], row["Last active"], row["Teams"]) == (
        "nameless@acme.example",
        "Never",
        "—",
    )


def test_a_row_is_drawn_in_the_viewers_language_and_time_zone(client, admin):
    admin.user.language, admin.user.time_zone = "fr", "Europe/Paris"
    admin.user.save()
    member(
        admin,
        "remy@acme.example",
        user__first_name="Rémy",
        user__last_name="Roux",
        last_active_at=NOW - timedelta(days=3),
    )

    response = users(client)
    row = row_for(response, "remy@acme.example")

    assert (row["Seat"], row["Access"], row["Status"], row["Last active"]) == (
        "Siège principal",
        "Paramètres par défaut du siège",
        "Actif",
        "il y a 3 jours",
    )
    # The moment in full, on the viewer's clock (Paris is UTC+1 in March), and her zone's name.
    assert 'datetime="2027-03-12T10:00:00+01:00" title="12 mars 2027, 10:00 Europe/Paris"' in (
        response.content.decode()
    )


def test_an_invitee_is_listed_under_the_name_typed_for_them_until_they_join(client, admin):
    # People are global: the name another account knows them by is not this account's to show.
    invitee = member(
        admin,
        "pat@acme.example",
        status=MembershipStatus.INVITED,
        first_name="Pat",
        last_name="Typed",
        user__first_name="Patricia",
        user__last_name="Elsewhere",
        invite_expires_at=NOW + timedelta(days=7),
    )
    assert row_for(users(client), "pat@acme.example")["Name"] == "Pat Typed"

    invitee.status, invitee.joined_at = MembershipStatus.ACTIVE, NOW
    invitee.save()

    assert row_for(users(client), "pat@acme.example")["Name"] == "Patricia Elsewhere"


def test_extra_teams_are_listed_without_a_main_team(client, admin):
    extra = member(admin, "extra@acme.example")
    extra.extra_teams.set([TeamFactory(account=admin.account, name=n) for n in ("Ops", "Art")])

    assert row_for(users(client), "extra@acme.example")["Teams"] == "Art, Ops"


def test_extra_teams_with_quotes_backslashes_and_any_script_are_listed_as_named(client, admin):
    # The rows bring their extra teams as JSON from the database: names that JSON escapes come
    # back whole, in name order (the same in any collation).
    names = ('Ops "Night" \\ shift', "Art 東京 🚀", "Mail: Ärzte, <b>")
    extra = member(admin, "extra@acme.example")
    extra.extra_teams.set([TeamFactory(account=admin.account, name=n) for n in names])

    teams = row_for(users(client), "extra@acme.example")["Teams"]

    assert teams == ", ".join(sorted(names))


def test_the_access_column_names_where_each_members_permissions_come_from(client, admin):
    own_set = PermissionSetFactory(account=admin.account, name="Field marketing")
    member(admin, "set@acme.example", access=Access.PERMISSION_SET, permission_set=own_set)
    member(admin, "template@acme.example", access=Access.TEMPLATE, permission_template="marketer")
    member(admin, "custom@acme.example", access=Access.CUSTOM)
    member(admin, "defaults@acme.example")
    # A super admin is "Super admin" whatever their stored access says.
    member(admin, "boss@acme.example", super_admin=True, access=Access.CUSTOM)

    access = {row["Email"]: row["Access"] for row in rows(users(client))}

    assert access == {
        ADMIN_EMAIL: "Super admin",
        "set@acme.example": "Field marketing",
        "template@acme.example": "Marketer",
        "custom@acme.example": "Custom",
        "defaults@acme.example": "Seat defaults",
        "boss@acme.example": "Super admin",
    }


def invitation_members(admin: Membership) -> None:
    """One member in each invitation state, named after it."""
    member(admin, "pending@acme.example", invited=True, invite_expires_at=NOW + timedelta(days=3))
    member(admin, "expired@acme.example", invited=True, invite_expires_at=NOW - timedelta(days=1))
    member(
        admin,
        "revoked@acme.example",
        invited=True,
        invite_expires_at=NOW + timedelta(days=3),
        invite_revoked_at=NOW - timedelta(hours=1),
    )
    member(
        admin,
        "accepted@acme.example",
        invite_expires_at=NOW - timedelta(days=5),
        joined_at=NOW - timedelta(days=6),
    )
    member(admin, "notsent@acme.example", invited=True)


def test_under_invited_the_invitation_says_pending_expired_revoked_or_not_sent(client, admin):
    invitation_members(admin)

    listed = {row["Email"]: (row["Status"], row["Invitation"]) for row in rows(users(client))}

    assert listed == {
        ADMIN_EMAIL: ("Active", ""),  # she created the account: never invited
        "pending@acme.example": ("Invited", "Pending"),
        "expired@acme.example": ("Invited", "Expired"),
        "revoked@acme.example": ("Invited", "Revoked"),
        "accepted@acme.example": ("Active", ""),  # "Active" says it was accepted
        "notsent@acme.example": ("Invited", "No invite sent"),
    }


# --- Search and filters --------------------------------------------------------------------------


def named_members(admin: Membership) -> None:
    member(admin, "ghopper@navy.example", user__first_name="Grace", user__last_name="Hopper")
    member(admin, "gkelly@film.example", user__first_name="Grace", user__last_name="Kelly")
    member(admin, "ahopper@film.example", user__first_name="Alan", user__last_name="Hopper")


def test_search_finds_a_name_in_any_case(client, admin):
    named_members(admin)

    assert sorted(emails(users(client, q="gRACE"))) == [
        "ghopper@navy.example",
        "gkelly@film.example",
    ]


def test_search_finds_part_of_an_email_address_in_any_case(client, admin):
    named_members(admin)

    assert emails(users(client, q="NAVY.Example")) == ["ghopper@navy.example"]


def test_several_search_words_narrow_the_list(client, admin):
    named_members(admin)

    assert emails(users(client, q="grace  HOPPER")) == ["ghopper@navy.example"]


def test_a_search_that_matches_nobody_says_so(client, admin):
    named_members(admin)

    response = users(client, q="nobody-by-that-name")

    assert rows(response) == []
    assert "No users match these filters." in response.content.decode()


def test_the_seat_filter_lists_only_members_on_that_seat(client, admin):
    member(admin, "viewer@acme.example", view_only=True)
    member(admin, "seller@acme.example", seat_type=SeatType.SALES)

    assert emails(users(client, seat=SeatType.VIEW_ONLY)) == ["viewer@acme.example"]


def test_the_team_filter_lists_members_whose_main_or_extra_team_it_is(client, admin):
    sales = TeamFactory(account=admin.account, name="Sales")
    others = [TeamFactory(account=admin.account, name=n) for n in ("Ops", "Art")]
    main = member(admin, "main@acme.example", main_team=sales)
    main.extra_teams.set(others)  # two extra teams: still one row
    member(admin, "extra@acme.example").extra_teams.set([sales, others[0]])
    member(admin, "elsewhere@acme.example", main_team=others[0])
    main.extra_teams.add(sales)  # main and extra team at once: still one row, counted once

    page = users(client, team=sales.pk)
    assert sorted(emails(page)) == ["extra@acme.example", "main@acme.example"]
    assert result_count(page) == "1–2 of 2 users"


def test_the_status_filter_lists_only_members_in_that_status(client, admin):
    member(admin, "gone@acme.example", deactivated=True)
    member(admin, "invited@acme.example", invited=True)

    assert emails(users(client, status=MembershipStatus.DEACTIVATED)) == ["gone@acme.example"]


@pytest.mark.parametrize("state", ["pending", "expired", "revoked", "accepted", "not_sent"])
def test_the_invitation_filter_lists_only_members_in_that_invitation_state(client, admin, state):
    invitation_members(admin)

    assert emails(users(client, invitation=state)) == [f"{state.replace('_', '')}@acme.example"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("super_admin", [ADMIN_EMAIL, "boss@acme.example"]),
        ("set:OWN", ["set@acme.example"]),
        ("template:marketer", ["template@acme.example"]),
        ("custom", ["custom@acme.example"]),
        ("seat_defaults", ["defaults@acme.example"]),
    ],
)
def test_the_access_filter_lists_only_members_with_that_access(client, admin, value, expected):
    own_set = PermissionSetFactory(account=admin.account, name="Field marketing")
    member(admin, "set@acme.example", access=Access.PERMISSION_SET, permission_set=own_set)
    member(admin, "template@acme.example", access=Access.TEMPLATE, permission_template="marketer")
    member(admin, "custom@acme.example", access=Access.CUSTOM)
    member(admin, "defaults@acme.example")
    member(admin, "boss@acme.example", super_admin=True, access=Access.CUSTOM)

    value = value.replace("OWN", str(own_set.pk))

    assert sorted(emails(users(client, access=value))) == sorted(expected)


def test_the_access_filter_offers_the_accounts_own_permission_sets(client, admin):
    own_set = PermissionSetFactory(account=admin.account, name="Field marketing")
    PermissionSetFactory(name="Someone else's set")

    page = users(client).content.decode()

    assert f'<option value="set:{own_set.pk}">Field marketing</option>' in page
    assert "Someone else&#x27;s set" not in page


def test_last_active_more_than_n_days_ago_lists_the_inactive_and_the_never_active(client, admin):
    member(admin, "recent@acme.example", last_active_at=NOW - timedelta(days=29, hours=23))
    member(admin, "idle@acme.example", last_active_at=NOW - timedelta(days=30, minutes=1))
    member(admin, "never@acme.example", last_active_at=None)

    assert sorted(emails(users(client, inactive_days=30))) == [
        "idle@acme.example",
        "never@acme.example",
    ]


def test_filters_combine(client, admin):
    sales = TeamFactory(account=admin.account, name="Sales")
    member(admin, "a@acme.example", main_team=sales, view_only=True)
    member(admin, "b@acme.example", main_team=sales)
    member(admin, "c@acme.example", view_only=True)

    assert emails(users(client, team=sales.pk, seat=SeatType.VIEW_ONLY)) == ["a@acme.example"]


def test_a_filter_value_that_is_no_longer_valid_is_ignored_and_the_others_still_apply(
    client, admin
):
    named_members(admin)
    deleted_team_id = TeamFactory(account=admin.account).pk + 1000

    assert emails(users(client, q="hopper", team=deleted_team_id, inactive_days=0)) == [
        "ahopper@film.example",
        "ghopper@navy.example",
    ]


def test_a_stale_filter_value_never_widens_the_export_to_every_user(client, admin):
    named_members(admin)

    table = export(client, q="kelly", seat="no-such-seat")

    assert [row[1] for row in table[1:]] == ["gkelly@film.example"]


def test_another_accounts_members_are_never_listed(client, admin):
    MembershipFactory(user__email="stranger@other.example")

    assert emails(users(client)) == [ADMIN_EMAIL]
    assert emails(users(client, q="stranger")) == []


@pytest.mark.parametrize("filters", [{}, {"status": "active"}, {"seat": SeatType.CORE}])
def test_the_same_filters_in_another_account_list_that_accounts_members(client, admin, filters):
    # The page's SQL is written once per shape of filters (accounts.prepared.ShapedRead) and
    # reused: for another account, and another team, it must take their ids.
    sales = TeamFactory(account=admin.account, name="Sales")
    member(admin, "sam@acme.example", main_team=sales)
    other = MembershipFactory(
        super_admin=True, account__name="Globex", user__email="gil@globex.example"
    )
    globex_sales = TeamFactory(account=other.account, name="Sales")
    MembershipFactory(
        account=other.account, user__email="gus@globex.example", main_team=globex_sales
    )

    assert sorted(emails(users(client, **filters))) == [ADMIN_EMAIL, "sam@acme.example"]
    assert emails(users(client, team=sales.pk, **filters)) == ["sam@acme.example"]
    client.force_login(other.user)
    assert sorted(emails(users(client, **filters))) == ["gil@globex.example", "gus@globex.example"]
    assert emails(users(client, team=globex_sales.pk, **filters)) == ["gus@globex.example"]
    # A team of another account is not a choice here: the filter is dropped, never applied.
    assert sorted(emails(users(client, team=sales.pk, **filters))) == [
        "gil@globex.example",
        "gus@globex.example",
    ]


# --- Sorting -------------------------------------------------------------------------------------


def sortable_members(admin: Membership) -> None:
    """Five members whose order differs by every sortable column (the admin is "Ada")."""
    member(
        admin,
        "wolf@acme.example",
        user__first_name="Bea",
        user__last_name="Jones",
        seat_type=SeatType.SALES,
        deactivated=True,
        last_active_at=NOW - timedelta(days=10),
    )
    member(
        admin,
        "kite@acme.example",
        user__first_name="Cy",
        user__last_name="Smith",
        view_only=True,
        invited=True,
        last_active_at=None,
    )
    member(
        admin,
        "bear@acme.example",
        user__first_name="Di",
        user__last_name="Brown",
        seat_type=SeatType.SERVICE,
        last_active_at=NOW - timedelta(days=40),
    )
    member(
        admin,
        "moth@acme.example",
        user__first_name="Ed",
        user__last_name="Green",
        seat_type=SeatType.PARTNER,
        last_active_at=NOW - timedelta(days=2),
    )


SORTED_ASCENDING = {
    "name": ["admin", "wolf", "kite", "bear", "moth"],
    "email": ["admin", "bear", "kite", "moth", "wolf"],
    # Core, Partner, Sales, Service, View-only
    "seat": ["admin", "moth", "wolf", "bear", "kite"],
    # Active (by email), Deactivated, Invited
    "status": ["admin", "bear", "moth", "wolf", "kite"],
    # Never first, then the longest ago; the admin was active just now
    "last_active": ["kite", "bear", "wolf", "moth", "admin"],
}


@pytest.mark.parametrize("key", SORTED_ASCENDING)
def test_sorting_by_a_column_orders_ascending_then_descending(client, admin, key):
    sortable_members(admin)
    expected = [f"{name}@acme.example" for name in SORTED_ASCENDING[key]]

    assert emails(users(client, sort=key)) == expected
    assert emails(users(client, sort=key, desc=1)) == expected[::-1]


def test_the_list_is_sorted_by_name_by_default(client, admin):
    sortable_members(admin)

    assert emails(users(client)) == [f"{n}@acme.example" for n in SORTED_ASCENDING["name"]]


def test_the_name_order_ignores_letter_case_and_places_a_person_without_a_name_by_email(
    client, admin
):
    member(admin, "zed@acme.example", user__first_name="zed", user__last_name="")
    member(admin, "carol@acme.example", user__first_name="Carol", user__last_name="King")
    member(admin, "bob@acme.example", user__first_name="", user__last_name="")
    member(admin, "dora@acme.example", user__first_name="DORA", user__last_name="Diaz")

    assert emails(users(client)) == [
        ADMIN_EMAIL,  # Ada Admin
        "bob@acme.example",  # no name: by the address
        "carol@acme.example",
        "dora@acme.example",
        "zed@acme.example",
    ]


def test_a_renamed_person_moves_to_their_new_place_in_the_list(client, admin):
    renamed = member(admin, "x@acme.example", user__first_name="Zoe", user__last_name="Young")
    member(admin, "m@acme.example", user__first_name="Mia", user__last_name="Moss")

    user_profile_update(user=renamed.user, first_name="Abe", last_name="Adams", language="en")

    assert emails(users(client)) == ["x@acme.example", ADMIN_EMAIL, "m@acme.example"]


@pytest.mark.postgres
@pytest.mark.parametrize("params", [{}, {"status": "active"}, {"desc": 1}])
def test_a_page_in_name_order_is_read_from_an_index_not_sorted(admin, params):
    """With thousands of members, PostgreSQL reads the page's 51 rows in name order from
    membership_account_name / membership_status_name; it does not sort the account."""
    user_ids = UserFactory._meta.model.objects.bulk_create(
        [
            UserFactory.build(email=f"p{n}@acme.example", first_name=f"P{n}", last_name="X")
            for n in range(3000)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, account=admin.account, status=MembershipStatus.ACTIVE)
            for u in user_ids
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_membership")
        cursor.execute("ANALYZE accounts_user")
    filters = DirectoryFilters(status=params.get("status", ""), descending="desc" in params)
    members = member_directory(account=admin.account, filters=filters, now=NOW)[:51]

    plan = members.explain()

    assert "Sort" not in plan, plan
    assert re.search(r"Index (Only )?Scan( Backward)? using membership_(account|status)_name", plan)


def test_a_column_heading_sorts_by_it_and_then_the_other_way(client, admin):
    page = users(client, sort="email").content.decode()

    # The link says how the column is sorted (aria-sort belongs on a th, not on a link).
    sorted_link = r'href="\?sort=email&amp;desc=1" class="sort">Email .*\(sorted ascending\)<'
    assert re.search(sorted_link, page)
    assert re.search(r'href="\?sort=seat"\s+class="sort"', page)


def test_a_column_heading_keeps_the_search_and_filters_and_starts_at_page_1(client, admin):
    MembershipFactory.create_batch(60, account=admin.account, seat_type=SeatType.VIEW_ONLY)

    page = users(client, q="example", seat=SeatType.VIEW_ONLY, page=2).content.decode()

    assert re.search(r'href="\?q=example&amp;seat=view_only&amp;sort=email"\s+class="sort"', page)


# --- Pages ---------------------------------------------------------------------------------------


def test_a_page_holds_50_users_and_says_which_of_how_many(client, admin):
    MembershipFactory.create_batch(60, account=admin.account)

    first = users(client)
    second = users(client, page=2)

    assert (len(rows(first)), result_count(first)) == (50, "1–50 of 61 users")
    assert (len(rows(second)), result_count(second)) == (11, "51–61 of 61 users")
    assert "Page 1 of 2" in first.content.decode()
    assert next_link(second) is None
    assert 'rel="prev"' in second.content.decode()
    everyone = Membership.objects.filter(account=admin.account).values_list(
        "user__email", flat=True
    )
    assert sorted(emails(first) + emails(second)) == sorted(everyone)


def test_the_next_page_keeps_the_search_filters_and_sort(client, admin):
    for i in range(55):
        member(admin, f"user{i:02}@acme.example", view_only=True)
    member(admin, "core@acme.example")

    first = users(client, q="user", seat=SeatType.VIEW_ONLY, sort="email", desc=1)
    second = client.get(next_link(first))

    assert emails(first) == [f"user{i:02}@acme.example" for i in range(54, 4, -1)]
    assert emails(second) == [f"user{i:02}@acme.example" for i in range(4, -1, -1)]
    assert result_count(second) == "51–55 of 55 users"


def test_a_page_number_past_the_end_shows_the_last_page(client, admin):
    MembershipFactory.create_batch(60, account=admin.account)

    assert result_count(users(client, page=99)) == "51–61 of 61 users"


def test_a_page_number_that_is_not_a_number_shows_the_first_page(client, admin):
    assert result_count(users(client, page="last")) == "1–1 of 1 users"


def claim_is_truthful(text: str, actual: int) -> bool:
    """Whether "X–Y of N users" / "X–Y of more than N users" is true of `actual` members."""
    more_than = re.search(r"of more than ([\d,]+) users", text)
    if more_than:
        return actual > int(more_than.group(1).replace(",", ""))
    exactly = re.search(r"of ([\d,]+) users", text)
    return exactly is not None and actual == int(exactly.group(1).replace(",", ""))


@pytest.fixture
def capped(admin, monkeypatch):
    """12 members, counted only up to 5, 5 to a page."""
    monkeypatch.setattr("seats.users.selectors.COUNT_CAP", 5)
    monkeypatch.setattr("seats.users.views.directory.USERS_PER_PAGE", 5)
    MembershipFactory.create_batch(11, account=admin.account)


def test_past_the_count_cap_the_page_says_more_than_the_cap(client, capped):
    response = users(client)

    assert len(rows(response)) == 5
    assert result_count(response) == "1–5 of more than 5 users"
    assert next_link(response) is not None
    assert "Page 1 of" not in response.content.decode()  # the number of pages is not known
    assert "<span>Page 1</span>" in response.content.decode()


def test_past_the_count_cap_a_page_that_shows_the_end_gives_the_exact_count(
    client, admin, monkeypatch
):
    monkeypatch.setattr("seats.users.selectors.COUNT_CAP", 5)
    MembershipFactory.create_batch(11, account=admin.account)

    response = users(client)

    assert len(rows(response)) == 12
    assert result_count(response) == "1–12 of 12 users"


def test_a_page_number_past_the_end_of_a_capped_list_invents_no_users(client, capped):
    response = users(client, page=99)

    claim = result_count(response)
    assert claim == "" or claim_is_truthful(claim, 12), claim
    assert "No users yet." not in response.content.decode()


def test_past_the_count_cap_the_next_pages_still_work_and_stay_truthful(client, capped):
    seen, counts = [], []

    response = users(client)
    while True:
        seen += emails(response)
        counts.append(result_count(response))
        if next_link(response) is None or len(counts) > 5:
            break
        response = client.get(next_link(response))

    assert counts[0] == "1–5 of more than 5 users"
    assert [c.split(" of ")[0] for c in counts] == ["1–5", "6–10", "11–12"]
    assert all(claim_is_truthful(c, 12) for c in counts), counts
    assert len(set(seen)) == len(seen) == 12


# --- A constant number of queries a page ---------------------------------------------------------


def members_with_teams_and_sets(admin: Membership, everyone, count: int) -> None:
    """`count` more members, each with a main team, two extra teams ("Everyone" and one of
    their own) and a permission set of their own; every third one invited, the others active,
    each last active a day longer ago than the one before."""
    start = Membership.objects.filter(account=admin.account).count()
    for i in range(start, start + count):
        m = member(
            admin,
            f"m{i:03}@acme.example",
            status=MembershipStatus.INVITED if i % 3 == 0 else MembershipStatus.ACTIVE,
            main_team=TeamFactory(account=admin.account),
            access=Access.PERMISSION_SET,
            permission_set=PermissionSetFactory(account=admin.account),
            invite_expires_at=NOW + timedelta(days=2),
            last_active_at=NOW - timedelta(days=i),
        )
        m.extra_teams.set([everyone, TeamFactory(account=admin.account)])


def queries_for(client, url: str) -> list[str]:
    client.get(url)  # the first request of a session records "last active"; measure the next
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if response.streaming:  # the export reads its rows while it is sent
            body = b"".join(response.streaming_content).decode()
            assert body.count("\n") > 1
        else:
            assert rows(response)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?team=EVERYONE",
        "?q=acme&seat=core",
        "?invitation=pending&sort=last_active&desc=1",
        "?status=active&sort=seat&inactive_days=1",
    ],
    ids=["page 1", "team filter", "search and seat", "invitation, sorted", "status and idle"],
)
@pytest.mark.parametrize("view", ["seats:users", "seats:users_export"])
def test_a_page_costs_the_same_queries_for_5_members_as_for_60(client, admin, query, view):
    everyone = TeamFactory(account=admin.account, name="Everyone")
    url = reverse(view) + query.replace("EVERYONE", str(everyone.pk))
    members_with_teams_and_sets(admin, everyone, 5)
    small = queries_for(client, url)

    members_with_teams_and_sets(admin, everyone, 55)
    large = queries_for(client, url)

    assert len(large) == len(small), "\n".join(large)


def test_a_page_of_the_users_tab_costs_seven_queries(client, admin):
    """The session with the signed-in person and their memberships (one query: the account
    switcher asks nothing more), the filters' teams and permission sets, the count, the rows
    with their extra teams, and the two badges (unread notifications, open seat requests)."""
    everyone = TeamFactory(account=admin.account, name="Everyone")
    members_with_teams_and_sets(admin, everyone, 5)

    queries = queries_for(client, reverse("seats:users"))

    assert len(queries) == 7, "\n".join(queries)


def test_the_large_page_really_shows_teams_and_sets(client, admin):
    everyone = TeamFactory(account=admin.account, name="Everyone")
    members_with_teams_and_sets(admin, everyone, 60)

    listed = rows(users(client, team=everyone.pk))

    assert len(listed) == 50
    assert all("Everyone" in row["Teams"] and row["Access"].startswith("Set ") for row in listed)


# --- CSV export ----------------------------------------------------------------------------------


def test_the_export_has_a_header_row_and_only_the_filtered_rows(client, admin):
    sales = TeamFactory(account=admin.account, name="Sales")
    grace = member(
        admin,
        "grace@acme.example",
        user__first_name="Grace",
        user__last_name="Hopper",
        view_only=True,
        main_team=sales,
        last_active_at=datetime(2027, 3, 1, 14, 30, tzinfo=UTC),
        invite_expires_at=NOW - timedelta(days=20),
        joined_at=NOW - timedelta(days=21),
    )
    grace.extra_teams.set([TeamFactory(account=admin.account, name=n) for n in ("Ops", "Art")])
    member(admin, "core@acme.example")

    table = export(client, seat=SeatType.VIEW_ONLY)

    assert table == [
        [
            "Name",
            "Email",
            "Seat",
            "Access",
            "Main team",
            "Extra teams",
            "Status",
            "Invitation",
            "Last active (UTC)",
        ],
        [
            "Grace Hopper",
            "grace@acme.example",
            "View-only seat",
            "Seat defaults",
            "Sales",
            "Art; Ops",
            "Active",
            "Accepted",
            "2027-03-01 14:30",
        ],
    ]


def test_the_export_follows_the_search_and_sort(client, admin):
    named_members(admin)

    table = export(client, q="hopper", sort="email", desc=1)

    assert [row[1] for row in table[1:]] == ["ghopper@navy.example", "ahopper@film.example"]


def test_the_export_link_carries_the_current_filters(client, admin):
    page = users(client, q="grace", seat=SeatType.CORE).content.decode()

    assert f'href="{reverse("seats:users_export")}?q=grace&amp;seat=core"' in page


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://evil.example/","Click me")', "+1", "-2", "@SUM(A1:A9)"]
)
def test_a_name_that_looks_like_a_formula_is_exported_with_a_leading_apostrophe(
    client, admin, name
):
    member(admin, "sly@acme.example", user__first_name=name, user__last_name="")

    (row,) = [row for row in export(client) if row[1] == "sly@acme.example"]

    assert row[0] == "'" + name


@pytest.mark.parametrize("name", ["\tTabbed", "\rReturned"])
def test_a_team_name_starting_with_a_tab_or_carriage_return_is_neutralised(client, admin, name):
    member(
        admin, "sly@acme.example", main_team=TeamFactory(account=admin.account, name=name)
    ).extra_teams.set([TeamFactory(account=admin.account, name="=1+1" + name)])

    (row,) = [row for row in export(client) if row[1] == "sly@acme.example"]

    assert (row[4], row[5]) == ("'" + name, "'=1+1" + name)


# --- Who may open it -----------------------------------------------------------------------------


def member_page_requests(membership_id: int) -> list[tuple[str, str]]:
    """Every (method, url) about one user: their page, history, export, every action."""
    user = reverse("seats:user", args=[membership_id])
    history = reverse("seats:user_history", args=[membership_id])
    actions = [
        reverse("seats:user_action", args=[membership_id, action]) for action in ACTION_NAMES
    ]
    return [
        ("get", user),
        ("post", user),
        ("get", history),
        ("get", history + "?format=csv"),
        *[(method, url) for url in actions for method in ("get", "post")],
    ]


def request_as(client, method: str, url: str):
    if method == "post":
        return client.post(url, {"seat": "release", "note": "x", "seat_type": "view_only"})
    return client.get(url)


def test_anonymous_visitors_are_sent_to_sign_in(client, frozen):
    target = MembershipFactory()
    requests = [
        ("get", reverse("seats:users")),
        ("get", reverse("seats:users_export")),
        *member_page_requests(target.pk),
    ]

    for method, url in requests:
        response = request_as(client, method, url)
        assert response.status_code == 302, (method, url)
        assert response.url.startswith(reverse("accounts:login") + "?next="), (method, url)
    target.refresh_from_db()
    assert (target.status, target.seat_type) == (MembershipStatus.ACTIVE, SeatType.CORE)


def test_a_member_without_add_and_edit_users_is_refused_every_users_page(client, frozen):
    target = MembershipFactory(super_admin=False)
    everything_but_users = {
        **seat_default_permissions(SeatType.CORE),
        **{str(p): ON for p in AccountPermission if p != AccountPermission.USERS},
    }
    outsider = MembershipFactory(account=target.account, permissions=everything_but_users)
    client.force_login(outsider.user)
    requests = [
        ("get", reverse("seats:users")),
        ("get", reverse("seats:users_export")),
        *member_page_requests(target.pk),
    ]

    for method, url in requests:
        assert request_as(client, method, url).status_code == 403, (method, url)
    target.refresh_from_db()
    assert (target.status, target.seat_type, target.is_super_admin) == (
        MembershipStatus.ACTIVE,
        SeatType.CORE,
        False,
    )


def test_add_and_edit_users_opens_the_users_pages_without_being_super_admin(client, frozen):
    target = MembershipFactory()
    manager = MembershipFactory(
        account=target.account,
        permissions={**seat_default_permissions(SeatType.CORE), AccountPermission.USERS: ON},
    )
    client.force_login(manager.user)

    for url in [
        reverse("seats:users"),
        reverse("seats:user", args=[target.pk]),
        reverse("seats:user_history", args=[target.pk]),
        reverse("seats:user_action", args=[target.pk, "deactivate"]),
    ]:
        assert client.get(url).status_code == 200, url


def test_another_accounts_user_is_not_found_on_any_of_their_pages(client, admin):
    stranger = MembershipFactory(user__email="stranger@other.example", deactivated=True)

    for method, url in member_page_requests(stranger.pk):
        assert request_as(client, method, url).status_code == 404, (method, url)
    stranger.refresh_from_db()
    assert (stranger.status, stranger.seat_type) == (MembershipStatus.DEACTIVATED, SeatType.CORE)


def test_an_unknown_action_is_not_found(client, admin):
    target = member(admin, "target@acme.example")
    url = reverse("seats:user_action", args=[target.pk, "delete_everything"])

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_a_member_of_two_accounts_manages_only_the_current_ones_users(client, admin):
    elsewhere = MembershipFactory(user=admin.user, super_admin=True, account__name="Globex")
    globex_member = MembershipFactory(account=elsewhere.account)
    session = client.session
    session[SESSION_ACCOUNT_KEY] = admin.account_id
    session.save()

    assert client.get(reverse("seats:user", args=[globex_member.pk])).status_code == 404
    assert globex_member.user.email not in emails(users(client))


@pytest.mark.postgres
def test_on_postgresql_each_accounts_rows_have_a_plan_of_their_own_and_the_count_is_shared(
    client, admin
):
    """The page's count is one prepared statement for every account (its plan, an index read of
    the account's members, suits any). The rows are prepared per account, the account written
    into the text: their best plan depends on the account's size (the index's order for a
    large account, a sort for a small one), and a plan kept for the average of many small
    accounts sorted every member of a large one (200 ms for a page of 100 at 100,000 members:
    docs/architecture.md, "What the Users tab pays")."""
    other = MembershipFactory(user__email="boss@other.example")
    for _ in range(6):  # PostgreSQL settles on a kept plan after five calls
        for account in (admin.account, other.account):
            directory_rows(
                account=account, filters=DirectoryFilters(status="active"), now=NOW, limit=51
            )
            directory_page(
                account=account, filters=DirectoryFilters(status="active"), now=NOW, number=1
            )

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [text for (text,) in cursor.fetchall() if '"accounts_membership"' in text]
    counts = [text for text in prepared if text.startswith("SELECT COUNT(*)")]
    rows = [text for text in prepared if 'AS "user__email"' in text]
    assert len(counts) == 1 and "$1" in counts[0], counts
    for account in (admin.account, other.account):
        [own] = [text for text in rows if f'"account_id" = {account.pk} ' in text]
        assert "$1" not in own
