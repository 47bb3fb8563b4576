"""A migrated SQLite test database, kept between runs: each run migrates only when it must.

Building the in-memory test database runs every migration (~4 s per xdist worker, ~5 s under
load), and that is paid again by every worker of every run although the migrations rarely
change. So the first run that finds no copy runs the migrations for real and then writes the
migrated database to pytest's cache directory; a later run copies that file into its in-memory
database with SQLite's backup API (a few milliseconds) instead of migrating.

The copy is keyed by a hash of every installed app's migration files, the modules of the
post_migrate receivers, the Django and SQLite versions and the app order, so changing, adding
or removing a migration or a receiver (or upgrading a package that ships migrations) migrates
again. Everything the migrations leave behind is in the
copy: tables, indexes, triggers, `django_migrations`, and the rows written by data migrations
and post_migrate receivers (groups, permissions, content types).

Only for an in-memory SQLite test database: PostgreSQL always migrates, and so does a clean
clone in CI, which has no copy. The copy lives in `.test-cache/migrated-schema/` (ignored by
git); `TEST_SCHEMA_CACHE=off` turns it off, and deleting the directory forces a migration.
"""

import hashlib
import inspect
import os
import sqlite3
import weakref
from pathlib import Path

import django
from django.apps import apps
from django.core.management.commands import migrate
from django.db import connections
from django.db.models.signals import post_migrate


def schema_key() -> str:
    """A hash of everything that decides what `migrate` builds."""
    digest = hashlib.sha256()
    digest.update(f"django {django.get_version()} sqlite {sqlite3.sqlite_version}".encode())
    for app in apps.get_app_configs():
        digest.update(f"\napp {app.label}".encode())
        directory = Path(app.path) / "migrations"
        for path in sorted(directory.glob("*.py")):
            digest.update(f"\n{path.name}\n".encode())
            digest.update(path.read_bytes())
    for path in _post_migrate_receiver_files():
        digest.update(f"\nreceiver {path.name}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def _post_migrate_receiver_files() -> list[Path]:
    """The modules of every post_migrate receiver: what they write is in the copy too."""
    files = set()
    for _key, receiver, _sender, _is_async in post_migrate.receivers:
        function = receiver() if isinstance(receiver, weakref.ReferenceType) else receiver
        source = inspect.getsourcefile(function) if function is not None else None
        if source:
            files.add(Path(source))
    return sorted(files)


def _is_in_memory_sqlite(alias: str) -> bool:
    connection = connections[alias]
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


class MigratedSchemaCache:
    """Swaps the `migrate` command for one that copies a cached migrated database, once."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / f"{schema_key()}.sqlite3"
        self.original = migrate.Command
        self.restored = False
        self.written = False

    def install(self) -> None:
        cache = self

        class CachedMigrate(self.original):  # type: ignore[misc, valid-type, name-defined]
            def handle(self, *args, **options):
                alias = options.get("database") or "default"
                if not _is_in_memory_sqlite(alias):
                    return super().handle(*args, **options)
                if cache.path.exists():
                    cache.restore(alias)
                    return None
                result = super().handle(*args, **options)
                cache.save(alias)
                return result

        migrate.Command = CachedMigrate

    def uninstall(self) -> None:
        migrate.Command = self.original

    def restore(self, alias: str) -> None:
        connection = connections[alias]
        connection.ensure_connection()
        self.restore_into(connection.connection)
        self.restored = True

    def restore_into(self, target: sqlite3.Connection) -> None:
        source = sqlite3.connect(self.path)
        try:
            source.backup(target)
        finally:
            source.close()

    def save(self, alias: str) -> None:
        """Write the migrated database beside its final name, then rename: workers race."""
        connection = connections[alias]
        connection.ensure_connection()
        self.save_from(connection.connection)
        self.written = True

    def save_from(self, source: sqlite3.Connection) -> None:
        """Copy `source` (outside any transaction: a backup waits for it to end)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(f".{os.getpid()}.partial")
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
        finally:
            target.close()
        os.replace(partial, self.path)
        for stale in self.path.parent.glob("*.sqlite3"):
            if stale != self.path:
                stale.unlink(missing_ok=True)
