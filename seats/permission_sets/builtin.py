"""The built-in permission sets by job function: "Start with a template" offers these.

Each set is a complete, valid permission dict that fits one seat type: Marketer, Marketing
manager and Admin a Core seat; Sales rep and Sales manager a Sales seat; Service agent and Service
manager a Service seat; View-only a View-only seat. Only Admin holds the Account tab.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import SeatType
from accounts.policy import ON
from seats.catalogue import (
    CRM_OBJECTS,
    EDIT,
    EVERYTHING,
    OWNED,
    PERMISSIONS,
    TEAM,
    VIEW,
    Tab,
    permissions_validate,
    seat_ceiling,
    seat_required_for,
)
from seats.errors import UnknownPermissionSet


@dataclass(frozen=True)
class BuiltinPermissionSet:
    """A permission set shipped with the product; `permissions` is complete and read-only."""

    code: str
    name: Any  # lazily translated str
    description: Any  # lazily translated str
    permissions: Mapping[str, str] = field(hash=False)

    @property
    def seat_type(self) -> SeatType:
        """The narrowest seat that can hold this set."""
        return seat_required_for(self.permissions)


_ALL_CRM_OBJECTS = tuple(code for code, _label in CRM_OBJECTS)
_SALES_OBJECTS = ("contacts", "companies", "deals")
_SERVICE_OBJECTS = ("contacts", "companies", "tickets")
_ACTIVITIES = ("tasks", "notes", "calls", "meetings")


def _crm(objects: Iterable[str] = _ALL_CRM_OBJECTS, **scopes: str) -> dict[str, str]:
    """CRM object permissions: `_crm(("deals",), edit=TEAM)` -> {"crm.deals.edit": "team"}."""
    return {f"crm.{obj}.{action}": level for obj in objects for action, level in scopes.items()}


def _tab_highest(tab: Tab) -> dict[str, str]:
    return {p.code: p.highest for p in PERMISSIONS if p.tab == tab}


def _set(code: str, name: Any, description: Any, levels: Mapping[str, str]) -> BuiltinPermissionSet:
    permissions = MappingProxyType(permissions_validate(levels))
    return BuiltinPermissionSet(code, name, description, permissions)


_MARKETING_TOOLS_EDIT = {p.code: EDIT for p in PERMISSIONS if p.tab == Tab.MARKETING}
_REPORTS_VIEW = {"reports.dashboards": VIEW, "reports.reports": VIEW}
_REPORTS_EDIT = {"reports.dashboards": EDIT, "reports.reports": EDIT, "reports.analytics": ON}

BUILTIN_PERMISSION_SETS: tuple[BuiltinPermissionSet, ...] = (
    _set(
        "marketer",
        _("Marketer"),
        _("Creates marketing content and campaigns and works with contacts and companies."),
        {
            **_crm(view=EVERYTHING),
            **_crm(("contacts", "companies"), edit=EVERYTHING, communicate=EVERYTHING),
            **_crm(("tasks", "notes"), edit=OWNED, delete=OWNED),
            "crm.import": ON,
            **_MARKETING_TOOLS_EDIT,
            **_REPORTS_VIEW,
            "reports.analytics": ON,
        },
    ),
    _set(
        "marketing_manager",
        _("Marketing manager"),
        _("Everything a marketer does, plus publishing, deleting records, export and reports."),
        {
            **_crm(view=EVERYTHING),
            **_crm(
                ("contacts", "companies"),
                edit=EVERYTHING,
                delete=EVERYTHING,
                communicate=EVERYTHING,
            ),
            **_crm(("tasks", "notes"), edit=TEAM, delete=TEAM),
            "crm.import": ON,
            "crm.export": ON,
            **_tab_highest(Tab.MARKETING),
            **_REPORTS_EDIT,
        },
    ),
    _set(
        "sales_rep",
        _("Sales rep"),
        _("Works their own contacts and deals with the sales tools. Needs a Sales seat."),
        {
            **_crm(view=EVERYTHING),
            **_crm(_SALES_OBJECTS, edit=OWNED, communicate=OWNED),
            **_crm(_ACTIVITIES, edit=OWNED, delete=OWNED),
            "sales.meetings_scheduler": ON,
            "sales.templates": ON,
            "sales.sequences": ON,
            "sales.forecasting": VIEW,
            "sales.playbooks": VIEW,
            "sales.quotes": EDIT,
            **_REPORTS_VIEW,
        },
    ),
    _set(
        "sales_manager",
        _("Sales manager"),
        _("Leads a sales team: the team's records, every sales tool, export and reports."),
        {
            **_crm(view=EVERYTHING),
            **_crm(_SALES_OBJECTS, edit=TEAM, delete=TEAM, communicate=TEAM),
            **_crm(_ACTIVITIES, edit=TEAM, delete=TEAM),
            "crm.import": ON,
            "crm.export": ON,
            **_tab_highest(Tab.SALES),
            **_REPORTS_EDIT,
        },
    ),
    _set(
        "service_agent",
        _("Service agent"),
        _("Answers customers and works their own tickets. Needs a Service seat."),
        {
            **_crm(view=EVERYTHING),
            **_crm(_SERVICE_OBJECTS, edit=OWNED, communicate=OWNED),
            **_crm(_ACTIVITIES, edit=OWNED, delete=OWNED),
            "service.chat_inbox": ON,
            "service.snippets": ON,
            "service.help_desk": EDIT,
            "service.knowledge_base": VIEW,
            "service.feedback_surveys": VIEW,
            **_REPORTS_VIEW,
        },
    ),
    _set(
        "service_manager",
        _("Service manager"),
        _("Leads a service team: the team's tickets, every service tool, export and reports."),
        {
            **_crm(view=EVERYTHING),
            **_crm(_SERVICE_OBJECTS, edit=TEAM, delete=TEAM, communicate=TEAM),
            **_crm(_ACTIVITIES, edit=TEAM, delete=TEAM),
            "crm.import": ON,
            "crm.export": ON,
            **_tab_highest(Tab.SERVICE),
            **_REPORTS_EDIT,
        },
    ),
    _set(
        "admin",
        _("Admin"),
        _(
            "Everything a Core seat allows, including the Account tab: users, teams, billing, "
            "account defaults and presets."
        ),
        seat_ceiling(SeatType.CORE),
    ),
    _set(
        "view_only",
        _("View-only"),
        _("Sees records, reports and tools without changing anything."),
        seat_ceiling(SeatType.VIEW_ONLY),
    ),
)

_BY_CODE: Mapping[str, BuiltinPermissionSet] = MappingProxyType(
    {permission_set.code: permission_set for permission_set in BUILTIN_PERMISSION_SETS}
)


def builtin_permission_set_get(code: str) -> BuiltinPermissionSet:
    try:
        return _BY_CODE[code]
    except (KeyError, TypeError):
        raise UnknownPermissionSet(permission_set=code) from None
