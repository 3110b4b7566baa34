"""The one lock helper: every service that changes who holds what in an account takes it first.

Locks are always taken in the same order, aggregate root first: Account, then SeatPool (seats),
then Membership (and Team, PermissionSet, Preset rows). Taking the account's row first means two
admins changing the same account queue on one row, so neither can count seats, team parents or
set members that the other is changing, and two services never wait on each other in opposite
orders (no deadlock).
"""

from collections.abc import Iterable

from accounts.models import Account, Membership


def account_lock(account: Account | int) -> Account:
    """Lock the account's row for the rest of the caller's transaction and return it fresh.

    Serialises every change of the account's seats, pools, permissions, teams and subscription.
    """
    account_id = account if isinstance(account, int) else account.pk
    return Account.objects.select_for_update().get(pk=account_id)


def accounts_lock(account_ids: list[int], *, skip_locked: bool = False) -> list[Account]:
    """Lock several accounts, in id order (the same order for every caller: no deadlock).

    With `skip_locked`, accounts another transaction holds are left out (renewal batches split
    the due accounts between two runs that way).
    """
    return list(
        Account.objects.select_for_update(skip_locked=skip_locked)
        .filter(pk__in=account_ids)
        .order_by("pk")
    )


def member_lock(membership: Membership) -> Membership:
    """Lock the member's account, then the member's row; return the member as it is now."""
    account_lock(membership.account_id)
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "account", "main_team", "permission_set")
        .get(pk=membership.pk)
    )


def members_lock(account: Account, membership_ids: Iterable[int]) -> list[Membership]:
    """Lock these members of the account, in id order. The caller holds the account's lock."""
    return list(
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "account", "permission_set")
        .filter(account=account, pk__in=list(membership_ids))
        .order_by("pk")
    )
