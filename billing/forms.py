from django import forms
from django.utils.translation import gettext_lazy as _


class AddSeatsForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Number of seats"),
        min_value=1,
        max_value=1000,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class CardForm(forms.Form):
    number = forms.CharField(
        label=_("Card number"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    exp_month = forms.IntegerField(
        label=_("Expiry month"),
        min_value=1,
        max_value=12,
        widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-month"}),
    )
    exp_year = forms.IntegerField(
        label=_("Expiry year"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-year"}),
    )
    cvc = forms.CharField(
        label=_("Security code"),
        max_length=4,
        min_length=3,
        widget=forms.PasswordInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )


class RemoveSeatsForm(forms.Form):
    quantity = forms.IntegerField(label=_("Seats to remove"), min_value=1, max_value=100_000)


class BillingContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("Email"))


class SeatsFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    seat = forms.ChoiceField(label=_("Seat"), required=False)
    invitation = forms.ChoiceField(label=_("Invitation"), required=False)
    inactive_days = forms.IntegerField(
        label=_("Last active more than (days ago)"), required=False, min_value=1, max_value=3650
    )

    def __init__(self, *args, **kwargs):
        from accounts.models import InvitationState, SeatType

        super().__init__(*args, **kwargs)
        self.fields["seat"].choices = [("", _("All seats")), *SeatType.choices]
        self.fields["invitation"].choices = [("", _("Any")), *InvitationState.choices]


class SeatWarningForm(forms.Form):
    threshold = forms.IntegerField(
        label=_("Warn billing admins when this many seats are left"),
        min_value=0,
        max_value=10_000,
        help_text=_("For each paid seat type; once each time it falls this low."),
    )
