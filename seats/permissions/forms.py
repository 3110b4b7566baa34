"""The permission grid ("Start from scratch", or a template to adjust), shared by the pages
that create and edit users. Scopes and levels are radio choices; on/off permissions checkboxes."""

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.policy import OFF, ON
from seats.catalogue import (
    PERMISSIONS,
    TOGGLE,
    Permission,
    Tab,
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
