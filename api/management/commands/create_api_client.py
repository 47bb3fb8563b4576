"""`manage.py create_api_client <name> --organisation <name> --scope … [--days N]`.

Registers an API client as the beheerder's admin page does, and prints its token once (for
scripts and the README's curl walk-through). Only a hash of the secret is stored.
"""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from api.constants import Scope
from api.services import api_client_register


class Command(BaseCommand):
    help = "Registreert een API-koppeling en toont het geheim eenmalig."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--organisation", required=True, help="Naam van de organisatie.")
        parser.add_argument(
            "--scope",
            action="append",
            choices=Scope.values,
            required=True,
            help="Herhaal voor meer rechten.",
        )
        parser.add_argument("--days", type=int, default=365, help="Geldig voor zoveel dagen.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = options["organisation"].strip()
        if not organisation:
            raise CommandError("--organisation mag niet leeg zijn.")
        if options["days"] < 1:
            raise CommandError("--days moet minstens 1 zijn.")
        registered = api_client_register(
            name=options["name"],
            organisation=organisation,
            scopes=options["scope"],
            expires_at=timezone.now() + datetime.timedelta(days=options["days"]),
            actor=None,
        )
        self.stdout.write(registered.token)
