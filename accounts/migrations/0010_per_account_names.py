"""Membership.first_name / last_name: the name an account gave a person it invited; the Users
tab's name order (Membership.sort_name) follows what the account sees.

People are global, but until someone joins an account, that account sees the name it typed when
inviting them, never the one set by the person or another account (Membership.full_name); once
they have joined (status active, or a joined_at), their own. The sort key follows the same rule,
so the triggers of 0009 are replaced by ones that also read the membership's status, joined_at
and names. Existing memberships not joined yet get their person's current name only when that
person belongs to no other account (the name then came from this account); otherwise none.
"""

# ruff: noqa: S608 - the SQL below is built from constants of this file, never from input.
import importlib

from django.db import migrations, models
from django.db.models import Count, Q

_OWN = "lower(coalesce(nullif(trim({u}.first_name || ' ' || {u}.last_name), ''), {u}.email))"
_GIVEN = "lower(coalesce(nullif(trim({m}.first_name || ' ' || {m}.last_name), ''), {u}.email))"
# The key, over a membership row named {m} and its accounts_user row named {u}.
KEY = (
    f"CASE WHEN {{m}}.status = 'active' OR {{m}}.joined_at IS NOT NULL THEN {_OWN} "
    f"ELSE {_GIVEN} END"
)
MEMBERSHIP_COLUMNS = "user_id, sort_name, status, joined_at, first_name, last_name"

POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS accounts_user_sort_name ON accounts_user",
    "DROP FUNCTION IF EXISTS accounts_user_sort_name()",
    "DROP TRIGGER IF EXISTS accounts_membership_sort_name ON accounts_membership",
    "DROP FUNCTION IF EXISTS accounts_membership_sort_name()",
]
POSTGRESQL = [
    f"""
    CREATE FUNCTION accounts_membership_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT {KEY.format(m="NEW", u="u")} INTO NEW.sort_name
        FROM accounts_user u WHERE u.id = NEW.user_id;
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER accounts_membership_sort_name
    BEFORE INSERT OR UPDATE OF {MEMBERSHIP_COLUMNS} ON accounts_membership
    FOR EACH ROW EXECUTE FUNCTION accounts_membership_sort_name()
    """,
    f"""
    CREATE FUNCTION accounts_user_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE accounts_membership m SET sort_name = {KEY.format(m="m", u="NEW")}
        WHERE m.user_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER accounts_user_sort_name
    AFTER UPDATE OF first_name, last_name, email ON accounts_user
    FOR EACH ROW WHEN (
        OLD.first_name IS DISTINCT FROM NEW.first_name
        OR OLD.last_name IS DISTINCT FROM NEW.last_name
        OR OLD.email IS DISTINCT FROM NEW.email
    )
    EXECUTE FUNCTION accounts_user_sort_name()
    """,
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS accounts_user_sort_name",
    "DROP TRIGGER IF EXISTS accounts_membership_sort_name_update",
    "DROP TRIGGER IF EXISTS accounts_membership_sort_name_insert",
]
_SQLITE_SET = (
    "UPDATE accounts_membership SET sort_name = "
    f"(SELECT {KEY.format(m='NEW', u='u')} FROM accounts_user u WHERE u.id = NEW.user_id) "
    "WHERE id = NEW.id;"
)
SQLITE = [
    f"""
    CREATE TRIGGER accounts_membership_sort_name_insert AFTER INSERT ON accounts_membership
    BEGIN {_SQLITE_SET} END
    """,
    f"""
    CREATE TRIGGER accounts_membership_sort_name_update
    AFTER UPDATE OF {MEMBERSHIP_COLUMNS} ON accounts_membership
    BEGIN {_SQLITE_SET} END
    """,
    f"""
    CREATE TRIGGER accounts_user_sort_name AFTER UPDATE OF first_name, last_name, email
    ON accounts_user
    WHEN OLD.first_name IS NOT NEW.first_name
        OR OLD.last_name IS NOT NEW.last_name
        OR OLD.email IS NOT NEW.email
    BEGIN
        UPDATE accounts_membership
        SET sort_name = {KEY.format(m="accounts_membership", u="NEW")}
        WHERE user_id = NEW.id;
    END
    """,
]

FILL = (
    f"UPDATE accounts_membership SET sort_name = (SELECT {KEY.format(m='accounts_membership', u='u')} "
    "FROM accounts_user u WHERE u.id = accounts_membership.user_id)"
)


def _previous():
    return importlib.import_module("accounts.migrations.0009_membership_sort_name")


def _given_names_fill(apps) -> None:
    Membership = apps.get_model("accounts", "Membership")
    only_here = (
        Membership.objects.values("user_id").annotate(n=Count("id")).filter(n=1).values("user_id")
    )
    waiting = (
        Membership.objects.filter(~Q(status="active"), joined_at__isnull=True)
        .filter(user_id__in=only_here)
        .select_related("user")
    )
    batch = []
    for membership in waiting.iterator(chunk_size=2000):
        membership.first_name = membership.user.first_name
        membership.last_name = membership.user.last_name
        batch.append(membership)
        if len(batch) == 2000:
            Membership.objects.bulk_update(batch, ["first_name", "last_name"])
            batch = []
    Membership.objects.bulk_update(batch, ["first_name", "last_name"])


def _drop(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"sort_name triggers are written for PostgreSQL and SQLite, not {vendor}")
    for statement in POSTGRESQL_DROP if vendor == "postgresql" else SQLITE_DROP:
        schema_editor.execute(statement)


def triggers_drop(apps, schema_editor):
    # First: SQLite adds a column by rebuilding the table, which a trigger naming it would stop.
    _drop(schema_editor)


def triggers_create(apps, schema_editor):
    _given_names_fill(apps)
    vendor = schema_editor.connection.vendor
    for statement in POSTGRESQL if vendor == "postgresql" else SQLITE:
        schema_editor.execute(statement)
    schema_editor.execute(FILL)


def previous_triggers_create(apps, schema_editor):
    _previous().create(apps, schema_editor)


def new_triggers_drop(apps, schema_editor):
    _drop(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_membership_sort_name"),
    ]

    operations = [
        migrations.RunPython(triggers_drop, previous_triggers_create, elidable=False),
        migrations.AddField(
            model_name="membership",
            name="first_name",
            field=models.CharField(blank=True, max_length=150, verbose_name="first name"),
        ),
        migrations.AddField(
            model_name="membership",
            name="last_name",
            field=models.CharField(blank=True, max_length=150, verbose_name="last name"),
        ),
        migrations.RunPython(triggers_create, new_triggers_drop, elidable=False),
    ]
