from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from invitations.parsing import MAX_FILE_PEOPLE
from invitations.salesforce import salesforce_instance_url_clean
from seats.permissions.forms import AccessChoiceForm


class JoinNewUserForm(forms.Form):
    """A new person sets their name and password (Django's validators)."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Confirm password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        # Every problem at once: a weak password is said even when the two don't match.
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords don't match."))
        if p1:
            self.user.first_name = cleaned.get("first_name", "")
            self.user.last_name = cleaned.get("last_name", "")
            try:
                password_validation.validate_password(p1, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class MailboxCodeForm(forms.Form):
    """The code emailed to the invited address, typed back (invitations.services.codes)."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
                "size": 10,
            }
        ),
    )


class JoinExistingUserForm(forms.Form):
    """A person who already has a password confirms it to join."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class TypedEmailsForm(forms.Form):
    emails = forms.CharField(
        label=_("Email addresses"),
        widget=forms.Textarea(attrs={"rows": 5, "autofocus": True, "spellcheck": "false"}),
        help_text=_("Separate addresses with commas, spaces, semicolons or new lines."),
        max_length=20_000,
    )


class CsvUploadForm(forms.Form):
    csv_file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "A file with an “Email” column; optional “First name” and “Last name”. "
            "At most 100 users per file."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class SalesforceConnectionForm(forms.Form):
    instance_url = forms.CharField(
        label=_("Salesforce instance URL"),
        max_length=300,
        widget=forms.URLInput(attrs={"placeholder": "https://yourcompany.my.salesforce.com"}),
    )
    access_token = forms.CharField(
        label=_("Access token"),
        max_length=2000,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Stored encrypted and never shown again."),
    )

    def clean_instance_url(self) -> str:
        return salesforce_instance_url_clean(self.cleaned_data["instance_url"])


class SalesforcePickForm(forms.Form):
    """The active Salesforce users, all selected; unchecking excludes."""

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {p.email: p for p in people}
        self.fields["emails"] = forms.MultipleChoiceField(
            label=_("Salesforce users"),
            choices=[
                (p.email, f"{p.first_name} {p.last_name} <{p.email}>".strip()) for p in people
            ],
            initial=[p.email for p in people],
            widget=forms.CheckboxSelectMultiple,
            error_messages={"required": _("Select at least one user to import.")},
        )

    def clean_emails(self) -> list[str]:
        emails = self.cleaned_data["emails"]
        if len(emails) > MAX_FILE_PEOPLE:
            # One batch is at most 100 people, as from a file or typed (invitations.parsing).
            raise forms.ValidationError(
                ngettext(
                    "You selected {count} user; at most {limit} users can be added at once. "
                    "Unselect some and try again.",
                    "You selected {count} users; at most {limit} users can be added at once. "
                    "Unselect some and try again.",
                    len(emails),
                ).format(count=len(emails), limit=MAX_FILE_PEOPLE),
                code="too_many_people",
            )
        return emails

    def chosen(self):
        return [self.people[e] for e in self.cleaned_data["emails"]]


class AccessForm(AccessChoiceForm):
    """Step 2 of "Create user": the seat and the access for the whole batch."""

    seat_type = forms.ChoiceField(label=_("Assign a seat"))
    no_invite = forms.BooleanField(
        label=_("Don't send an invite email when this user is added"), required=False
    )
    field_order = ["seat_type", "mode", "template", "adjusted", "no_invite"]

    def __init__(self, *args, seat_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seat_type"].choices = seat_choices


class BatchTeamsForm(forms.Form):
    """After "Create user": one main team, extra teams, and a preset for the whole batch."""

    main_team = forms.ModelChoiceField(
        label=_("Main team"), queryset=None, required=False, empty_label=_("No main team")
    )
    extra_teams = forms.ModelMultipleChoiceField(
        label=_("Extra teams"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    preset = forms.ModelChoiceField(
        label=_("Preset"), queryset=None, required=False, empty_label=_("No preset")
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        teams = account.teams.order_by("name")
        self.fields["main_team"].queryset = teams
        self.fields["extra_teams"].queryset = teams
        self.fields["preset"].queryset = account.presets.order_by("name")

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(k) for k in ("main_team", "extra_teams", "preset")):
            raise forms.ValidationError(_("Choose a team or a preset to apply."))
        return cleaned
