"""The one query of every signed-in request: the session, the person signed in to it, the
memberships they can pick from and their accounts, read fresh from the database.

Fresh on every request, so that a deactivation, a removal, a new role or a new password counts
from the member's next request on, whatever process serves it. It is the query every signed-in
page pays before its own, so it is written once per database connection as SQL
(accounts.joined_rows) rather than built by the ORM on each request.

The session store (accounts.sessions) runs it when Django's authentication first reads the
session; the person it found waits here, for this request's thread only, until the
authentication backend asks for them a moment later (`person_take`).
"""

from contextvars import ContextVar
from datetime import datetime

from django.core.signals import request_started
from django.db import router

from accounts.joined_rows import JoinedRows
from accounts.models import Account, Membership, MembershipStatus, Session, User

# Statuses that can be "the current account": an invited membership is not usable until its
# invitation is accepted; a deactivated one is, so that its member is told they have no access.
SELECTABLE_STATUSES = tuple(
    s.value for s in (MembershipStatus.ACTIVE, MembershipStatus.DEACTIVATED)
)
# "active" sorts before "deactivated" (accounts.selectors.membership_current).
_ORDER = "ORDER BY {m.status}, {a.name}, {a.id}"
_MEMBERSHIPS = JoinedRows(
    ((Membership, "m"), (User, "u"), (Account, "a")),
    joins=("{u.id} = {m.user_id}", "{a.id} = {m.account_id}"),
    where="{m.user_id} = %s AND {m.status} IN (%s, %s) " + _ORDER,
)
# The same, reached from a session: one row with no membership when nobody is signed in to it
# or the person has none to pick; no row when the session does not exist or has expired.
_SESSION = JoinedRows(
    ((Session, "s"), (Membership, "m"), (User, "u"), (Account, "a")),
    joins=(
        "{m.user_id} = {s.user_id} AND {m.status} IN (%s, %s)",
        "{u.id} = {m.user_id}",
        "{a.id} = {m.account_id}",
    ),
    where="{s.session_key} = %s AND {s.expire_date} > %s " + _ORDER,
    outer=True,
)

# (user id, the person with their memberships): found with the session, for this thread's
# request, until the authentication backend takes it.
_found: ContextVar[tuple[int, User] | None] = ContextVar("signed_in_person", default=None)


def _person(rows) -> User | None:
    """The person of rows (membership, user, account, ...), with `selectable_memberships`."""
    user = None
    memberships = []
    for membership, person, account, *_rest in rows:
        user = user or person
        membership.user = user
        membership.account = account
        memberships.append(membership)
    if user is not None:
        user.selectable_memberships = memberships
    return user


def _person_alone(user_id) -> User | None:
    """Someone with no membership to pick (an operator, or someone removed everywhere)."""
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        user.selectable_memberships = []
    return user


def user_with_memberships_get(*, user_id) -> User | None:
    """The person signed in with `user_id`, with the memberships they can pick from (active
    first, then deactivated; by account name) as `selectable_memberships`, each with its `user`
    and `account` set. None when there is no such person. One query; a person with no
    membership to pick (an operator, or someone removed everywhere) costs a second."""
    rows = _MEMBERSHIPS.fetch([user_id, *SELECTABLE_STATUSES], using=router.db_for_read(Membership))
    return _person(rows) or _person_alone(user_id)


def session_with_person(*, session_key: str | None, now: datetime) -> Session | None:
    """The unexpired session `session_key` (None: no such session), and, when someone is
    signed in to it, that person as `user_with_memberships_get` gives them, kept for
    `person_take`. One query; a person with no membership to pick costs a second."""
    _found.set(None)
    if session_key is None:
        return None
    rows = _SESSION.fetch(
        [*SELECTABLE_STATUSES, session_key, now], using=router.db_for_read(Session)
    )
    if not rows:
        return None
    session = rows[0][0]
    if session.user_id is not None:
        person = _person(row[1:] for row in rows if row[1] is not None)
        person = person or _person_alone(session.user_id)
        if person is not None:
            _found.set((session.user_id, person))
    return session


def person_take(user_id) -> User | None:
    """The person signed in with `user_id` if this request's session has just been read with
    them (`session_with_person`), once; else None."""
    found = _found.get()
    _found.set(None)
    if found is None or found[0] != user_id:
        return None
    return found[1]


def _forget(**_kwargs) -> None:
    _found.set(None)


# A person found for a request is never handed to a later one on the same thread.
request_started.connect(_forget, dispatch_uid="accounts.signed_in.forget")
