"""`manage.py worker`: django-tasks-db's db_worker with a heartbeat for /gezondheid/.

db_worker records no sign of life while it waits or runs a task; this command stamps its
WorkerHeartbeat row every HEARTBEAT_INTERVAL from a daemon thread (bip/lib/heartbeat.py), so
the health endpoint can tell a live worker from a dead one. Same options as db_worker.
"""

from typing import Any

from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from bip.lib.heartbeat import Heartbeat
from bip.models import WorkerHeartbeat


def beat_for(worker_id: str) -> Any:
    def beat() -> None:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id[:64], defaults={"beat_at": timezone.now()}
        )

    return beat


class Command(DBWorkerCommand):
    help = "Voert achtergrondtaken uit (zoals db_worker) en meldt elke 10 s dat hij leeft."

    def handle(self, *args: Any, **options: Any) -> None:
        beat = beat_for(options["worker_id"])
        beat()  # at once: a worker that just started is alive
        with Heartbeat(beat, name="worker-heartbeat"):
            super().handle(*args, **options)
