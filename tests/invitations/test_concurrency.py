"""Batches racing for the last seats, and one invitation link accepted twice at the same moment.

DOMAIN.md sections 4-5, STYLE.md items 3 and 8. Real threads, each with its own database
connection, released together by a barrier. Only PostgreSQL takes the row locks this is about;
on SQLite the module skips.
"""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from accounts.models import (
    Account,
    AuditEvent,
    AuditVerb,
    Membership,
    MembershipStatus,
    SeatType,
    User,
)
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from invitations import tasks as invitation_tasks
from invitations.emails import invitation_emails_send
from invitations.errors import InvitationInvalid
from invitations.models import Invitation
from invitations.parsing import ParsedPerson
from invitations.services.links import invitation_accept, invitation_link_copy
from invitations.services.members import members_invite
from seats.errors import NotEnoughSeats
from seats.models import SeatPool
from seats.permissions.choice import AccessChoice, AccessMode
from tests.concurrency import run_together
from tests.factories import AccountFactory, MembershipFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)


def account_with_three_free_core_seats() -> tuple[Account, Membership]:
    """4 Core seats (3 with Marketing Hub Professional, 1 bought); the super admin holds one."""
    account = AccountFactory()
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={"core": 1},
    )
    return account, MembershipFactory(account=account, super_admin=True)


def batch(admin: Membership, emails: list[str]) -> Callable[[], object]:
    return lambda: members_invite(
        account=admin.account,
        actor_membership=admin,
        people=[ParsedPerson(email) for email in emails],
        seat_type=SeatType.CORE,
        access=AccessChoice(mode=AccessMode.DEFAULTS),
        send_email=True,
        now=NOW,
    )


def test_two_batches_racing_for_the_last_seats_one_is_created_whole_the_other_refused_whole():
    account, admin = account_with_three_free_core_seats()
    batch_a = [f"a{i}@example.com" for i in range(3)]
    batch_b = [f"b{i}@example.com" for i in range(2)]

    outcomes = run_together([batch(admin, batch_a), batch(admin, batch_b)])

    refused = [o for o in outcomes if isinstance(o, NotEnoughSeats)]
    assert len(refused) == 1, outcomes
    # Whichever came second finds too few seats: 0 free for B after A, 1 free for A after B.
    assert str(refused[0]) == "You need 2 more Core seats."
    [winner] = [
        emails for emails, o in zip([batch_a, batch_b], outcomes, strict=True) if o not in refused
    ]
    invited = Membership.objects.filter(account=account, status=MembershipStatus.INVITED)
    assert sorted(invited.values_list("user__email", flat=True)) == winner
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    assert Membership.objects.filter(account=account, seat_type=SeatType.CORE).count() <= pool.total
    # The refused batch left nothing behind: no invitation, no audit event for its addresses.
    assert sorted(Invitation.objects.values_list("email", flat=True)) == winner
    added = AuditEvent.objects.filter(account=account, verb=AuditVerb.MEMBER_ADDED)
    assert sorted(added.values_list("target_email", flat=True)) == winner


def test_two_concurrent_accepts_of_one_link_give_one_membership_and_one_invalid():
    account, admin = account_with_three_free_core_seats()
    [membership] = batch(admin, ["bob@example.com"])().memberships
    url = invitation_link_copy(
        account=account, membership_id=membership.pk, actor=admin.user, now=NOW
    )
    token = url.rstrip("/").rsplit("/", 1)[1]
    accepting = lambda: invitation_accept(  # noqa: E731
        token=token, user=membership.user, now=NOW + timedelta(hours=1)
    )

    outcomes = run_together([accepting, accepting])

    assert sorted(type(o).__name__ for o in outcomes) == ["InvitationInvalid", "Membership"]
    assert any(isinstance(o, InvitationInvalid) for o in outcomes)
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    assert Invitation.objects.filter(membership=membership, accepted_at__isnull=False).count() == 1
    assert (
        AuditEvent.objects.filter(verb=AuditVerb.MEMBER_ACTIVATED, target=membership).count() == 1
    )


def test_two_accounts_adding_the_same_new_people_at_once_share_one_user_each():
    # Both batches find none of the shared people and insert them all at once; the unique
    # index makes the second insert wait for the first batch, then refuses it, and that batch
    # goes on person by person, finding the users the first one made.
    (first, first_admin), (second, second_admin) = (
        account_with_three_free_core_seats(),
        account_with_three_free_core_seats(),
    )
    shared = ["shared1@example.com", "shared2@example.com"]

    outcomes = run_together(
        [
            batch(first_admin, [*shared, "only.first@example.com"]),
            batch(second_admin, [*shared, "only.second@example.com"]),
        ]
    )

    assert [type(o).__name__ for o in outcomes] == ["BatchResult", "BatchResult"], outcomes
    assert sum(o.created_users for o in outcomes) == 4
    for email in shared:
        assert User.objects.filter(email=email).count() == 1
        assert sorted(
            Membership.objects.filter(user__email=email).values_list("account_id", flat=True)
        ) == sorted([first.pk, second.pk])
    assert Invitation.objects.filter(email__in=shared).count() == 4


def test_two_workers_sending_one_chunk_at_once_send_each_email_once(monkeypatch):
    # While one sender holds an invitation's row (its email on the way), the other's UPDATE
    # waits for it, then finds the row sent and skips it: each email leaves once.
    monkeypatch.setattr(invitation_tasks, "task_after_commit", lambda task, *args: None)
    _account, admin = account_with_three_free_core_seats()
    batch(admin, ["a@example.com", "b@example.com", "c@example.com"])()
    ids = list(Invitation.objects.order_by("email").values_list("pk", flat=True))
    send = EmailBackend.send_messages

    def slow_send(self, messages):
        time.sleep(0.2)
        return send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", slow_send)

    outcomes = run_together([lambda: invitation_emails_send(invitation_ids=ids)] * 2)

    assert sorted(len(o.sent) for o in outcomes) in ([0, 3], [1, 2]), outcomes
    assert sorted(m.to[0] for m in mail.outbox if "/invite/" in m.body) == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]
    assert not Invitation.objects.filter(sent_at__isnull=True).exists()


def test_two_accounts_links_setting_one_new_persons_password_at_once_set_it_once():
    """Two accounts invited the same new person; their two confirmed links set a password at the
    same moment. One wins; the other is refused (InvitationPasswordAlreadySet), so whoever
    comes second signs in with the first password instead of replacing it (issue 13, point 3)."""
    from invitations.errors import InvitationPasswordAlreadySet
    from invitations.services.codes import mailbox_code_confirm, mailbox_code_request

    accepts = []
    for password in ("first-password-11", "second-password-22"):
        account, admin = account_with_three_free_core_seats()
        [membership] = members_invite(
            account=account,
            actor_membership=admin,
            people=[ParsedPerson("sam@example.com")],
            seat_type=SeatType.CORE,
            access=AccessChoice(mode=AccessMode.DEFAULTS),
            send_email=False,
            now=NOW,
        ).memberships
        url = invitation_link_copy(account=account, membership_id=membership.pk, actor=admin.user)
        token = url.rstrip("/").rsplit("/", 1)[1]
        mailbox_code_request(token=token)
        code = mail.outbox[-1].body.split("Your code: ")[1][:6]
        proof = mailbox_code_confirm(token=token, code=code)
        accepts.append(
            lambda token=token, user=membership.user, proof=proof, password=password: (
                invitation_accept(token=token, user=user, password=password, mailbox_code_id=proof)
            )
        )

    outcomes = run_together(accepts)

    assert sorted(type(o).__name__ for o in outcomes) == [
        "InvitationPasswordAlreadySet",
        "Membership",
    ], outcomes
    person = User.objects.get(email="sam@example.com")
    [won] = [i for i, o in enumerate(outcomes) if not isinstance(o, InvitationPasswordAlreadySet)]
    assert person.check_password(("first-password-11", "second-password-22")[won])
