"""Delete access log entries older than ACCESS_LOG_RETENTION_DAYS: the log's only delete path."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from audit.models import AccessLogEntry
from audit.services import access_log_prune, retention_cutoff


class Command(BaseCommand):
    help = "Verwijdert toegangslogregels die ouder zijn dan ACCESS_LOG_RETENTION_DAYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Alleen tellen, niets verwijderen."
        )
        parser.add_argument("--batch-size", type=int, default=10_000)

    def handle(
        self, *args: Any, dry_run: bool = False, batch_size: int = 10_000, **options: Any
    ) -> None:
        if batch_size < 1:
            batch_size = 10_000
        cutoff = retention_cutoff()
        days = settings.ACCESS_LOG_RETENTION_DAYS
        if dry_run:
            count = AccessLogEntry.objects.filter(occurred_at__lt=cutoff).count()
            self.stdout.write(
                f"Proefdraai: {count} regels van vóór {cutoff:%Y-%m-%d %H:%M} UTC "
                f"(bewaartermijn {days} dagen) zouden worden verwijderd."
            )
            return
        deleted = access_log_prune(before=cutoff, batch_size=batch_size)
        self.stdout.write(
            f"{deleted} regels van vóór {cutoff:%Y-%m-%d %H:%M} UTC verwijderd "
            f"(bewaartermijn {days} dagen)."
        )
