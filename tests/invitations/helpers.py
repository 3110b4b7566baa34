"""What the invitations service tests share: the moment they run at, the account they run in,
and how they invite people and read what was sent (their fixtures: conftest.py beside this).

Accounts are set up the way production sets them up: a subscription to Marketing Hub and Sales
Hub Professional (3 Core seats included) with 1 Core seat bought, so the Core pool holds 4
seats; the account's super admin (the `admin` fixture, tests/invitations/conftest.py) takes one,
leaving 3 free.
"""

import re
from datetime import UTC, datetime, timedelta

from django.core import mail

from accounts.models import Account, AuditEvent, Membership, SeatType, User
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from invitations.models import Invitation
from invitations.parsing import ParsedPerson
from invitations.services.links import invitation_link_copy
from invitations.services.members import members_invite
from seats.catalogue import seat_default_permissions
from seats.permissions.choice import AccessChoice, AccessMode
from tests.factories import AccountFactory, MembershipFactory, PartnerDomainFactory

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
MARKETING_AND_SALES_PRO = {
    HubCode.MARKETING: TierCode.PROFESSIONAL,
    HubCode.SALES: TierCode.PROFESSIONAL,
}
MARKETING_PRO = {HubCode.MARKETING: TierCode.PROFESSIONAL}
DEFAULTS = AccessChoice(mode=AccessMode.DEFAULTS)
CORE_DEFAULTS = seat_default_permissions(SeatType.CORE)
LINK = re.compile(r"(https?://\S+?/invite/([A-Za-z0-9_-]+)/)")
TICK = timedelta(microseconds=1)


def subscribed_account(hubs=MARKETING_AND_SALES_PRO) -> Account:
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs=hubs,
        interval=BillingInterval.MONTHLY,
        now=NOW,
        actor=None,
        extra_seats={"core": 1},
    )
    return account


def invite(actor: Membership, *emails: str, **kwargs):
    arguments = {
        "seat_type": SeatType.CORE,
        "access": DEFAULTS,
        "send_email": True,
        "now": NOW,
        **kwargs,
    }
    return members_invite(
        account=actor.account,
        actor_membership=actor,
        people=[ParsedPerson(email) for email in emails],
        **arguments,
    )


def invite_one(actor: Membership, email: str = "new@example.com", **kwargs) -> Membership:
    [membership] = invite(actor, email, **kwargs).memberships
    return membership


def partner_super_admins(account: Account, count: int) -> list[Membership]:
    """`count` super admins of the account on Partner seats: consultants of a solutions partner
    linked to it. A Partner seat comes from no pool, so when they race to add people to a paid
    pool, the pool holds the people they add and nobody else (its counts read as they would
    without them)."""
    domain = PartnerDomainFactory()
    domain.partner.accounts.add(account)
    return [
        MembershipFactory(
            account=account,
            seat_type=SeatType.PARTNER,
            super_admin=True,
            user__email=f"admin{i}@{domain.domain}",
        )
        for i in range(count)
    ]


def invite_each(actor: Membership, *emails: str, **kwargs) -> list[Membership]:
    """Invite each person in a batch of their own, one after the other, as that many "Create
    user" runs would (for tests about what each addition does to the pools)."""
    return [invite_one(actor, email, **kwargs) for email in emails]


def rows() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "invitations": Invitation.objects.count(),
        "audit events": AuditEvent.objects.count(),
    }


def invitation_emails() -> list:
    """The invitation emails sent so far (billing admins may be emailed about seats too)."""
    return [message for message in mail.outbox if LINK.search(message.body)]


def links_in(message) -> list[tuple[str, str]]:
    return LINK.findall(message.body)


def emailed_token(message) -> str:
    [(_url, token)] = links_in(message)
    return token


def copied_token(membership: Membership, actor: Membership, now=NOW) -> str:
    url = invitation_link_copy(
        account=membership.account, membership_id=membership.pk, actor=actor.user, now=now
    )
    return LINK.fullmatch(url).group(2)


def invite_and_email(capture, actor: Membership, email: str = "new@example.com", **kwargs):
    """Invite one person and run the send task after commit; return (membership, token)."""
    with capture(execute=True):
        membership = invite_one(actor, email, **kwargs)
    [message] = [m for m in invitation_emails() if m.to == [email]]
    return membership, emailed_token(message)


def refreshed(membership: Membership) -> Membership:
    return Membership.objects.get(pk=membership.pk)
