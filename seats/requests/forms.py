"""The forms of "Request a seat" and of denying one."""

from django import forms
from django.utils.translation import gettext_lazy as _

from seats.requests.services import REASON_MAX_LENGTH


class SeatRequestForm(forms.Form):
    seat_type = forms.ChoiceField(
        label=_("Seat type"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the seat you need.")},
    )
    reason = forms.CharField(
        label=_("Why do you need it?"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("What you want to do with it: the admins read this to decide."),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Say why you need the seat, so that an admin can decide."),
            "max_length": _("Keep it to %(limit_value)d characters (it has %(show_value)d)."),
        },
    )

    def __init__(self, *args, seat_choices: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["seat_type"].choices = seat_choices
        if len(seat_choices) == 1:
            self.fields["seat_type"].initial = seat_choices[0][0]


class SeatRequestDenyForm(forms.Form):
    note = forms.CharField(
        label=_("Note for the requester (optional)"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": _("Keep it to %(limit_value)d characters (it has %(show_value)d)."),
        },
    )
