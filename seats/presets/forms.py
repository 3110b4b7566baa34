"""The preset form: a permission set (built-in or the account's), a main team, extra teams, a
language and a landing page."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, PermissionSet, Team
from accounts.teams.forms import TeamChoiceField
from accounts.teams.selectors import team_choices
from seats.catalogue import LANDING_PAGES
from seats.permission_sets.builtin import BUILTIN_PERMISSION_SETS
from seats.permissions.choice import BUILTIN_PREFIX
from seats.presets.services import PresetFields


class PresetForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    default_language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)
    default_landing_page = forms.ChoiceField(
        label=_("Default landing page"), choices=LANDING_PAGES, required=False
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        # A built-in set is "builtin:<code>", one of the account's sets its id.
        self._sets = {
            str(s.pk): s for s in PermissionSet.objects.filter(account=account).order_by("name")
        }
        set_choices: list = [("", _("No permission set (keep each user's permissions)"))]
        set_choices.append(
            (
                _("Built-in sets"),
                [(BUILTIN_PREFIX + b.code, str(b.name)) for b in BUILTIN_PERMISSION_SETS],
            )
        )
        if self._sets:
            set_choices.append(
                (_("Your permission sets"), [(pk, s.name) for pk, s in self._sets.items()])
            )
        self.fields["permission_set"] = forms.ChoiceField(
            label=_("Permission set"),
            choices=set_choices,
            required=False,
            help_text=_(
                "A built-in set or one of yours. Users the preset is applied to get its "
                "permissions."
            ),
        )
        self.fields["main_team"] = TeamChoiceField(
            account=account, label=_("Main team"), required=False, empty_label=_("No main team")
        )
        self.fields["extra_teams"] = forms.ModelMultipleChoiceField(
            label=_("Extra teams"),
            queryset=Team.objects.filter(account=account),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields["extra_teams"].widget.choices = team_choices(account=account)
        self.order_fields(
            [
                "name",
                "permission_set",
                "main_team",
                "extra_teams",
                "default_language",
                "default_landing_page",
            ]
        )

    def preset_fields(self) -> PresetFields:
        data = self.cleaned_data
        chosen = data.get("permission_set") or ""
        return PresetFields(
            name=data["name"],
            permission_set=self._sets.get(chosen),
            permission_template=chosen.removeprefix(BUILTIN_PREFIX)
            if chosen.startswith(BUILTIN_PREFIX)
            else "",
            main_team=data.get("main_team"),
            extra_teams=list(data.get("extra_teams") or []),
            default_language=data["default_language"],
            default_landing_page=data.get("default_landing_page") or "",
        )
