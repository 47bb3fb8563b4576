"""`manage.py grant_role`: grant or revoke one of the four roles, with a reason (recorded)."""

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from professionals.accounts import AccountError, role_change
from professionals.constants import StaffGroup

# Accepted spellings of each role: the group name and a plain English one.
ROLE_NAMES = {
    **{role.value.casefold(): role for role in StaffGroup},
    **{role.name.casefold(): role for role in StaffGroup},
    "coordinator": StaffGroup.COORDINATOR,
    "beheerder": StaffGroup.ADMINISTRATOR,
}


def parse_role(text: str) -> StaffGroup:
    role = ROLE_NAMES.get(text.strip().casefold())
    if role is None:
        choices = ", ".join(f"'{role.value}'" for role in StaffGroup)
        raise CommandError(f"Onbekende rol '{text}'. Kies uit {choices}.")
    return role


class Command(BaseCommand):
    help = (
        "Kent een rol toe aan een account, of neemt hem af met --revoke: Coördinator, "
        "Professional, Onderzoeker of Functioneel beheerder (die wordt ook stafaccount, voor het "
        "beheer). Voor de systeemeigenaar: de functioneel beheerder kent zelf alleen "
        "Professional toe. Elke wijziging komt met de reden in de wijzigingsgeschiedenis van "
        "het account en in de toegangslog."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="De gebruikersnaam van het account.")
        parser.add_argument(
            "role",
            help="De rol: 'Coördinator' (of coordinator), 'Professional', 'Onderzoeker' (of "
            "researcher) of 'Functioneel beheerder' (of administrator).",
        )
        parser.add_argument("--reason", required=True, help="Waarom (verplicht, wordt vastgelegd).")
        parser.add_argument(
            "--revoke", action="store_true", help="De rol afnemen in plaats van toekennen."
        )
        parser.add_argument(
            "--actor",
            default="system",
            help="Wie het commando uitvoert, voor het vastleggen (standaard 'system').",
        )

    def handle(
        self,
        *args: Any,
        username: str,
        role: str,
        reason: str,
        revoke: bool,
        actor: str,
        **options: Any,
    ) -> None:
        staff_role = parse_role(role)
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Er is geen account met gebruikersnaam '{username}'.")
        actor_name = actor.strip()[:150] or "system"
        # An actor that names an existing account is recorded as that account as well.
        actor_user = User.objects.filter(username=actor_name).first()
        try:
            changed = role_change(
                user=user,
                role=staff_role,
                reason=reason,
                actor=actor_user,
                actor_name=actor_name,
                revoke=revoke,
            )
        except AccountError as error:
            raise CommandError(error.message) from error
        if not changed:
            state = "heeft de rol niet" if revoke else "heeft de rol al"
            self.stdout.write(f"Niets gewijzigd: {username} {state} '{staff_role.value}'.")
            return
        done = "afgenomen van" if revoke else "toegekend aan"
        self.stdout.write(f"Rol '{staff_role.value}' {done} {username}; vastgelegd met de reden.")
