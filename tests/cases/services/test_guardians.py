"""guardian_add / guardian_change: validation (phonenumbers, e-mail, address), E.164 storage,
shared by the household, change history in the same transaction."""

import pytest
from auditlog.models import LogEntry

from cases.exceptions import RuleViolation
from cases.models import Guardian
from cases.phones import display_phone, normalise_phone
from cases.services.guardians import GuardianDetails, guardian_add, guardian_change
from tests.factories import CaseFactory, ChildFactory, GuardianFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]


def details(**overrides) -> GuardianDetails:
    values = {"name": "Karin Smit", "relation": "moeder", "has_custody": True} | overrides
    return GuardianDetails(**values)


@pytest.mark.parametrize(
    ("raw", "stored", "shown"),
    [
        ("06 12345678", "+31612345678", "06 12345678"),
        ("023-5551234", "+31235551234", "023 555 1234"),
        ("+32 470 12 34 56", "+32470123456", "+32 470 12 34 56"),
        ("", "", ""),
    ],
)
def test_phone_numbers_are_stored_as_e164_and_shown_nationally(raw, stored, shown):
    assert normalise_phone(raw) == stored
    assert display_phone(stored) == shown


def test_an_old_unchecked_number_is_shown_as_it_is():
    assert display_phone("onbekend") == "onbekend"


def test_a_guardian_is_shared_by_the_household_and_recorded_with_history():
    case = CaseFactory()
    sibling = ChildFactory(household=case.child.household)
    guardian = guardian_add(
        case=case,
        details=details(phone="06 12345678", email="k.smit@example.nl"),
        actor=UserFactory(),
    )
    guardian.refresh_from_db()
    assert guardian.household_id == sibling.household_id
    assert guardian.phone == "+31612345678"
    assert list(Guardian.objects.of_household(sibling.household_id)) == [guardian]
    assert LogEntry.objects.get_for_object(guardian).count() == 1


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("phone", {"phone": "12"}),
        ("phone", {"phone": "+31 6 1234"}),
        ("email", {"email": "geen-adres"}),
        ("name", {"name": "   "}),
        ("relation", {"relation": "buurman"}),
        ("preferred_language", {"preferred_language": "xx"}),
        ("postcode", {"street": "Dorpsstraat 1", "postcode": "99", "city": "Haarlem"}),
        ("street", {"street": "Dorpsstraat 1"}),
    ],
)
def test_bad_input_is_refused_in_dutch_and_nothing_is_saved(field, overrides):
    case = CaseFactory()
    with pytest.raises(RuleViolation) as refused:
        guardian_add(case=case, details=details(**overrides), actor=UserFactory())
    assert field in refused.value.errors
    assert not Guardian.objects.exists()


def test_changing_a_guardian_keeps_the_old_values_in_the_history():
    guardian = GuardianFactory(phone="+31235551234", email="")
    changed = guardian_change(
        guardian=guardian,
        details=details(name=guardian.name, phone="06-87654321", email="nieuw@example.nl"),
        actor=UserFactory(),
    )
    assert changed.phone == "+31687654321"
    entry = LogEntry.objects.get_for_object(guardian).latest("timestamp")
    assert entry.changes_dict["phone"] == ["+31235551234", "+31687654321"]


def test_changing_with_an_invalid_value_changes_nothing():
    guardian = GuardianFactory(email="oud@example.nl")
    with pytest.raises(RuleViolation):
        guardian_change(
            guardian=guardian, details=details(email="kapot@", name="X"), actor=UserFactory()
        )
    guardian.refresh_from_db()
    assert guardian.email == "oud@example.nl"
