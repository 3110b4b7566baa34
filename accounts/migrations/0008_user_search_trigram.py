"""Search by name or email (the Users tab) on PostgreSQL: trigram indexes.

Django's `icontains` on PostgreSQL is `UPPER(col) LIKE UPPER('%word%')`; a GIN trigram index on
`UPPER(col)` serves it without reading every user. Other databases skip this migration's SQL.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

COLUMNS = ("email", "first_name", "last_name")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic():
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        # A role that may not create extensions: search still works, only slower. Ask the
        # database owner to run CREATE EXTENSION pg_trgm, then migrate this app again.
        logger.warning("pg_trgm is not available: the search indexes were not created")
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS accounts_user_{column}_trgm "
            f"ON accounts_user USING gin (UPPER({column}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS accounts_user_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_users_tab_indexes")]

    operations = [migrations.RunPython(create, drop)]
