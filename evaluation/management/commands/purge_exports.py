"""`manage.py purge_exports`: delete research export files past EXPORT_RETENTION_DAYS.

Run it daily from cron (see the README). Each purged export is marked expired and logged.
"""

from django.core.management.base import BaseCommand

from evaluation.exports.services import export_purge


class Command(BaseCommand):
    help = (
        "Verwijdert de bestanden van onderzoeksexports waarvan de bewaartermijn voorbij is, "
        "zet ze op 'verlopen' en legt dat vast in het exportlog. Draai dit dagelijks."
    )

    def handle(self, *args, **options):
        purged = export_purge()
        self.stdout.write(f"{len(purged)} export(s) verwijderd.")
