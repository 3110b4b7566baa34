"""Create user": a batch of people on one seat type with one access choice, invited at once.

A batch is all-or-nothing: everything is checked under the account's lock before the first row
is written, and any refusal raises before anything is saved.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import account_lock
from accounts.models import (
    Account,
    AuditVerb,
    Membership,
    MembershipStatus,
    PartnerDomain,
    SeatType,
    email_normalise,
)
from accounts.services import member_audit_events_record, rows_insert, users_get_or_create
from invitations.errors import BatchRefused, BatchTooLarge
from invitations.models import Delivery, Invitation
from invitations.parsing import MAX_FILE_PEOPLE, ParsedPerson
from invitations.selectors import existing_member_emails
from invitations.tasks import invitation_emails_dispatch
from seats.permissions.choice import AccessChoice, access_resolve
from seats.permissions.services import access_apply
from seats.pools.services import (
    seat_capacity_check,
    seat_eligibility_check,
    seat_pool_lock_for,
    seat_pool_settle,
)

# Foreign keys are left to the database (each would be checked with a query of its own).
_MEMBERSHIP_RELATIONS = ["user", "account", "permission_set", "main_team", "preset", "created_by"]


@dataclass(frozen=True)
class BatchResult:
    memberships: list[Membership]
    created_users: int


def _valid_email(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    # An address literal (`ip@[127.0.0.1]`) names a host, not a mail domain (invitations.parsing).
    return len(email) <= 254 and not email.rpartition("@")[2].startswith("[")


def _partner_problems(*, account: Account, emails: list[str]) -> list[tuple[str, str]]:
    domains = set(
        PartnerDomain.objects.filter(partner__accounts=account).values_list("domain", flat=True)
    )
    return [
        (e, _("Not on a linked solutions partner's domain, so it can't have a Partner seat."))
        for e in emails
        if e.rpartition("@")[2] not in domains
    ]


@transaction.atomic(durable=True)
def members_invite(
    *,
    account: Account,
    actor_membership: Membership | None,
    people: Sequence[ParsedPerson],
    seat_type: SeatType | str,
    access: AccessChoice,
    send_email: bool,
    now: datetime | None = None,
) -> BatchResult:
    """Create the batch on one seat type with one access choice, and invite them.

    Refused whole with BatchTooLarge for more than 100 people (however they were chosen), with
    BatchRefused (per-address report) for addresses already in the account
    or not allowed the seat; with NotEnoughSeats when the pool lacks seats for the batch; with
    the access errors of seats.permissions.choice. A constant number of queries whatever the
    batch's size: the rows are written with one INSERT per table. Emails leave after commit, a
    task for each chunk of invitations (invitations.tasks.invitation_emails_dispatch).

    `actor_membership` is the admin on the "Create user" page; None only for system work (the
    demo's first super admin, whom nobody in the account can have added).
    """
    if len(people) > MAX_FILE_PEOPLE:
        # However the people were chosen (typed, a file, Salesforce): at most 100 in one batch.
        raise BatchTooLarge(count=len(people), limit=MAX_FILE_PEOPLE)
    now = now or timezone.now()
    seat_type = SeatType(seat_type)
    actor = actor_membership.user if actor_membership is not None else None
    # Serialises every change of who is in the account and who holds a seat (Account first).
    account = account_lock(account)
    people = [ParsedPerson(email_normalise(p.email), p.first_name, p.last_name) for p in people]
    emails = [p.email for p in people]
    if not emails:
        raise BatchRefused([])
    repeated = sorted({e for e in emails if emails.count(e) > 1})
    existing = set(existing_member_emails(account=account, emails=emails))
    problems = [(e, _("Not a valid email address.")) for e in emails if not _valid_email(e)]
    problems += [(e, _("Listed more than once in this batch.")) for e in repeated]
    problems += [(e, _("Already a user in this account.")) for e in emails if e in existing]
    if seat_type == SeatType.PARTNER:
        problems += _partner_problems(account=account, emails=emails)
    if problems:
        raise BatchRefused(problems)
    seat_eligibility_check(account=account, seat_type=seat_type, emails=emails)
    resolved = access_resolve(
        account=account, seat_type=seat_type, choice=access, actor_membership=actor_membership
    )
    seat_pool_lock_for(account=account, seat_type=seat_type)
    seat_capacity_check(account=account, seat_type=seat_type, needed=len(emails))

    got = users_get_or_create(people=[(p.email, p.first_name, p.last_name) for p in people])
    # The invitation columns are set now, so no UPDATE follows the invitations' insert.
    expires_at = now + settings.INVITATION_EXPIRY if send_email else None
    memberships = []
    for (user, _created), person in zip(got, people, strict=True):
        membership = Membership(
            user=user,
            account=account,
            # The name this account typed, which its pages show until the person joins it
            # (an existing person's own name, or another account's, is not this account's).
            first_name=person.first_name.strip(),
            last_name=person.last_name.strip(),
            seat_type=seat_type,
            status=MembershipStatus.INVITED,
            invite_expires_at=expires_at,
            created_by=actor,
            created_at=now,
        )
        # Their access is set the one way every path sets it (saved by the INSERT below).
        access_apply(membership, resolved)
        memberships.append(membership)
    # Every validated field is the batch's, the same in each row, so validating one validates
    # them all; field validation only, without the foreign keys and the constraints, which
    # would cost a query each per person: the database enforces them on insert.
    memberships[0].full_clean(exclude=_MEMBERSHIP_RELATIONS, validate_constraints=False)
    rows_insert(memberships)
    member_audit_events_record(
        account=account,
        actor=actor,
        verb=AuditVerb.MEMBER_ADDED,
        targets=memberships,
        after={
            "seat_type": seat_type,
            "is_super_admin": resolved.is_super_admin,
            "access": resolved.access,
            "permission_set": resolved.permission_set.name if resolved.permission_set else None,
            "permission_template": resolved.permission_template,
            "invite_email": send_email,
        },
        now=now,
    )
    if send_email:
        invitations = [
            Invitation(
                membership=membership,
                email=membership.user.email,
                delivery=Delivery.EMAIL,
                expires_at=expires_at,
                created_by=actor,
                created_at=now,
            )
            for membership in memberships
        ]
        rows_insert(invitations)
        invitation_emails_dispatch(invitation_ids=[i.pk for i in invitations])
    seat_pool_settle(account=account, seat_type=seat_type, actor=actor, now=now)
    return BatchResult(memberships=memberships, created_users=sum(c for _u, c in got))
