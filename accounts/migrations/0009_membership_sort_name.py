"""Membership.sort_name: the Users tab's name order, kept by database triggers.

The key is the person's "first last" name, or their email when they have none, lower-cased.
Triggers keep it true whoever writes: on PostgreSQL a BEFORE trigger computes it on every
insert of a membership and every update that sets it or the user (a Django save() sets every
column, so it is recomputed there too); an AFTER trigger on accounts_user rewrites it for that
person's memberships when their name or email changes. SQLite gets the same with AFTER
triggers (it cannot assign NEW). Existing rows are filled before the indexes are built.
"""

# ruff: noqa: S608 - the SQL below is built from constants of this file, never from input.
from django.db import migrations, models

# The key, over a row of accounts_user named {u}. The same text on both databases: lower,
# trim, nullif and coalesce exist in each.
KEY = "lower(coalesce(nullif(trim({u}.first_name || ' ' || {u}.last_name), ''), {u}.email))"

POSTGRESQL = [
    f"""
    CREATE FUNCTION accounts_membership_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT {KEY.format(u="u")} INTO NEW.sort_name
        FROM accounts_user u WHERE u.id = NEW.user_id;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER accounts_membership_sort_name
    BEFORE INSERT OR UPDATE OF user_id, sort_name ON accounts_membership
    FOR EACH ROW EXECUTE FUNCTION accounts_membership_sort_name()
    """,
    f"""
    CREATE FUNCTION accounts_user_sort_name() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE accounts_membership SET sort_name = {KEY.format(u="NEW")}
        WHERE user_id = NEW.id;
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
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS accounts_user_sort_name ON accounts_user",
    "DROP FUNCTION IF EXISTS accounts_user_sort_name()",
    "DROP TRIGGER IF EXISTS accounts_membership_sort_name ON accounts_membership",
    "DROP FUNCTION IF EXISTS accounts_membership_sort_name()",
]

# SQLite's triggers may not assign NEW: they update the row just written. Recursive triggers
# are off (SQLite's default, and Django's), so these updates do not fire themselves again.
_SQLITE_SET = (
    "UPDATE accounts_membership SET sort_name = "
    f"(SELECT {KEY.format(u='u')} FROM accounts_user u WHERE u.id = NEW.user_id) "
    "WHERE id = NEW.id;"
)
SQLITE = [
    f"""
    CREATE TRIGGER accounts_membership_sort_name_insert AFTER INSERT ON accounts_membership
    BEGIN {_SQLITE_SET} END
    """,
    f"""
    CREATE TRIGGER accounts_membership_sort_name_update
    AFTER UPDATE OF user_id, sort_name ON accounts_membership
    BEGIN {_SQLITE_SET} END
    """,
    f"""
    CREATE TRIGGER accounts_user_sort_name AFTER UPDATE OF first_name, last_name, email
    ON accounts_user
    WHEN OLD.first_name IS NOT NEW.first_name
        OR OLD.last_name IS NOT NEW.last_name
        OR OLD.email IS NOT NEW.email
    BEGIN
        UPDATE accounts_membership SET sort_name = {KEY.format(u="NEW")} WHERE user_id = NEW.id;
    END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS accounts_user_sort_name",
    "DROP TRIGGER IF EXISTS accounts_membership_sort_name_update",
    "DROP TRIGGER IF EXISTS accounts_membership_sort_name_insert",
]

FILL = (
    f"UPDATE accounts_membership SET sort_name = (SELECT {KEY.format(u='u')} "
    "FROM accounts_user u WHERE u.id = accounts_membership.user_id)"
)


def _statements(vendor: str, *, drop: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRESQL_DROP if drop else POSTGRESQL
    if vendor == "sqlite":
        return SQLITE_DROP if drop else SQLITE
    raise NotImplementedError(f"sort_name triggers are written for PostgreSQL and SQLite, not {vendor}")


def create(apps, schema_editor):
    for statement in _statements(schema_editor.connection.vendor, drop=False):
        schema_editor.execute(statement)
    schema_editor.execute(FILL)


def drop(apps, schema_editor):
    for statement in _statements(schema_editor.connection.vendor, drop=True):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_user_search_trigram"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="sort_name",
            field=models.CharField(db_default="", default="", editable=False, max_length=320),
        ),
        migrations.RunPython(create, drop),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["account", "sort_name", "id"], name="membership_account_name"),
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(
                fields=["account", "status", "sort_name", "id"], name="membership_status_name"
            ),
        ),
    ]
