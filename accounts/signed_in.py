"""The one query of every signed-in request: the person, with the memberships they can pick from
and their accounts, read fresh from the database.

Fresh on every request, so that a deactivation, a removal, a new role or a new password counts
from the member's next request on, whatever process serves it. It is the query every signed-in
page pays before its own, so it is written once per database connection as SQL
(accounts.joined_rows) rather than built by the ORM on each request.
"""

from django.db import router

from accounts.joined_rows import JoinedRows
from accounts.models import Account, Membership, MembershipStatus, User

# Statuses that can be "the current account": an invited membership is not usable until its
# invitation is accepted; a deactivated one is, so that its member is told they have no access.
SELECTABLE_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.DEACTIVATED)
_MEMBERSHIPS = JoinedRows(
    ((Membership, "m"), (User, "u"), (Account, "a")),
    joins=("{u.id} = {m.user_id}", "{a.id} = {m.account_id}"),
    # "active" sorts before "deactivated" (accounts.selectors.membership_current).
    where="{m.user_id} = %s AND {m.status} IN (%s, %s) ORDER BY {m.status}, {a.name}, {a.id}",
)


def user_with_memberships_get(*, user_id) -> User | None:
    """The person signed in with `user_id`, with the memberships they can pick from (active
    first, then deactivated; by account name) as `selectable_memberships`, each with its `user`
    and `account` set. None when there is no such person. One query; a person with no
    membership to pick (an operator, or someone removed everywhere) costs a second."""
    rows = _MEMBERSHIPS.fetch(
        [user_id, *(status.value for status in SELECTABLE_STATUSES)],
        using=router.db_for_read(Membership),
    )
    user = None
    memberships = []
    for membership, person, account in rows:
        user = user or person
        membership.user = user
        membership.account = account
        memberships.append(membership)
    if user is None:
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            return None
    user.selectable_memberships = memberships
    return user
