"""Every error of the invitations floor, under the one tree rooted at accounts.errors.DomainError.

"Create user" (a refused batch, a refused CSV file), invitation links (one neutral answer for every
link that can't be used) and the Salesforce import raise from here. Views turn them into
messages, at the form field they concern when there is one (accounts.errors.form_error_add),
never a 500.

Not here: invitations.crypto.SecretUnreadable. It is an internal failure of decryption, whose
text is for the log, not for the person on the screen; the Salesforce import turns it into
SalesforceTokenUnreadable below, which says what to do. Were it a DomainError, a view catching
DomainError would show a configuration fault as if the user had asked for something refused.
"""

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.errors import DomainError


class InvitationsError(DomainError):
    """What "Create user", an invitation link or the Salesforce import can't do as asked."""

    code: str = "invitations_error"


# --- "Create user" ---------------------------------------------------------------------------


class AlreadyMembers(InvitationsError):
    """Addresses of the batch already users of the account, found at the step that names them.
    Context: `emails` (comma-separated)."""

    code = "already_members"
    field = "emails"
    message = _("Already users of this account: {emails}. Remove them to continue.")


class BatchRefused(InvitationsError):
    """Some addresses of the batch can't be added; nothing was. `problems`: [(email, why)]."""

    code = "batch_refused"
    message = _("Nobody was added. Fix the addresses below and try again.")

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.problems = list(problems)


class BatchTooLarge(InvitationsError):
    """More people than one batch may hold (invitations.parsing.MAX_FILE_PEOPLE), however they
    were chosen; nobody was added. Context: `count`, `limit`."""

    code = "batch_too_large"
    message = _(
        "This batch has {count} users; at most {limit} can be added at once. Split it into "
        "smaller batches."
    )


class FileRefused(InvitationsError):
    """The uploaded file is refused whole; nobody in it is read. `code` says why, stably:
    too_large, too_many_rows, not_utf8, empty, no_email_column, binary, unreadable."""

    code = "file_refused"
    field = "csv_file"

    def __init__(self, *, code: str, message: Any, **context: Any) -> None:
        super().__init__(message, **context)
        self.code = code


# --- Invitation links ------------------------------------------------------------------------


class InvitationInvalid(InvitationsError):
    """The one neutral answer for every link that can't be used; the reason goes to the log."""

    code = "invitation_invalid"
    message = _(
        "This invitation link can't be used. It may have expired, been used already or been "
        "revoked. Ask the person who invited you to send a new one."
    )


class InvitationResendTooOften(InvitationsError):
    """Context: `email`."""

    code = "invitation_resend_too_often"
    message = _("Too many invitations were sent to {email}: try again in an hour.")


class InvitationForSomeoneElse(InvitationsError):
    code = "invitation_for_someone_else"
    message = _("This invitation is for another email address.")


# --- Confirming the mailbox behind a copied link (invitations.services.codes) ---------------


class MailboxError(InvitationsError):
    """A code emailed to the invited address was not accepted; shown at the "Code" field."""

    code = "mailbox_error"
    field = "code"


class MailboxCodeWrong(MailboxError):
    code = "mailbox_code_wrong"
    message = _("That code is not right. Check the latest email we sent and try again.")


class MailboxCodeExpired(MailboxError):
    code = "mailbox_code_expired"
    message = _("That code has expired. Send a new code and use the one in the new email.")


class MailboxCodeUsed(MailboxError):
    code = "mailbox_code_used"
    message = _("That code has already been used. Send a new code to continue.")


class MailboxCodeTooManyTries(MailboxError):
    code = "mailbox_code_too_many_tries"
    message = _("Too many wrong tries for that code. Send a new code to continue.")


class MailboxCodeTooOften(MailboxError):
    """Codes are emailed to one address at most MAILBOX_CODES_PER_WINDOW times a window."""

    code = "mailbox_code_too_often"
    message = _(
        "We've already emailed several codes to this address. Use the latest one, or try again "
        "in {minutes} minutes."
    )


class MailboxNotConfirmed(InvitationsError):
    """A copied link may not set a password before its address was confirmed with a code."""

    code = "mailbox_not_confirmed"
    message = _("Confirm your email address with the code we emailed you first.")


class InvitationPasswordAlreadySet(InvitationsError):
    """The person has a password by now (set through another invitation): they sign in to join;
    an invitation never sets it again."""

    code = "invitation_password_already_set"
    message = _("This email address already has a password. Enter it to join.")


# --- Import from Salesforce ------------------------------------------------------------------


class SalesforceError(InvitationsError):
    """Salesforce could not give us its users. The message tells the super admin what to do;
    the precise reason goes to the log (invitations.salesforce)."""

    code = "salesforce_error"
    message = _("Salesforce could not be used. Try again later.")


class SalesforceSessionExpired(SalesforceError):
    code = "salesforce_session_expired"
    message = _(
        "Your Salesforce session has expired. Save the connection again with a fresh access token."
    )


class SalesforceApiError(SalesforceError):
    """Salesforce answered with an error. Context: `detail` (its errorCode and message)."""

    code = "salesforce_api_error"
    message = _("Salesforce refused the request: {detail}")

    def __init__(self, *, detail: str) -> None:
        super().__init__(detail=detail)


class SalesforceUnreachable(SalesforceError):
    """No usable answer: refused connection, unknown host, an address that is not public, TLS
    failure, timeout, or an answer that is not Salesforce's. One text for all of them, so the
    import can't tell anyone which ports answer (invitations.salesforce). Context: `instance_url`.
    """

    code = "salesforce_unreachable"
    message = _("Salesforce could not be reached at {instance_url}. Check the instance URL.")

    def __init__(self, *, instance_url: str) -> None:
        super().__init__(instance_url=instance_url)


class SalesforceNotConnected(SalesforceError):
    code = "salesforce_not_connected"
    message = _("Connect Salesforce first: save its instance URL and an access token.")


class SalesforceTokenUnreadable(SalesforceError):
    """The saved token cannot be decrypted, typically after SECRET_KEY was rotated."""

    code = "salesforce_token_unreadable"
    message = _(
        "The saved Salesforce access token can no longer be read. "
        "Save the connection again with a fresh access token."
    )
