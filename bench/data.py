"""The benchmarks' data, loaded in bulk (COPY) with the shapes the product writes.

Every row is a model instance filled as the services would fill it (seat defaults as
permissions, statuses with their dates, invitation state columns), then copied in one go.
Random choices come from a seeded generator, so two runs load the same data.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.db import copy_insert, vacuum_analyze

FIRST_NAMES = (  # noqa: SIM905 - a list of words reads better as words
    "Ada Alan Alice Amara Ana Anders Aria Ava Ben Bea Carla Chen Chloe Dana David Diego "
    "Elena Eli Emma Ethan Farah Felix Grace Hana Hugo Ines Isla Ivan Jack Jana Jonas Kai "
    "Karin Lena Leo Liam Lucas Luis Maya Mia Mohammed Nadia Noah Nora Olga Omar Paul Pia "
    "Priya Quinn Ravi Rosa Sam Sara Sofia Tariq Tom Uma Vera Wei Yara Yusuf Zoe"
).split()
LAST_NAMES = (  # noqa: SIM905 - a list of words reads better as words
    "Abbott Adeyemi Becker Brown Chen Clarke Costa Dubois Evans Fischer Garcia Haddad "
    "Hansen Ivanova Jensen Kim Kowalski Lindqvist Lopez Martin Moreau Murphy Nakamura Ng "
    "Novak Okafor Olsen Patel Petrov Rossi Santos Schmidt Silva Singh Smith Suzuki Tanaka "
    "Walsh Weber Wright Yilmaz Zhang"
).split()
# Django reads a leading "!" as "no usable password", as set_unusable_password() stores.
UNUSABLE_PASSWORD = "!bench-unusable"  # noqa: S105
ADMIN_PASSWORD = "bench-admin-password-2026"  # noqa: S105 - a throwaway local database


@dataclass(frozen=True)
class AccountData:
    account: object
    admin: object  # User: active super admin of the account, Django staff and superuser
    admin_membership: object
    member_count: int


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _admin(account, *, email: str, staff: bool):
    from accounts.models import Access, Membership, MembershipStatus, SeatType, User
    from seats.catalogue import seat_default_permissions

    user = User(email=email, first_name="Bench", last_name="Admin")
    user.set_password(ADMIN_PASSWORD)
    user.is_staff = user.is_superuser = staff
    user.save()
    membership = Membership.objects.create(
        user=user,
        account=account,
        seat_type=SeatType.CORE,
        is_super_admin=True,
        permissions=seat_default_permissions(SeatType.CORE),
        access=Access.SEAT_DEFAULTS,
        status=MembershipStatus.ACTIVE,
        joined_at=_now() - timedelta(days=400),
    )
    return user, membership


def _pools(account, *, size: int, purchased: int = 0, purchased_at_renewal: int | None = None):
    from accounts.models import SeatType
    from seats.models import SeatPool

    copy_insert(
        SeatPool,
        [
            SeatPool(
                account=account,
                seat_type=seat_type,
                included=size,
                included_at_renewal=size,
                purchased=purchased,
                purchased_at_renewal=purchased
                if purchased_at_renewal is None
                else purchased_at_renewal,
            )
            for seat_type in (SeatType.CORE, SeatType.SALES, SeatType.SERVICE)
        ],
    )


def members_account(
    *, name: str, members: int, domain: str, seed: int, admin_staff: bool = True
) -> AccountData:
    """An account with `members` members (its admin included), shaped like a large customer.

    About 75% active, 18% invited (pending, expired, revoked or never sent), 7% deactivated;
    half on Core seats, a third View-only, the rest Sales or Service; mostly seat defaults,
    some from a built-in or an account permission set, some custom; 30 teams, most members in
    a main team and a third in extra teams; last-active times over the past year.
    """
    from accounts.models import (
        Access,
        Account,
        Membership,
        MembershipStatus,
        PermissionSet,
        SeatType,
        Team,
        User,
    )
    from seats.catalogue import seat_default_permissions
    from seats.permission_sets.builtin import BUILTIN_PERMISSION_SETS

    rng = random.Random(seed)
    now = _now()
    account = Account.objects.create(name=name, created_at=now - timedelta(days=800))
    admin, admin_membership = _admin(account, email=f"admin@{domain}", staff=admin_staff)
    _pools(account, size=members + 10)
    teams = [Team(account=account, name=f"Team {i:02d}") for i in range(30)]
    copy_insert(Team, teams)
    sets = [
        PermissionSet(
            account=account,
            name=f"Set {i}",
            permissions=seat_default_permissions(SeatType.CORE),
        )
        for i in range(3)
    ]
    copy_insert(PermissionSet, sets)
    defaults = {seat: seat_default_permissions(seat) for seat in SeatType.values}
    templates = [s.code for s in BUILTIN_PERMISSION_SETS]

    users, memberships = [], []
    for i in range(members - 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        user = User(
            email=f"{first.lower()}.{last.lower()}.{i}@{domain}",
            first_name=first,
            last_name=last,
            password=UNUSABLE_PASSWORD,
            date_joined=now - timedelta(days=rng.randint(1, 700)),
        )
        users.append(user)
        seat = rng.choices(
            [SeatType.CORE, SeatType.VIEW_ONLY, SeatType.SALES, SeatType.SERVICE],
            weights=[50, 35, 10, 5],
        )[0]
        status = rng.choices(
            [MembershipStatus.ACTIVE, MembershipStatus.INVITED, MembershipStatus.DEACTIVATED],
            weights=[75, 18, 7],
        )[0]
        access = rng.choices(
            [Access.SEAT_DEFAULTS, Access.TEMPLATE, Access.PERMISSION_SET, Access.CUSTOM],
            weights=[80, 10, 5, 5],
        )[0]
        created = now - timedelta(days=rng.randint(1, 700))
        m = Membership(
            account=account,
            seat_type=seat,
            permissions=defaults[seat],
            access=access,
            permission_set=rng.choice(sets) if access == Access.PERMISSION_SET else None,
            permission_template=rng.choice(templates) if access == Access.TEMPLATE else "",
            status=status,
            main_team=rng.choice(teams) if rng.random() < 0.8 else None,
            created_by=admin,
            created_at=created,
        )
        if status == MembershipStatus.INVITED:
            kind = rng.random()
            if kind < 0.6:
                m.invite_expires_at = now + timedelta(days=rng.randint(1, 7))
            elif kind < 0.85:
                m.invite_expires_at = now - timedelta(days=rng.randint(1, 60))
            elif kind < 0.95:
                m.invite_expires_at = now + timedelta(days=3)
                m.invite_revoked_at = now - timedelta(days=1)
        else:
            m.invite_expires_at = created + timedelta(days=7)
            m.joined_at = created + timedelta(days=rng.randint(0, 6))
            m.last_active_at = now - timedelta(minutes=rng.randint(1, 60 * 24 * 365))
            if status == MembershipStatus.DEACTIVATED:
                m.deactivated_at = now - timedelta(days=rng.randint(1, 300))
        memberships.append(m)
    copy_insert(User, users)
    for user, m in zip(users, memberships, strict=True):
        m.user = user
    copy_insert(Membership, memberships)
    through = Membership.extra_teams.through
    links = []
    for m in memberships:
        if rng.random() < 0.33:
            for team in rng.sample(teams, rng.choice((1, 1, 2))):
                if team.pk != m.main_team_id:
                    links.append(through(membership_id=m.pk, team_id=team.pk))
    copy_insert(through, links)
    vacuum_analyze(User, Membership, through, Team)
    return AccountData(account, admin, admin_membership, members)


def small_account(*, name: str, domain: str, seats: int) -> AccountData:
    """An account with only its admin and `seats` free seats of each paid type."""
    from accounts.models import Account

    account = Account.objects.create(name=name)
    admin, admin_membership = _admin(account, email=f"admin@{domain}", staff=False)
    _pools(account, size=seats)
    return AccountData(account, admin, admin_membership, 1)


@dataclass(frozen=True)
class RenewalData:
    now: datetime
    subscription_ids: list[int]
    account_ids: list[int]
    # The highest id of each table a renewal writes, once the data set was loaded: rows above
    # it were written by a benchmark run (and are deleted between runs).
    last_ids: dict[str, int]


def renewal_accounts(
    *, count: int, seed: int, hours_ago: tuple[int, int] = (1, 24), prefix: str = "renewal"
) -> RenewalData:
    """`count` accounts whose monthly subscription ended `hours_ago` (a range) before now.

    Each: a super admin (a billing admin, told about the renewal), Marketing Hub Professional,
    a Core pool with 3 seats bought of which 1 is scheduled for removal (so the renewal
    applies it and appends a ledger row), and a test-mode card that charges fine. After one
    renewal the next period ends in the future, so each subscription renews exactly once.
    """
    from accounts.models import (
        Access,
        Account,
        AuditEvent,
        Membership,
        MembershipStatus,
        Notification,
        SeatType,
        User,
    )
    from billing.catalogue import HubCode, TierCode, included_core_seats
    from billing.models import (
        CardOnFile,
        Invoice,
        InvoiceLine,
        ItemKind,
        Subscription,
        SubscriptionItem,
    )
    from billing.periods import BillingInterval, add_months, nth_period_bounds
    from seats.catalogue import seat_default_permissions
    from seats.models import SeatLedgerEntry, SeatPool

    rng = random.Random(seed)
    now = _now()
    hubs = [(HubCode.MARKETING, TierCode.PROFESSIONAL)]
    included = included_core_seats(hubs)
    accounts = [Account(name=f"{prefix} {i:05d}") for i in range(count)]
    copy_insert(Account, accounts)
    users = [
        User(email=f"owner{i}@{prefix}{i}.example", first_name="Owner", password=UNUSABLE_PASSWORD)
        for i in range(count)
    ]
    copy_insert(User, users)
    permissions = seat_default_permissions(SeatType.CORE)
    memberships = [
        Membership(
            user=u,
            account=a,
            seat_type=SeatType.CORE,
            is_super_admin=True,
            permissions=permissions,
            access=Access.SEAT_DEFAULTS,
            status=MembershipStatus.ACTIVE,
        )
        for u, a in zip(users, accounts, strict=True)
    ]
    copy_insert(Membership, memberships)
    subscriptions = []
    for a in accounts:
        # The period ended `hours_ago` ago, on a day every month has.
        end = now - timedelta(hours=rng.randint(*hours_ago), minutes=rng.randint(0, 59))
        end = end.replace(day=min(end.day, 28))
        start = add_months(end, -1)
        subscriptions.append(
            Subscription(
                account=a,
                interval=BillingInterval.MONTHLY,
                anchor=start,
                current_period_start=start,
                current_period_end=nth_period_bounds(start, 0, BillingInterval.MONTHLY)[1],
                created_at=start,
            )
        )
    copy_insert(Subscription, subscriptions)
    copy_insert(
        SubscriptionItem,
        [
            SubscriptionItem(subscription=s, kind=ItemKind.HUB, product=hub, tier=tier)
            for s in subscriptions
            for hub, tier in hubs
        ],
    )
    copy_insert(
        SeatPool,
        [
            SeatPool(
                account=a,
                seat_type=SeatType.CORE,
                included=included,
                included_at_renewal=included,
                purchased=3,
                purchased_at_renewal=2,
            )
            for a in accounts
        ],
    )
    cards = [
        CardOnFile(
            account=a,
            gateway_token=f"tok_test_ok_{rng.getrandbits(64):016x}",
            brand="Visa",
            last4="4242",
            exp_month=12,
            exp_year=now.year + 5,
        )
        for a in accounts
    ]
    copy_insert(CardOnFile, cards)
    _renewal_history(subscriptions, memberships)
    tables = (
        Account,
        User,
        Membership,
        Subscription,
        SubscriptionItem,
        SeatPool,
        CardOnFile,
        Invoice,
        InvoiceLine,
        SeatLedgerEntry,
        AuditEvent,
        Notification,
    )
    vacuum_analyze(*tables)
    return RenewalData(
        now=now - timedelta(hours=hours_ago[0] - 1),
        subscription_ids=[s.pk for s in subscriptions],
        account_ids=[a.pk for a in accounts],
        last_ids={
            m._meta.db_table: m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            for m in (Invoice, InvoiceLine, SeatLedgerEntry, AuditEvent, Notification)
        },
    )


def _renewal_history(subscriptions, memberships) -> None:
    """What the previous renewal left, as a year-old customer has: a paid invoice with its
    lines, a ledger row, an audit event and a notification per account. Besides realism, it
    gives the planner populated tables, so foreign-key checks use the primary-key indexes."""
    from accounts.models import AuditEvent, AuditVerb, Notification
    from billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
    from billing.periods import add_months
    from seats.models import LedgerReason, SeatLedgerEntry, SeatPool

    invoices = [
        Invoice(
            account_id=s.account_id,
            subscription=s,
            kind=InvoiceKind.RENEWAL,
            status=InvoiceStatus.PAID,
            total_cents=90_000,
            period_start=add_months(s.current_period_start, -1),
            period_end=s.current_period_start,
            charge_id=f"ch_test_history_{s.pk}",
            attempts=1,
            created_at=s.current_period_start,
            paid_at=s.current_period_start,
        )
        for s in subscriptions
    ]
    copy_insert(Invoice, invoices)
    copy_insert(
        InvoiceLine,
        [
            InvoiceLine(invoice=i, description=d, quantity=q, unit_cents=u, amount_cents=q * u)
            for i in invoices
            for d, q, u in (("Marketing Hub Professional", 1, 80_000), ("Core seat", 2, 5_000))
        ],
    )
    copy_insert(
        SeatLedgerEntry,
        [
            SeatLedgerEntry(
                pool=p,
                reason=LedgerReason.CREATED,
                included=p.included,
                purchased=3,
                purchased_at_renewal=3,
            )
            for p in SeatPool.objects.filter(account_id__in=[s.account_id for s in subscriptions])
        ],
    )
    copy_insert(
        AuditEvent,
        [
            AuditEvent(
                account_id=i.account_id,
                verb=AuditVerb.SUBSCRIPTION_RENEWED,
                after={"invoice": f"INV-{i.pk:06d}", "paid": True},
                created_at=i.created_at,
            )
            for i in invoices
        ],
    )
    copy_insert(
        Notification,
        [
            Notification(membership=m, kind="billing", text="Your subscription renewed.")
            for m in memberships
        ],
    )


def invited_members(data: AccountData, *, count: int, domain: str) -> list[int]:
    """`count` invited members of the account, each with an emailed invitation not sent yet
    (as members_invite leaves them for invitations_send_task). Returns the invitation ids."""
    from accounts.models import Access, Membership, MembershipStatus, SeatType, User
    from invitations.models import Delivery, Invitation
    from seats.catalogue import seat_default_permissions

    now = _now()
    expires = now + timedelta(days=7)
    users = [
        User(email=f"invitee{i}@{domain}", first_name="Invitee", last_name=str(i))
        for i in range(count)
    ]
    for u in users:
        u.password = UNUSABLE_PASSWORD
    copy_insert(User, users)
    permissions = seat_default_permissions(SeatType.CORE)
    memberships = [
        Membership(
            user=u,
            account=data.account,
            seat_type=SeatType.CORE,
            permissions=permissions,
            access=Access.SEAT_DEFAULTS,
            status=MembershipStatus.INVITED,
            invite_expires_at=expires,
            created_by=data.admin,
        )
        for u in users
    ]
    copy_insert(Membership, memberships)
    invitations = [
        Invitation(
            membership=m,
            email=m.user.email,
            delivery=Delivery.EMAIL,
            expires_at=expires,
            created_by=data.admin,
            created_at=now,
        )
        for m in memberships
    ]
    copy_insert(Invitation, invitations)
    vacuum_analyze(User, Membership, Invitation)
    return [i.pk for i in invitations]
