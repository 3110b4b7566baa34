"""Permission sets room (seats/permission_sets/views.py, forms.py), the Permission sets pages over
HTTP (DOMAIN.md section 3): each is refused to whoever lacks "Add and edit users", an id from
another account is a 404; bad input is a message at the field, with nothing written.
"""

from html import unescape

import pytest
from django.urls import reverse

from accounts.models import Access, PermissionSet, SeatType
from accounts.policy import ON, AccountPermission
from seats.catalogue import seat_default_permissions
from seats.permission_sets.builtin import builtin_permission_set_get
from seats.permissions.forms import FIELD_PREFIX
from tests.factories import MembershipFactory
from tests.pages_world import (
    Action,
    field_errors,
    login,
    many_sets_and_presets,
    snapshot,
)

# Fixtures, imported by name for pytest to find here (`as`: re-exported, not unused).
from tests.pages_world import admin_client as admin_client
from tests.pages_world import world as world

pytestmark = pytest.mark.django_db

CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)
USERS = AccountPermission.USERS.value

ACTIONS = [
    Action("seats:permission_sets", "get", USERS),
    Action("seats:permission_set_create", "get", USERS),
    Action("seats:permission_set_create", "post", USERS, data=lambda w: {"name": "New set"}),
    Action("seats:permission_set_builtin", "get", USERS, ids=lambda w: {"code": "marketer"}),
    Action("seats:permission_set_copy", "get", USERS, ids=lambda w: {"code": "marketer"}),
    Action(
        "seats:permission_set_copy",
        "post",
        USERS,
        ids=lambda w: {"code": "marketer"},
        data=lambda w: {"name": "Copied"},
    ),
    Action(
        "seats:permission_set",
        "get",
        USERS,
        ids=lambda w: {"set_id": w.permission_set.pk},
        other_ids=lambda w: {"set_id": w.other_set.pk},
    ),
    Action(
        "seats:permission_set",
        "post",
        USERS,
        ids=lambda w: {"set_id": w.permission_set.pk},
        data=lambda w: {"name": "Renamed", "confirmed": "True"},
        other_ids=lambda w: {"set_id": w.other_set.pk},
    ),
    Action(
        "seats:permission_set_users",
        "get",
        USERS,
        ids=lambda w: {"set_id": w.permission_set.pk},
        other_ids=lambda w: {"set_id": w.other_set.pk},
    ),
    Action(
        "seats:permission_set_users",
        "post",
        USERS,
        ids=lambda w: {"set_id": w.permission_set.pk},
        data=lambda w: {"members": [w.admin.pk]},
        other_ids=lambda w: {"set_id": w.other_set.pk},
    ),
    Action(
        "seats:permission_set_delete",
        "get",
        USERS,
        ids=lambda w: {"set_id": w.permission_set.pk},
        other_ids=lambda w: {"set_id": w.other_set.pk},
    ),
    Action(
        "seats:permission_set_delete",
        "post",
        USERS,
        ids=lambda w: {"set_id": w.permission_set.pk},
        other_ids=lambda w: {"set_id": w.other_set.pk},
    ),
]


# --- Who may open what -------------------------------------------------------------------------


# --- Permission sets ---------------------------------------------------------------------------


def grid(permissions):
    """Form data for the permission grid."""
    data = {}
    for code, level in permissions.items():
        if level == ON:
            data[FIELD_PREFIX + code] = "on"
        elif level != "off":
            data[FIELD_PREFIX + code] = level
    return data


def test_the_list_shows_built_in_sets_and_which_seat_each_needs(admin_client, world):
    page = admin_client.get(reverse("seats:permission_sets")).content.decode()
    assert "Sales rep" in page
    assert "Needs a Sales seat" in page
    assert "Needs a Service seat" in page
    assert "Field marketing" in page


def test_creating_a_set_from_the_grid(admin_client, world):
    response = admin_client.post(
        reverse("seats:permission_set_create"),
        {
            "name": "Reps",
            "description": "",
            **grid(builtin_permission_set_get("sales_rep").permissions),
        },
        follow=True,
    )
    created = PermissionSet.objects.get(name="Reps")
    assert created.permissions == dict(builtin_permission_set_get("sales_rep").permissions)
    assert "Needs a Sales seat" in response.content.decode()


def test_a_set_name_taken_in_another_case_is_refused_at_the_field(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("seats:permission_set_create"), {"name": "FIELD MARKETING"}
    )
    assert response.status_code == 200
    assert "There is already a permission set called" in field_errors(response)["name"][0]
    assert snapshot() == before


def test_a_forged_level_is_refused_at_its_field(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("seats:permission_set_create"),
        {"name": "Forged", FIELD_PREFIX + "crm.contacts.view": "root"},
    )
    assert response.status_code == 200
    assert FIELD_PREFIX + "crm.contacts.view" in field_errors(response)
    assert snapshot() == before


def test_a_users_admin_cannot_create_a_set_above_their_permissions(client, world):
    users_admin = MembershipFactory(
        account=world.admin.account,
        permissions={**CORE_DEFAULTS, AccountPermission.USERS.value: ON},
    )
    login(client, users_admin)
    before = snapshot()
    response = client.post(
        reverse("seats:permission_set_create"),
        {"name": "Billing", FIELD_PREFIX + AccountPermission.BILLING.value: "on"},
    )
    assert response.status_code == 200
    assert "You can't grant permissions you don't have yourself: Edit billing." in (
        response.context["form"].non_field_errors()
    )
    assert snapshot() == before


def test_editing_a_set_with_users_says_how_many_change_before_saving(admin_client, world):
    url = reverse("seats:permission_set", kwargs={"set_id": world.permission_set.pk})
    new = {**world.permission_set.permissions, "crm.deals.edit": "team"}
    before = snapshot()
    response = admin_client.post(url, {"name": "Field marketing", **grid(new)})
    assert "This change applies to 1 user." in response.content.decode()
    assert "Deals: Edit" in response.content.decode()
    assert snapshot() == before
    admin_client.post(url, {"name": "Field marketing", "confirmed": "True", **grid(new)})
    world.bo.refresh_from_db()
    assert world.bo.permissions["crm.deals.edit"] == "team"


def test_saving_a_set_says_whose_permissions_changed_in_plain_words(admin_client, world):
    url = reverse("seats:permission_set", kwargs={"set_id": world.permission_set.pk})
    same = dict(world.permission_set.permissions)
    response = admin_client.post(
        url, {"name": "Field marketing", "confirmed": "True", **grid(same)}, follow=True
    )
    assert "Permission set saved. Nobody's permissions changed." in unescape(
        response.content.decode()
    )
    new = {**same, "crm.deals.edit": "team"}
    response = admin_client.post(
        url, {"name": "Field marketing", "confirmed": "True", **grid(new)}, follow=True
    )
    assert "Permission set saved. The permissions of 1 user were updated." in (
        response.content.decode()
    )


def test_editing_a_set_no_user_can_hold_is_refused_naming_them(admin_client, world):
    url = reverse("seats:permission_set", kwargs={"set_id": world.permission_set.pk})
    before = snapshot()
    sales_rep = builtin_permission_set_get("sales_rep").permissions
    response = admin_client.post(url, {"name": "Field marketing", **grid(sales_rep)})
    [error] = response.context["form"].non_field_errors()
    assert "needs a Sales seat" in error
    assert "bo@acme.example" in error
    assert snapshot() == before


def test_applying_a_set_to_users_on_the_sets_page(admin_client, world):
    cy = MembershipFactory(account=world.admin.account, user__email="cy@acme.example")
    dee = MembershipFactory(account=world.admin.account, user__email="dee@acme.example")
    url = reverse("seats:permission_set_users", kwargs={"set_id": world.permission_set.pk})
    response = admin_client.post(url, {"members": [cy.pk, dee.pk]}, follow=True)
    emails = {m.user.email for m in response.context["page"].object_list}
    assert emails == {"bo@acme.example", "cy@acme.example", "dee@acme.example"}


def test_applying_a_set_to_no_one_asks_to_choose(admin_client, world):
    url = reverse("seats:permission_set_users", kwargs={"set_id": world.permission_set.pk})
    response = admin_client.post(url, {})
    assert field_errors(response)["members"] == ["Choose at least one user."]


def test_applying_a_set_to_a_view_only_user_is_refused_naming_them(admin_client, world):
    viewer = MembershipFactory(
        account=world.admin.account, view_only=True, user__email="vi@acme.example"
    )
    url = reverse("seats:permission_set_users", kwargs={"set_id": world.permission_set.pk})
    before = snapshot()
    response = admin_client.post(url, {"members": [viewer.pk]})
    [error] = field_errors(response)["members"]
    assert "vi@acme.example" in error
    assert snapshot() == before


def test_copy_opens_a_prefilled_form_and_saves_nothing_until_submitted(admin_client, world):
    url = reverse("seats:permission_set_copy", kwargs={"code": "service_agent"})
    before = snapshot()

    response = admin_client.get(url)

    assert snapshot() == before
    form = response.context["form"]
    assert form["name"].value() == "Copy of Service agent"
    assert form["description"].value() == str(
        builtin_permission_set_get("service_agent").description
    )
    assert "A copy of the built-in set “Service agent”." in response.content.decode()


def test_a_copy_is_saved_with_the_name_and_permissions_the_admin_submits(admin_client, world):
    url = reverse("seats:permission_set_copy", kwargs={"code": "service_agent"})
    form = admin_client.get(url).context["form"]
    data = {name: field.value() for name, field in ((n, form[n]) for n in form.fields)}
    data = {k: v for k, v in data.items() if v not in (None, False)}
    data["name"] = "Support desk"

    response = admin_client.post(url, data)

    copy = PermissionSet.objects.get(name="Support desk")
    assert response.url == reverse("seats:permission_set_users", kwargs={"set_id": copy.pk})
    assert copy.permissions == dict(builtin_permission_set_get("service_agent").permissions)
    assert not PermissionSet.objects.filter(name__startswith="Copy of").exists()


def test_a_copy_without_a_name_is_refused_at_the_field_and_nothing_is_saved(admin_client, world):
    url = reverse("seats:permission_set_copy", kwargs={"code": "marketer"})
    before = snapshot()

    response = admin_client.post(url, {"name": ""})

    assert field_errors(response)["name"]
    assert snapshot() == before


def test_an_unknown_built_in_set_is_not_found(admin_client, world):
    url = reverse("seats:permission_set_builtin", kwargs={"code": "wizard"})
    assert admin_client.get(url).status_code == 404


def test_deleting_a_set_asks_first_and_keeps_its_users_permissions(admin_client, world):
    url = reverse("seats:permission_set_delete", kwargs={"set_id": world.permission_set.pk})
    assert "1 user has this set." in admin_client.get(url).content.decode()
    admin_client.post(url)
    world.bo.refresh_from_db()
    assert (world.bo.access, world.bo.permission_set) == (Access.CUSTOM, None)


# --- Query counts: constant whatever the length ------------------------------------------------


# Each page's budget: 8 queries of every signed-in page (session, user, membership, last
# active, notifications, switcher, session save), the Users & Teams tabs' count of open seat
# requests, plus the page's own reads.
PAGES = [
    ("seats:permission_sets", many_sets_and_presets, 12),
]


@pytest.mark.parametrize(("name", "make", "budget"), PAGES)
def test_a_list_costs_the_same_queries_with_5_and_with_40_rows(
    admin_client, world, django_assert_max_num_queries, name, make, budget
):
    make(world, 5, start=0)
    with django_assert_max_num_queries(budget) as with_five:
        assert admin_client.get(reverse(name)).status_code == 200
    make(world, 35, start=5)
    with django_assert_max_num_queries(len(with_five)):
        response = admin_client.get(reverse(name))
    assert response.status_code == 200
