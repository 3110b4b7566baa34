"""The one query of every signed-in request: the person, with the memberships they can pick from
and their accounts, read fresh from the database.

Fresh on every request, so that a deactivation, a removal, a new role or a new password counts
from the member's next request on, whatever process serves it. It is the query every signed-in
page pays before its own, so it is written once per database connection as SQL and its rows
turned into model instances with Django's own converters (`from_db`), rather than built by the
ORM on each request: building the same three-table select_related query took about three times
as long as PostgreSQL took to answer it (docs/performance.md, benchmark 4).
"""

import weakref
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import Model

from accounts.models import Account, Membership, MembershipStatus, User

# Statuses that can be "the current account": an invited membership is not usable until its
# invitation is accepted; a deactivated one is, so that its member is told they have no access.
SELECTABLE_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.DEACTIVATED)
_TABLES = ((Membership, "m"), (User, "u"), (Account, "a"))


@dataclass(frozen=True)
class _Statement:
    sql: str
    # Per model: where its columns start in a row, and their attribute names.
    layout: tuple[tuple[type[Model], int, tuple[str, ...]], ...]
    # (position in the row, converters, column): what the ORM's compiler would apply.
    converters: tuple[tuple[int, tuple, object], ...]


_statements: "weakref.WeakKeyDictionary[object, _Statement]" = weakref.WeakKeyDictionary()


def _statement(connection) -> _Statement:
    statement = _statements.get(connection)
    if statement is not None:
        return statement
    qn = connection.ops.quote_name
    columns, layout, converters = [], [], []
    for model, alias in _TABLES:
        fields = model._meta.concrete_fields
        layout.append((model, len(columns), tuple(f.attname for f in fields)))
        for field in fields:
            col = field.get_col(alias)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                converters.append((len(columns), tuple(found), col))
            columns.append(f"{qn(alias)}.{qn(field.column)}")
    m, u, a = (f"{qn(model._meta.db_table)} {qn(alias)}" for model, alias in _TABLES)
    # Built from the models' own table and column names, quoted; the values are parameters.
    sql = (
        f"SELECT {', '.join(columns)} FROM {m}"  # noqa: S608  # nosec B608
        f" INNER JOIN {u} ON {qn('u')}.{qn('id')} = {qn('m')}.{qn('user_id')}"
        f" INNER JOIN {a} ON {qn('a')}.{qn('id')} = {qn('m')}.{qn('account_id')}"
        f" WHERE {qn('m')}.{qn('user_id')} = %s AND {qn('m')}.{qn('status')} IN (%s, %s)"
        # "active" sorts before "deactivated" (accounts.selectors.membership_current).
        f" ORDER BY {qn('m')}.{qn('status')}, {qn('a')}.{qn('name')}, {qn('a')}.{qn('id')}"
    )
    statement = _Statement(sql=sql, layout=tuple(layout), converters=tuple(converters))
    _statements[connection] = statement
    return statement


def user_with_memberships_get(*, user_id) -> User | None:
    """The person signed in with `user_id`, with the memberships they can pick from (active
    first, then deactivated; by account name) as `selectable_memberships`, each with its `user`
    and `account` set. None when there is no such person. One query; a person with no
    membership to pick (an operator, or someone removed everywhere) costs a second."""
    alias = router.db_for_read(Membership)
    connection = connections[alias]
    statement = _statement(connection)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [user_id, *(status.value for status in SELECTABLE_STATUSES)])
        rows = cursor.fetchall()
    user = None
    memberships = []
    for row in rows:
        row = list(row)
        for position, found, col in statement.converters:
            value = row[position]
            for converter in found:
                value = converter(value, col, connection)
            row[position] = value
        membership, person, account = (
            model.from_db(alias, names, row[start : start + len(names)])
            for model, start, names in statement.layout
        )
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
