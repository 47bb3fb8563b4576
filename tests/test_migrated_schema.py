"""The cached migrated test database (tests/migrated_schema.py) is the migrated database."""

import sqlite3
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from professionals.constants import StaffGroup
from tests import migrated_schema
from tests.migrated_schema import MigratedSchemaCache

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the cache is for the in-memory SQLite database"
)


def _schema(raw: sqlite3.Connection) -> list[tuple]:
    return sorted(
        raw.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchall()
    )


def _fake_app(tmp_path, name="demoapp"):
    directory = tmp_path / name / "migrations"
    directory.mkdir(parents=True)
    (directory / "__init__.py").write_text("")
    (directory / "0001_initial.py").write_text("operations = []\n")
    return SimpleNamespace(label=name, path=str(tmp_path / name)), directory


def test_the_key_changes_when_a_migration_changes_is_added_or_removed(tmp_path, monkeypatch):
    app, directory = _fake_app(tmp_path)
    monkeypatch.setattr(apps, "get_app_configs", lambda: [app])
    keys = [migrated_schema.schema_key()]

    (directory / "0001_initial.py").write_text("operations = ['changed']\n")
    keys.append(migrated_schema.schema_key())
    (directory / "0002_more.py").write_text("operations = []\n")
    keys.append(migrated_schema.schema_key())
    (directory / "0002_more.py").unlink()
    (directory / "0001_initial.py").write_text("operations = []\n")

    assert len(set(keys)) == 3
    assert migrated_schema.schema_key() == keys[0], "the same files give the same key"


def test_the_key_changes_with_the_django_version(tmp_path, monkeypatch):
    app, _ = _fake_app(tmp_path)
    monkeypatch.setattr(apps, "get_app_configs", lambda: [app])
    before = migrated_schema.schema_key()
    monkeypatch.setattr(migrated_schema.django, "get_version", lambda: "0.0-other")
    assert migrated_schema.schema_key() != before


def test_the_key_covers_the_post_migrate_receivers_modules():
    """They write rows (groups, permissions) that the copy keeps: a change must migrate again."""
    files = {path.as_posix() for path in migrated_schema._post_migrate_receiver_files()}
    assert any(path.endswith("professionals/groups.py") for path in files)
    assert any(path.endswith("django/contrib/auth/management/__init__.py") for path in files)


@pytest.mark.django_db
def test_the_test_database_has_no_unapplied_migration():
    """Whether this run migrated or copied the cache, nothing is left to apply."""
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    assert executor.migration_plan(targets) == []


@pytest.mark.django_db
def test_the_test_database_holds_what_data_migrations_and_receivers_wrote():
    # professionals/migrations/0002_groups.py and the post_migrate grants (professionals.groups).
    assert set(Group.objects.values_list("name", flat=True)) >= set(StaffGroup.values)
    administrators = Group.objects.get(name=StaffGroup.ADMINISTRATOR)
    assert administrators.permissions.filter(content_type__app_label="cases").exists()


def _live_schema() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        )
        return sorted(cursor.fetchall())


@sqlite_only
@pytest.mark.django_db
def test_this_runs_copy_restores_to_the_schema_the_tests_run_on(migrated_schema_cache):
    """The session either wrote the copy after migrating or restored from it: same schema."""
    if migrated_schema_cache is None:
        pytest.skip("TEST_SCHEMA_CACHE=off: this run migrated and keeps no copy")
    assert migrated_schema_cache.written or migrated_schema_cache.restored
    restored = sqlite3.connect(":memory:")
    migrated_schema_cache.restore_into(restored)

    live = _live_schema()
    assert _schema(restored) == live
    assert ("trigger", "audit_accesslog_no_update") in {row[:2] for row in live}
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        applied = cursor.fetchall()
    assert (
        restored.execute("SELECT app, name FROM django_migrations ORDER BY app, name").fetchall()
        == applied
    )
    assert ("audit", "0002_refuse_updates") in applied


def test_a_copy_is_written_whole_and_replaces_copies_for_older_migrations(tmp_path):
    directory = tmp_path / "cache"
    directory.mkdir()
    stale = directory / "0123456789abcdef01234567.sqlite3"
    stale.write_bytes(b"")
    source = sqlite3.connect(":memory:")
    source.execute("CREATE TABLE t (x integer)")
    source.execute("INSERT INTO t VALUES (7)")
    source.commit()

    cache = MigratedSchemaCache(directory)
    cache.save_from(source)

    assert not stale.exists()
    assert list(directory.iterdir()) == [cache.path], "no partial file is left behind"
    copy = sqlite3.connect(":memory:")
    cache.restore_into(copy)
    assert copy.execute("SELECT x FROM t").fetchall() == [(7,)]


def test_the_cached_migrate_only_stands_in_while_installed(tmp_path):
    from django.core.management.commands import migrate

    original = migrate.Command
    cache = MigratedSchemaCache(tmp_path)
    cache.install()
    try:
        assert migrate.Command is not original
        assert issubclass(migrate.Command, original)
    finally:
        cache.uninstall()
    assert migrate.Command is original
