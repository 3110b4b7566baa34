"""What the invitations view tests share (tests/invitations/views/): the link in an invitation
email, how they invite people and copy a link, the invitee's form, and what an invitation looks
like afterwards. Their world and fixtures: tests/invitations/conftest.py and conftest.py beside
this.
"""

import re

from django.core import mail
from django.test import TestCase
from django.urls import reverse

from accounts.models import Membership, SeatType
from invitations.models import Invitation
from invitations.parsing import ParsedPerson
from invitations.services.codes import mailbox_code_confirm, mailbox_code_request
from invitations.services.links import invitation_link_copy
from invitations.services.members import members_invite
from seats.permissions.choice import AccessChoice, AccessMode

LINK = re.compile(r"https?://\S+?(/invite/[A-Za-z0-9_-]+/)")
NEW_PASSWORD = "plum-orchard-lantern-42"
ACCEPT = reverse("invitations:accept")


CODE = re.compile(r"Your code: (\d{6})")


def mailbox_codes_to(email: str) -> list[str]:
    """The mailbox codes emailed to this address so far, oldest first."""
    return [
        CODE.search(message.body).group(1)
        for message in mail.outbox
        if message.to == [email] and CODE.search(message.body)
    ]


def code_request(client) -> object:
    """Press "Email me a code" (or "Send a new code"); the email leaves as after commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(ACCEPT, {"send": "1"})


def confirm_mailbox(client, email: str):
    """Ask for a code on the confirm page and type back the one emailed to `email`."""
    code_request(client)
    return client.post(ACCEPT, {"code": mailbox_codes_to(email)[-1]})


def mailbox_proof(token: str, email: str) -> int:
    """Confirm the address of the invitation this token opens through the services (a code
    emailed, then typed back); the id a browser keeps in its session once it has done so."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        mailbox_code_request(token=token)
    return mailbox_code_confirm(token=token, code=mailbox_codes_to(email)[-1])


def open_as_invitee(client, path: str, email: str):
    """Open a copied link as the person it is for: open it, then confirm the mailbox."""
    client.get(path)
    return confirm_mailbox(client, email)


def invitation_emails() -> list:
    """The invitation emails sent so far (billing admins may be emailed about seats too)."""
    return [message for message in mail.outbox if LINK.search(message.body)]


def invite(
    admin: Membership, *emails: str, send_email: bool = True, seat_type: str = SeatType.CORE
) -> list[Membership]:
    return members_invite(
        account=admin.account,
        actor_membership=admin,
        people=[ParsedPerson(email) for email in emails],
        seat_type=seat_type,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=send_email,
    ).memberships


def copied_link(admin: Membership, membership: Membership) -> str:
    url = invitation_link_copy(account=admin.account, membership_id=membership.pk, actor=admin.user)
    return LINK.fullmatch(url).group(1)


def invited_with_link(admin: Membership, email: str = "new@example.com"):
    [membership] = invite(admin, email, send_email=False)
    return membership, copied_link(admin, membership)


def status_of(membership: Membership) -> str:
    return Membership.objects.get(pk=membership.pk).status


def new_person_form(password: str = NEW_PASSWORD, **fields) -> dict:
    return {
        "first_name": "Bob",
        "last_name": "Builder",
        "password1": password,
        "password2": password,
        **fields,
    }


def _nothing_changed_for(membership: Membership) -> bool:
    return (
        not Invitation.objects.filter(membership=membership).exists()
        and Membership.objects.get(pk=membership.pk).invite_revoked_at is None
    )
