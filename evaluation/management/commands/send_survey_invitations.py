"""`manage.py send_survey_invitations`: invite the client survey of every case that is due.

Meant to run daily (see the README). A case is due once it is closed or its three-month date
has passed, whichever comes first; closing a case already invites it, so this mostly catches
cases still open at three months. Idempotent: a case with an invitation gets no second one.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evaluation.surveys import CHUNK_SIZE, DUE_LOOKBACK_DAYS, invite_due_cases


class Command(BaseCommand):
    help = (
        "Maakt de enquête-uitnodigingen (ouder, en kind vanaf 12 jaar) voor elke zaak in de "
        "studie die gesloten is of haar driemaandentermijn voorbij is en nog geen uitnodiging "
        "heeft, en mailt de links naar een ouder of verzorger. Zaken zonder e-mailadres van "
        "een ouder krijgen geen uitnodiging en worden geteld als niet te versturen. Twee keer "
        "draaien verstuurt niets dubbel. Draai dit dagelijks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--lookback-days",
            type=int,
            default=DUE_LOOKBACK_DAYS,
            help=(
                "Alleen zaken die in de laatste zoveel dagen gesloten zijn of hun "
                "driemaandentermijn bereikten (standaard %(default)s)."
            ),
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=CHUNK_SIZE,
            help="Zaken per transactie (standaard %(default)s).",
        )

    def handle(self, *args: Any, lookback_days: int, chunk_size: int, **options: Any) -> None:
        if lookback_days < 1:
            raise CommandError("--lookback-days moet minstens 1 zijn.")
        if chunk_size < 1:
            raise CommandError("--chunk-size moet minstens 1 zijn.")
        run = invite_due_cases(lookback_days=lookback_days, chunk_size=chunk_size)
        self.stdout.write(
            f"{run.invitations} uitnodigingen voor {run.cases} zaken; {run.mails_sent} e-mails "
            f"verstuurd, {run.mails_failed} mislukt (die uitnodigingen zijn ingetrokken en "
            f"worden morgen opnieuw geprobeerd); {run.not_sendable} zaken zonder e-mailadres "
            "van een ouder."
        )
