"""`manage.py freeze_measurements --label T1`: store a data freeze (see evaluation.freezes)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.exceptions import RuleViolation
from evaluation.freezes import freeze_create, freeze_diff, freeze_previous
from evaluation.study import study_end


class Command(BaseCommand):
    help = (
        "Legt een datafreeze vast: de driemaandsmeting van elke meetbare zaak, berekend met "
        "de gegevens die er nu zijn, met een label, het peilmoment, het aantal rijen per arm "
        "en een SHA-256 over de rijen. Een bestaand label wordt geweigerd; er verandert dan "
        "niets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--label", required=True, help="Uniek label van de freeze, bijvoorbeeld T1."
        )

    def handle(self, *args: Any, label: str, **options: Any) -> None:
        try:
            freeze = freeze_create(label=label, actor=None, study_end=study_end())
        except RuleViolation as error:
            raise CommandError(f"{error} Er is niets gewijzigd.") from None
        self.stdout.write(
            f"Datafreeze {freeze.label}: {freeze.row_count} rijen (BIP {freeze.rows_bip}, "
            f"controle {freeze.rows_control}), SHA-256 {freeze.sha256}."
        )
        previous = freeze_previous(freeze)
        if previous is not None:
            diff = freeze_diff(freeze=freeze, previous=previous)
            changed = ", ".join(f"{name} {n}" for name, n in diff.changed_measures) or "-"
            self.stdout.write(
                f"Ten opzichte van {previous.label}: {diff.added} zaken erbij, "
                f"{diff.removed} eruit, {diff.changed} gewijzigd ({changed})."
            )
