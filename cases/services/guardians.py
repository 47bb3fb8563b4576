"""Guardians (parents and carers) of a household: recorded at intake or on the case page.

A guardian belongs to the household, so every child's case shows the same ones. Each write is
atomic; its change history (before and after values) is written by django-auditlog's signals
inside the same transaction (cases/history.py tracks Guardian).
"""

from dataclasses import dataclass, fields

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from ..constants import GuardianLanguage, GuardianRelation
from ..exceptions import RuleViolation
from ..models import Case, Guardian, Household
from ..phones import normalise_phone
from ..validators import normalise_postcode, validate_postcode

MAX_GUARDIANS_PER_HOUSEHOLD = 10


@dataclass(frozen=True)
class GuardianDetails:
    """What the user enters about a guardian; checked by `guardian_details_errors`."""

    name: str
    relation: str
    has_custody: bool
    phone: str = ""
    email: str = ""
    preferred_language: str = GuardianLanguage.DUTCH
    street: str = ""
    postcode: str = ""
    city: str = ""


def _cleaned(details: GuardianDetails) -> tuple[dict[str, object], dict[str | None, str]]:
    """The values to store (phone as E.164, postcode as "2011 AB") and the errors per field."""
    errors: dict[str | None, str] = {}
    values: dict[str, object] = {f.name: getattr(details, f.name) for f in fields(details)}
    for name in ("name", "phone", "email", "street", "postcode", "city"):
        values[name] = str(values[name] or "").strip()
    if not values["name"]:
        errors["name"] = _("Vul de naam van de ouder of verzorger in.")
    elif len(str(values["name"])) > 200:
        errors["name"] = _("Een naam heeft hooguit 200 tekens.")
    if details.relation not in GuardianRelation.values:
        errors["relation"] = _("Kies de relatie tot het kind.")
    if details.preferred_language not in GuardianLanguage.values:
        errors["preferred_language"] = _("Kies een voorkeurstaal uit de lijst.")
    try:
        values["phone"] = normalise_phone(str(values["phone"]))
    except ValidationError as error:
        errors["phone"] = str(error.messages[0])
    if values["email"]:
        try:
            validate_email(str(values["email"]))
        except ValidationError:
            errors["email"] = _("Dit is geen geldig e-mailadres, zoals naam@voorbeeld.nl.")
    if values["postcode"]:
        values["postcode"] = normalise_postcode(str(values["postcode"]))
        try:
            validate_postcode(str(values["postcode"]))
        except ValidationError as error:
            errors["postcode"] = str(error.messages[0])
    if len(str(values["street"])) > 200 or len(str(values["city"])) > 100:
        errors["street"] = _("Het adres is te lang.")
    address = [values["street"], values["postcode"], values["city"]]
    if any(address) and not all(address):
        errors.setdefault(
            "street",
            _(
                "Vul een afwijkend adres helemaal in (straat, postcode en plaats), "
                "of laat het leeg."
            ),
        )
    return values, errors


def guardian_add(*, case: Case, details: GuardianDetails, actor: User) -> Guardian:
    """Record a guardian for the household of `case`'s child (in the file of that child).

    Raises RuleViolation with a message per field when a value is invalid; nothing is saved.
    `actor` must be allowed to change the case (cases.access.get_case_for_user(write=True)).
    """
    values, errors = _cleaned(details)
    if errors:
        raise RuleViolation(errors=errors)
    with transaction.atomic():
        household_id = case.child.household_id
        # The household row is the lock: two guardians added at once count each other.
        Household.objects.select_for_update().filter(pk=household_id).first()
        count = Guardian.objects.filter(household_id=household_id).count()
        if count >= MAX_GUARDIANS_PER_HOUSEHOLD:
            raise RuleViolation(
                _("Een huishouden heeft hooguit %(max)s ouders of verzorgers.")
                % {"max": MAX_GUARDIANS_PER_HOUSEHOLD}
            )
        return Guardian.objects.create(household_id=household_id, child=case.child, **values)


def guardian_change(*, guardian: Guardian, details: GuardianDetails, actor: User) -> Guardian:
    """Change a guardian's details; the change history keeps the old values.

    `guardian` comes from cases.access.get_guardian_for_case (write). Raises RuleViolation.
    """
    values, errors = _cleaned(details)
    if errors:
        raise RuleViolation(errors=errors)
    with transaction.atomic():
        locked = Guardian.objects.select_for_update().get(pk=guardian.pk)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, values[name])
        if changed:
            locked.save(update_fields=changed)
        return locked
