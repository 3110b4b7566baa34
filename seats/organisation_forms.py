"""Forms of the Teams, Presets, Permission sets and Audit log pages.

Forms check the shape of what was typed and keep every choice inside the current account; the
rules (unique names, no cycles, seats that can hold a set) are the services', whose errors the
views put on the field they concern.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, AuditVerb, Membership, PermissionSet, Team, User
from accounts.teams import TeamRole
from seats.forms import permission_fields, permissions_from
from seats.organisation_selectors import AuditFilters, team_choices
from seats.presets import LANDING_PAGES, PresetFields

NO_PARENT = _("No parent team (top level)")


class TeamChoiceField(forms.ModelChoiceField):
    """A team of the account, shown as its path ("Sales › EMEA") in tree order."""

    def __init__(
        self, *, account: Account, exclude=(), empty_label=NO_PARENT, queryset=None, **kwargs
    ):
        if queryset is None:
            queryset = Team.objects.filter(account=account)
        super().__init__(queryset=queryset, **kwargs)
        # Every team of the account validates (the services give the clear refusals); the
        # select offers only the sensible ones.
        self.widget.choices = [("", empty_label), *team_choices(account=account, exclude=exclude)]


class TeamCreateForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=100)

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"] = TeamChoiceField(
            account=account, label=_("Parent team"), required=False
        )


class TeamRenameForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=100)


class TeamParentForm(forms.Form):
    def __init__(self, *args, account: Account, subtree: set[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"] = TeamChoiceField(
            account=account, exclude=subtree, label=_("Parent team"), required=False
        )


class MembersChoice:
    MOVE = "move"
    REMOVE = "remove"


class TeamDeleteForm(forms.Form):
    members = forms.ChoiceField(
        label=_("What happens to its members?"),
        choices=[
            (MembersChoice.MOVE, _("Move them to another team")),
            (MembersChoice.REMOVE, _("Just remove this team from them")),
        ],
        widget=forms.RadioSelect,
        initial=MembersChoice.MOVE,
        required=False,
    )

    def __init__(self, *args, team: Team, has_members: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_members = has_members
        self.fields["move_to"] = TeamChoiceField(
            account=team.account,
            queryset=Team.objects.filter(account=team.account).exclude(pk=team.pk),
            exclude={team.pk},
            empty_label=_("Choose a team"),
            label=_("Move members to"),
            required=False,
        )

    def clean(self):
        data = super().clean()
        if not self.has_members:
            data["move_to"] = None
            return data
        if not data.get("members"):
            self.add_error("members", _("Choose what happens to the team's members."))
        elif data["members"] == MembersChoice.MOVE and not data.get("move_to"):
            self.add_error("move_to", _("Choose the team to move the members to."))
        elif data["members"] == MembersChoice.REMOVE:
            data["move_to"] = None
        return data


class TeamMemberAddForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(TeamRole.MAIN.value, _("Main team")), (TeamRole.EXTRA.value, _("Extra team"))],
        widget=forms.RadioSelect,
        initial=TeamRole.MAIN.value,
    )

    def __init__(self, *args, team: Team, candidates: list[Membership], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"] = forms.ModelChoiceField(
            label=_("User"),
            queryset=Membership.objects.filter(account_id=team.account_id),
            empty_label=_("Choose a user"),
        )
        self.fields["member"].widget.choices = [
            ("", _("Choose a user")),
            *[(m.pk, f"{m.user.display_name} ({m.user.email})") for m in candidates],
        ]
        self.order_fields(["member", "role"])


# --- Permission sets ---------------------------------------------------------------------------


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


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search name or email"), required=False, max_length=200)

    def query(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""


# --- Presets -----------------------------------------------------------------------------------


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


# --- Audit log ---------------------------------------------------------------------------------


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
            choices=[("", _("Anyone")), *[(u.pk, u.email) for u in actors]],
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
