"""Presets room (seats/presets/views.py, forms.py), the Presets tab over HTTP (DOMAIN.md section
6): each page is refused to whoever lacks "Presets" (applying one also needs "Add and edit users"),
an id from another account is a 404; bad input is a message at the field, with nothing written.
"""

import re

import pytest
from django.urls import reverse

from accounts.models import Preset, SeatType
from accounts.policy import ON, AccountPermission
from seats.catalogue import seat_default_permissions
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
PRESETS = AccountPermission.PRESETS.value

ACTIONS = [
    Action("seats:presets", "get", PRESETS),
    Action("seats:preset_create", "get", PRESETS),
    Action(
        "seats:preset_create",
        "post",
        PRESETS,
        data=lambda w: {"name": "New", "default_language": "en"},
    ),
    Action(
        "seats:preset",
        "get",
        PRESETS,
        ids=lambda w: {"preset_id": w.preset.pk},
        other_ids=lambda w: {"preset_id": w.other_preset.pk},
    ),
    Action(
        "seats:preset",
        "post",
        PRESETS,
        ids=lambda w: {"preset_id": w.preset.pk},
        data=lambda w: {"name": "Renamed", "default_language": "en"},
        other_ids=lambda w: {"preset_id": w.other_preset.pk},
    ),
    Action(
        "seats:preset_delete",
        "get",
        PRESETS,
        ids=lambda w: {"preset_id": w.preset.pk},
        other_ids=lambda w: {"preset_id": w.other_preset.pk},
    ),
    Action(
        "seats:preset_delete",
        "post",
        PRESETS,
        ids=lambda w: {"preset_id": w.preset.pk},
        other_ids=lambda w: {"preset_id": w.other_preset.pk},
    ),
    Action(
        "seats:preset_apply",
        "get",
        PRESETS,
        ids=lambda w: {"preset_id": w.preset.pk},
        other_ids=lambda w: {"preset_id": w.other_preset.pk},
    ),
    Action(
        "seats:preset_apply",
        "post",
        PRESETS,
        ids=lambda w: {"preset_id": w.preset.pk},
        data=lambda w: {"members": [w.bo.pk]},
        other_ids=lambda w: {"preset_id": w.other_preset.pk},
    ),
]


# --- Who may open what -------------------------------------------------------------------------


def test_applying_a_preset_also_needs_add_and_edit_users(client, world):
    presets_only = MembershipFactory(
        account=world.admin.account,
        permissions={**CORE_DEFAULTS, AccountPermission.PRESETS.value: ON},
    )
    login(client, presets_only)
    url = reverse("seats:preset_apply", kwargs={"preset_id": world.preset.pk})
    assert client.get(url).status_code == 403
    assert client.post(url, {"members": [world.bo.pk]}).status_code == 403
    world.bo.refresh_from_db()
    assert world.bo.preset is None


# --- Presets -----------------------------------------------------------------------------------


def test_creating_a_preset(admin_client, world):
    admin_client.post(
        reverse("seats:preset_create"),
        {
            "name": "New rep",
            "permission_set": world.permission_set.pk,
            "main_team": world.sales.pk,
            "extra_teams": [world.support.pk],
            "default_language": "en",
            "default_landing_page": "deals",
        },
    )
    preset = Preset.objects.get(name="New rep")
    assert (preset.permission_set, preset.main_team) == (world.permission_set, world.sales)
    assert list(preset.extra_teams.all()) == [world.support]


def test_creating_a_preset_on_a_built_in_set_and_editing_it(admin_client, world):
    form = admin_client.get(reverse("seats:preset_create")).content.decode()
    assert '<optgroup label="Built-in sets">' in form
    assert '<option value="builtin:sales_rep">Sales rep</option>' in form

    admin_client.post(
        reverse("seats:preset_create"),
        {"name": "New rep", "permission_set": "builtin:sales_rep", "default_language": "en"},
    )

    preset = Preset.objects.get(name="New rep")
    assert (preset.permission_set, preset.permission_template) == (None, "sales_rep")
    listing = admin_client.get(reverse("seats:presets")).content.decode()
    assert "<td>Sales rep</td>" in listing
    edit = admin_client.get(reverse("seats:preset", kwargs={"preset_id": preset.pk}))
    assert '<option value="builtin:sales_rep" selected>Sales rep</option>' in edit.content.decode()


def test_an_unknown_built_in_set_is_refused_at_the_field(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("seats:preset_create"),
        {"name": "New", "permission_set": "builtin:wizard", "default_language": "en"},
    )
    assert "permission_set" in field_errors(response)
    assert snapshot() == before


def test_the_presets_list_names_the_language_and_landing_page(admin_client, world):
    world.preset.default_landing_page = "marketing_email"
    world.preset.save()
    page = admin_client.get(reverse("seats:presets")).content.decode()
    row = re.search(r"<tr>\s*<td>[^<]*<a[^>]*>Starter</a>.*?</tr>", page, re.S)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert "English" in cells and "Marketing email" in cells
    assert "marketing_email" not in row.group(0) and ">en<" not in row.group(0)


def test_a_preset_name_taken_in_another_case_is_refused_at_the_field(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("seats:preset_create"), {"name": "STARTER", "default_language": "en"}
    )
    assert "There is already a preset called" in field_errors(response)["name"][0]
    assert snapshot() == before


def test_a_preset_cannot_bundle_another_accounts_set_or_team(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("seats:preset_create"),
        {
            "name": "Sneaky",
            "permission_set": world.other_set.pk,
            "main_team": world.other_team.pk,
            "extra_teams": [world.other_team.pk],
            "default_language": "en",
        },
    )
    assert {"permission_set", "main_team", "extra_teams"} <= set(field_errors(response))
    assert snapshot() == before


def test_applying_a_preset_to_users_in_bulk(admin_client, world):
    cy = MembershipFactory(account=world.admin.account)
    url = reverse("seats:preset_apply", kwargs={"preset_id": world.preset.pk})
    admin_client.post(url, {"members": [world.bo.pk, cy.pk]})
    for member in (world.bo, cy):
        member.refresh_from_db()
        assert (member.preset, member.main_team) == (world.preset, world.support)


def test_the_apply_page_searches_users(admin_client, world):
    url = reverse("seats:preset_apply", kwargs={"preset_id": world.preset.pk})
    response = admin_client.get(url, {"q": "bo@"})
    assert [m.user.email for m in response.context["page"].object_list] == ["bo@acme.example"]


def test_applying_a_preset_whose_set_a_seat_cannot_hold_names_the_user(admin_client, world):
    world.preset.permission_set = world.permission_set
    world.preset.save()
    viewer = MembershipFactory(
        account=world.admin.account, view_only=True, user__email="vi@acme.example"
    )
    before = snapshot()
    response = admin_client.post(
        reverse("seats:preset_apply", kwargs={"preset_id": world.preset.pk}),
        {"members": [viewer.pk]},
    )
    assert "vi@acme.example" in field_errors(response)["members"][0]
    assert snapshot() == before


def test_deleting_a_preset_asks_first(admin_client, world):
    url = reverse("seats:preset_delete", kwargs={"preset_id": world.preset.pk})
    assert "Delete “Starter”?" in admin_client.get(url).content.decode()
    admin_client.post(url)
    assert not Preset.objects.filter(pk=world.preset.pk).exists()


# --- Query counts: constant whatever the length ------------------------------------------------


# Each page's budget: 8 queries of every signed-in page (session, user, membership, last
# active, notifications, switcher, session save), the Users & Teams tabs' count of open seat
# requests, plus the page's own reads.
PAGES = [
    ("seats:presets", many_sets_and_presets, 12),
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
