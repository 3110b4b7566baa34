"""The forms of Settings → "Provisioning (SCIM)": a SCIM key, the seats of provisioned users,
and a seat rule by group."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import SeatType, Team
from seats.catalogue import SEAT_RULES

SEAT_CHOICES = [(seat.value, rule.label) for seat, rule in SEAT_RULES.items()]
# scim.services.FREE_SEATS, in the words of the page.
FALLBACK_CHOICES = [
    ("", _("Refuse the user")),
    (SeatType.VIEW_ONLY.value, _("Put them on a View-only seat")),
    (SeatType.PARTNER.value, _("Put them on a Partner seat")),
]


class ScimKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("The identity provider that uses it, such as “Okta” or “Entra ID”."),
    )


class ScimSettingsForm(forms.Form):
    default_seat = forms.ChoiceField(
        label=_("Default seat"),
        choices=SEAT_CHOICES,
        help_text=_(
            "The seat a provisioned user gets when no seat rule below gives one and the identity "
            "provider sends no seat type."
        ),
    )
    fallback_seat = forms.ChoiceField(
        label=_("When no seat of that type is left"),
        choices=FALLBACK_CHOICES,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Refused users are not created; billing admins are told why."),
    )
    release_seat_on_deactivate = forms.BooleanField(
        label=_("Release the paid seat of a deactivated user"), required=False
    )
    send_invitations = forms.BooleanField(
        label=_("Email provisioned users an invitation to set a password"),
        required=False,
        help_text=_(
            "Without it they can't sign in until an admin sends the invite from the Users tab: "
            "seatmgr has no single sign-on yet."
        ),
    )


class ScimSeatRuleForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("Members of"),
        queryset=Team.objects.none(),
        empty_label=_("Choose a team"),
        error_messages={"invalid_choice": _("Choose one of this account's teams.")},
    )
    seat_type = forms.ChoiceField(label=_("get a"), choices=SEAT_CHOICES)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(account=account).order_by("name")
