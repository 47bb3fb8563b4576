"""A heartbeat for long background jobs, and the rule that tells a live job from an orphan.

django-tasks-db's worker records no sign of life while it runs a task: a worker that is killed
mid-task (SIGKILL, the OOM killer, a reboot) leaves its task "running" for ever, and a task is
never delivered twice. So a long job stamps its own row (`heartbeat_at`) from a small daemon
thread every HEARTBEAT_INTERVAL, also while the job's main thread is stuck in one long step (a
big query, pyreadstat writing a file: both let other threads run). A row whose stamp is older
than ORPHANED_AFTER has lost its worker; whoever looks at it next may mark it failed.

Usage, for any model with a nullable `heartbeat_at` DateTimeField::

    rows = Job.objects.filter(pk=job.pk, status=Status.RUNNING)
    rows.update(status=..., heartbeat_at=timezone.now())      # the claim is the first beat
    with Heartbeat(stamp(rows, "heartbeat_at")):
        do_the_long_work()
    ...
    Job.objects.filter(status=Status.RUNNING, heartbeat_at__lte=orphaned_before())

The thread has its own database connection (Django's connections are per thread) and closes it
when it stops. Run the job outside a transaction that locks the stamped row, or the beat waits
for it.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections, connections
from django.db.models import QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)

# Several beats fit in ORPHANED_AFTER, so a slow database or a busy machine that delays one or
# two beats does not make a live job look orphaned.
HEARTBEAT_INTERVAL = datetime.timedelta(seconds=10)
ORPHANED_AFTER = datetime.timedelta(minutes=2)


def orphaned_before(now: datetime.datetime | None = None) -> datetime.datetime:
    """The cut-off: a running job whose last beat is at or before this time has no worker."""
    return (now or timezone.now()) - ORPHANED_AFTER


def stamp(rows: QuerySet, field: str) -> Callable[[], int]:
    """A beat that sets `field` to the current time on `rows`; returns the rows updated.

    Filter `rows` on the running state, so a job that was finished or marked failed meanwhile
    is not stamped again.
    """

    def beat() -> int:
        return rows.update(**{field: timezone.now()})

    return beat


class Heartbeat:
    """Call `beat()` every `interval` seconds in a daemon thread, for the `with` block's length.

    A beat that raises is logged and the next one is tried (a lost connection is replaced).
    Leaving the block stops the thread and waits briefly for it; the thread closes its own
    database connections.
    """

    def __init__(
        self, beat: Callable[[], object], *, interval: float | None = None, name: str = "heartbeat"
    ):
        self.beat = beat
        self.interval = interval if interval is not None else HEARTBEAT_INTERVAL.total_seconds()
        self.beats = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopped.set()
        # A beat stuck on the database must not hold up the job's end: the thread is a daemon
        # and closes its connection when the beat returns.
        self._thread.join(timeout=self.interval + 5)

    def _run(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                try:
                    close_old_connections()
                    self.beat()
                    self.beats += 1
                except Exception:
                    logger.exception("Heartbeat %s failed", self._thread.name)
        finally:
            connections.close_all()
