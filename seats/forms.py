"""The permission grid ("Start from scratch", or a template to adjust), shared by the pages
that create and edit users. Scopes and levels are radio choices; on/off permissions checkboxes."""

from collections.abc import Mapping

from django import forms

from accounts.policy import OFF, ON
from seats.catalogue import PERMISSIONS, TOGGLE, Permission, Tab, level_label

FIELD_PREFIX = "perm__"


def _is_toggle(permission: Permission) -> bool:
    return permission.levels == TOGGLE


def permission_fields(initial: Mapping[str, str]) -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for permission in PERMISSIONS:
        value = initial.get(permission.code, permission.lowest)
        name = FIELD_PREFIX + permission.code
        # Inside a CRM object's row the object is the row's legend: "View", not "Contacts: View".
        label = permission.label if permission.group else permission.full_label
        if _is_toggle(permission):
            fields[name] = forms.BooleanField(label=label, required=False, initial=value == ON)
        else:
            fields[name] = forms.ChoiceField(
                label=label,
                choices=[(level, level_label(level)) for level in permission.levels],
                initial=value,
                required=False,
                widget=forms.RadioSelect,
            )
    return fields


def permissions_from(cleaned_data: Mapping) -> dict[str, str]:
    """{code: level} from a bound grid; an unanswered radio group means the lowest level."""
    result = {}
    for permission in PERMISSIONS:
        value = cleaned_data.get(FIELD_PREFIX + permission.code)
        if _is_toggle(permission):
            result[permission.code] = ON if value else OFF
        else:
            result[permission.code] = value or permission.lowest
    return result


def permission_grid(form: forms.Form) -> list[dict]:
    """The grid for a template: tabs, each with rows of (group label, [bound fields])."""
    tabs = []
    for tab in Tab:
        rows: list[dict] = []
        for permission in (p for p in PERMISSIONS if p.tab == tab):
            field = form[FIELD_PREFIX + permission.code]
            if permission.group and rows and rows[-1]["group"] == permission.group:
                rows[-1]["fields"].append(field)
            else:
                rows.append({"group": permission.group, "fields": [field]})
        tabs.append({"tab": tab, "rows": rows})
    return tabs
