"""Reads shared by pages and services of the accounts floor."""

from collections.abc import Iterable
from datetime import timedelta

from django.db import models
from django.db.models import Count, IntegerField, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.errors import DomainError
from accounts.models import (
    Account,
    InvitationState,
    Membership,
    MembershipStatus,
    Notification,
    User,
)
from accounts.policy import ON, AccountPermission
from accounts.prepared import PreparedRead
from accounts.signed_in import SELECTABLE_STATUSES

SESSION_ACCOUNT_KEY = "seatmgr_account_id"


def id_from(value: str) -> int | None:
    """A database id typed in a URL or a form, or None. ASCII digits only: str.isdigit()
    also accepts "²", which int() then refuses."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def password_reset_allowed(user: User) -> bool:
    """Whether a password-reset link may be emailed to this person: their sign-in is active and
    they have set a password. Someone who never set one joins through their invitation instead.

    The one rule for "Forgot password", a member's "Reset password" action and the email task
    (which checks it again when it runs).
    """
    return user.is_active and user.has_usable_password()


def memberships_selectable(*, user: User) -> list[Membership]:
    """The accounts a person can pick from (membership_list_for_user's), as read with the
    signed-in person (accounts.signed_in) without asking again."""
    memberships = getattr(user, "selectable_memberships", None)
    if memberships is None:  # a user not read by accounts.backends (a test's own object)
        memberships = list(membership_list_for_user(user=user).select_related("user"))
    return memberships


def membership_current(request) -> Membership | None:
    """The membership of the account chosen in this session, or the only one there is."""
    memberships = memberships_selectable(user=request.user)
    account_id = request.session.get(SESSION_ACCOUNT_KEY)
    if account_id is not None:
        for membership in memberships:
            if membership.account_id == account_id:
                return membership
        del request.session[SESSION_ACCOUNT_KEY]
    # "active" sorts before "deactivated": a single active membership is picked even when the
    # person has lost access elsewhere; a single deactivated one is picked to say so.
    candidates = memberships[:2]
    single_active = (
        candidates
        and candidates[0].status == MembershipStatus.ACTIVE
        and (len(candidates) == 1 or candidates[1].status != MembershipStatus.ACTIVE)
    )
    if single_active or len(candidates) == 1:
        request.session[SESSION_ACCOUNT_KEY] = candidates[0].account_id
        return candidates[0]
    return None


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    """The accounts a person can pick from: active ones first, then those they lost access to."""
    return (
        Membership.objects.select_related("account")
        .filter(user=user, status__in=SELECTABLE_STATUSES)
        .order_by("status", "account__name", "account_id")
    )


def membership_get_for_user(*, user: User, account_id: int) -> Membership | None:
    return (
        Membership.objects.select_related("account")
        .filter(user=user, account_id=account_id, status__in=SELECTABLE_STATUSES)
        .first()
    )


def member_list(*, account: Account) -> QuerySet[Membership]:
    """Members of one account with what a list row shows, in one query (no N+1)."""
    return (
        Membership.objects.filter(account=account)
        .select_related("user", "main_team", "permission_set")
        .order_by("user__email", "id")
    )


# Counted on every page the navigation draws: compiled once per connection.
_notifications_unread = PreparedRead(
    lambda membership_id: Notification.objects.filter(
        membership_id=membership_id, read_at__isnull=True
    ),
    count=True,
)


def notifications_unread_count(*, membership: Membership) -> int:
    return _notifications_unread(membership.pk)


def notification_list(*, membership: Membership, limit: int = 20) -> list[Notification]:
    return list(Notification.objects.filter(membership=membership)[:limit])


def _billing_admin_filter() -> Q:
    """Active members who may manage billing: super admins and holders of "Edit billing"."""
    holds_billing = Q(**{f"permissions__{AccountPermission.BILLING}": ON})
    return Q(status=MembershipStatus.ACTIVE) & (Q(is_super_admin=True) | holds_billing)


def billing_admins(*, account: Account) -> QuerySet[Membership]:
    """Active members who may manage billing: super admins and holders of "Edit billing"."""
    return (
        Membership.objects.filter(account=account)
        .filter(_billing_admin_filter())
        .select_related("user", "account")
    )


def billing_admins_by_account(*, account_ids: Iterable[int]) -> dict[int, list[Membership]]:
    """The billing admins of many accounts in one query, by account id (every id is a key).

    Only what notifying them needs (id, account, notification settings, and the languages and
    time zone their notices are written in: accounts.languages.written_for): any other field
    would be read with a query of its own.
    """
    admins: dict[int, list[Membership]] = {account_id: [] for account_id in account_ids}
    for membership in (
        Membership.objects.filter(account_id__in=list(admins))
        .filter(_billing_admin_filter())
        .select_related("user", "account")
        .only(
            "pk",
            "notification_settings",
            "account__default_language",
            "user__language",
            "user__time_zone",
        )
        .order_by("account_id", "pk")
    ):
        admins[membership.account_id].append(membership)
    return admins


def invitation_state_filter(state: str, *, now) -> Q:
    """Which memberships are in this invitation state (see Membership.invitation_state_at)."""
    invited = Q(status=MembershipStatus.INVITED)
    return {
        InvitationState.NOT_SENT: invited
        & Q(invite_expires_at__isnull=True, invite_revoked_at__isnull=True),
        InvitationState.PENDING: invited
        & Q(invite_revoked_at__isnull=True, invite_expires_at__gt=now),
        InvitationState.EXPIRED: invited
        & Q(invite_revoked_at__isnull=True, invite_expires_at__lte=now),
        InvitationState.REVOKED: invited & Q(invite_revoked_at__isnull=False),
        InvitationState.ACCEPTED: ~invited
        & Q(invite_expires_at__isnull=False, joined_at__isnull=False),
    }[InvitationState(state)]


def member_name_or_email_q(word: str) -> Q:
    """Members whose email, or name as their account sees it (Membership.full_name: their own
    once joined, else the one the account typed), contains `word`. Searching by a name set
    elsewhere would tell an account who that person is."""
    joined = Q(status=MembershipStatus.ACTIVE) | Q(joined_at__isnull=False)
    return (
        Q(user__email__icontains=word)
        | (joined & (Q(user__first_name__icontains=word) | Q(user__last_name__icontains=word)))
        | (~joined & (Q(first_name__icontains=word) | Q(last_name__icontains=word)))
    )


def member_search(
    *,
    account: Account,
    now,
    q: str = "",
    seat_type: str = "",
    invitation_state: str = "",
    inactive_days: int | None = None,
) -> QuerySet[Membership]:
    """The account's members matching a search (name or email) and filters."""
    members = member_list(account=account)
    if q:
        for word in q.split()[:5]:
            members = members.filter(member_name_or_email_q(word))
    if seat_type:
        members = members.filter(seat_type=seat_type)
    if invitation_state:
        members = members.filter(invitation_state_filter(invitation_state, now=now))
    if inactive_days:
        members = members.filter(inactive_q(now=now, days=inactive_days))
    return members


def inactive_q(*, now, days: int) -> Q:
    """Members not active for `days` days: last active before then, or never active (a member
    who never signed in counts as inactive, whenever they were added). The Users tab's "Last
    active more than" filter and the Seats tab's inactive counts both say it this way."""
    cutoff = now - timedelta(days=days)
    return Q(last_active_at__lt=cutoff) | Q(last_active_at__isnull=True)


def _count(queryset: QuerySet, group_by: str) -> Coalesce:
    """COUNT(*) of `queryset` per outer row, as a subquery; 0 when there are none."""
    counted = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def members_matching(*, account_id: int, q: str = "") -> QuerySet[Membership]:
    """Members of the account whose name or email contains every word of `q`, by email."""
    members = Membership.objects.filter(account_id=account_id).select_related("user", "main_team")
    for word in q.split():
        members = members.filter(member_name_or_email_q(word))
    return members.order_by("user__email", "pk")


def name_unique_check(
    *,
    rows: QuerySet,
    name: str,
    exclude: models.Model | None,
    required: type[DomainError],
    taken: type[DomainError],
) -> str:
    """The name without surrounding spaces, unless nothing is left (`required`) or another of
    `rows` (the account's teams, permission sets or presets) has it in any case (`taken`).

    The one check of "unique name in the account". The database's unique index on (account,
    lower(name)) is the last word (`named_row_save`); this gives the message a person can act on
    before it is reached.
    """
    name = (name or "").strip()
    if not name:
        raise required()
    others = rows.filter(name__iexact=name)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if others.exists():
        raise taken(name=name)
    return name
