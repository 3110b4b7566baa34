"""Reads whose SQL the ORM writes once and later calls run with their own values. On PostgreSQL
the statement is also kept prepared on the connection (seatmgr/postgresql), so PostgreSQL plans
it once.

For the reads a page repeats on every request (the navigation's counts, the filters' choices,
the Users tab's rows and count): the ORM takes longer to build and compile such a select than
PostgreSQL takes to answer it (docs/performance.md, benchmark 5). The query is still written
with the ORM, once, where it belongs; only its building and compiling are saved. A read never
reuses SQL that would not take the new values as they are: PreparedRead refuses such a query
outright, ShapedRead falls back to the ORM for it.

Django has no cache of compiled queries (SQLAlchemy's "baked queries" are the model). Both
classes use the ORM's own compile step, `query.get_compiler(using).as_sql()`, and apply the
compiler's converters as Django does: internal API, which Django's own code and many libraries
use, so a Django upgrade is checked by tests/accounts/test_prepared.py and the directory's
tests rather than by Django's deprecation policy.
"""

import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

from accounts.joined_rows import converted, prepared_cursor


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple  # as the ORM wrote them for the values it was compiled with
    count: bool
    # (position in the row, converters, expression): what the ORM's compiler would apply.
    converters: tuple[tuple[int, tuple, object], ...]


def _compiled(queryset: QuerySet, using: str, *, count: bool) -> _Statement:
    """The SQL of `queryset` (with count, of how many rows it has) and its parameters."""
    compiler = queryset.query.get_compiler(using=using)
    sql, params = compiler.as_sql()
    if count:
        quote = connections[using].ops.quote_name
        sql = f"SELECT COUNT(*) FROM ({sql}) {quote('counted')}"  # noqa: S608  # nosec B608
        return _Statement(sql=sql, params=tuple(params), count=True, converters=())
    fields = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
    converters = tuple(
        (position, tuple(found), expression)
        for position, (found, expression) in compiler.get_converters(fields).items()
    )
    return _Statement(sql=sql, params=tuple(params), count=False, converters=converters)


def _run(statement: _Statement, params: list, using: str, *, literal: bool = False):
    """The statement's rows (tuples, converted as the ORM would) or count, for `params`. With
    `literal`, the values are written into the text, escaped as Django's own cursor writes
    them, and on PostgreSQL that text is what is kept prepared: one plan for each set of
    values, made for them."""
    connection = connections[using]
    with prepared_cursor(connection) as cursor:
        if literal and connection.vendor == "postgresql":
            cursor.execute(connection.ops.compose_sql(statement.sql, params))
        else:
            cursor.execute(statement.sql, params)
        rows = cursor.fetchall()
    if statement.count:
        return rows[0][0]
    if not statement.converters:
        return rows
    return [tuple(converted(row, statement.converters, connection)) for row in rows]


class PreparedRead:
    """A read of one fixed shape. `build(*params)` returns the QuerySet (a values_list) for these
    parameters; it must put each of them into the SQL as one parameter, unchanged and in order,
    and nothing else (no slice, whose bounds the ORM writes into the text). Calling the read
    runs that SQL with the call's parameters and gives the rows as tuples, or with
    `count=True` how many rows there are."""

    def __init__(self, build: Callable[..., QuerySet], *, count: bool = False) -> None:
        self.build, self.count = build, count
        self._statements: weakref.WeakKeyDictionary[object, _Statement] = (
            weakref.WeakKeyDictionary()
        )

    def _compile(self, params: tuple, using: str) -> _Statement:
        queryset = self.build(*params)
        if self.count:
            queryset = queryset.order_by().values_list("pk")
        statement = _compiled(queryset, using, count=self.count)
        if statement.params != params:
            raise ValueError(
                f"{self.build.__qualname__}: the ORM wrote the parameters {statement.params!r} "
                f"for {params!r}; a prepared read takes each parameter once, unchanged, in order"
            )
        return statement

    def __call__(self, *params, using: str = DEFAULT_DB_ALIAS):
        connection = connections[using]
        statement = self._statements.get(connection)
        if statement is None:
            statement = self._statements[connection] = self._compile(params, using)
        return _run(statement, list(params), using)


@dataclass(frozen=True)
class _Shaped:
    statement: _Statement
    # Per parameter of the SQL: the name of the value it takes, or None and the constant the
    # ORM wrote whatever the values.
    slots: tuple[tuple[str | None, object], ...]


def _probe(value: object, index: int) -> object | None:
    """A stand-in for `value` that no real value equals, of a kind the ORM passes through to the
    SQL's parameters unchanged; None for a value of another kind (a bool, a number kept as a
    float, a date), which ShapedRead does not try to place."""
    if type(value) is int:
        return -1_999_999_000 - index
    if isinstance(value, str):
        return f"\x1fprobe-{index}"
    if isinstance(value, datetime):
        return datetime(1903, 3, 3, 3, 3, 3, index + 1, tzinfo=value.tzinfo)
    return None


_UNSHAPED = object()
# A placeholder of the ORM's SQL, or an escaped percent sign (which is not one).
_PLACEHOLDER = re.compile(r"%%|%s")


def _inlined(statement: _Statement, slots: tuple, using: str) -> tuple[_Statement, tuple]:
    """On PostgreSQL, `statement` with each constant of `slots` that is a string or an int (one
    the ORM wrote the same whatever the values: a status, a seat type) written into its text,
    and the slots of the parameters left. A prepared statement's generic plan is made for its
    parameters' average values: with its constants in its text, it is made for them (a count
    of the members on a Partner seat is planned for Partner seats, not for an average seat
    type). Elsewhere, unchanged."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return statement, slots
    kept, params = [], []
    places = iter(zip(slots, statement.params, strict=True))

    def place(match: re.Match) -> str:
        if match.group() == "%%":
            return "%%"
        (name, constant), param = next(places)
        if name is None and type(constant) in (str, int):
            # Written as `_run` writes literal values: Django's own escaping.
            return connection.ops.compose_sql("%s", [constant]).replace("%", "%%")
        kept.append((name, constant))
        params.append(param)
        return "%s"

    sql = _PLACEHOLDER.sub(place, statement.sql)
    return replace(statement, sql=sql, params=tuple(params)), tuple(kept)


class ShapedRead:
    """A read whose form depends on a `shape` (a hashable naming everything that changes the
    SQL's text: which filters are set and how, the order, the slice) and whose `values` (a dict
    of ints, strings and datetimes: ids, filter values, "now") only fill its parameters.
    `build(shape, values)` returns the QuerySet, a values_list of tuples (not flat); the read
    gives its rows, or with `count=True` how many rows it has, as `count()` would.

    The first call of a shape learns where each value goes: it compiles the QuerySet for the
    call's values and again for stand-ins of them (`_probe`). Where the two texts are the same
    and every parameter is either a value, unchanged, or the same constant in both, later
    calls of the shape run that text with their own values in those places (on PostgreSQL
    the constants, strings and ints of the shape, are written into the text: `_inlined`).
    Otherwise (a search the ORM writes as "%ada%", a cut-off computed from a number of days, a
    value the build branches on) every call of the shape goes through the ORM, as without this
    class.
    The shapes learnt are kept per process, the `shapes` latest used.

    On PostgreSQL the statement is kept prepared with its values as parameters, and PostgreSQL
    then plans it once for any values (a generic plan) when that plan looks no dearer than the
    calls' own. A read whose best plan depends on how many rows its values match (a page of
    the members of one account, ordered and cut: the index's order for an account of 100,000,
    a sort for one of 8) must never run another account's plan: with `literal_values`, each
    call's values are written into the text, which is kept prepared, so that PostgreSQL plans
    each account's page once, for that account (a generic plan of the Users tab's rows, made for
    the average of thousands of small accounts, sorted all 75,000 active members of the large
    one with their extra teams to give a page of 100: 200 ms instead of 5; docs/architecture.md,
    "What the Users tab pays")."""

    def __init__(
        self,
        build: Callable[[Hashable, dict], QuerySet],
        *,
        count: bool = False,
        shapes: int = 64,
        literal_values: bool = False,
    ) -> None:
        self.build, self.count, self.shapes = build, count, shapes
        self.literal_values = literal_values
        self._learnt: OrderedDict[tuple, _Shaped | None] = OrderedDict()
        self._lock = threading.Lock()

    def _learn(self, shape: Hashable, values: dict, using: str) -> _Shaped | None:
        try:
            statement = _compiled(self.build(shape, values), using, count=self.count)
        except EmptyResultSet:  # a filter that matches nothing: the ORM answers without SQL
            return None
        probes = {name: _probe(value, i) for i, (name, value) in enumerate(values.items())}
        if None in probes.values():
            return None
        try:
            probed = _compiled(self.build(shape, probes), using, count=self.count)
        except Exception:  # a stand-in that the build or the ORM refuses: not learnt
            return None
        if probed.sql != statement.sql or len(probed.params) != len(statement.params):
            return None
        names = {(type(probe), probe): name for name, probe in probes.items()}
        slots = []
        for real, stand_in in zip(statement.params, probed.params, strict=True):
            name = names.get((type(stand_in), stand_in))
            if name is not None:
                slots.append((name, None))
            elif type(real) is type(stand_in) and real == stand_in:
                slots.append((None, real))
            else:
                return None
        placed = tuple(values[name] if name else constant for name, constant in slots)
        if placed != statement.params:
            return None
        statement, slots = _inlined(statement, tuple(slots), using)
        return _Shaped(statement=statement, slots=slots)

    def __call__(self, shape: Hashable, values: dict, *, using: str = DEFAULT_DB_ALIAS):
        # The values' names and kinds are part of the shape: a stand-in placed an int or a
        # string, and a later call must give the same.
        kinds = tuple((name, type(value)) for name, value in values.items())
        key = (using, connections[using].vendor, shape, kinds)
        with self._lock:
            shaped = self._learnt.get(key, _UNSHAPED)
            if shaped is not _UNSHAPED:
                self._learnt.move_to_end(key)
        if shaped is _UNSHAPED:
            shaped = self._learn(shape, values, using)
            with self._lock:
                self._learnt[key] = shaped
                while len(self._learnt) > self.shapes:
                    self._learnt.popitem(last=False)
        if shaped is None:
            queryset = self.build(shape, values)
            return queryset.count() if self.count else list(queryset)
        params = [values[name] if name else constant for name, constant in shaped.slots]
        return _run(shaped.statement, params, using, literal=self.literal_values)
