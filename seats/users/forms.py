"""Forms of the Users tab and a user's page: the directory's filters, "Assign a seat",
"Deactivate user", teams and "Bulk edit"."""

from django import forms
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _

from accounts.models import InvitationState, MembershipStatus, SeatType
from accounts.widgets import PlainNumberInput, PlainSelect, PlainTextInput
from seats.users.selectors import SORTS, DirectoryFilters


class SeatChangeForm(forms.Form):
    seat_type = forms.ChoiceField(label=_("Assign a seat"))
    # Set once the admin has seen which permissions the new seat takes away.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, seat_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seat_type"].choices = seat_choices


class _Pairs(BaseChoiceIterator):
    """Choices already in Django's canonical form, (value, label) pairs. Django normalizes a
    list of choices on every assignment, to the field and again to its widget, testing each
    pair against nine kinds of value: about half the filter form's cost, for lists that are
    built as pairs here. A choice iterator is taken as it is."""

    def __init__(self, pairs: list[tuple]):
        self.pairs = pairs

    def __iter__(self):
        return iter(self.pairs)


class DirectoryForm(forms.Form):
    """The Users tab's search, filters and sort (all optional; bad values are ignored)."""

    # Drawn in Python (accounts.widgets): Django's widget templates were a tenth of the page.
    q = forms.CharField(
        label=_("Search name or email"), required=False, max_length=200, widget=PlainTextInput
    )
    seat = forms.ChoiceField(label=_("Seat"), required=False, widget=PlainSelect)
    team = forms.TypedChoiceField(
        label=_("Team"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    status = forms.ChoiceField(label=_("Status"), required=False, widget=PlainSelect)
    invitation = forms.ChoiceField(label=_("Invitation"), required=False, widget=PlainSelect)
    access = forms.ChoiceField(label=_("Access"), required=False, widget=PlainSelect)
    inactive_days = forms.IntegerField(
        label=_("Last active more than (days ago)"),
        required=False,
        min_value=1,
        max_value=3650,
        widget=PlainNumberInput,
    )
    sort = forms.ChoiceField(required=False, widget=forms.HiddenInput)
    desc = forms.BooleanField(required=False, widget=forms.HiddenInput)

    # The fixed choices, their labels lazy (drawn in the page's language): made once.
    SEATS = _Pairs([("", _("All seats")), *SeatType.choices])
    STATUSES = _Pairs([("", _("Any status")), *MembershipStatus.choices])
    INVITATIONS = _Pairs([("", _("Any invitation")), *InvitationState.choices])
    SORT_CHOICES = _Pairs([(k, k) for k in SORTS])

    def __init__(self, *args, teams, access_choices, **kwargs):
        """`teams`: the account's teams as (id, name), by name."""
        super().__init__(*args, **kwargs)
        self.fields["seat"].choices = self.SEATS
        self.fields["team"].choices = _Pairs([("", _("All teams")), *teams])
        self.fields["status"].choices = self.STATUSES
        self.fields["invitation"].choices = self.INVITATIONS
        self.fields["access"].choices = _Pairs([("", _("Any access")), *access_choices])
        self.fields["sort"].choices = self.SORT_CHOICES

    def filters(self):
        # A value that is no longer valid (a deleted team, a mistyped number) is dropped alone;
        # the other filters still apply, so a stale link never widens the list or the export.
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return DirectoryFilters(
            q=data.get("q") or "",
            seat_type=data.get("seat") or "",
            team_id=data.get("team"),
            status=data.get("status") or "",
            invitation_state=data.get("invitation") or "",
            access=data.get("access") or "",
            inactive_days=data.get("inactive_days"),
            sort=data.get("sort") or "name",
            descending=bool(data.get("desc")),
        )


class DeactivateForm(forms.Form):
    seat = forms.ChoiceField(
        label=_("Their paid seat"),
        choices=[
            ("keep", _("Keep the seat for them")),
            ("release", _("Release the seat (they move to a View-only seat)")),
        ],
        initial="keep",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why, for the audit log (optional)."),
    )


class MemberTeamsForm(forms.Form):
    main_team = forms.ModelChoiceField(
        label=_("Main team"), queryset=None, required=False, empty_label=_("No main team")
    )
    extra_teams = forms.ModelMultipleChoiceField(
        label=_("Extra teams"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        teams = account.teams.order_by("name")
        self.fields["main_team"].queryset = teams
        self.fields["extra_teams"].queryset = teams


class BulkEditForm(forms.Form):
    """Bulk edit on the Users list: what to do to the selected users."""

    ACTIONS = [
        ("seat", _("Change seat")),
        ("team", _("Add to a team")),
        ("permission_set", _("Apply a permission set")),
        ("deactivate", _("Deactivate")),
    ]
    members = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={
            "required": _("Select at least one user."),
        },
    )
    action = forms.ChoiceField(label=_("Bulk edit"), choices=ACTIONS)
    seat_type = forms.ChoiceField(label=_("Seat"), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False)
    permission_set = forms.ModelChoiceField(
        label=_("Permission set"), queryset=None, required=False
    )
    release_seats = forms.BooleanField(
        label=_("Release their paid seats (they move to View-only seats)"), required=False
    )

    def __init__(self, *args, account, member_ids, seat_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [(pk, pk) for pk in member_ids]
        self.fields["seat_type"].choices = seat_choices
        self.fields["team"].queryset = account.teams.order_by("name")
        self.fields["permission_set"].queryset = account.permission_sets.order_by("name")

    def clean(self):
        cleaned = super().clean()
        needs = {"seat": "seat_type", "team": "team", "permission_set": "permission_set"}
        field = needs.get(cleaned.get("action"))
        if field and not cleaned.get(field):
            self.add_error(field, _("Choose one."))
        return cleaned
