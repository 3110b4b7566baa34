"""Forms of the Permission sets pages: a set's name, description and grid; choosing its users."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Membership
from seats.permissions.forms import permission_fields, permissions_from


class PermissionSetForm(forms.Form):
    """Name, description and the permission grid."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # Set once the admin has read "This change applies to N users".
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, permissions=None, disabled: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(permission_fields(permissions or {}))
        if disabled:
            for form_field in self.fields.values():
                form_field.disabled = True

    def permissions(self) -> dict[str, str]:
        return permissions_from(self.cleaned_data)


class MembersChooseForm(forms.Form):
    """Checkboxes of members; any member of the account validates, whatever page showed them."""

    def __init__(self, *args, account: Account, shown: list[Membership], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"] = forms.ModelMultipleChoiceField(
            label=_("Users"),
            queryset=Membership.objects.filter(account=account),
            widget=forms.CheckboxSelectMultiple,
            error_messages={"required": _("Choose at least one user.")},
        )
        self.fields["members"].widget.choices = [(m.pk, m.user.email) for m in shown]

    def membership_ids(self) -> list[int]:
        return [m.pk for m in self.cleaned_data["members"]]
