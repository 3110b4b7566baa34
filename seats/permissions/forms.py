"""The permission editor ("Start from scratch", or a template to adjust), shared by the pages
that create and edit users and permission sets. Each permission with levels is one <select>
(scopes for a CRM object's actions, View/Edit/Publish for a tool); on/off permissions are
checkboxes. The POST is `perm__<code>=<level>` (checkbox: present means on)."""

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.policy import OFF, ON
from seats.catalogue import (
    PERMISSIONS,
    TOGGLE,
    Permission,
    level_label,
    permissions_by_tab,
)
from seats.permissions.choice import AccessChoice, AccessMode

FIELD_PREFIX = "perm__"


def _is_toggle(permission: Permission) -> bool:
    return permission.levels == TOGGLE


def permission_fields(initial: Mapping[str, str]) -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for permission in PERMISSIONS:
        value = initial.get(permission.code, permission.lowest)
        name = FIELD_PREFIX + permission.code
        # The page's script counts a control as changed when it leaves its starting value, and
        # as granted above its lowest level.
        attrs = {"data-baseline": value, "data-lowest": permission.lowest}
        # The label stands alone ("Contacts: View"): a CRM object's selects sit in a table cell.
        label = permission.full_label
        if _is_toggle(permission):
            fields[name] = forms.BooleanField(
                label=label,
                required=False,
                initial=value == ON,
                widget=forms.CheckboxInput(attrs=attrs),
            )
        else:
            fields[name] = forms.ChoiceField(
                label=label,
                choices=[(level, level_label(level)) for level in permission.levels],
                initial=value,
                required=False,
                widget=forms.Select(attrs=attrs),
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


def _granted(permission: Permission, value) -> bool:
    if _is_toggle(permission):
        return bool(value)
    return bool(value) and value != permission.lowest


def permission_grid(form: forms.Form) -> list[dict]:
    """The editor's sections, one per tab: its CRM objects as table rows of one control per
    action (`columns` heads them), its tools one control each, how many permissions it grants
    above their lowest level, and whether it opens at once (it holds an error)."""
    sections = []
    for tab, permissions in permissions_by_tab():
        objects: list[dict] = []
        tools: list[dict] = []
        granted = 0
        has_errors = False
        for permission in permissions:
            field = form[FIELD_PREFIX + permission.code]
            cell = {"field": field, "toggle": _is_toggle(permission)}
            granted += _granted(permission, field.value())
            has_errors = has_errors or bool(field.errors)
            if not permission.group:
                tools.append(cell)
            elif objects and objects[-1]["group"] == permission.group:
                objects[-1]["cells"].append(cell)
            else:
                objects.append({"group": permission.group, "cells": [cell]})
        columns = [p.label for p in permissions if objects and p.group == objects[0]["group"]]
        sections.append(
            {
                "tab": tab,
                "objects": objects,
                "columns": columns,
                "tools": tools,
                "granted": granted,
                "total": len(permissions),
                "open": has_errors,
            }
        )
    return sections


class AccessChoiceForm(forms.Form):
    """ "Choose how to restrict access": a mode, a template to start from, and the grid."""

    mode = forms.ChoiceField(
        label=_("Choose how to restrict access"), widget=forms.RadioSelect, initial="defaults"
    )
    template = forms.ChoiceField(label=_("Permission set"), required=False)
    # Set by the page's script once the grid was changed after loading a template; without it
    # the template applies as it is.
    adjusted = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, template_options, allow_super_admin, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mode"].choices = [
            (m.value, m.label)
            for m in AccessMode
            if allow_super_admin or m != AccessMode.SUPER_ADMIN
        ]
        self.fields["template"].choices = [("", _("Choose a permission set"))] + [
            (o.value, o.name) for o in template_options
        ]
        self.fields.update(permission_fields(self.initial.get("permissions", {})))

    def access_choice(self) -> AccessChoice:
        mode = AccessMode(self.cleaned_data["mode"])
        grid = permissions_from(self.cleaned_data)
        if mode == AccessMode.TEMPLATE and not self.cleaned_data.get("adjusted"):
            grid = {}
        return AccessChoice(
            mode=mode,
            template=self.cleaned_data.get("template", ""),
            permissions=grid if mode in (AccessMode.TEMPLATE, AccessMode.SCRATCH) else {},
        )


def review_rows(permissions: dict[str, str]) -> list[dict]:
    """The permissions a member will hold, by tab, leaving out what is at "no access"."""
    rows = []
    for tab, items in permissions_by_tab():
        held = [
            {"label": p.full_label, "level": level_label(permissions[p.code])}
            for p in items
            if p.code in permissions and (permissions[p.code] != p.lowest or p.lowest == "owned")
        ]
        rows.append({"tab": tab, "held": held})
    return rows
