"""Reads whose SQL the ORM writes once (accounts.prepared): they answer what the ORM answers, with
each call's own values, fresh every time. A PreparedRead refuses a query whose SQL would not take
the call's parameters as given; a ShapedRead learns each shape of its query once and sends a
shape whose values the ORM rewrites, or whose form a value decides, through the ORM every time.
On PostgreSQL the statements are kept prepared."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Notification, Team
from accounts.prepared import PreparedRead, ShapedRead
from tests.factories import AccountFactory, MembershipFactory, NotificationFactory, TeamFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


class Counting:
    """A build function that counts how often the ORM is asked for the query."""

    def __init__(self, build):
        self.build, self.calls = build, 0
        self.__qualname__ = build.__qualname__

    def __call__(self, *params):
        self.calls += 1
        return self.build(*params)


def unread_of(membership_id):
    return Notification.objects.filter(membership_id=membership_id, read_at__isnull=True)


def test_a_count_answers_for_each_calls_own_parameters_and_compiles_once():
    ada, bo = MembershipFactory(), MembershipFactory()
    NotificationFactory.create_batch(2, membership=ada)
    NotificationFactory(membership=ada, read_at=MONDAY)
    NotificationFactory(membership=bo)
    build = Counting(unread_of)
    unread = PreparedRead(build, count=True)

    assert unread(ada.pk) == 2
    assert unread(bo.pk) == 1
    assert unread(MembershipFactory().pk) == 0
    assert build.calls == 1


def test_rows_come_as_the_orm_gives_them_moments_included():
    ada = MembershipFactory()
    NotificationFactory(membership=ada, text="Two seats", created_at=MONDAY)
    NotificationFactory(membership=ada, text="Ada joined", created_at=MONDAY.replace(hour=11))

    def texts(membership_id):
        return (
            Notification.objects.filter(membership_id=membership_id)
            .order_by("created_at")
            .values_list("pk", "text", "created_at", "read_at")
        )

    rows = PreparedRead(texts)(ada.pk)

    assert rows == list(texts(ada.pk))
    assert [(text, moment) for _pk, text, moment, _read in rows] == [
        ("Two seats", MONDAY),
        ("Ada joined", MONDAY.replace(hour=11)),
    ]
    assert rows[0][2].tzinfo is not None


def test_a_change_shows_on_the_next_call():
    account = AccountFactory()
    TeamFactory(account=account, name="Sales")
    names = PreparedRead(
        lambda account_id: (
            Team.objects.filter(account_id=account_id).order_by("name").values_list("name")
        )
    )
    assert names(account.pk) == [("Sales",)]

    TeamFactory(account=account, name="Marketing")

    assert names(account.pk) == [("Marketing",), ("Sales",)]


def test_a_query_whose_sql_would_change_the_parameter_is_refused():
    # "icontains" writes "%ada%" for "ada": the text would not take another call's value.
    search = PreparedRead(lambda name: Team.objects.filter(name__icontains=name).values_list("pk"))

    with pytest.raises(ValueError, match="each parameter once, unchanged, in order"):
        search("ada")


def test_each_read_is_one_logged_query_with_its_values():
    ada = MembershipFactory()
    unread = PreparedRead(unread_of, count=True)
    unread(ada.pk)

    with CaptureQueriesContext(connection) as queries:
        assert unread(ada.pk) == 0

    [query] = queries.captured_queries
    assert "accounts_notification" in query["sql"] and str(ada.pk) in query["sql"]


@pytest.mark.postgres
def test_on_postgresql_the_statement_is_prepared_once_on_the_connection():
    ada, bo = MembershipFactory(), MembershipFactory()
    NotificationFactory(membership=bo)
    unread = PreparedRead(unread_of, count=True)

    assert unread(ada.pk) == 0
    assert unread(bo.pk) == 1

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [text for (text,) in cursor.fetchall() if "accounts_notification" in text]
    [statement] = prepared
    assert "$1" in statement  # bound by the server: one text for every member


# --- ShapedRead: one text per shape of a query, its values placed from a probe ------------------


def teams_named(shape, values):
    """Teams of an account, by name, the given way (the shape); a name, when given, matched
    exactly or, with the shape "search", as part of the name."""
    teams = Team.objects.filter(account_id=values["account"])
    if "name" in values:
        lookup = "name__icontains" if shape == "search" else "name"
        teams = teams.filter(**{lookup: values["name"]})
    return teams.order_by("-name" if shape == "desc" else "name").values_list("name")


def test_a_shaped_read_learns_a_shape_once_and_answers_for_other_accounts_and_values():
    acme, globex = AccountFactory(), AccountFactory()
    for account, names in ((acme, ["Sales", "Ops"]), (globex, ["Sales", "Art"])):
        for name in names:
            TeamFactory(account=account, name=name)
    build = Counting(teams_named)
    read = ShapedRead(build)

    assert read("asc", {"account": acme.pk}) == [("Ops",), ("Sales",)]
    learnt = build.calls  # the call's own values, then the stand-ins
    assert read("asc", {"account": globex.pk}) == [("Art",), ("Sales",)]
    assert read("desc", {"account": globex.pk}) == [("Sales",), ("Art",)]
    assert read("asc", {"account": globex.pk, "name": "Art"}) == [("Art",)]
    assert read("asc", {"account": acme.pk, "name": "Art"}) == []
    assert read("asc", {"account": acme.pk, "name": "Sales"}) == [("Sales",)]

    # Two shapes more were learnt ("desc", and "asc" with a name); the others were reused.
    assert build.calls == 3 * learnt
    assert read("asc", {"account": acme.pk}) == [("Ops",), ("Sales",)]
    assert build.calls == 3 * learnt


def test_a_shape_whose_values_the_orm_rewrites_goes_through_the_orm_every_time():
    acme = AccountFactory()
    for name in ("Field sales", "Inside sales", "Ops"):
        TeamFactory(account=acme, name=name)
    build = Counting(teams_named)
    read = ShapedRead(build)

    assert read("search", {"account": acme.pk, "name": "sales"}) == [
        ("Field sales",),
        ("Inside sales",),
    ]
    assert read("search", {"account": acme.pk, "name": "ops"}) == [("Ops",)]
    assert read("search", {"account": acme.pk, "name": "%"}) == []  # a literal percent sign
    # Learning it took two builds; each call after went through the ORM.
    assert build.calls == 2 + 1 + 1 + 1


def test_a_shape_the_build_writes_differently_for_other_values_is_not_reused():
    acme = AccountFactory()
    TeamFactory(account=acme, name="Sales")

    def branching(shape, values):
        # The value decides the query's form: no one text serves every value.
        teams = Team.objects.filter(account_id=values["account"])
        if values["name"].startswith("S"):
            teams = teams.filter(name=values["name"])
        return teams.values_list("name")

    read = ShapedRead(branching)

    assert read("any", {"account": acme.pk, "name": "Sales"}) == [("Sales",)]
    assert read("any", {"account": acme.pk, "name": "Ops"}) == [("Sales",)]  # no filter for "O"
    assert read("any", {"account": acme.pk, "name": "Sx"}) == []


def test_a_shaped_count_counts_as_the_orm_does():
    acme = AccountFactory()
    for name in ("Sales", "Ops", "Art"):
        TeamFactory(account=acme, name=name)
    read = ShapedRead(lambda shape, values: teams_named(shape, values)[:shape], count=True)

    assert read(10, {"account": acme.pk}) == 3
    assert read(2, {"account": acme.pk}) == 2  # the slice is part of the shape
    assert read(10, {"account": AccountFactory().pk}) == 0


def test_only_the_latest_shapes_are_kept():
    acme = AccountFactory()
    build = Counting(teams_named)
    read = ShapedRead(build, shapes=2)
    for shape in ("asc", "desc", "search"):
        read(shape, {"account": acme.pk})
    learnt = build.calls

    read("search", {"account": acme.pk})
    read("desc", {"account": acme.pk})
    assert build.calls == learnt  # the two latest are kept
    read("asc", {"account": acme.pk})
    assert build.calls == learnt + 2  # the oldest was let go, and is learnt again


def test_a_filter_that_can_match_nothing_answers_nothing_without_sql():
    acme = AccountFactory()
    TeamFactory(account=acme, name="Sales")

    def none_of(shape, values):  # as the Users tab's "Access" filter for an unknown value
        return Team.objects.filter(account_id=values["account"], pk__in=[]).values_list("name")

    rows, count = ShapedRead(none_of), ShapedRead(none_of, count=True)

    with CaptureQueriesContext(connection) as queries:
        assert rows("none", {"account": acme.pk}) == []
        assert count("none", {"account": acme.pk}) == 0
    assert queries.captured_queries == []


def team_of_name_in_shape(shape, values):
    """The shape names the team; only the account is a value."""
    return Team.objects.filter(account_id=values["account"], name=shape).values_list("pk", "name")


def test_a_shapes_own_constant_is_matched_as_written_quotes_and_percent_signs_included():
    acme = AccountFactory()
    odd = TeamFactory(account=acme, name="50% O'Brien \\ co")
    TeamFactory(account=acme, name="50")
    read = ShapedRead(team_of_name_in_shape)

    for _ in range(2):  # learnt, then reused
        assert read("50% O'Brien \\ co", {"account": acme.pk}) == [(odd.pk, odd.name)]
        assert read("50%", {"account": acme.pk}) == []
        assert read("%", {"account": acme.pk}) == []


@pytest.mark.postgres
def test_on_postgresql_a_shapes_constants_are_in_the_prepared_text_and_its_values_are_not():
    acme, globex = AccountFactory(), AccountFactory()
    sales = TeamFactory(account=acme, name="Sales")
    read = ShapedRead(team_of_name_in_shape)

    assert read("Sales", {"account": acme.pk}) == [(sales.pk, "Sales")]
    assert read("Sales", {"account": globex.pk}) == []

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        [statement] = [text for (text,) in cursor.fetchall() if "accounts_team" in text]
    # The team's name is planned for as written (a generic plan that knows it); the account,
    # which every call gives anew, is a parameter.
    assert "'Sales'" in statement
    assert "$1" in statement and "$2" not in statement


def test_a_read_with_its_values_in_the_text_answers_each_calls_own_quotes_included():
    acme, globex = AccountFactory(), AccountFactory()
    TeamFactory(account=acme, name="O'Brien 50% \\ co")
    TeamFactory(account=globex, name="Sales")
    read = ShapedRead(teams_named, literal_values=True)

    for _ in range(2):  # learnt, then reused
        assert read("asc", {"account": acme.pk, "name": "O'Brien 50% \\ co"}) == [
            ("O'Brien 50% \\ co",)
        ]
        assert read("asc", {"account": acme.pk, "name": "x' OR '1'='1"}) == []
        assert read("asc", {"account": globex.pk}) == [("Sales",)]


@pytest.mark.postgres
def test_on_postgresql_a_read_with_its_values_in_the_text_keeps_a_statement_per_value():
    acme, globex = AccountFactory(), AccountFactory()
    read = ShapedRead(teams_named, literal_values=True)

    read("asc", {"account": acme.pk})
    read("asc", {"account": globex.pk})

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [text for (text,) in cursor.fetchall() if "accounts_team" in text]
    # One plan per account, made for it.
    assert len(prepared) == 2
    assert all("$1" not in text for text in prepared)
    assert {str(acme.pk), str(globex.pk)} <= {
        text.split('"account_id" = ')[1].split(" ")[0] for text in prepared
    }
