"""The "Create API key" form."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from api.models import ApiScope


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses it, so you know what stops working if you revoke it."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        # Lazily, so that each label is in the language of the page that shows it.
        choices=[(s.value, format_lazy("{} — {}", s.value, s.label)) for s in ApiScope],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one scope.")},
    )
    expires_on = forms.DateField(
        label=_("Expires"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The last day the key works. Leave empty for a key that works until revoked."),
    )
