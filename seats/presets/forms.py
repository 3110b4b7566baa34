"""The preset form: a permission set, a main team, extra teams, a language and a landing page."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, PermissionSet, Team
from accounts.teams.forms import TeamChoiceField
from accounts.teams.selectors import team_choices
from seats.catalogue import LANDING_PAGES
from seats.presets.services import PresetFields


class PresetForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    default_language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)
    default_landing_page = forms.ChoiceField(
        label=_("Default landing page"), choices=LANDING_PAGES, required=False
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permission_set"] = forms.ModelChoiceField(
            label=_("Permission set"),
            queryset=PermissionSet.objects.filter(account=account).order_by("name"),
            required=False,
            empty_label=_("No permission set (keep each user's permissions)"),
            help_text=_("To bundle a built-in set, copy it on the Permission sets page first."),
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
        return PresetFields(
            name=data["name"],
            permission_set=data.get("permission_set"),
            main_team=data.get("main_team"),
            extra_teams=list(data.get("extra_teams") or []),
            default_language=data["default_language"],
            default_landing_page=data.get("default_landing_page") or "",
        )
