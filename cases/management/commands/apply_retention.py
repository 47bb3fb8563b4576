"""`manage.py apply_retention`: anonymise case data past retention (cases/retention.py)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases import retention


class Command(BaseCommand):
    help = (
        "Anonimiseert dossiers waarvan de bewaartermijn voorbij is: Leerplicht en Halt tot het "
        "kind RETENTION_LEERPLICHT_AGE (19) is én RETENTION_LEERPLICHT_YEARS_AFTER_CLOSURE (5) "
        "jaar na sluiting, RvdK tot het kind RETENTION_RVDK_AGE (24) is. Een kind gaat pas als "
        "al zijn zaken voorbij de termijn zijn, een huishouden pas als er geen kind meer over "
        "is. De onderzoeksgegevens (driemaandsmeting, armtoewijzing, enquêtescores) blijven. "
        "Verlopen importvoorvertoningen (IMPORT_PREVIEW_RETENTION_HOURS) worden geannuleerd. "
        "Zonder --dry-run voert het commando de wijzigingen uit en legt het de uitvoering vast "
        "(zichtbaar in het beheer); met --dry-run telt het alleen en wijzigt het niets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Alleen tellen wat er zou gebeuren; niets wijzigen en niets vastleggen.",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=retention.DEFAULT_CHUNK_SIZE,
            help="Aantal kinderen of huishoudens per transactie (standaard %(default)s).",
        )
        parser.add_argument(
            "--actor",
            default="system",
            help=(
                "Wie het commando uitvoert, voor het vastleggen: 'system' (standaard, de "
                "geplande taak) of de naam van de beheerder die het met de hand start."
            ),
        )

    def handle(
        self, *args: Any, dry_run: bool, chunk_size: int, actor: str, **options: Any
    ) -> None:
        if chunk_size < 1:
            raise CommandError("--chunk-size moet minstens 1 zijn.")
        actor = actor.strip() or "system"
        report = retention.apply_retention(
            dry_run=dry_run,
            actor=actor,
            chunk_size=chunk_size,
            progress=self.stdout.write if options["verbosity"] > 1 else lambda message: None,
        )
        policy = report.policy
        self.stdout.write(
            f"Peildatum {policy['today']}. Leerplicht/Halt: geboren op of vóór "
            f"{policy['leerplicht_born_on_or_before']} en gesloten op of vóór "
            f"{policy['leerplicht_closed_on_or_before']}; RvdK: geboren op of vóór "
            f"{policy['rvdk_born_on_or_before']}."
        )
        heading = "Proefdraai, er is niets gewijzigd. Zou doen:" if dry_run else "Uitgevoerd:"
        self.stdout.write(heading)
        for label, count in report.lines():
            self.stdout.write(f"  {label}: {count}")
        if report.run is not None:
            self.stdout.write(f"Vastgelegd als uitvoering {report.run.pk}.")
