from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.errors import form_error_add
from accounts.models import InvitationState, SeatType
from billing.catalogue import TierCode
from billing.errors import CardInvalid
from billing.periods import BillingInterval
from billing.services.bundles import Bundle
from billing.services.cards import NewCard


class AddSeatsForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Number of seats"),
        min_value=1,
        max_value=1000,
        initial=1,
        error_messages={
            "min_value": _("Add at least 1 seat."),
            "max_value": _("You can add at most 1,000 seats at a time."),
        },
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


def card_invalid_add(form: forms.Form, invalid: CardInvalid) -> None:
    """Show a refused card at its field. The gateway's "expiry" is two fields on the card forms;
    the message goes to the first, `exp_month`."""
    if invalid.field == "expiry":
        form.add_error("exp_month", str(invalid))
    else:
        form_error_add(form, invalid)


class RemoveSeatsForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Seats to remove"),
        min_value=1,
        max_value=100_000,
        error_messages={"min_value": _("Remove at least 1 seat.")},
    )


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


class BundleForm(forms.Form):
    """ "Create a bundle": a checkbox and a tier per hub, a checkbox and a quantity per add-on.

    Fields are named `hub_<code>`, `tier_<code>`, `addon_<code>` and `qty_<code>`, so the same
    form reads the bundle page, the checkout's hidden copy of it and the running-total request.
    """

    interval = forms.ChoiceField(
        label=_("Billing"), choices=(), widget=forms.RadioSelect, initial="monthly"
    )

    def __init__(self, *args, catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        self.fields["interval"].choices = BillingInterval.choices
        for hub in catalogue.hubs.values():
            self.fields[f"hub_{hub.code}"] = forms.BooleanField(label=hub.name, required=False)
            self.fields[f"tier_{hub.code}"] = forms.ChoiceField(
                label=_("Tier of %(hub)s") % {"hub": hub.name},
                choices=[(t.tier.value, _(t.label)) for t in hub.tiers.values()],
                initial=TierCode.PROFESSIONAL,
                required=False,
            )
        for addon in catalogue.addons.values():
            # The catalogue's words in the page's language (billing.catalogue_words).
            self.fields[f"addon_{addon.code}"] = forms.BooleanField(
                label=_(addon.name), required=False
            )
            self.fields[f"qty_{addon.code}"] = forms.IntegerField(
                label=_("Quantity of %(addon)s") % {"addon": _(addon.name)},
                min_value=1,
                max_value=1000,
                initial=1,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
            )

    @staticmethod
    def initial_from(bundle: Bundle) -> dict:
        """Initial values showing a Bundle (the plan at renewal) as checked boxes."""
        initial = {"interval": bundle.interval}
        for hub, tier in bundle.hubs.items():
            initial |= {f"hub_{hub}": True, f"tier_{hub}": tier}
        for code, quantity in bundle.addons.items():
            initial |= {f"addon_{code}": True, f"qty_{code}": quantity}
        return initial

    def clean(self):
        data = super().clean()
        for hub in self.catalogue.hubs.values():
            if data.get(f"hub_{hub.code}") and not data.get(f"tier_{hub.code}"):
                self.add_error(f"tier_{hub.code}", _("Choose a tier."))
        for addon in self.catalogue.addons.values():
            field = f"qty_{addon.code}"
            if data.get(f"addon_{addon.code}") and not data.get(field) and field not in self.errors:
                self.add_error(f"qty_{addon.code}", _("Enter a quantity from 1 to 1000."))
        chosen = any(data.get(f"hub_{h}") for h in self.catalogue.hubs) or any(
            data.get(f"addon_{a}") for a in self.catalogue.addons
        )
        if not chosen and not self.errors:
            raise forms.ValidationError(_("Choose at least one hub or add-on."))
        return data

    def bundle(self) -> Bundle:
        data = self.cleaned_data
        return Bundle(
            hubs={str(h): data[f"tier_{h}"] for h in self.catalogue.hubs if data.get(f"hub_{h}")},
            addons={a: data[f"qty_{a}"] for a in self.catalogue.addons if data.get(f"addon_{a}")},
            interval=data["interval"],
        )

    def row_prices(self) -> dict[str, dict[str, int | None]]:
        """The page's "Price per month" column in cents, {"hubs": {code: …}, "addons": {code: …}}:
        each ticked hub at the tier its row shows, each ticked add-on times the quantity its row
        shows; None for a row that is not ticked (it is not in the bundle, so it has no price).
        Read from what the rows show (the data as typed, or the initial values), so a form with
        errors has prices too; a tier or a quantity that means nothing costs 0."""
        hubs: dict[str, int | None] = {}
        for hub in self.catalogue.hubs.values():
            tier = hub.tiers.get(self[f"tier_{hub.code}"].value())
            ticked = bool(self[f"hub_{hub.code}"].value())
            hubs[str(hub.code)] = (tier.price_cents if tier else 0) if ticked else None
        addons: dict[str, int | None] = {}
        for addon in self.catalogue.addons.values():
            try:
                quantity = max(0, int(self[f"qty_{addon.code}"].value()))
            except (TypeError, ValueError):
                quantity = 0
            ticked = bool(self[f"addon_{addon.code}"].value())
            addons[addon.code] = addon.price_cents * quantity if ticked else None
        return {"hubs": hubs, "addons": addons}

    def ticked_hubs(self) -> dict[str, str]:
        """{hub: tier} of the ticked rows, read like row_prices (a tier that means nothing is
        left out)."""
        hubs = {}
        for hub in self.catalogue.hubs.values():
            tier = self[f"tier_{hub.code}"].value()
            if self[f"hub_{hub.code}"].value() and tier in hub.tiers:
                hubs[str(hub.code)] = tier
        return hubs

    def hub_rows(self):
        """(hub, its checkbox, its tier, the row's price in cents or None) for each hub."""
        prices = self.row_prices()["hubs"]
        return [
            (hub, self[f"hub_{hub.code}"], self[f"tier_{hub.code}"], prices[str(hub.code)])
            for hub in self.catalogue.hubs.values()
        ]

    def addon_rows(self):
        """(add-on, its checkbox, its quantity, the row's price in cents or None) per add-on."""
        prices = self.row_prices()["addons"]
        return [
            (addon, self[f"addon_{addon.code}"], self[f"qty_{addon.code}"], prices[addon.code])
            for addon in self.catalogue.addons.values()
        ]


class CheckoutForm(forms.Form):
    """Checkout: pay with the card on file or a new one; the key makes a double submit buy once."""

    CARD_FIELDS = ("number", "exp_month", "exp_year", "cvc")

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    payment = forms.ChoiceField(
        label=_("Pay with"),
        choices=[("card_on_file", _("The card on file")), ("new_card", _("A new card"))],
        widget=forms.RadioSelect,
        initial="card_on_file",
    )
    number = forms.CharField(
        label=_("Card number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    exp_month = forms.IntegerField(
        label=_("Expiry month"), min_value=1, max_value=12, required=False
    )
    exp_year = forms.IntegerField(
        label=_("Expiry year"), min_value=2000, max_value=2100, required=False
    )
    cvc = forms.CharField(
        label=_("Security code"),
        max_length=4,
        min_length=3,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and data.get("payment") != "new_card":
            # Paying with the card on file: whatever the card fields hold is ignored, never
            # checked, charged or shown back (a page without its script shows them all).
            data = data.copy()
            for name in self.CARD_FIELDS:
                data.pop(name, None)
        super().__init__(data, *args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("payment") == "new_card":
            for name in self.CARD_FIELDS:
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("This field is required for a new card."))
        return data

    def new_card(self) -> NewCard:
        return NewCard(**{k: self.cleaned_data[k] for k in self.CARD_FIELDS})


class TalkToSalesForm(forms.Form):
    message = forms.CharField(
        label=_("What would you like?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    preferred_time = forms.CharField(
        label=_("Preferred time for a call"), max_length=100, required=False
    )


class IntervalForm(forms.Form):
    interval = forms.ChoiceField(label=_("Billing from the renewal date"), choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["interval"].choices = BillingInterval.choices
