"""The Audit log's filters: actor, target, kind and dates."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditVerb, User
from accounts.text import person
from seats.audit_log.selectors import AuditFilters


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    """The audit log's filters; all optional. An invalid one is shown at its field, not used."""

    target = forms.CharField(label=_("Target email"), required=False, max_length=254)
    verb = forms.ChoiceField(label=_("Kind"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def __init__(self, *args, actors: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"] = forms.TypedChoiceField(
            label=_("Actor"),
            required=False,
            coerce=int,
            empty_value=None,
            choices=[("", _("Anyone")), *[(u.pk, person(u, with_email=True)) for u in actors]],
        )
        self.fields["verb"].choices = [("", _("Any kind")), *AuditVerb.choices]
        self.order_fields(["actor", "target", "verb", "date_from", "date_to"])

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> AuditFilters:
        # Fields that failed validation are not in cleaned_data: they filter nothing.
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return AuditFilters(
            actor_id=data.get("actor"),
            target=data.get("target") or "",
            verb=data.get("verb") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
