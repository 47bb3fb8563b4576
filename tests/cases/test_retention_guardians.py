"""Retention and guardians: guardians belong to the household (issue 16 §1), so they are
deleted when the household is anonymised, not when the child in whose file they were first
recorded is. A sibling whose case is still kept keeps them."""

import datetime

import pytest
import time_machine
from auditlog.models import LogEntry

from cases.models import Guardian
from cases.retention import apply_retention
from tests.cases.test_retention import NOW, POLICY, born_aged, closed_case
from tests.factories import CaseFactory, ChildFactory, GuardianFactory, HouseholdFactory

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def guardian_history(guardian: Guardian):
    return LogEntry.objects.get_for_object(guardian)


def test_a_sibling_whose_case_is_kept_keeps_the_shared_guardian():
    household = HouseholdFactory()
    elder = closed_case(
        ChildFactory(date_of_birth=born_aged(20), household=household),
        closed_on=datetime.date(2020, 3, 1),
    )
    younger = CaseFactory(child=ChildFactory(date_of_birth=born_aged(12), household=household))
    # Recorded in the elder child's file, shared by the household.
    mother = GuardianFactory(child=elder.child, name="Els Visser")
    assert guardian_history(mother).exists()

    report = apply_retention(policy=POLICY)

    assert report.counts["children"] == 1
    assert report.counts["guardians"] == 0
    mother.refresh_from_db()
    assert list(Guardian.objects.of_household(younger.child.household_id)) == [mother]
    assert mother.name == "Els Visser"
    assert guardian_history(mother).exists()


def test_the_guardians_go_with_the_household_and_their_history_with_them():
    household = HouseholdFactory()
    first = closed_case(
        ChildFactory(date_of_birth=born_aged(20), household=household),
        closed_on=datetime.date(2020, 3, 1),
    )
    second = closed_case(
        ChildFactory(date_of_birth=born_aged(21), household=household),
        closed_on=datetime.date(2019, 3, 1),
    )
    mother = GuardianFactory(child=first.child, name="Fatima de Vries")
    father = GuardianFactory(child=second.child, name="Ahmed Bakker")
    other_household = GuardianFactory(child=CaseFactory().child, name="Karin Smit")

    dry = apply_retention(policy=POLICY, dry_run=True)
    assert dry.counts["guardians"] == 2
    assert Guardian.objects.count() == 3

    report = apply_retention(policy=POLICY)

    assert report.counts["households"] == 1
    assert report.counts["guardians"] == 2
    assert list(Guardian.objects.all()) == [other_household]
    for name in ("Fatima de Vries", "Ahmed Bakker"):
        assert not LogEntry.objects.filter(changes__icontains=name).exists()
    for gone in (mother, father):
        assert not LogEntry.objects.filter(
            content_type__model="guardian", object_pk=str(gone.pk)
        ).exists()
    assert guardian_history(other_household).exists()


def test_the_shared_guardian_goes_once_the_last_sibling_is_past_retention():
    household = HouseholdFactory()
    elder = closed_case(
        ChildFactory(date_of_birth=born_aged(20), household=household),
        closed_on=datetime.date(2020, 3, 1),
    )
    younger = closed_case(
        ChildFactory(date_of_birth=born_aged(18), household=household),
        closed_on=datetime.date(2025, 3, 1),
    )
    GuardianFactory(child=elder.child)
    apply_retention(policy=POLICY)
    assert Guardian.objects.filter(household=household).count() == 1

    # Five years after the younger child's case closed (and past 19): their file goes too.
    with time_machine.travel(NOW.replace(year=2030, month=3, day=2), tick=False):
        report = apply_retention(policy=POLICY)

    assert report.counts["children"] == 1
    assert report.counts["households"] == 1
    younger.child.refresh_from_db()
    assert younger.child.anonymised_at is not None
    assert not Guardian.objects.filter(household=household).exists()
