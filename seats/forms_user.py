from django import forms
from django.utils.translation import gettext_lazy as _


class SeatChangeForm(forms.Form):
    seat_type = forms.ChoiceField(label=_("Assign a seat"))
    # Set once the admin has seen which permissions the new seat takes away.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, seat_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seat_type"].choices = seat_choices
