"""Seat rules and the permission catalogue: what each seat allows, and every permission there is.

Pure rules, no database. A member's permissions are a dict `{permission code: level}`; each
permission has an ordered tuple of levels, lowest first, and a code missing from the dict means
its lowest level. The lowest level is "no access" everywhere except CRM *View*, whose lowest is
"owned": everybody may at least see the records they own.

Each seat type has a ceiling, the highest level it lets each permission reach:
- View-only: viewing only. CRM View up to "everything"; tools that have a "view" level up to
  "view"; every other permission (edit, delete, communicate, toggles, the Account tab) at lowest.
- Core: every permission except the tools that need a Sales or a Service seat.
- Sales / Service: what Core allows, plus the sales / service tools.
- Partner: everything.
Sales and Service tools never reach above their lowest level on any other seat, View-only included.

The built-in permission sets by job function live in seats.builtin_sets; they can be imported
from here too.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import SeatType
from accounts.policy import ACCOUNT_PERMISSION_LABELS, OFF, ON, AccountPermission
from seats.errors import InvalidLevel, SeatsError, UnknownPermission

# --- Seat types ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatRule:
    """What one seat type is: its label, whether it is paid, and what it allows."""

    seat_type: SeatType
    label: Any  # lazily translated str
    is_paid: bool
    description: Any  # lazily translated str


SEAT_RULES: dict[SeatType, SeatRule] = {
    SeatType.CORE: SeatRule(SeatType.CORE, SeatType.CORE.label, True, _("Every core tool.")),
    SeatType.SALES: SeatRule(
        SeatType.SALES,
        SeatType.SALES.label,
        True,
        _("A Core seat plus the sales tools: sequences, forecasting, playbooks, quotes."),
    ),
    SeatType.SERVICE: SeatRule(
        SeatType.SERVICE,
        SeatType.SERVICE.label,
        True,
        _(
            "A Core seat plus the service tools: help desk, customer success, knowledge base, "
            "feedback surveys."
        ),
    ),
    SeatType.VIEW_ONLY: SeatRule(
        SeatType.VIEW_ONLY,
        SeatType.VIEW_ONLY.label,
        False,
        _("View only: cannot create, publish, edit, save or delete anything."),
    ),
    SeatType.PARTNER: SeatRule(
        SeatType.PARTNER,
        SeatType.PARTNER.label,
        False,
        _("Every feature of the account, for employees of a linked solutions partner."),
    ),
}

PAID_SEAT_TYPES: tuple[SeatType, ...] = (SeatType.CORE, SeatType.SALES, SeatType.SERVICE)


def seat_is_paid(seat_type: SeatType | str) -> bool:
    return SEAT_RULES[SeatType(seat_type)].is_paid


def seat_allows_super_admin(seat_type: SeatType | str) -> bool:
    """A super admin holds everything, which a View-only seat can never hold."""
    return SeatType(seat_type) != SeatType.VIEW_ONLY


# --- Levels ----------------------------------------------------------------------------------

NONE = "none"
OWNED = "owned"
TEAM = "team"
EVERYTHING = "everything"
VIEW = "view"
EDIT = "edit"
PUBLISH = "publish"

SCOPES: tuple[str, ...] = (NONE, OWNED, TEAM, EVERYTHING)
VIEW_SCOPES: tuple[str, ...] = (OWNED, TEAM, EVERYTHING)  # CRM View: no "none"
TOGGLE: tuple[str, ...] = (OFF, ON)
TOOL_VIEW_EDIT: tuple[str, ...] = (OFF, VIEW, EDIT)
TOOL_VIEW_EDIT_PUBLISH: tuple[str, ...] = (OFF, VIEW, EDIT, PUBLISH)

LEVEL_LABELS: Mapping[str, Any] = MappingProxyType(
    {
        NONE: _("None"),
        OWNED: _("Owned only"),
        TEAM: _("Team only"),
        EVERYTHING: _("Everything"),
        OFF: _("Off"),
        ON: _("On"),
        VIEW: _("View"),
        EDIT: _("Edit"),
        PUBLISH: _("Publish"),
    }
)


def level_label(level: str) -> Any:
    return LEVEL_LABELS[level]


# --- The catalogue ---------------------------------------------------------------------------


class Tab(models.TextChoices):
    CRM = "crm", _("CRM")
    MARKETING = "marketing", _("Marketing")
    SALES = "sales", _("Sales")
    SERVICE = "service", _("Service")
    REPORTS = "reports", _("Reports")
    ACCOUNT = "account", _("Account")


@dataclass(frozen=True)
class Permission:
    """One entry of the catalogue. `requires` names the only paid seat that may hold it."""

    code: str
    label: Any  # lazily translated str
    tab: Tab
    levels: tuple[str, ...]
    requires: SeatType | None = None
    group: Any = ""  # lazily translated str: the CRM object a permission belongs to

    @property
    def lowest(self) -> str:
        return self.levels[0]

    @property
    def highest(self) -> str:
        return self.levels[-1]

    @property
    def full_label(self) -> Any:
        """The label that stands alone, outside its group: "Contacts: Delete"."""
        if not self.group:
            return self.label
        return format_lazy(_("{group}: {permission}"), group=self.group, permission=self.label)


CRM_OBJECTS: tuple[tuple[str, Any], ...] = (
    ("contacts", _("Contacts")),
    ("companies", _("Companies")),
    ("deals", _("Deals")),
    ("tickets", _("Tickets")),
    ("tasks", _("Tasks")),
    ("notes", _("Notes")),
    ("calls", _("Calls")),
    ("meetings", _("Meetings")),
)
CRM_ACTIONS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    ("view", _("View"), VIEW_SCOPES),
    ("edit", _("Edit"), SCOPES),
    ("delete", _("Delete"), SCOPES),
    ("communicate", _("Communicate"), SCOPES),
)


def _tool(
    code: str, label: Any, tab: Tab, levels: tuple[str, ...], requires: SeatType | None = None
) -> Permission:
    return Permission(code=code, label=label, tab=tab, levels=levels, requires=requires)


PERMISSIONS: tuple[Permission, ...] = (
    *(
        Permission(f"crm.{obj}.{action}", action_label, Tab.CRM, levels, group=obj_label)
        for obj, obj_label in CRM_OBJECTS
        for action, action_label, levels in CRM_ACTIONS
    ),
    _tool("crm.import", _("Import"), Tab.CRM, TOGGLE),
    _tool("crm.export", _("Export"), Tab.CRM, TOGGLE),
    _tool("crm.bulk_delete", _("Bulk delete"), Tab.CRM, TOGGLE),
    _tool("marketing.email", _("Marketing email"), Tab.MARKETING, TOOL_VIEW_EDIT_PUBLISH),
    _tool("marketing.ads", _("Ads"), Tab.MARKETING, TOOL_VIEW_EDIT_PUBLISH),
    _tool("marketing.social", _("Social"), Tab.MARKETING, TOOL_VIEW_EDIT_PUBLISH),
    _tool("marketing.forms", _("Forms"), Tab.MARKETING, TOOL_VIEW_EDIT),
    _tool("marketing.landing_pages", _("Landing pages"), Tab.MARKETING, TOOL_VIEW_EDIT_PUBLISH),
    _tool("marketing.campaigns", _("Campaigns"), Tab.MARKETING, TOOL_VIEW_EDIT),
    _tool("marketing.lists", _("Lists"), Tab.MARKETING, TOOL_VIEW_EDIT),
    _tool("sales.meetings_scheduler", _("Meetings scheduler"), Tab.SALES, TOGGLE),
    _tool("sales.templates", _("Templates"), Tab.SALES, TOGGLE),
    _tool("sales.sequences", _("Sequences"), Tab.SALES, TOGGLE, SeatType.SALES),
    _tool("sales.forecasting", _("Forecasting"), Tab.SALES, TOOL_VIEW_EDIT, SeatType.SALES),
    _tool("sales.playbooks", _("Playbooks"), Tab.SALES, TOOL_VIEW_EDIT_PUBLISH, SeatType.SALES),
    _tool("sales.quotes", _("Quotes"), Tab.SALES, TOOL_VIEW_EDIT, SeatType.SALES),
    _tool("service.chat_inbox", _("Chat inbox"), Tab.SERVICE, TOGGLE),
    _tool("service.snippets", _("Snippets"), Tab.SERVICE, TOGGLE),
    _tool("service.help_desk", _("Help desk"), Tab.SERVICE, TOOL_VIEW_EDIT, SeatType.SERVICE),
    _tool(
        "service.customer_success",
        _("Customer success"),
        Tab.SERVICE,
        TOOL_VIEW_EDIT,
        SeatType.SERVICE,
    ),
    _tool(
        "service.knowledge_base",
        _("Knowledge base"),
        Tab.SERVICE,
        TOOL_VIEW_EDIT_PUBLISH,
        SeatType.SERVICE,
    ),
    _tool(
        "service.feedback_surveys",
        _("Feedback surveys"),
        Tab.SERVICE,
        TOOL_VIEW_EDIT,
        SeatType.SERVICE,
    ),
    _tool("reports.dashboards", _("Dashboards"), Tab.REPORTS, TOOL_VIEW_EDIT),
    _tool("reports.reports", _("Reports"), Tab.REPORTS, TOOL_VIEW_EDIT),
    _tool("reports.analytics", _("Analytics"), Tab.REPORTS, TOGGLE),
    *(
        _tool(permission.value, ACCOUNT_PERMISSION_LABELS[permission], Tab.ACCOUNT, TOGGLE)
        for permission in AccountPermission
    ),
)

PERMISSIONS_BY_CODE: dict[str, Permission] = {p.code: p for p in PERMISSIONS}

# Level positions, looked up on every comparison.
_LEVEL_INDEX: Mapping[str, Mapping[str, int]] = MappingProxyType(
    {p.code: MappingProxyType({level: i for i, level in enumerate(p.levels)}) for p in PERMISSIONS}
)


def permissions_by_tab() -> list[tuple[Tab, list[Permission]]]:
    """The catalogue as the pages show it: each tab in order, its permissions in display order."""
    return [(tab, [p for p in PERMISSIONS if p.tab == tab]) for tab in Tab]


def level_index(code: str, level: str) -> int:
    """The position of `level` among the permission's levels, 0 being the lowest."""
    indexes = _LEVEL_INDEX.get(code) if isinstance(code, str) else None
    if indexes is None:
        raise UnknownPermission(permission=code)
    try:
        return indexes[level]
    except (KeyError, TypeError):
        raise InvalidLevel(permission=code, level=level) from None


# --- Seat ceilings ---------------------------------------------------------------------------


def _ceiling_level(permission: Permission, seat_type: SeatType) -> str:
    if seat_type == SeatType.PARTNER:
        return permission.highest
    if permission.requires is not None and permission.requires != seat_type:
        return permission.lowest
    if seat_type == SeatType.VIEW_ONLY:
        if permission.levels == VIEW_SCOPES:  # CRM View: seeing records is what the seat is for
            return permission.highest
        return VIEW if VIEW in permission.levels else permission.lowest
    return permission.highest


_CEILINGS: Mapping[SeatType, Mapping[str, str]] = MappingProxyType(
    {
        seat_type: MappingProxyType({p.code: _ceiling_level(p, seat_type) for p in PERMISSIONS})
        for seat_type in SeatType
    }
)

# From the narrowest seat to the widest; seat_required_for picks the first that fits.
_SEATS_NARROWEST_FIRST: tuple[SeatType, ...] = (
    SeatType.VIEW_ONLY,
    SeatType.CORE,
    SeatType.SALES,
    SeatType.SERVICE,
    SeatType.PARTNER,
)


def seat_ceiling(seat_type: SeatType | str) -> dict[str, str]:
    """The highest level each permission may reach on this seat (a complete dict)."""
    return dict(_CEILINGS[SeatType(seat_type)])


def seat_default_permissions(seat_type: SeatType | str) -> dict[str, str]:
    """ "Don't restrict access": everything the seat allows, except the Account tab.

    Administrative permissions are never given by default: someone has to grant them on purpose.
    """
    ceiling = _CEILINGS[SeatType(seat_type)]
    return {p.code: p.lowest if p.tab == Tab.ACCOUNT else ceiling[p.code] for p in PERMISSIONS}


# --- Working with permission dicts -----------------------------------------------------------


@dataclass(frozen=True)
class PermissionChange:
    """One permission a seat change lowers; `label` stands alone ("Deals: Delete")."""

    code: str
    label: Any  # lazily translated str
    before: str
    after: str


def permissions_validate(perms: Mapping[str, str]) -> dict[str, str]:
    """Refuse codes and levels the catalogue does not know; return the complete dict.

    The entry point for anything a person or a client submitted.
    """
    if not isinstance(perms, Mapping):
        raise SeatsError(_("Permissions must map each permission to a level."))
    for code, level in perms.items():
        level_index(code, level)
    return {p.code: perms.get(p.code, p.lowest) for p in PERMISSIONS}


def permissions_complete(perms: Mapping[str, str]) -> dict[str, str]:
    """Every code of the catalogue, missing ones at their lowest level.

    As strict as permissions_validate: a stale or forged code must fail loudly rather than be
    carried along into an access decision.
    """
    return permissions_validate(perms)


def permissions_clamp(
    perms: Mapping[str, str], seat_type: SeatType | str
) -> tuple[dict[str, str], list[PermissionChange]]:
    """Lower every level above the seat's ceiling to it; say which permissions were lowered.

    Returns the clamped complete dict and the changes in catalogue order, so a page can tell
    exactly what a seat change takes away before it is confirmed.
    """
    complete = permissions_complete(perms)
    ceiling = _CEILINGS[SeatType(seat_type)]
    changes = []
    for permission in PERMISSIONS:
        code = permission.code
        if level_index(code, complete[code]) > level_index(code, ceiling[code]):
            changes.append(
                PermissionChange(code, permission.full_label, complete[code], ceiling[code])
            )
            complete[code] = ceiling[code]
    return complete, changes


def permissions_exceeding(perms: Mapping[str, str], ceiling_perms: Mapping[str, str]) -> list[str]:
    """Codes whose level in `perms` is above the level in `ceiling_perms`, in catalogue order.

    "You cannot grant a permission you do not hold": pass the granter's own permissions as the
    ceiling. (A super admin holds everything; callers skip this check for them.)
    """
    wanted = permissions_complete(perms)
    allowed = permissions_complete(ceiling_perms)
    return [
        code
        for code in PERMISSIONS_BY_CODE
        if level_index(code, wanted[code]) > level_index(code, allowed[code])
    ]


def permissions_fit_seat(perms: Mapping[str, str], seat_type: SeatType | str) -> bool:
    return not permissions_exceeding(perms, _CEILINGS[SeatType(seat_type)])


def seat_required_for(perms: Mapping[str, str]) -> SeatType:
    """The narrowest seat whose ceiling holds these permissions.

    View-only, then Core, then Sales or Service (whichever holds the tools). A dict with both
    sales and service tools fits no paid seat: the answer is Partner, the only seat holding
    everything. Partner seats go only to a linked partner's employees, so a caller choosing a seat
    for someone must treat PARTNER as "no Sales or Service seat can hold this" unless the person
    is eligible for one.
    """
    for seat_type in _SEATS_NARROWEST_FIRST:
        if permissions_fit_seat(perms, seat_type):
            return seat_type
    raise AssertionError("the Partner seat holds every permission")  # pragma: no cover


# Where a preset's users land after signing in; "" is the account's default.
LANDING_PAGES: tuple[tuple[str, Any], ...] = (
    ("", _("Account default")),
    ("dashboard", _("Dashboard")),
    ("contacts", _("Contacts")),
    ("companies", _("Companies")),
    ("deals", _("Deals")),
    ("tickets", _("Tickets")),
    ("marketing_email", _("Marketing email")),
    ("reports", _("Reports")),
)
