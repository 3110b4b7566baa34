"""The one error tree: what a user asked for that the rules refuse, and how a page shows it.

Every app's domain errors descend from `DomainError` (seats.errors, billing.errors,
invitations.errors; accounts' own below). Each has a stable `code` (for logs, the JSON API and
tests; never changes once shipped), a `message` written for the person on the screen, and
optionally the form `field` it concerns. The message is a translatable template whose
`{placeholders}` are filled from the keyword arguments the error was raised with, at the moment
it is shown, so it reads in the language of whoever sees it. Views turn one into form errors with
`form_error_add`, never into a 500.
"""

from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _


class _KeepUnknown(dict[str, Any]):
    # A placeholder with no value in the context stays as written rather than raising KeyError:
    # a missing detail must never turn an error message into a crash.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _interpolate(template: Any, context: dict[str, Any]) -> str:
    return str(template).format_map(_KeepUnknown(context))


_interpolate_lazy = lazy(_interpolate, str)


class DomainError(Exception):
    """Something a user asked for that the product's rules do not allow."""

    code: str = "domain_error"
    message: Any = _("This change is not allowed.")
    # The form field the error is about, when there is one ("name", "quantity"...); None for
    # the form as a whole.
    field: str | None = None

    def __init__(self, message: Any = None, *, field: str | None = None, **context: Any) -> None:
        self.context = context
        if field is not None:
            self.field = field
        template = self.message if message is None else message
        self.message = _interpolate_lazy(template, context) if context else template
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)


def form_error_add(
    form: forms.Form, error: DomainError, *, default_field: str | None = None
) -> None:
    """Show `error` on `form`: at the field it concerns (its own `field`, else `default_field`,
    the field a page's errors are usually about) when the form has that field, else above it."""
    name = error.field or default_field
    form.add_error(name if name in form.fields else None, str(error))


# accounts' own errors: teams and password resets.


class TeamNameTaken(DomainError):
    """Context: `name`."""

    code = "team_name_taken"
    field = "name"
    message = _("There is already a team called “{name}”. Choose another name.")


class TeamNameRequired(DomainError):
    code = "team_name_required"
    field = "name"
    message = _("Give the team a name.")


class TeamCycle(DomainError):
    """Context: `team`, `parent` (names)."""

    code = "team_cycle"
    field = "parent"
    message = _(
        "“{team}” can't go under “{parent}”: “{parent}” is “{team}” itself or one of its "
        "sub-teams. Choose a team outside it."
    )


class TeamMoveToItself(DomainError):
    code = "team_move_to_itself"
    field = "move_to"
    message = _("Choose another team to move the members to: this one is being deleted.")


class PasswordResetTooOften(DomainError):
    """Context: `email`."""

    code = "password_reset_too_often"
    message = _("Too many password reset emails were sent to {email}: try again in an hour.")


class PasswordResetUnavailable(DomainError):
    """Context: `email`."""

    code = "password_reset_unavailable"
    message = _(
        "{email} hasn't set a password yet or can't use the account: resend their invite instead."
    )


class SuperAdminsOnlyBySuperAdmins(DomainError):
    code = "super_admin_target"
    message = _("Only a super admin can change a super admin.")
