from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.languages import time_zone_names
from accounts.models import email_normalise
from accounts.notifications import Channel, NotificationKind


class SignInForm(AuthenticationForm):
    # 254: the longest address SMTP can carry (RFC 5321). Longer is refused at the field before
    # anything is looked up or counted, not left to fail in the lockout bookkeeping.
    username = forms.EmailField(
        label=_("Email"),
        max_length=254,
        error_messages={"max_length": _("An email address can be at most 254 characters long.")},
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _(
            "That email and password don't match an account. Check both and try again."
        ),
        "inactive": _("This sign-in has been disabled."),
    }

    def clean_username(self) -> str:
        return email_normalise(self.cleaned_data["username"])


class PasswordResetRequestForm(forms.Form):
    """ "Forgot password": the address to send a reset link to (accounts.services
    password_reset_request decides whether one is sent; the page answers the same either way)."""

    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def clean_email(self) -> str:
        return email_normalise(self.cleaned_data["email"])


def _time_zone_choices() -> list[tuple[str, str]]:
    return [("", _("UTC (the site's time zone)")), *((name, name) for name in time_zone_names())]


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Automatic (your browser's, else your account's)")), *settings.LANGUAGES],
        required=False,
        help_text=_("The language of the pages and of the emails seatmgr sends you."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=_time_zone_choices,
        required=False,
        help_text=_("Dates and times are shown in this time zone."),
    )


class AccountDefaultsForm(forms.Form):
    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=settings.LANGUAGES,
        help_text=_(
            "For people who haven't chosen a language in their profile and whose browser asks for "
            "none that seatmgr speaks, and for the emails they are sent (invitations included)."
        ),
    )


class NotificationsForm(forms.Form):
    """One checkbox per notification kind and channel, named <kind>__<channel>."""

    def __init__(self, *args, preferences: dict[str, dict[str, bool]], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            for channel in Channel:
                self.fields[f"{kind.value}__{channel.value}"] = forms.BooleanField(
                    label=f"{kind.label}: {channel.label}",
                    required=False,
                    initial=preferences[kind.value][channel.value],
                )

    def rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """(kind label, [bound field per channel]) for a table with one row per kind."""
        return [
            (kind.label, [self[f"{kind.value}__{channel.value}"] for channel in Channel])
            for kind in NotificationKind
        ]

    def choices(self) -> dict[str, dict[str, bool]]:
        return {
            kind: {channel: self.cleaned_data[f"{kind}__{channel}"] for channel in Channel.values}
            for kind in NotificationKind.values
        }


def posted(request):
    """The submitted data of a POST, even an empty one (an empty POST is still a submission)."""
    return request.POST if request.method == "POST" else None


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search name or email"), required=False, max_length=200)

    def query(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""
