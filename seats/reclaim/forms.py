"""Forms of "Move to View-only seat" and the reclaim policy."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Team
from seats.reclaim.models import ReclaimPolicy


class InactiveMoveForm(forms.Form):
    members = forms.TypedMultipleChoiceField(
        coerce=int, error_messages={"required": _("Select at least one user.")}
    )

    def __init__(self, *args, member_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [(pk, pk) for pk in member_ids]


class ReclaimPolicyForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Move people to a View-only seat after a time without activity"), required=False
    )
    inactive_days = forms.IntegerField(
        label=_("Days without activity"), min_value=2, max_value=3650
    )
    warning_days = forms.IntegerField(
        label=_("Warn them and the admins this many days before"),
        min_value=1,
        max_value=90,
    )
    exempt_emails = forms.CharField(
        label=_("Never move these people (email addresses)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Separated by commas, spaces or new lines. Super admins are always exempt."),
    )
    exempt_teams = forms.ModelMultipleChoiceField(
        label=_("Never move members of these teams"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, policy: ReclaimPolicy, **kwargs):
        self.account = policy.account
        initial = {"inactive_days": policy.inactive_days, "warning_days": policy.warning_days}
        initial["enabled"] = policy.enabled
        if policy.pk:
            initial["exempt_emails"] = "\n".join(
                policy.exempt_members.order_by("user__email").values_list("user__email", flat=True)
            )
            initial["exempt_teams"] = list(policy.exempt_teams.all())
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["exempt_teams"].queryset = Team.objects.filter(account=self.account)

    def clean_exempt_emails(self) -> list[Membership]:
        emails = {e.lower() for e in re.split(r"[\s,;]+", self.cleaned_data["exempt_emails"]) if e}
        members = list(
            Membership.objects.filter(account=self.account, user__email__in=emails).select_related(
                "user"
            )
        )
        unknown = emails - {m.user.email for m in members}
        if unknown:
            raise forms.ValidationError(
                _("Not in this account: %(emails)s") % {"emails": ", ".join(sorted(unknown))}
            )
        return members

    def clean(self):
        data = super().clean()
        days, warning = data.get("inactive_days"), data.get("warning_days")
        if days and warning and warning >= days:
            self.add_error(
                "warning_days", _("The warning must come before the seat is moved: fewer days.")
            )
        data["exempt_members"] = data.get("exempt_emails", [])
        return data
