"""`manage.py purge_exports`: delete research export files past EXPORT_RETENTION_DAYS.

Run it daily from cron (see the README). Each purged export is marked expired and logged. It
also marks failed the running exports that lost their worker (`services.export_fail_orphaned`:
no heartbeat for two minutes). The export's page, its list and the next export task do that
too as soon as someone looks; this run is the backstop for exports nobody looks at.
"""

from typing import Any

from django.core.management.base import BaseCommand

from evaluation.exports.services import export_fail_orphaned, export_purge


class Command(BaseCommand):
    help = (
        "Verwijdert de bestanden van onderzoeksexports waarvan de bewaartermijn voorbij is, "
        "zet ze op 'verlopen' en legt dat vast in het exportlog; zet exports waarvan de "
        "achtergrondtaak niet meer leeft op 'mislukt'. Draai dit dagelijks."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        purged = export_purge()
        self.stdout.write(f"{len(purged)} export(s) verwijderd.")
        orphaned = export_fail_orphaned()
        if orphaned:
            numbers = ", ".join(str(pk) for pk in orphaned)
            self.stdout.write(f"{len(orphaned)} vastgelopen export(s) op mislukt gezet: {numbers}.")
