"""`manage.py seed_demo`: fill a development or demo database with the BIP-pilot world."""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from demo import checks, reference, scaled
from demo.rows import SeedError
from evaluation.aggregates import report_aggregate_store
from evaluation.snapshots import StudyEndChanged, measurements_snapshot
from evaluation.study import study_end

# Up to this many cases seed_demo also stores the three-month measurements (about 1,000 a
# second); a larger world prints the command instead.
SNAPSHOT_MAX_CASES = 50_000


class Command(BaseCommand):
    help = (
        "Vult de database met een demowereld: de drie organisaties, 15 demo-accounts "
        f"(wachtwoord '{reference.DEMO_PASSWORD}'), scholen en standaard "
        f"{scaled.DEFAULT_CASES} verzuimzaken over de laatste twee schooljaren en het "
        "lopende schooljaar, met hun hele geschiedenis. "
        "Idempotent: accounts, organisaties en scholen worden alleen aangemaakt als ze "
        "ontbreken. Staan er al zaken in de database, dan komen er geen zaken bij (ook niet "
        "met --cases), tenzij --reset is gegeven. Dezelfde --seed op dezelfde dag geeft "
        "dezelfde wereld. Weigert een productie-instelling (DEBUG uit) zonder --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases",
            type=int,
            default=scaled.DEFAULT_CASES,
            help=(
                "Aantal zaken (standaard %(default)s). Grotere aantallen schalen de wereld mee: "
                f"een school per {reference.CASES_PER_SCHOOL} zaken en een professional per "
                f"{reference.CASES_PER_PROFESSIONAL} zaken, zodat caseloads realistisch "
                "blijven. De 15 demo-accounts blijven gelijk; de extra professionals "
                "(prof0001, ...) kunnen niet inloggen. Boven "
                f"{reference.REGIONAL_MAX_CASES} zaken is het een landelijke uitrol (adressen "
                "en scholen in heel Nederland). Voegt niets toe aan een database met zaken, "
                "tenzij met --reset."
            ),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=scaled.DEFAULT_SEED,
            help="Startwaarde van de toevalsgenerator (standaard %(default)s).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "Verwijder eerst alle zaken en alles wat eraan hangt (kinderen, huishoudens, "
                "contacten, plannen, toewijzingen, enquêtes, zaaknummertellers en "
                "randomisatiereeksen) en maak de wereld opnieuw, in één transactie. Accounts, "
                "organisaties en scholen blijven staan."
            ),
        )
        parser.add_argument(
            "--bulk",
            action="store_true",
            help=(
                f"Schrijf ook een kleine wereld (tot {scaled.SERVICE_MAX_CASES} zaken) in bulk, "
                "zoals een grote. Zonder deze optie gaat een kleine wereld door de services "
                "van de app: elke melding, toewijzing, stap, contact en enquête zoals een "
                "gebruiker die vastlegt."
            ),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Ook uitvoeren als DEBUG uit staat (productie-instelling).",
        )
        parser.add_argument(
            "--check",
            type=int,
            nargs="?",
            const=checks.DEFAULT_SAMPLE,
            default=0,
            metavar="AANTAL",
            help=(
                "Controleer daarna een steekproef van zaken (standaard "
                f"{checks.DEFAULT_SAMPLE}) met de regels van de app: routes tussen "
                "ketenstappen, handelingen per rol, loting, termijnen. Faalt bij een afwijking."
            ),
        )

    def handle(
        self,
        *args: Any,
        cases: int,
        seed: int,
        reset: bool,
        bulk: bool,
        force: bool,
        check: int,
        **options: Any,
    ) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG staat uit: dit lijkt een productieomgeving. seed_demo maakt demo-accounts "
                "met een bekend wachtwoord aan en kan met --reset zaken verwijderen. Gebruik "
                "--force als je dit echt wilt."
            )
        if cases < 1:
            raise CommandError("--cases moet minstens 1 zijn.")
        started = time.monotonic()
        try:
            report = scaled.seed_demo(
                case_count=cases,
                seed=seed,
                reset=reset,
                progress=self.stdout.write,
                through_services=False if bulk else None,
            )
        except SeedError as error:
            # A rule the generator broke (a service refused an event): the message says which.
            raise CommandError(str(error)) from error
        if report.skipped:
            self.stdout.write(
                "Accounts, organisaties en scholen zijn bijgewerkt. Er staan al zaken in de "
                "database, dus er zijn geen zaken toegevoegd (gebruik --reset om opnieuw te "
                "beginnen)."
            )
        else:
            for label, count in report.counts.items():
                self.stdout.write(f"  {label:<32} {scaled.thousands(count):>10}")
            self.stdout.write(
                self.style.SUCCESS(f"{scaled.thousands(report.cases)} demozaken aangemaakt.")
            )
            self._snapshot_measurements(report.cases)
        if check:
            self._check_sample(check)
        self.stdout.write(f"Klaar in {time.monotonic() - started:.1f} s.")

    def _check_sample(self, size: int) -> None:
        """Replay a sample of the written cases through the app's rule functions."""
        problems = checks.sample_problems(size=size)
        if problems:
            shown = "\n".join(problems[:20])
            raise CommandError(
                f"De steekproef wijkt {len(problems)} keer af van de regels van de app:\n{shown}"
            )
        self.stdout.write(f"Steekproef van {size} zaken: alles volgens de regels van de app.")

    def _snapshot_measurements(self, case_count: int) -> None:
        """The three-month measurements, so the researcher's report shows the demo world.
        A large world takes minutes: then only the command to run is printed."""
        if case_count > SNAPSHOT_MAX_CASES:
            self.stdout.write(
                "Driemaandsmetingen niet vastgelegd (grote wereld): draai "
                "'manage.py snapshot_measurements' voor het onderzoeksrapport."
            )
            return
        try:
            counts = measurements_snapshot(timezone.localdate(), study_end())
        except StudyEndChanged as error:
            # The demo world was seeded under another STUDY_END: say what to do, no traceback.
            raise CommandError(str(error)) from error
        self.stdout.write(f"{scaled.thousands(counts.created)} driemaandsmetingen vastgelegd.")
        report_aggregate_store()
