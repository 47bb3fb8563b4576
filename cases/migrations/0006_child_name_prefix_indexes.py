"""Indexes for the case list's name search on PostgreSQL.

`case_search` matches the start of the first or last name case-insensitively: Django writes
that as UPPER("last_name"::text) LIKE 'JAN%'. A btree index serves such a prefix LIKE in every
collation only with text_pattern_ops, which Django's Index cannot express for SQLite as well;
so these two are created here, on PostgreSQL only (SQLite is the small local demo). Without
them the search reads every child: 0.4–0.6 s with a million.
"""

from django.db import migrations

INDEXES = {
    "child_last_name_prefix_idx": "last_name",
    "child_first_name_prefix_idx": "first_name",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON cases_child "
            f"(UPPER({column}::text) text_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_retention_anonymised")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
