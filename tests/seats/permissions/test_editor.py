"""The permission editor's markup over HTTP (seats/permissions/forms.py, the partial
templates/seats/permissions/_permission_grid.html): what works without JavaScript and what a
screen reader announces. Its looks, keyboard order and change count are tested in Chromium
(tests/e2e/test_permission_editor.py)."""

import html
import re

import pytest
from django.urls import reverse

from accounts.models import Access
from seats.catalogue import PERMISSIONS, TOGGLE, Tab
from seats.permissions.forms import FIELD_PREFIX
from tests.factories import MembershipFactory

# Fixtures, imported by name for pytest to find here (`as`: re-exported, not unused).
from tests.pages_world import admin_client as admin_client
from tests.pages_world import snapshot
from tests.pages_world import world as world

pytestmark = pytest.mark.django_db

LEVELLED = [p for p in PERMISSIONS if p.levels != TOGGLE]
TOGGLES = [p for p in PERMISSIONS if p.levels == TOGGLE]


def labels_by_control(page: str) -> dict[str, str]:
    """{control id: its label's text}; a toggle's label wraps its checkbox."""
    found = {
        for_id: html.unescape(text)
        for for_id, text in re.findall(r'<label[^>]* for="([^"]+)"[^>]*>([^<]+)</label>', page)
    }
    for control_id, text in re.findall(
        r'<label class="perm-tool perm-switch"><input[^>]* id="([^"]+)"[^>]*><span>([^<]+)</span>',
        page,
    ):
        found[control_id] = html.unescape(text)
    return found


@pytest.mark.parametrize("page", ["create_set", "edit_permissions"])
def test_every_permission_is_one_control_named_for_its_object_and_action(admin_client, world, page):
    if page == "create_set":
        url = reverse("seats:permission_set_create")
    else:
        member = MembershipFactory(account=world.admin.account, access=Access.CUSTOM)
        url = reverse("seats:user_access", args=[member.pk])
    body = admin_client.get(url).content.decode()

    selects = re.findall(r'<select name="perm__([^"]+)"', body)
    checkboxes = re.findall(r'<input type="checkbox" name="perm__([^"]+)"', body)
    assert selects == [p.code for p in LEVELLED]
    assert checkboxes == [p.code for p in TOGGLES]
    labels = labels_by_control(body)
    for permission in PERMISSIONS:
        assert labels[f"id_{FIELD_PREFIX}{permission.code}"] == str(permission.full_label)
    assert labels["id_perm__crm.contacts.edit"] == "Contacts: Edit"
    # One collapsible section per tab, closed as the page opens; a CRM object per table row.
    assert re.findall(r'<span class="perm-section-name">([^<]+)</span>', body) == [
        str(tab.label) for tab in Tab
    ]
    assert body.count("<details ") == len(Tab)
    assert '<details class="perm-section" data-perm-section open>' not in body
    assert re.findall(r'<th scope="row">([^<]+)</th>', body) == [
        "Contacts", "Companies", "Deals", "Tickets", "Tasks", "Notes", "Calls", "Meetings",
    ]  # fmt: skip


def test_a_forged_level_is_shown_at_its_control_in_an_open_section(admin_client, world):
    before = snapshot()
    response = admin_client.post(
        reverse("seats:permission_set_create"),
        {"name": "Forged", FIELD_PREFIX + "crm.contacts.view": "root"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    crm = re.search(
        r'<details class="perm-section" data-perm-section open>(.*?)</details>', body, re.S
    )
    assert crm is not None and '<span class="perm-section-name">CRM</span>' in crm.group(1)
    cell = re.search(r'<td class="has-error">(.*?)</td>', crm.group(1), re.S).group(1)
    assert 'name="perm__crm.contacts.view"' in cell
    assert "Select a valid choice. root is not one of the available choices." in cell
    assert snapshot() == before
