"""A select that every request of a kind pays before its own work, written once per database
connection as SQL and its rows turned into model instances with Django's own converters
(`Model.from_db`) instead of being built by the ORM on each request. On PostgreSQL the
statement is kept prepared on the connection, so it is planned once, not on every request.

The ORM builds a three- or four-table select_related query in about three times the time
PostgreSQL takes to answer it (docs/performance.md, benchmarks 4 and 7). Only for the few reads
every request repeats (the signed-in person, an API key); everything else uses the ORM.
"""

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connections
from django.db.models import Model

# "{alias.column}" in a JoinedRows clause: a column, quoted by the connection.
_COLUMN = re.compile(r"\{(\w+)\.(\w+)\}")


def prepared_cursor(connection):
    """A cursor of `connection` whose statements are bound by the server and kept prepared on
    PostgreSQL (seatmgr/postgresql: the text is then the same on every request), else the
    connection's own cursor."""
    return getattr(connection, "prepared_cursor", connection.cursor)()


def converted(row: Sequence, converters: Sequence[tuple], connection) -> list:
    """`row` as a list, with `converters` ((position, converters, expression) each) applied to
    its columns as the ORM's compiler would apply them."""
    row = list(row)
    for position, functions, expression in converters:
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return row


@dataclass(frozen=True)
class _Statement:
    sql: str
    # Per model: where its columns start in a row, their attribute names and where its primary
    # key is (None in an outer join's row that matched nothing).
    layout: tuple[tuple[type[Model], int, tuple[str, ...], int], ...]
    # (position in the row, converters, column): what the ORM's compiler would apply.
    converters: tuple[tuple[int, tuple, object], ...]


class JoinedRows:
    """SELECT every column of `tables` ((model, alias), the first one FROM, the others joined
    by `joins`: "{a.id} = {m.account_id}" each, in the same order) WHERE `where` (with %s
    parameters; may end in ORDER BY/LIMIT). Clauses name columns as "{alias.column}"; the
    tables and columns come from the models and are quoted, the values are parameters.
    `outer`: LEFT JOINs, a table that matched nothing giving None in its place of a row."""

    def __init__(
        self,
        tables: Sequence[tuple[type[Model], str]],
        *,
        joins: Sequence[str],
        where: str,
        outer: bool = False,
    ) -> None:
        if len(joins) != len(tables) - 1:
            raise ValueError("one join for each table after the first")
        self.tables, self.joins, self.where = tuple(tables), tuple(joins), where
        self.join = "LEFT OUTER JOIN" if outer else "INNER JOIN"
        self._statements: weakref.WeakKeyDictionary[object, _Statement] = (
            weakref.WeakKeyDictionary()
        )

    def _statement(self, connection) -> _Statement:
        statement = self._statements.get(connection)
        if statement is not None:
            return statement
        qn = connection.ops.quote_name

        def clause(text: str) -> str:
            return _COLUMN.sub(lambda found: f"{qn(found[1])}.{qn(found[2])}", text)

        columns, layout, converters = [], [], []
        for model, alias in self.tables:
            fields = model._meta.concrete_fields
            pk_at = len(columns) + fields.index(model._meta.pk)
            layout.append((model, len(columns), tuple(f.attname for f in fields), pk_at))
            for field in fields:
                col = field.get_col(alias)
                found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if found:
                    converters.append((len(columns), tuple(found), col))
                columns.append(f"{qn(alias)}.{qn(field.column)}")
        first, *joined = (f"{qn(model._meta.db_table)} {qn(alias)}" for model, alias in self.tables)
        sql = f"SELECT {', '.join(columns)} FROM {first}"  # noqa: S608  # nosec B608
        for table, on in zip(joined, self.joins, strict=True):
            sql += f" {self.join} {table} ON {clause(on)}"
        sql += f" WHERE {clause(self.where)}"
        statement = _Statement(sql=sql, layout=tuple(layout), converters=tuple(converters))
        self._statements[connection] = statement
        return statement

    def fetch(self, params: Sequence, *, using: str) -> list[tuple[Model, ...]]:
        """The rows, each a tuple of instances (one per table, in `tables`' order; None for a
        table an outer join found nothing in), as loaded from database `using`; relations
        between them are left for the caller to set."""
        connection = connections[using]
        statement = self._statement(connection)
        with prepared_cursor(connection) as cursor:
            cursor.execute(statement.sql, list(params))
            rows = cursor.fetchall()
        found = []
        for row in rows:
            row = converted(row, statement.converters, connection)
            found.append(
                tuple(
                    None
                    if row[pk_at] is None
                    else model.from_db(using, names, row[start : start + len(names)])
                    for model, start, names, pk_at in statement.layout
                )
            )
        return found
