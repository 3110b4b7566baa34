"""Forms of the Teams tab. They check the shape of what was typed and keep every choice inside the
current account; the rules (unique names, no cycles) are the services', whose errors the views
put on the field they concern."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Membership, Team
from accounts.teams.selectors import team_choices
from accounts.teams.services import TeamRole

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
            *[(m.pk, f"{m.display_name} ({m.user.email})") for m in candidates],
        ]
        self.order_fields(["member", "role"])
