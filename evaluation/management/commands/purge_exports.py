"""`manage.py purge_exports`: delete research export files past EXPORT_RETENTION_DAYS.

Run it daily from cron (see the README). Each purged export is marked expired and logged. It
also marks failed the running exports whose worker has been silent for an hour
(`services.export_fail_abandoned`).
"""

from django.core.management.base import BaseCommand

from evaluation.exports.services import export_fail_abandoned, export_purge


class Command(BaseCommand):
    help = (
        "Verwijdert de bestanden van onderzoeksexports waarvan de bewaartermijn voorbij is, "
        "zet ze op 'verlopen' en legt dat vast in het exportlog; zet exports waarvan de "
        "achtergrondtaak al een uur stil ligt op 'mislukt'. Draai dit dagelijks."
    )

    def handle(self, *args, **options):
        purged = export_purge()
        self.stdout.write(f"{len(purged)} export(s) verwijderd.")
        abandoned = export_fail_abandoned()
        if abandoned:
            numbers = ", ".join(str(pk) for pk in abandoned)
            self.stdout.write(
                f"{len(abandoned)} vastgelopen export(s) op mislukt gezet: {numbers}."
            )
