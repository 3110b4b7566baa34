"""People are global, accounts are not (issue 13, point 3): only the owner of a mailbox sets the
password of the person it identifies, and an account sees the names it typed, or the person's
own once they have joined it. Never what another account typed, nor whether a sign-in exists.

Two accounts invite the same address here: Initech (`admin`) and Globex (`globex_admin`).
"""

from datetime import timedelta

import pytest
from django.core import mail

from accounts.errors import DomainError
from accounts.models import Membership, MembershipStatus
from accounts.selectors import member_search
from invitations.errors import (
    InvitationPasswordAlreadySet,
    MailboxCodeExpired,
    MailboxCodeTooManyTries,
    MailboxCodeTooOften,
    MailboxCodeUsed,
    MailboxCodeWrong,
)
from invitations.models import MailboxCode
from invitations.parsing import ParsedPerson
from invitations.services.codes import mailbox_code_confirm, mailbox_code_request
from invitations.services.links import invitation_accept
from invitations.services.members import members_invite
from tests.factories import MembershipFactory
from tests.invitations.helpers import (
    DEFAULTS,
    NOW,
    copied_token,
    emailed_token,
    invitation_emails,
    invite_and_email,
    refreshed,
    subscribed_account,
)

pytestmark = pytest.mark.django_db

PASSWORD_A = "initech-chose-this-1"
PASSWORD_B = "the-owner-chose-this-2"
EMAIL = "sam@example.com"


@pytest.fixture
def globex_admin():
    account = subscribed_account()
    account.name = "Globex"
    account.save()
    return MembershipFactory(account=account, super_admin=True, user__email="boss@globex.example")


def invite_named(actor, email=EMAIL, first="", last="", send_email=False) -> Membership:
    [membership] = members_invite(
        account=actor.account,
        actor_membership=actor,
        people=[ParsedPerson(email, first, last)],
        seat_type="core",
        access=DEFAULTS,
        send_email=send_email,
        now=NOW,
    ).memberships
    return membership


def invite_by_email(capture, actor) -> tuple[Membership, str]:
    """Invite EMAIL with an email; the membership and the token of the link just emailed."""
    with capture(execute=True):
        membership = invite_named(actor, send_email=True)
    return membership, emailed_token([m for m in invitation_emails() if m.to == [EMAIL]][-1])


def code_emailed(capture, token, now=NOW) -> str:
    with capture(execute=True):
        mailbox_code_request(token=token, now=now)
    [body] = [m.body for m in mail.outbox if m.to == [EMAIL]][-1:]
    return body.split("Your code: ")[1][:6]


# --- Only the owner of the mailbox sets the password -----------------------------------------


def test_another_accounts_copied_link_cannot_choose_the_password_of_someone_invited_elsewhere(
    admin, globex_admin
):
    invite_named(globex_admin, first="Sam", last="Globex")
    at_initech = invite_named(admin)
    token = copied_token(at_initech, admin)

    with pytest.raises(DomainError):
        invitation_accept(
            token=token,
            user=at_initech.user,
            now=NOW,
            password=PASSWORD_A,
            first_name="Chosen",
            last_name="ByInitech",
        )

    person = refreshed(at_initech).user
    assert not person.has_usable_password()
    assert (person.first_name, person.last_name) != ("Chosen", "ByInitech")
    assert refreshed(at_initech).status == MembershipStatus.INVITED


def test_a_copied_link_sets_the_password_once_the_code_emailed_to_the_address_is_typed_back(
    admin, django_capture_on_commit_callbacks
):
    membership = invite_named(admin)
    token = copied_token(membership, admin)
    code = code_emailed(django_capture_on_commit_callbacks, token)

    proof = mailbox_code_confirm(token=token, code=code, now=NOW)
    invitation_accept(
        token=token, user=membership.user, now=NOW, password=PASSWORD_B, mailbox_code_id=proof
    )

    assert refreshed(membership).status == MembershipStatus.ACTIVE
    assert refreshed(membership).user.check_password(PASSWORD_B)


def test_a_code_confirmed_for_one_invitation_does_not_confirm_another(
    admin, globex_admin, django_capture_on_commit_callbacks
):
    at_globex = invite_named(globex_admin)
    globex_token = copied_token(at_globex, globex_admin)
    proof = mailbox_code_confirm(
        token=globex_token,
        code=code_emailed(django_capture_on_commit_callbacks, globex_token),
        now=NOW,
    )
    at_initech = invite_named(admin)

    with pytest.raises(DomainError):
        invitation_accept(
            token=copied_token(at_initech, admin),
            user=at_initech.user,
            now=NOW,
            password=PASSWORD_A,
            mailbox_code_id=proof,
        )

    assert not refreshed(at_initech).user.has_usable_password()


def test_an_invitation_never_replaces_a_password_the_person_has_by_now(
    admin, globex_admin, django_capture_on_commit_callbacks
):
    at_globex, globex_token = invite_by_email(django_capture_on_commit_callbacks, globex_admin)
    at_initech, initech_token = invite_by_email(django_capture_on_commit_callbacks, admin)
    invitation_accept(token=globex_token, user=at_globex.user, now=NOW, password=PASSWORD_B)

    with pytest.raises(InvitationPasswordAlreadySet):
        invitation_accept(token=initech_token, user=at_initech.user, now=NOW, password=PASSWORD_A)

    person = refreshed(at_initech).user
    assert person.check_password(PASSWORD_B)
    assert refreshed(at_initech).status == MembershipStatus.INVITED


# --- The mailbox code ------------------------------------------------------------------------


def test_the_code_is_six_digits_emailed_once_and_stored_only_as_a_keyed_hash(
    admin, django_capture_on_commit_callbacks
):
    token = copied_token(invite_named(admin), admin)

    code = code_emailed(django_capture_on_commit_callbacks, token)

    assert code.isdigit() and len(code) == 6
    [row] = MailboxCode.objects.all()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert [m.to for m in mail.outbox] == [[EMAIL]]
    assert "Initech" in mail.outbox[0].subject


def test_a_wrong_code_is_refused_and_counted(admin, django_capture_on_commit_callbacks):
    token = copied_token(invite_named(admin), admin)
    code = code_emailed(django_capture_on_commit_callbacks, token)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    with pytest.raises(MailboxCodeWrong) as refused:
        mailbox_code_confirm(token=token, code=wrong, now=NOW)

    assert refused.value.field == "code"
    assert MailboxCode.objects.get().failed_attempts == 1


def test_five_wrong_tries_end_the_code_even_for_the_right_one(
    admin, django_capture_on_commit_callbacks
):
    token = copied_token(invite_named(admin), admin)
    code = code_emailed(django_capture_on_commit_callbacks, token)
    for _try in range(5):
        with pytest.raises(MailboxCodeWrong):
            mailbox_code_confirm(token=token, code="000000" if code != "000000" else "111111")

    with pytest.raises(MailboxCodeTooManyTries):
        mailbox_code_confirm(token=token, code=code, now=NOW)


def test_a_code_expires_after_ten_minutes(admin, django_capture_on_commit_callbacks):
    token = copied_token(invite_named(admin), admin)
    code = code_emailed(django_capture_on_commit_callbacks, token)

    with pytest.raises(MailboxCodeExpired):
        mailbox_code_confirm(token=token, code=code, now=NOW + timedelta(minutes=10))

    assert mailbox_code_confirm(token=token, code=code, now=NOW + timedelta(minutes=9))


def test_a_code_works_once(admin, django_capture_on_commit_callbacks):
    token = copied_token(invite_named(admin), admin)
    code = code_emailed(django_capture_on_commit_callbacks, token)
    mailbox_code_confirm(token=token, code=code, now=NOW)

    with pytest.raises(MailboxCodeUsed):
        mailbox_code_confirm(token=token, code=code, now=NOW)


def test_only_the_latest_code_works(admin, django_capture_on_commit_callbacks):
    token = copied_token(invite_named(admin), admin)
    first = code_emailed(django_capture_on_commit_callbacks, token)
    second = code_emailed(django_capture_on_commit_callbacks, token)

    if first != second:
        with pytest.raises(MailboxCodeWrong):
            mailbox_code_confirm(token=token, code=first, now=NOW)
    assert mailbox_code_confirm(token=token, code=f" {second[:3]} {second[3:]} ", now=NOW)


def test_an_address_gets_three_codes_in_fifteen_minutes_whichever_account_asks(
    admin, globex_admin, django_capture_on_commit_callbacks
):
    initech_token = copied_token(invite_named(admin), admin)
    globex_token = copied_token(invite_named(globex_admin), globex_admin)
    code_emailed(django_capture_on_commit_callbacks, initech_token)
    code_emailed(django_capture_on_commit_callbacks, globex_token)
    code_emailed(django_capture_on_commit_callbacks, initech_token)

    with pytest.raises(MailboxCodeTooOften):
        mailbox_code_request(token=globex_token, now=NOW + timedelta(minutes=14))

    assert len(mail.outbox) == 3
    code_emailed(django_capture_on_commit_callbacks, globex_token, now=NOW + timedelta(minutes=16))
    assert len(mail.outbox) == 4


# --- Names: the account's own, or the person's once they join it -----------------------------


def test_an_account_sees_the_name_it_typed_never_the_one_another_account_typed(admin, globex_admin):
    at_globex = invite_named(globex_admin, first="Bea", last="Globex")
    at_initech = invite_named(admin, first="Alex", last="Initech")

    assert refreshed(at_initech).display_name == "Alex Initech"
    assert refreshed(at_globex).display_name == "Bea Globex"
    assert list(member_search(account=admin.account, now=NOW, q="Bea")) == []
    assert list(member_search(account=admin.account, now=NOW, q="Alex")) == [at_initech]
    assert refreshed(at_initech).sort_name == "alex initech"


def test_an_account_that_typed_no_name_sees_the_address_only(admin, globex_admin):
    invite_named(globex_admin, first="Bea", last="Globex")
    at_initech = invite_named(admin)

    assert refreshed(at_initech).display_name == EMAIL
    assert refreshed(at_initech).sort_name == EMAIL


def test_once_the_person_joins_the_account_sees_their_own_name_and_follows_its_changes(
    admin, globex_admin, django_capture_on_commit_callbacks
):
    at_initech, token = invite_and_email(
        django_capture_on_commit_callbacks, admin, email="sam@example.com"
    )
    at_globex = invite_named(globex_admin, first="Bea", last="Globex")

    invitation_accept(
        token=token,
        user=at_initech.user,
        now=NOW,
        password=PASSWORD_B,
        first_name="Samantha",
        last_name="Own",
    )

    assert refreshed(at_initech).display_name == "Samantha Own"
    assert refreshed(at_initech).sort_name == "samantha own"
    # Globex, not joined yet, still sees what it typed, in its order too.
    assert refreshed(at_globex).display_name == "Bea Globex"
    assert refreshed(at_globex).sort_name == "bea globex"
    person = refreshed(at_initech).user
    person.first_name = "Sam"
    person.save()
    assert refreshed(at_initech).sort_name == "sam own"
    assert refreshed(at_globex).sort_name == "bea globex"
