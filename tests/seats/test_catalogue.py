"""The seat rules and the permission catalogue (DOMAIN.md sections 2 and 3)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import SeatType
from accounts.policy import OFF, ON, AccountPermission
from seats.catalogue import (
    PAID_SEAT_TYPES,
    PERMISSIONS,
    PERMISSIONS_BY_CODE,
    SEAT_RULES,
    PermissionChange,
    Tab,
    level_index,
    permissions_by_tab,
    permissions_clamp,
    permissions_complete,
    permissions_exceeding,
    permissions_fit_seat,
    permissions_validate,
    seat_allows_super_admin,
    seat_ceiling,
    seat_default_permissions,
    seat_is_paid,
    seat_required_for,
)
from seats.errors import (
    InvalidLevel,
    SeatsError,
    UnknownPermission,
    UnknownPermissionSet,
)
from seats.permission_sets.builtin import BUILTIN_PERMISSION_SETS, builtin_permission_set_get

CRM_OBJECTS = ("contacts", "companies", "deals", "tickets", "tasks", "notes", "calls", "meetings")
SALES_TOOLS = [p.code for p in PERMISSIONS if p.requires == SeatType.SALES]
SERVICE_TOOLS = [p.code for p in PERMISSIONS if p.requires == SeatType.SERVICE]
ACCOUNT_CODES = [p.code for p in PERMISSIONS if p.tab == Tab.ACCOUNT]


def at_highest(*codes: str) -> dict[str, str]:
    return {code: PERMISSIONS_BY_CODE[code].highest for code in codes}


# --- Seat types -------------------------------------------------------------------------------


def test_core_sales_and_service_seats_are_paid():
    assert PAID_SEAT_TYPES == (SeatType.CORE, SeatType.SALES, SeatType.SERVICE)
    assert [s for s in SeatType if seat_is_paid(s)] == list(PAID_SEAT_TYPES)


def test_every_seat_type_has_a_rule_labelled_as_in_the_product():
    assert {str(rule.label) for rule in SEAT_RULES.values()} == {
        "Core seat",
        "Sales seat",
        "Service seat",
        "View-only seat",
        "Partner seat",
    }
    assert all(rule.seat_type == seat_type for seat_type, rule in SEAT_RULES.items())


def test_seat_rules_accept_stored_seat_type_strings():
    assert seat_is_paid("sales") is True
    assert seat_is_paid("partner") is False


def test_view_only_seat_can_never_be_super_admin():
    assert not seat_allows_super_admin(SeatType.VIEW_ONLY)
    assert all(seat_allows_super_admin(s) for s in SeatType if s != SeatType.VIEW_ONLY)


# --- The catalogue ----------------------------------------------------------------------------


def test_permission_codes_are_unique():
    assert len(PERMISSIONS_BY_CODE) == len(PERMISSIONS)


def test_tabs_come_in_product_order_and_cover_the_catalogue():
    tabs = permissions_by_tab()
    assert [str(tab.label) for tab, _ in tabs] == [
        "CRM",
        "Marketing",
        "Sales",
        "Service",
        "Reports",
        "Account",
    ]
    assert [p for _, permissions in tabs for p in permissions] == list(PERMISSIONS)


def test_every_crm_object_has_view_edit_delete_and_communicate():
    for obj in CRM_OBJECTS:
        labels = [str(PERMISSIONS_BY_CODE[f"crm.{obj}.{a}"].label) for a in ("view", "edit")]
        labels += [
            str(PERMISSIONS_BY_CODE[f"crm.{obj}.{a}"].label) for a in ("delete", "communicate")
        ]
        assert labels == ["View", "Edit", "Delete", "Communicate"]
    assert str(PERMISSIONS_BY_CODE["crm.deals.delete"].full_label) == "Deals: Delete"


def test_view_has_no_none_level():
    for obj in CRM_OBJECTS:
        assert PERMISSIONS_BY_CODE[f"crm.{obj}.view"].levels == ("owned", "team", "everything")
        assert PERMISSIONS_BY_CODE[f"crm.{obj}.edit"].levels == (
            "none",
            "owned",
            "team",
            "everything",
        )


def test_account_tab_is_exactly_the_five_administrative_toggles():
    account = dict(permissions_by_tab())[Tab.ACCOUNT]
    assert [p.code for p in account] == [str(p) for p in AccountPermission]
    assert [str(p.label) for p in account] == [
        "Add and edit users",
        "Add and edit teams",
        "Edit billing",
        "Edit account defaults",
        "Presets",
    ]
    assert all(p.levels == (OFF, ON) for p in account)


def test_sales_tools_need_a_sales_seat():
    assert {"sales.sequences", "sales.forecasting", "sales.playbooks", "sales.quotes"} <= set(
        SALES_TOOLS
    )
    for seat_type in (SeatType.VIEW_ONLY, SeatType.CORE, SeatType.SERVICE):
        assert not permissions_fit_seat(at_highest(*SALES_TOOLS), seat_type)
    assert permissions_fit_seat(at_highest(*SALES_TOOLS), SeatType.SALES)


def test_service_tools_need_a_service_seat():
    assert {"service.help_desk", "service.customer_success", "service.knowledge_base"} <= set(
        SERVICE_TOOLS
    )
    for seat_type in (SeatType.VIEW_ONLY, SeatType.CORE, SeatType.SALES):
        assert not permissions_fit_seat(at_highest(*SERVICE_TOOLS), seat_type)
    assert permissions_fit_seat(at_highest(*SERVICE_TOOLS), SeatType.SERVICE)


def test_core_sales_and_service_toggles_fit_a_core_seat():
    core_tools = at_highest("sales.meetings_scheduler", "sales.templates", "service.chat_inbox")
    assert permissions_fit_seat(core_tools, SeatType.CORE)


# --- Ceilings and defaults --------------------------------------------------------------------


def test_view_only_ceiling_allows_only_viewing():
    ceiling = seat_ceiling(SeatType.VIEW_ONLY)
    for permission in PERMISSIONS:
        level = ceiling[permission.code]
        if permission.code.startswith("crm.") and permission.code.endswith(".view"):
            assert level == "everything"
        elif permission.requires is None and "view" in permission.levels:
            assert level == "view"
        else:
            assert level == permission.lowest, permission.code


def test_core_ceiling_is_everything_but_sales_and_service_tools():
    ceiling = seat_ceiling(SeatType.CORE)
    for permission in PERMISSIONS:
        expected = permission.lowest if permission.requires else permission.highest
        assert ceiling[permission.code] == expected


def test_sales_and_service_seats_include_everything_a_core_seat_does():
    core = seat_ceiling(SeatType.CORE)
    assert permissions_exceeding(core, seat_ceiling(SeatType.SALES)) == []
    assert permissions_exceeding(core, seat_ceiling(SeatType.SERVICE)) == []


def test_partner_ceiling_is_every_permission_at_its_highest():
    assert seat_ceiling(SeatType.PARTNER) == {p.code: p.highest for p in PERMISSIONS}


@pytest.mark.parametrize("seat_type", list(SeatType))
def test_default_permissions_never_include_account_tab(seat_type):
    defaults = seat_default_permissions(seat_type)
    assert all(defaults[code] == OFF for code in ACCOUNT_CODES)


@pytest.mark.parametrize("seat_type", list(SeatType))
def test_default_permissions_are_the_seat_ceiling_outside_the_account_tab(seat_type):
    defaults = seat_default_permissions(seat_type)
    ceiling = seat_ceiling(seat_type)
    assert set(defaults) == set(PERMISSIONS_BY_CODE)
    assert {c: lvl for c, lvl in defaults.items() if c not in ACCOUNT_CODES} == {
        c: lvl for c, lvl in ceiling.items() if c not in ACCOUNT_CODES
    }


# --- Levels and validation --------------------------------------------------------------------


def test_levels_are_ordered_lowest_first():
    assert level_index("crm.contacts.edit", "none") == 0
    assert level_index("crm.contacts.edit", "everything") == 3
    assert level_index("marketing.email", "publish") > level_index("marketing.email", "edit")


def test_missing_codes_mean_the_lowest_level():
    complete = permissions_complete({"crm.deals.edit": "team"})
    assert complete["crm.deals.edit"] == "team"
    assert complete["crm.deals.view"] == "owned"
    assert complete["crm.deals.delete"] == "none"
    assert complete["marketing.email"] == OFF
    assert set(complete) == set(PERMISSIONS_BY_CODE)


def test_unknown_code_is_rejected():
    with pytest.raises(UnknownPermission) as caught:
        permissions_validate({"crm.spaceships.view": "everything"})
    assert caught.value.code == "unknown_permission"
    assert "crm.spaceships.view" in str(caught.value)


def test_unknown_level_is_rejected():
    with pytest.raises(InvalidLevel):
        permissions_validate({"crm.contacts.view": "none"})
    with pytest.raises(InvalidLevel):
        level_index("marketing.forms", "publish")


def test_permissions_that_are_not_a_mapping_are_rejected():
    with pytest.raises(SeatsError):
        permissions_validate(["crm.contacts.view"])


def test_a_valid_dict_comes_back_complete():
    assert permissions_validate({"crm.import": ON}) == permissions_complete({"crm.import": ON})


# --- Clamping, granting, choosing a seat ------------------------------------------------------


def test_clamping_core_to_view_only_lists_the_removed_permissions():
    perms = {
        "crm.contacts.view": "team",
        "crm.contacts.edit": "owned",
        "marketing.email": "publish",
    }
    clamped, changes = permissions_clamp(perms, SeatType.VIEW_ONLY)
    assert clamped["crm.contacts.view"] == "team"
    assert clamped["crm.contacts.edit"] == "none"
    assert clamped["marketing.email"] == "view"
    assert changes == [
        PermissionChange("crm.contacts.edit", changes[0].label, "owned", "none"),
        PermissionChange("marketing.email", changes[1].label, "publish", "view"),
    ]
    assert [str(change.label) for change in changes] == ["Contacts: Edit", "Marketing email"]


def test_clamping_permissions_within_the_ceiling_changes_nothing():
    defaults = seat_default_permissions(SeatType.SALES)
    assert permissions_clamp(defaults, SeatType.SALES) == (defaults, [])


def test_moving_from_a_sales_seat_to_core_takes_the_sales_tools_away():
    _, changes = permissions_clamp(seat_default_permissions(SeatType.SALES), SeatType.CORE)
    assert [change.code for change in changes] == SALES_TOOLS


def test_granting_above_your_own_level_is_detected():
    granter = {"crm.deals.edit": "team", "marketing.email": "edit"}
    wanted = {"crm.deals.edit": "everything", "marketing.email": "edit", "crm.export": ON}
    assert permissions_exceeding(wanted, granter) == ["crm.deals.edit", "crm.export"]


def test_granting_at_or_below_your_own_level_is_allowed():
    granter = {"crm.deals.edit": "team", "marketing.email": "publish"}
    assert (
        permissions_exceeding({"crm.deals.edit": "owned", "marketing.email": "view"}, granter) == []
    )


@pytest.mark.parametrize(
    ("perms", "seat_type"),
    [
        ({}, SeatType.VIEW_ONLY),
        ({"crm.contacts.view": "everything", "reports.reports": "view"}, SeatType.VIEW_ONLY),
        ({"crm.contacts.edit": "owned"}, SeatType.CORE),
        ({"account.users": ON}, SeatType.CORE),
        ({"sales.sequences": ON, "crm.deals.edit": "team"}, SeatType.SALES),
        ({"service.help_desk": "view"}, SeatType.SERVICE),
    ],
)
def test_the_required_seat_is_the_narrowest_that_holds_the_permissions(perms, seat_type):
    assert seat_required_for(perms) == seat_type


def test_sales_and_service_tools_together_need_a_partner_seat():
    assert seat_required_for({"sales.sequences": ON, "service.help_desk": "edit"}) == (
        SeatType.PARTNER
    )


# --- Built-in permission sets -----------------------------------------------------------------

EXPECTED_SEATS = {
    "marketer": SeatType.CORE,
    "marketing_manager": SeatType.CORE,
    "sales_rep": SeatType.SALES,
    "sales_manager": SeatType.SALES,
    "service_agent": SeatType.SERVICE,
    "service_manager": SeatType.SERVICE,
    "admin": SeatType.CORE,
    "view_only": SeatType.VIEW_ONLY,
}


def test_builtin_sets_are_the_job_functions_of_the_product():
    assert [(s.code, str(s.name)) for s in BUILTIN_PERMISSION_SETS] == [
        ("marketer", "Marketer"),
        ("marketing_manager", "Marketing manager"),
        ("sales_rep", "Sales rep"),
        ("sales_manager", "Sales manager"),
        ("service_agent", "Service agent"),
        ("service_manager", "Service manager"),
        ("admin", "Admin"),
        ("view_only", "View-only"),
    ]


@pytest.mark.parametrize(("code", "seat_type"), EXPECTED_SEATS.items())
def test_every_builtin_set_is_valid_and_fits_its_seat(code, seat_type):
    permission_set = builtin_permission_set_get(code)
    assert permissions_validate(permission_set.permissions) == dict(permission_set.permissions)
    assert set(permission_set.permissions) == set(PERMISSIONS_BY_CODE)
    assert seat_required_for(permission_set.permissions) == seat_type
    assert permission_set.seat_type == seat_type


def test_only_the_admin_set_holds_the_account_tab():
    for permission_set in BUILTIN_PERMISSION_SETS:
        held = [code for code in ACCOUNT_CODES if permission_set.permissions[code] == ON]
        assert held == (ACCOUNT_CODES if permission_set.code == "admin" else [])


def test_builtin_sets_cannot_be_changed():
    permission_set = builtin_permission_set_get("marketer")
    with pytest.raises(TypeError):
        permission_set.permissions["account.billing"] = ON  # type: ignore[index]


def test_unknown_builtin_set_is_rejected():
    with pytest.raises(UnknownPermissionSet) as caught:
        builtin_permission_set_get("astronaut")
    assert caught.value.code == "unknown_permission_set"


# --- Errors -----------------------------------------------------------------------------------


def test_errors_carry_a_stable_code_and_a_message_for_the_screen():
    error = InvalidLevel(permission="marketing.forms", level="publish")
    assert isinstance(error, SeatsError)
    assert error.code == "invalid_level"
    assert str(error.message) == "“publish” is not a level of the permission “marketing.forms”."
    assert error.context == {"permission": "marketing.forms", "level": "publish"}


def test_an_error_can_be_raised_with_its_own_message():
    error = UnknownPermission("Pick a permission from the list.")
    assert str(error) == "Pick a permission from the list."
    assert error.code == "unknown_permission"


def test_a_missing_message_detail_never_breaks_the_message():
    assert str(InvalidLevel(level="x")) == "“x” is not a level of the permission “{permission}”."


# --- Property: clamping -----------------------------------------------------------------------


@st.composite
def permission_dicts(draw):
    chosen = draw(st.lists(st.sampled_from(PERMISSIONS), unique_by=lambda p: p.code))
    return {p.code: draw(st.sampled_from(p.levels)) for p in chosen}


@settings(max_examples=300)
@given(perms=permission_dicts(), seat_type=st.sampled_from(list(SeatType)))
def test_clamping_is_idempotent_and_never_exceeds_the_ceiling(perms, seat_type):
    clamped, changes = permissions_clamp(perms, seat_type)

    assert permissions_exceeding(clamped, seat_ceiling(seat_type)) == []
    assert permissions_clamp(clamped, seat_type) == (clamped, [])
    # Only what was lowered changed, and each change is a lowering to the ceiling.
    complete = permissions_complete(perms)
    changed = {change.code for change in changes}
    assert {c for c in complete if complete[c] != clamped[c]} == changed
    for change in changes:
        assert level_index(change.code, change.after) < level_index(change.code, change.before)
        assert change.after == seat_ceiling(seat_type)[change.code]
