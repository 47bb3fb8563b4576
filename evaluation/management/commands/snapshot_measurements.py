"""`manage.py snapshot_measurements`: store the three-month measurement of every case that is due.

Meant to run daily (see the README). Idempotent: a stored measurement is never changed.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from evaluation.snapshots import measurements_snapshot
from evaluation.study import study_end


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--as-of: geen geldige datum (JJJJ-MM-DD): {value!r}") from error


class Command(BaseCommand):
    help = (
        "Legt de driemaandsmeting vast van elke toegewezen zaak waarvan de meetdatum (melding "
        "plus drie kalendermaanden) voorbij is, en van zaken die na het einde van de studie "
        "(STUDY_END) nog niet gemeten konden worden (gecensureerd). Een vastgelegde meting "
        "wordt nooit gewijzigd: twee keer draaien verandert niets. Draai dit dagelijks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of",
            dest="as_of",
            type=_date,
            default=None,
            help=(
                "Peildatum JJJJ-MM-DD (standaard vandaag): zaken met een meetdatum vóór deze "
                "dag worden gemeten. Mag niet in de toekomst liggen."
            ),
        )

    def handle(self, *args, as_of: datetime.date | None, **options) -> None:
        today = timezone.localdate()
        as_of = as_of or today
        if as_of > today:
            raise CommandError(
                "--as-of ligt in de toekomst: zaken kunnen pas gemeten worden als hun "
                "meetdatum voorbij is."
            )
        counts = measurements_snapshot(as_of, study_end())
        self.stdout.write(
            f"Peildatum {as_of.isoformat()}: {counts.created} metingen vastgelegd "
            f"(waarvan {counts.censored} gecensureerd), {counts.already_present} waren er al."
        )
