"""`manage.py export_evaluation`: a research export from the command line, synchronously.

Does what the export page does, without the background worker: the export is created and
logged for the given researcher (requested, completed), written to EXPORT_ROOT like any other
(and purged after EXPORT_RETENTION_DAYS), and copied to --output, which is logged as a download.
"""

import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from evaluation.constants import ExportDataset, ExportFormat, ExportStatus
from evaluation.exports import services
from professionals.groups import is_researcher


def peak_memory_mib() -> float:
    """Peak resident memory of this process (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class Command(BaseCommand):
    help = (
        "Maakt een gepseudonimiseerde onderzoeksexport (ZIP met databestand en codeboek) en "
        "schrijft die naar --output. De export wordt gelogd op naam van --user, die "
        "onderzoeker moet zijn."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", required=True, choices=ExportDataset.values)
        parser.add_argument(
            "--format", dest="file_format", required=True, choices=ExportFormat.values
        )
        parser.add_argument(
            "--output", required=True, type=Path, help="Pad van het ZIP-bestand dat ontstaat."
        )
        parser.add_argument(
            "--user",
            required=True,
            help="Gebruikersnaam van de onderzoeker op wiens naam de export wordt gelogd.",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=services.DEFAULT_CHUNK_SIZE,
            help="Rijen per keer uit de database (standaard %(default)s).",
        )

    def handle(
        self,
        *args: Any,
        dataset: str,
        file_format: str,
        output: Path,
        user: str,
        chunk_size: int,
        **options: Any,
    ) -> None:
        account = get_user_model().objects.filter(username=user, is_active=True).first()
        if account is None or not is_researcher(account):
            raise CommandError(f"--user: {user!r} is geen actieve onderzoeker.")
        if output.exists() and output.is_dir():
            raise CommandError(f"--output: {output} is een map; geef een bestandsnaam.")
        if not output.parent.is_dir():
            raise CommandError(f"--output: de map {output.parent} bestaat niet.")

        created = services.export_create(user=account, dataset=dataset, file_format=file_format)
        started = time.monotonic()
        export = services.export_run(export_id=created.pk, chunk_size=chunk_size)
        seconds = time.monotonic() - started
        # None only if the row was deleted meanwhile; nothing else deletes a queued export.
        assert export is not None
        if export.status != ExportStatus.DONE:
            raise CommandError(f"Export {export.pk} is mislukt: {export.error}")

        source = services.export_download(export=export, user=account)
        shutil.copyfile(source, output)
        assert export.row_count is not None  # export_run sets it when done
        rate = export.row_count / seconds if seconds else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"Export {export.pk}: {export.row_count} rijen in {seconds:.1f} s "
                f"({rate:,.0f} rijen/s, piekgeheugen {peak_memory_mib():.0f} MiB) -> {output}"
            )
        )
