"""`manage.py send_staff_survey --period-start --period-end`: invite every active professional.

One invitation per professional per period, in both arms, mailed to the professional's own
address. Idempotent per period.
"""

import argparse
import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evaluation.surveys import invite_staff


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"geen geldige datum (JJJJ-MM-DD): {value!r}") from error


class Command(BaseCommand):
    help = (
        "Stuurt de medewerkersenquête (werkdruk, werkplezier, leren, rolhelderheid) over een "
        "periode naar elke actieve professional met een e-mailadres, in beide "
        "onderzoeksarmen. Wie voor deze periode al een uitnodiging heeft, krijgt geen tweede."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--period-start", type=_date, required=True, help="Eerste dag JJJJ-MM-DD."
        )
        parser.add_argument(
            "--period-end", type=_date, required=True, help="Laatste dag JJJJ-MM-DD."
        )

    def handle(
        self,
        *args: Any,
        period_start: datetime.date,
        period_end: datetime.date,
        **options: Any,
    ) -> None:
        if period_end < period_start:
            raise CommandError("--period-end ligt vóór --period-start.")
        run = invite_staff(period_start=period_start, period_end=period_end)
        self.stdout.write(
            f"Periode {period_start.isoformat()} t/m {period_end.isoformat()}: "
            f"{run.invitations} uitnodigingen, {run.mails_sent} e-mails verstuurd, "
            f"{run.mails_failed} mislukt (ingetrokken; draai het commando opnieuw), "
            f"{run.already_invited} hadden er al een, {run.not_sendable} zonder e-mailadres."
        )
