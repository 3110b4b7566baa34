"""2. "Create user" from a CSV file of 100 people against a bare bulk_create of them.

The product: invitations.parsing.csv_parse on the file's bytes, then
invitations.services.members.members_invite on Core seats with the seat's default access and the
invitation email on: the account and pool locks, the per-address checks, the seat checks, the
users, memberships, audit events and invitation rows, and after commit one send task per
chunk of 50 invitations published to the Redis broker (a Redis db of the benchmark's own; no
worker takes them here). The floor: the same users and memberships written with two
bulk_create calls in one transaction, from the already-parsed names.
"""

import itertools
import re

from bench.common import BROKER_URL, DbTimer, Result, log, median, timed_pair
from bench.context import Context

NAME = "csv_create_vs_bulk_create"


def _csv(batch: int, count: int) -> bytes:
    lines = ["Email,First name,Last name"]
    lines += [f"Person.{batch}.{i}@Import.example,Pat{i},Lee{batch}" for i in range(count)]
    return ("\r\n".join(lines) + "\r\n").encode()


def _people(batch: int, count: int) -> list[tuple[str, str, str]]:
    return [(f"person.{batch}.{i}@import.example", f"Pat{i}", f"Lee{batch}") for i in range(count)]


def query_kinds(queries: list[dict]) -> dict[str, int]:
    """How many queries of each kind: constraint checks, savepoints, inserts per table…"""
    kinds: dict[str, int] = {}
    for query in queries:
        sql = query["sql"]
        if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            kind = "SAVEPOINT / RELEASE"
        elif sql.startswith('SELECT 1 AS "_check"'):
            kind = "CheckConstraint.validate (SELECT … WHERE <condition>)"
        elif sql.startswith('SELECT 1 AS "a"') and "LOWER(" in sql:
            kind = "UniqueConstraint.validate (email, case-insensitive)"
        elif sql.startswith('SELECT 1 AS "a"'):
            table = re.search(r'FROM "(\w+)"', sql).group(1)
            kind = f"ForeignKey.validate (the {table} row exists)"
        else:
            verb = sql.split(" ", 1)[0]
            table = re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', sql)
            kind = f"{verb} {table.group(1)}" if table else verb
        kinds[kind] = kinds.get(kind, 0) + 1
    return dict(sorted(kinds.items(), key=lambda item: -item[1]))


def broker_flush() -> None:
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()


def run(ctx: Context) -> Result:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Access, Membership, MembershipStatus, SeatType, User
    from bench.data import small_account
    from invitations.models import Invitation
    from invitations.parsing import csv_parse
    from invitations.services.members import members_invite
    from seats.catalogue import seat_default_permissions
    from seats.permissions.choice import AccessChoice, AccessMode

    count = ctx.sizes.csv_users
    data = small_account(name="Bench CSV Co.", domain="csv.example", seats=100_000)
    rounds = ctx.sizes.runs + 3
    files = {b: _csv(b, count) for b in range(rounds * 2)}
    people = {b: _people(b, count) for b in range(rounds * 2)}
    batches = itertools.count()
    permissions = seat_default_permissions(SeatType.CORE)

    def service() -> None:
        parsed = csv_parse(files[next(batches)])
        assert parsed.ok, parsed.problems
        result = members_invite(
            account=data.account,
            actor_membership=data.admin_membership,
            people=parsed.people,
            seat_type=SeatType.CORE,
            access=AccessChoice(mode=AccessMode.DEFAULTS),
            send_email=True,
        )
        assert len(result.memberships) == count

    def bulk() -> None:
        users = []
        for email, first, last in people[next(batches)]:
            user = User(email=email, first_name=first, last_name=last)
            user.set_unusable_password()
            users.append(user)
        with transaction.atomic():
            User.objects.bulk_create(users)
            Membership.objects.bulk_create(
                Membership(
                    user=u,
                    account=data.account,
                    seat_type=SeatType.CORE,
                    permissions=permissions,
                    access=Access.SEAT_DEFAULTS,
                    status=MembershipStatus.INVITED,
                    created_by=data.admin,
                )
                for u in users
            )

    broker_flush()
    service_times, bulk_times = timed_pair(service, bulk, runs=ctx.sizes.runs)
    with CaptureQueriesContext(connection) as service_queries, DbTimer() as db:
        service()
    with CaptureQueriesContext(connection) as bulk_queries:
        bulk()
    invitations = Invitation.objects.filter(membership__account=data.account).count()
    broker_flush()
    db_ms = db.seconds * 1000
    service_time, bulk_time = median(service_times), median(bulk_times)
    ctx.notes[NAME] = {
        "kinds": query_kinds(service_queries.captured_queries),
        "count": count,
        "invitations": invitations,
        "db_share": db.seconds / max(service_time, 1e-9),
    }
    log(f"service {service_time * 1000:.1f} ms, bulk_create {bulk_time * 1000:.1f} ms")
    return Result(
        name=NAME,
        title=f"Create {count} users from a CSV file vs bulk_create",
        baseline_label="bulk_create users + memberships",
        baseline=bulk_time,
        measured_label="csv_parse + members_invite",
        measured=service_time,
        unit="s",
        ratio=service_time / bulk_time,
        target=("<=", 5.0),
        runs=len(service_times),
        extras={
            "service_queries": len(service_queries),
            "bulk_create_queries": len(bulk_queries),
            "service_db_ms": round(db_ms, 1),
            "service_ms_per_user": round(service_time * 1000 / count, 2),
        },
    )


def analysis(result: Result, notes: dict) -> str:
    count = notes["count"]
    kinds = notes["kinds"]
    x = result.extras
    out = [
        f"The service made {x['service_queries']} queries for {count} people (the floor: "
        f"{x['bulk_create_queries']} in all), spending {x['service_db_ms']:.0f} ms of its "
        "time in the database in the counted run. By kind:",
        "",
        "| Query | Count | Per person |",
        "|---|---:|---:|",
    ]
    out += [f"| {kind} | {n} | {n / count:.1f} |" for kind, n in kinds.items()]
    out.append("")
    text = (
        "The batch is written set by set: the account and seat-pool locks and the "
        "per-address, seat and access checks, then one query for the people who already have "
        "a user, one INSERT of the new users (in a savepoint: if another account creates one "
        "of them at the same moment, the unique index refuses it and the batch goes person by "
        "person, the race-safe way), and one INSERT each of the memberships (their invitation "
        "columns already set), the audit events and the invitations. Fields are validated in "
        "Python once for the batch, the constraints are left to the database, and the number "
        f"of queries does not grow with the batch. The floor sends the same users and "
        f"memberships in {x['bulk_create_queries']} statements, and neither locks, checks, "
        "audits, invites nor queues anything."
    )
    out.append(("The target is met. " if result.met else "The target is not met. ") + text)
    return "\n".join(out)
