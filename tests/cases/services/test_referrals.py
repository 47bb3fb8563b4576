"""Registering a referral: the child, the household, the case and its study arm in one go."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError

from cases.constants import CaseSource, CaseStatus, MeldingType
from cases.exceptions import RuleViolation
from cases.models import Case, CaseNumberCounter, Child, Household
from cases.services import child_register, household_register, referral_register
from cases.services.referrals import referral_problems
from evaluation.constants import AllocationMethod, Arm
from evaluation.models import Allocation, AllocationDraw, AllocationSequence
from tests.factories import (
    AllocationFactory,
    CaseFactory,
    ChildFactory,
    HouseholdFactory,
    SchoolFactory,
    UserFactory,
    valid_bsn,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 3, 16)
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


@pytest.fixture
def child():
    """A 14-year-old at a vo school, without any case."""
    return ChildFactory(date_of_birth=datetime.date(2011, 6, 1))


def register(actor, child, **overrides) -> Case:
    values = {
        "actor": actor,
        "child": child,
        "date_received": datetime.date(2026, 1, 31),
        "source": CaseSource.DUO,
        "melding_type": MeldingType.ZESTIEN_UUR,
        "hours_absent": 18,
        "times_late": 3,
        "period_start": datetime.date(2026, 1, 5),
        "period_end": datetime.date(2026, 1, 30),
    } | overrides
    return referral_register(**values)


def snapshot() -> tuple:
    """Everything a refused referral must leave untouched."""
    return (
        sorted(Case.objects.values_list("pk", flat=True)),
        sorted(Allocation.objects.values_list("pk", flat=True)),
        sorted(AllocationSequence.objects.values_list("stratum", "next_position")),
        sorted(CaseNumberCounter.objects.values_list("year", "last_number")),
    )


def refused(actor, child, **overrides) -> dict:
    before = snapshot()
    with pytest.raises(RuleViolation) as exc_info:
        register(actor, child, **overrides)
    assert snapshot() == before
    return exc_info.value.errors


def test_referral_opens_a_numbered_case_with_its_deadline(actor, child):
    case = register(actor, child)

    case.refresh_from_db()
    assert re.fullmatch(r"\d{4}-\d{6}", case.number)
    assert case.number == "2026-000001"
    assert case.child == child
    assert case.status == CaseStatus.OPEN
    assert case.professional is None
    assert case.date_received == datetime.date(2026, 1, 31)
    # Three calendar months, clamped to the end of April.
    assert case.three_month_deadline == datetime.date(2026, 4, 30)
    assert (case.hours_absent, case.times_late) == (18, 3)
    assert case.melding_type == MeldingType.ZESTIEN_UUR


def test_case_numbers_count_up_per_year_of_the_referral(actor):
    first = register(actor, ChildFactory(date_of_birth=datetime.date(2011, 6, 1)))
    second = register(actor, ChildFactory(date_of_birth=datetime.date(2012, 6, 1)))
    last_year = register(
        actor,
        ChildFactory(date_of_birth=datetime.date(2012, 6, 1)),
        date_received=datetime.date(2025, 12, 22),
        period_start=datetime.date(2025, 11, 24),
        period_end=datetime.date(2025, 12, 19),
    )

    assert (first.number, second.number, last_year.number) == (
        "2026-000001",
        "2026-000002",
        "2025-000001",
    )


def test_referral_draws_the_allocation(actor, child):
    case = register(actor, child)

    allocation = Allocation.objects.get(case=case)
    assert allocation.method == AllocationMethod.BLOCK_RANDOM
    assert allocation.draw.stratum == f"16_uur/{child.school.level}"
    assert allocation.draw.sequence_position == 0
    assert allocation.actor == actor
    case.refresh_from_db()
    assert case.arm == allocation.arm
    assert case.arm in Arm.values


def test_referral_without_allocation_leaves_the_arm_empty(actor, child):
    case = register(actor, child, allocate=False)

    assert not Allocation.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.arm == ""


def test_case_and_allocation_are_one_transaction(actor, child):
    # Another row already holds the position this draw gets: the allocation insert fails, and
    # the case (and its number) must go with it.
    AllocationDraw.objects.create(
        allocation=AllocationFactory(),
        stratum=f"16_uur/{child.school.level}",
        block_number=0,
        sequence_position=0,
    )
    before = snapshot()

    with pytest.raises(IntegrityError):
        register(actor, child)

    assert snapshot() == before
    assert not Case.objects.filter(child=child).exists()


def test_child_with_an_open_case_is_refused(actor, child):
    register(actor, child)

    errors = refused(actor, child)

    assert set(errors) == {"child"}
    assert "al een open zaak" in errors["child"]
    assert Case.objects.filter(child=child).count() == 1


def test_child_with_only_a_closed_case_gets_a_new_one(actor, child):
    CaseFactory(child=child, closed=True)

    case = register(actor, child)

    assert Case.objects.filter(child=child).count() == 2
    assert case.status == CaseStatus.OPEN


@pytest.mark.parametrize(
    ("date_of_birth", "age"),
    [
        (datetime.date(2021, 2, 1), 4),  # turns 5 the day after the referral
        (datetime.date(2008, 1, 31), 18),  # turned 18 on the day of the referral
    ],
)
def test_child_outside_school_age_is_refused(actor, date_of_birth, age):
    errors = refused(actor, ChildFactory(date_of_birth=date_of_birth))

    assert set(errors) == {"date_of_birth"}
    assert f"{age} jaar" in errors["date_of_birth"]


@pytest.mark.parametrize(
    "date_of_birth",
    [
        datetime.date(2021, 1, 31),  # 5 on the day of the referral
        datetime.date(2008, 2, 1),  # still 17: turns 18 the day after
    ],
)
def test_child_at_the_edges_of_school_age_is_accepted(date_of_birth):
    problems = referral_problems(
        child=ChildFactory(date_of_birth=date_of_birth),
        date_received=datetime.date(2026, 1, 31),
        period_start=datetime.date(2026, 1, 5),
        period_end=datetime.date(2026, 1, 30),
    )

    assert problems == {}


def test_absence_ending_after_the_referral_is_refused(actor, child):
    errors = refused(actor, child, period_end=datetime.date(2026, 2, 1))

    assert set(errors) == {"period_end"}
    assert "uiterlijk op de datum van de melding" in errors["period_end"]


def test_absence_ending_before_it_starts_is_refused(actor, child):
    errors = refused(
        actor, child, period_start=datetime.date(2026, 1, 20), period_end=datetime.date(2026, 1, 5)
    )

    assert set(errors) == {"period_end"}
    assert "vóór het begin" in errors["period_end"]


def test_referral_received_in_the_future_is_refused(actor, child):
    errors = refused(actor, child, date_received=TODAY + datetime.timedelta(days=1))

    assert set(errors) == {"date_received"}
    assert "toekomst" in errors["date_received"]


def test_referral_received_today_is_accepted(actor, child):
    case = register(actor, child, date_received=TODAY, period_end=TODAY)

    assert case.date_received == TODAY


def child_values(household, **overrides) -> dict:
    return {
        "first_name": " Fleur ",
        "last_name": "Zonneveld ",
        "date_of_birth": datetime.date(2012, 5, 4),
        "bsn": valid_bsn(900),
        "onderwijsnummer": None,
        "school": SchoolFactory(),
        "household": household,
    } | overrides


def test_child_register_creates_the_child():
    household = HouseholdFactory()
    bsn = valid_bsn(900)

    child = child_register(**child_values(household, bsn=f"{bsn[:4]} {bsn[4:6]} {bsn[6:]}"))

    child.refresh_from_db()
    assert (child.first_name, child.last_name) == ("Fleur", "Zonneveld")
    assert child.bsn == bsn
    assert child.household == household


def test_child_register_refuses_an_invalid_bsn():
    household = HouseholdFactory()
    invalid = valid_bsn(901)[:8] + str((int(valid_bsn(901)[8]) + 1) % 10)

    with pytest.raises(RuleViolation) as exc_info:
        child_register(**child_values(household, bsn=invalid))

    assert set(exc_info.value.errors) == {"bsn"}
    assert "elfproef" in exc_info.value.errors["bsn"]
    assert not Child.objects.filter(last_name="Zonneveld").exists()


def test_household_register_normalises_the_postcode():
    household = household_register(street=" Kruisstraat 8 ", postcode="2011ab", city="Haarlem")

    household.refresh_from_db()
    assert (household.street, household.postcode, household.city) == (
        "Kruisstraat 8",
        "2011 AB",
        "Haarlem",
    )


@pytest.mark.parametrize("postcode", ["2011", "0123 AB", "ABCD 12"])
def test_household_register_refuses_a_bad_postcode(postcode):
    count = Household.objects.count()

    with pytest.raises(RuleViolation) as exc_info:
        household_register(street="Kruisstraat 8", postcode=postcode, city="Haarlem")

    assert set(exc_info.value.errors) == {"postcode"}
    assert "postcode" in exc_info.value.errors["postcode"]
    assert Household.objects.count() == count


# ------------------------------------------------------------------ the initial stage change


def test_registration_writes_the_initial_stage_change(actor, child):
    """The evaluation reads the stage a case started in from this row (issue 12)."""
    from cases.constants import Stage
    from cases.models import StageChange

    case = register(actor, child)
    (change,) = StageChange.objects.filter(case=case)
    assert (change.from_stage, change.to_stage) == ("", Stage.LEERPLICHT)
    assert (change.from_status, change.to_status) == ("", CaseStatus.OPEN)
    assert change.actor == actor and change.changed_at == NOW
    assert change.reason == "Verzuimmelding geregistreerd."


def test_refused_registration_writes_no_stage_change(actor, child):
    from cases.models import StageChange

    with pytest.raises(RuleViolation):
        register(actor, child, date_received=datetime.date(2026, 4, 1))  # in the future
    assert not StageChange.objects.exists()


def test_bulk_helper_writes_one_initial_row_per_case(actor):
    """For the CSV import: one INSERT for all new cases."""
    from cases.models import StageChange
    from cases.services.referrals import initial_stage_changes_bulk

    cases = CaseFactory.create_batch(3)
    initial_stage_changes_bulk(cases=cases, actor=actor)
    rows = StageChange.objects.filter(from_status="")
    assert sorted(rows.values_list("case_id", flat=True)) == sorted(c.pk for c in cases)
    assert set(rows.values_list("to_stage", "to_status", "actor_id")) == {
        ("leerplicht", CaseStatus.OPEN, actor.pk)
    }


def test_data_migration_adds_the_row_for_cases_without_one(actor):
    """cases 0008: a case without an initial row gets one, in the stage it started in (the
    from-stage of its first change), dated at its creation; a case with one is left alone."""
    import importlib

    from django.apps import apps

    from cases.constants import Stage
    from cases.models import StageChange
    from tests.factories import StageChangeFactory

    migration = importlib.import_module("cases.migrations.0008_initial_stage_changes")
    never_moved = CaseFactory()
    moved = CaseFactory(stage=Stage.RVDK)
    StageChangeFactory(case=moved, from_stage=Stage.LEERPLICHT, to_stage=Stage.RVDK, actor=actor)
    registered = register(actor, ChildFactory(date_of_birth=datetime.date(2012, 1, 1)))

    migration.write_initial_stage_changes(apps, None)
    migration.write_initial_stage_changes(apps, None)  # again: nothing more

    initial = StageChange.objects.filter(from_status="")
    assert initial.filter(case=never_moved).get().to_stage == Stage.LEERPLICHT
    moved_row = initial.filter(case=moved).get()
    assert moved_row.to_stage == Stage.LEERPLICHT and moved_row.actor == actor
    assert moved_row.changed_at == moved.created_at
    assert initial.filter(case=registered).count() == 1
