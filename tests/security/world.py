"""Two accounts with one member per role, and a snapshot of every row a request could change.

Acme (this account) subscribes to Marketing Hub Pro and Sales Hub Pro and has one member for
each role of the authorisation matrix, plus the objects the settings pages take ids of: a team
under a parent team, a preset, a permission set, an invoice, an invited member with a copied
invite link. Globex (another account) has the same kinds of objects and its own super admin,
who is the matrix's "super admin of another account".
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db.models import Model
from django.urls import resolve
from django.utils import timezone

from accounts.models import (
    Access,
    Account,
    AuditEvent,
    Membership,
    Notification,
    PermissionSet,
    Preset,
    SeatType,
    SolutionsPartner,
    Team,
    User,
)
from accounts.policy import ON, AccountPermission
from api.models import ApiKey, IdempotencyRecord
from api.services import api_key_create
from billing.models import (
    BillingContact,
    CardOnFile,
    Invoice,
    InvoiceLine,
    SalesRequest,
    Subscription,
    SubscriptionItem,
)
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from invitations.models import Invitation, SalesforceConnection
from invitations.services.links import invitation_link_copy
from scim.models import ScimSeatRule, ScimSettings
from seats.catalogue import seat_default_permissions
from seats.models import SeatLedgerEntry, SeatPool, SeatRequest
from seats.requests.services import seat_request_create
from tests.factories import (
    AccountFactory,
    BillingContactFactory,
    CardOnFileFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    MembershipFactory,
    NotificationFactory,
    PartnerDomainFactory,
    PermissionSetFactory,
    PresetFactory,
    SolutionsPartnerFactory,
    TeamFactory,
)
from tests.security.authorization_matrix import (
    BILLING_HOLDER,
    CORE,
    DEACTIVATED,
    OTHER_ACCOUNT_SUPER_ADMIN,
    PARTNER,
    SUPER_ADMIN,
    TEAMS_HOLDER,
    USERS_HOLDER,
    VIEW_ONLY,
)


@dataclass(frozen=True)
class AccountWorld:
    """One account and the objects its settings pages take ids of.

    `target` is an active Core member whose main team is `team` (a child of `parent_team`); the
    pages about "a user" are opened on them, never on the member making the request.
    `pending_change` is the Sales Hub line, set to go down to Starter at renewal.
    """

    account: Account
    super_admin: Membership
    target: Membership
    team: Team
    parent_team: Team
    preset: Preset
    permission_set: PermissionSet
    invoice: Invoice
    pending_change: SubscriptionItem
    invited: Membership
    invite_token: str
    api_key: ApiKey
    scim_key: ApiKey  # of scope "scim": Settings → "Provisioning (SCIM)" lists and revokes it
    scim_rule: ScimSeatRule
    seat_request: SeatRequest  # an open request for a Core seat by a View-only member


@dataclass(frozen=True)
class World:
    this: AccountWorld  # Acme: the account every role but one belongs to
    other: AccountWorld  # Globex
    members: dict[str, Membership]  # role -> the membership it signs in with (no anonymous)


def _holding(permission: AccountPermission) -> dict[str, str]:
    return {**seat_default_permissions(SeatType.CORE), str(permission): ON}


def _account_world(name: str, domain: str) -> AccountWorld:
    account = AccountFactory(name=name)
    subscription_start(
        account=account,
        hubs={"marketing": "professional", "sales": "professional"},
        interval=BillingInterval.MONTHLY,
        now=timezone.now(),
        actor=None,
        extra_seats={"core": 5, "sales": 2},
    )
    super_admin = MembershipFactory(
        account=account, super_admin=True, user__email=f"super@{domain}", joined_at=timezone.now()
    )
    parent_team = TeamFactory(account=account, name=f"{name} parent team")
    team = TeamFactory(account=account, name=f"{name} team", parent=parent_team)
    permission_set = PermissionSetFactory(account=account, name=f"{name} set")
    target = MembershipFactory(
        account=account,
        user__email=f"target@{domain}",
        main_team=team,
        access=Access.PERMISSION_SET,
        permission_set=permission_set,
        permissions=dict(permission_set.permissions),
    )
    preset = PresetFactory(
        account=account, name=f"{name} preset", permission_set=permission_set, main_team=team
    )
    invoice = InvoiceFactory(account=account)
    pending_change = SubscriptionItem.objects.get(subscription__account=account, product="sales")
    pending_change.tier_at_renewal = "starter"
    pending_change.save(update_fields=["tier_at_renewal"])
    InvoiceLineFactory(invoice=invoice)
    CardOnFileFactory(account=account)
    BillingContactFactory(account=account)
    invited = MembershipFactory(account=account, invited=True, user__email=f"invited@{domain}")
    link = invitation_link_copy(account=account, membership_id=invited.pk, actor=super_admin.user)
    return AccountWorld(
        account=account,
        super_admin=super_admin,
        target=target,
        team=team,
        parent_team=parent_team,
        preset=preset,
        permission_set=permission_set,
        invoice=invoice,
        pending_change=pending_change,
        invited=invited,
        invite_token=resolve(urlsplit(link).path).kwargs["token"],
        api_key=api_key_create(
            actor_membership=super_admin, name=f"{name} key", scopes=["users:read"], expires_on=None
        ).key,
        scim_key=api_key_create(
            actor_membership=super_admin, name=f"{name} IdP", scopes=["scim"], expires_on=None
        ).key,
        scim_rule=ScimSeatRule.objects.create(
            account=account, team=parent_team, seat_type=SeatType.CORE
        ),
        seat_request=seat_request_create(
            membership=MembershipFactory(
                account=account, view_only=True, user__email=f"asker@{domain}"
            ),
            seat_type=SeatType.CORE,
            reason="Need to edit deals",
        ),
    )


def world_build() -> World:
    this = _account_world("Acme", "acme.example")
    other = _account_world("Globex", "globex.example")
    # Acme's auto-renewal is off, so that "Resume auto-renewal" has something to change.
    Subscription.objects.filter(account=this.account).update(cancel_at_period_end=True)
    partner = SolutionsPartnerFactory(name="Agency")
    partner.accounts.add(this.account)
    PartnerDomainFactory(partner=partner, domain="agency.example")

    def member(email: str, **fields) -> Membership:
        return MembershipFactory(account=this.account, user__email=email, **fields)

    members = {
        OTHER_ACCOUNT_SUPER_ADMIN: other.super_admin,
        DEACTIVATED: member("deactivated@acme.example", deactivated=True),
        VIEW_ONLY: member("viewer@acme.example", view_only=True),
        PARTNER: member(
            "pat@agency.example",
            seat_type=SeatType.PARTNER,
            permissions=seat_default_permissions(SeatType.PARTNER),
        ),
        CORE: member("core@acme.example"),
        USERS_HOLDER: member("users@acme.example", permissions=_holding(AccountPermission.USERS)),
        TEAMS_HOLDER: member("teams@acme.example", permissions=_holding(AccountPermission.TEAMS)),
        BILLING_HOLDER: member(
            "billing@acme.example", permissions=_holding(AccountPermission.BILLING)
        ),
        SUPER_ADMIN: this.super_admin,
    }
    # Unread notifications, so that "mark all read" has something to change.
    for membership in members.values():
        NotificationFactory(membership=membership)
    return World(this=this, other=other, members=members)


# --- What a refused request must leave alone ---------------------------------------------------

# Each model that a settings page or an invitation link can write, with the path from its rows
# to their account. Columns that every request may touch are left out: last_active_at (written
# by CurrentAccountMiddleware at most every few minutes) and last_login (force_login).
SNAPSHOT: tuple[tuple[type[Model], str, tuple[str, ...]], ...] = (
    (Account, "pk", ()),
    (User, "memberships__account", ("last_login",)),
    (Membership, "account", ("last_active_at",)),
    (Membership.extra_teams.through, "membership__account", ()),
    (Team, "account", ()),
    (Preset, "account", ()),
    (Preset.extra_teams.through, "preset__account", ()),
    (PermissionSet, "account", ()),
    (SolutionsPartner.accounts.through, "account", ()),
    (SeatPool, "account", ()),
    (SeatLedgerEntry, "pool__account", ()),
    (Subscription, "account", ()),
    (SubscriptionItem, "subscription__account", ()),
    (Invoice, "account", ()),
    (InvoiceLine, "invoice__account", ()),
    (CardOnFile, "account", ()),
    (BillingContact, "account", ()),
    (SalesRequest, "account", ()),
    (Invitation, "membership__account", ()),
    (SalesforceConnection, "account", ()),
    (AuditEvent, "account", ()),
    (ApiKey, "account", ()),
    (IdempotencyRecord, "api_key__account", ()),
    (Notification, "membership__account", ()),
    (ScimSettings, "account", ()),
    (ScimSeatRule, "account", ()),
    (SeatRequest, "account", ()),
)


def snapshot(account: Account | None = None) -> dict[str, list[dict]]:
    """Every row of every SNAPSHOT model (only `account`'s when one is named), as plain dicts."""
    rows = {}
    for model, path, left_out in SNAPSHOT:
        queryset = model.objects.all()
        if account is not None:
            queryset = queryset.filter(**{path: account.pk}).distinct()
        columns = [f.attname for f in model._meta.concrete_fields if f.attname not in left_out]
        rows[model._meta.label] = list(queryset.order_by("pk").values(*columns))
    return rows


def snapshot_difference(before: dict, after: dict) -> dict[str, dict]:
    """Per model label, the rows that appeared, disappeared or changed (empty when none did)."""
    difference = {}
    for label, rows_before in before.items():
        old = {row["id"]: row for row in rows_before}
        new = {row["id"]: row for row in after[label]}
        added = [new[pk] for pk in new.keys() - old.keys()]
        removed = [old[pk] for pk in old.keys() - new.keys()]
        changed = [
            {k: (old[pk][k], new[pk][k]) for k in old[pk] if old[pk][k] != new[pk][k]}
            for pk in old.keys() & new.keys()
            if old[pk] != new[pk]
        ]
        if added or removed or changed:
            difference[label] = {"added": added, "removed": removed, "changed": changed}
    return difference
