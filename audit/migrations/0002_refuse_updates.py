"""A database trigger that refuses every UPDATE of an access log entry.

The ORM already refuses changes (AppendOnlyModel); this also stops raw SQL and anything that
bypasses the model. DELETE stays possible for `manage.py prune_access_log` (retention).

On SQLite, a later migration that rebuilds the table (most ALTERs) drops the trigger: such a
migration must create it again (run `create_trigger` once more).
"""

from django.db import migrations

TABLE = "audit_accesslogentry"

SQLITE_CREATE = f"""
CREATE TRIGGER audit_accesslog_no_update BEFORE UPDATE ON {TABLE}
BEGIN
    SELECT RAISE(ABORT, 'access log entries cannot be changed');
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS audit_accesslog_no_update;"

POSTGRES_CREATE = [
    """
CREATE OR REPLACE FUNCTION audit_accesslog_refuse_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access log entries cannot be changed';
END;
$$
""",
    f"""
CREATE TRIGGER audit_accesslog_no_update BEFORE UPDATE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION audit_accesslog_refuse_update()
""",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS audit_accesslog_no_update ON {TABLE}",
    "DROP FUNCTION IF EXISTS audit_accesslog_refuse_update()",
]


def create_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        for statement in POSTGRES_CREATE:
            schema_editor.execute(statement)


def drop_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)
    elif vendor == "postgresql":
        for statement in POSTGRES_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
