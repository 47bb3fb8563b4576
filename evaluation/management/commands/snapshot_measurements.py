"""`manage.py snapshot_measurements`: store the three-month measurement of every case that is due.

Meant to run daily (see the README). Idempotent: a stored measurement is never changed.

Refused while the stored measurements were made with another STUDY_END. `--restate --reason
"..."` then deletes the snapshot, records why, and measures every due case again.
"""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cases.exceptions import RuleViolation
from evaluation.aggregates import report_aggregate_store
from evaluation.snapshots import StudyEndChanged, measurements_restate, measurements_snapshot
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
        parser.add_argument(
            "--restate",
            action="store_true",
            help=(
                "Verwijder alle vastgelegde metingen en meet opnieuw met de huidige STUDY_END "
                "(en definities). Vraagt --reason; de reden wordt vastgelegd."
            ),
        )
        parser.add_argument(
            "--reason",
            default=None,
            help="Waarom de metingen opnieuw worden berekend (verplicht bij --restate).",
        )

    def handle(
        self,
        *args: Any,
        as_of: datetime.date | None,
        restate: bool = False,
        reason: str | None = None,
        **options: Any,
    ) -> None:
        today = timezone.localdate()
        as_of = as_of or today
        if as_of > today:
            raise CommandError(
                "--as-of ligt in de toekomst: zaken kunnen pas gemeten worden als hun "
                "meetdatum voorbij is."
            )
        if reason is not None and not restate:
            raise CommandError("--reason hoort bij --restate; er is niets gewijzigd.")
        end = study_end()
        if restate:
            try:
                restatement = measurements_restate(reason=reason or "", study_end=end)
            except RuleViolation as error:
                raise CommandError(
                    f'{error} Gebruik --restate --reason "...". Er is niets gewijzigd.'
                ) from None
            self.stdout.write(
                f"Herberekening vastgelegd: {restatement.deleted} metingen verwijderd "
                f"(reden: {restatement.reason})."
            )
        try:
            counts = measurements_snapshot(as_of, end)
        except StudyEndChanged as error:
            raise CommandError(f"{error} Er is niets gewijzigd.") from None
        self.stdout.write(
            f"Peildatum {as_of.isoformat()}: {counts.created} metingen vastgelegd "
            f"(waarvan {counts.censored} gecensureerd), {counts.already_present} waren er al."
        )
        aggregate = report_aggregate_store()
        self.stdout.write(
            f"Rapportcijfers per maand berekend in {aggregate.seconds:.1f} s "
            f"(stand {timezone.localtime(aggregate.computed_at):%Y-%m-%d %H:%M})."
        )
