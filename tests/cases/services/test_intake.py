"""cases/services/intake.py: the referral intake in one transaction, for a known or a new child."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.constants import CaseSource, MeldingType
from cases.exceptions import CaseError
from cases.models import Case, Child, Household
from cases.services.intake import NewChild, referral_intake
from evaluation.models import Allocation
from tests.factories import CaseFactory, ChildFactory, HouseholdFactory, UserFactory, valid_bsn

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.ALLOCATION_BLOCK_SIZES = (4, 6, 8)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def actor():
    return UserFactory(coordinator=True)


REFERRAL = {
    "date_received": datetime.date(2026, 1, 31),
    "source": CaseSource.DUO,
    "melding_type": MeldingType.ZESTIEN_UUR,
    "hours_absent": 18,
    "times_late": 0,
    "period_start": datetime.date(2026, 1, 2),
    "period_end": datetime.date(2026, 1, 30),
}


def new_child(**overrides) -> NewChild:
    values = {
        "first_name": "Noor",
        "last_name": "Visser",
        "date_of_birth": datetime.date(2012, 4, 1),
        "bsn": valid_bsn(9001),
        "onderwijsnummer": None,
        "school": None,
        "household": None,
        "street": "Kruisstraat 3",
        "postcode": "2011 AB",
        "city": "Haarlem",
    }
    return NewChild(**(values | overrides))


def counts() -> tuple[int, int, int, int]:
    return (
        Child.objects.count(),
        Household.objects.count(),
        Case.objects.count(),
        Allocation.objects.count(),
    )


def test_a_known_child_gets_a_case_with_an_arm(actor):
    child = ChildFactory(date_of_birth=datetime.date(2011, 6, 1))

    case = referral_intake(actor=actor, child=child, new_child=None, **REFERRAL)

    case.refresh_from_db()
    assert case.child == child
    assert case.arm
    assert Allocation.objects.filter(case=case).count() == 1


def test_a_new_child_gets_a_new_household_at_the_address(actor):
    case = referral_intake(actor=actor, child=None, new_child=new_child(), **REFERRAL)

    child = Child.objects.get(pk=case.child_id)
    assert (child.first_name, child.bsn) == ("Noor", valid_bsn(9001))
    assert (child.household.street, child.household.city) == ("Kruisstraat 3", "Haarlem")


def test_a_new_child_joins_the_chosen_household(actor):
    household = HouseholdFactory()
    before = Household.objects.count()

    case = referral_intake(
        actor=actor, child=None, new_child=new_child(household=household), **REFERRAL
    )

    assert case.child.household == household
    assert Household.objects.count() == before


def test_a_refused_referral_leaves_no_child_household_or_case(actor):
    before = counts()

    # Four years old on the referral date: no referral, so no child and household either.
    with pytest.raises(CaseError) as refused:
        referral_intake(
            actor=actor,
            child=None,
            new_child=new_child(date_of_birth=datetime.date(2021, 6, 1)),
            **REFERRAL,
        )

    assert "date_of_birth" in refused.value.errors
    assert counts() == before


def test_a_child_with_an_open_case_gets_no_second_one(actor):
    open_case = CaseFactory(child__date_of_birth=datetime.date(2011, 6, 1))
    before = counts()

    with pytest.raises(CaseError) as refused:
        referral_intake(actor=actor, child=open_case.child, new_child=None, **REFERRAL)

    assert "child" in refused.value.errors
    assert counts() == before


@pytest.mark.parametrize("both", [True, False])
def test_exactly_one_child_is_given(actor, both):
    child = ChildFactory() if both else None
    with pytest.raises(ValueError):
        referral_intake(
            actor=actor, child=child, new_child=new_child() if both else None, **REFERRAL
        )
