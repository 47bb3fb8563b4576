"""Retention: the rules (pure and as queries), a dry run and a real run on a hand-built world.

Today is 16 March 2026. Defaults: Leerplicht/Halt until the child is 19 and 5 years after
closure (the later of the two), RvdK until the child is 24.
"""

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from cases.constants import CaseStatus, Stage
from cases.models import (
    Assignment,
    Case,
    Child,
    Contact,
    Guardian,
    Household,
    HouseholdPlan,
    ImportBatch,
    ImportRow,
    ImportRowStatus,
    ImportStatus,
    Outcome,
    PlanAction,
    PlanChange,
    PlanGoal,
    RetentionRun,
    StageChange,
    age_on,
)
from cases.retention import (
    COUNT_LABELS,
    RetentionPolicy,
    anniversary,
    apply_retention,
    case_retention_ends,
    children_due,
    cutoff,
)
from evaluation.constants import Arm, RespondentType
from evaluation.definitions import MeasurementStatus
from evaluation.models import Allocation, Measurement, SurveyInvitation, SurveyResponse
from tests.factories import (
    AllocationFactory,
    CaseFactory,
    ChildFactory,
    ContactFactory,
    GuardianFactory,
    HouseholdFactory,
    HouseholdPlanFactory,
    OutcomeFactory,
    PlanActionFactory,
    ProfessionalFactory,
    StageChangeFactory,
    SurveyInvitationFactory,
    UserFactory,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 3, 16)
NOW = datetime.datetime(2026, 3, 16, 3, 0, tzinfo=AMSTERDAM)
POLICY = RetentionPolicy(
    leerplicht_age=19, leerplicht_years_after_closure=5, rvdk_age=24, import_preview_hours=24
)

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


# --- The rules as pure functions ---------------------------------------------------------------


def born_aged(age: int) -> datetime.date:
    """Born on 1 January: `age` on TODAY (16 March)."""
    return datetime.date(TODAY.year - age, 1, 1)


@pytest.mark.parametrize(
    ("age", "closed_on", "reached_rvdk", "ends"),
    [
        # 19 and closed 6 years ago: both limits passed; the later one is the 19th birthday.
        (19, datetime.date(2020, 3, 1), False, datetime.date(2026, 1, 1)),
        # 19 but closed 2 years ago: kept until 5 years after closure.
        (19, datetime.date(2024, 3, 1), False, datetime.date(2029, 3, 1)),
        # Closed 6 years ago but only 16: kept until the 19th birthday.
        (16, datetime.date(2020, 3, 1), False, datetime.date(2029, 1, 1)),
        # RvdK: the 24th birthday, whenever it closed.
        (22, datetime.date(2020, 3, 1), True, datetime.date(2028, 1, 1)),
        (24, datetime.date(2025, 3, 1), True, datetime.date(2026, 1, 1)),
        # Open: never.
        (30, None, False, None),
    ],
)
def test_case_retention_ends_on_the_later_limit(age, closed_on, reached_rvdk, ends):
    assert (
        case_retention_ends(
            date_of_birth=born_aged(age),
            closed_on=closed_on,
            reached_rvdk=reached_rvdk,
            policy=POLICY,
        )
        == ends
    )


def test_a_leap_day_child_turns_19_on_1_march_as_age_on_says():
    born = datetime.date(2008, 2, 29)
    assert anniversary(born, 19) == datetime.date(2027, 3, 1)
    assert born > cutoff(datetime.date(2027, 2, 28), 19)
    assert born <= cutoff(datetime.date(2027, 3, 1), 19)


@given(
    day=st.dates(datetime.date(1990, 1, 1), datetime.date(2030, 12, 31)),
    today=st.dates(datetime.date(2000, 1, 1), datetime.date(2060, 12, 31)),
    years=st.integers(0, 30),
)
def test_the_query_cutoff_agrees_with_the_anniversary_and_age_on(day, today, years):
    """The queries compare with cutoff(); the pure rules with anniversary(); both must agree."""
    passed = anniversary(day, years) <= today
    assert passed == (day <= cutoff(today, years))
    assert passed == (age_on(day, today) >= years)


# --- A hand-built world ------------------------------------------------------------------------


def closed_case(child, *, closed_on: datetime.date, stage=Stage.LEERPLICHT, **kwargs):
    received = closed_on - datetime.timedelta(days=60)
    return CaseFactory(
        child=child,
        status=CaseStatus.CLOSED,
        closed_on=closed_on,
        stage=stage,
        date_received=received,
        period_start=received - datetime.timedelta(days=28),
        period_end=received - datetime.timedelta(days=2),
        **kwargs,
    )


def measurement(case) -> Measurement:
    return Measurement.objects.create(
        case=case,
        arm=Arm.BIP,
        date_received=case.date_received,
        measured_on=case.date_received + datetime.timedelta(days=91),
        status=MeasurementStatus.MEASURED,
        suitable=True,
        outcome_category="terug_op_school",
        days_to_outcome=40,
        days_to_first_contact=3,
        distinct_professionals=1,
        handovers=0,
        contacts=2,
        furthest_stage=Stage.LEERPLICHT,
        km_days=40,
        km_event=True,
        definitions_version=1,
    )


def file_contents(case, professional, *, guardian: str):
    """A contact with a summary, a stage change with a reason, an outcome, an assignment with
    a note and a guardian: everything a file holds."""
    ContactFactory(
        case=case,
        professional=professional,
        summary="Moeder vertelt over de scheiding.",
        occurred_at=datetime.datetime.combine(
            case.date_received + datetime.timedelta(days=3), datetime.time(10), AMSTERDAM
        ),
    )
    StageChangeFactory(
        case=case,
        from_stage=Stage.LEERPLICHT,
        to_stage=case.stage,
        from_status=CaseStatus.OPEN,
        to_status=CaseStatus.CLOSED,
        reason="Terug op school na gesprek met vader.",
    )
    OutcomeFactory(case=case, achieved_on=case.closed_on)
    Assignment.objects.create(
        case=case,
        professional=professional,
        reason="intake",
        note="Broer heeft ook een zaak.",
        assigned_by=professional.user,
    )
    GuardianFactory(child=case.child, name=guardian)


@pytest.fixture
def world(db):
    professional = ProfessionalFactory(bip=True)
    w = {}
    # A household whose only child is due: all of it goes.
    gone_household = HouseholdFactory(street="Grote Markt 1")
    w["leerplicht_19_closed_6y"] = closed_case(
        ChildFactory(date_of_birth=born_aged(19), household=gone_household, last_name="Wolterbeek"),
        closed_on=datetime.date(2020, 3, 1),
    )
    plan = HouseholdPlanFactory(household=gone_household)
    goal = PlanGoal.objects.create(plan=plan, description="Fatima gaat weer naar school.")
    PlanActionFactory(plan=plan, goal=goal, description="Gesprek met mentor.")
    PlanChange.objects.create(
        plan=plan, kind="doel_toegevoegd", description="Doel", actor=professional.user
    )
    # Kept: 19, but closed only 2 years ago.
    w["leerplicht_19_closed_2y"] = closed_case(
        ChildFactory(date_of_birth=born_aged(19)), closed_on=datetime.date(2024, 3, 1)
    )
    # RvdK: kept at 22, removed at 24.
    w["rvdk_22"] = closed_case(
        ChildFactory(date_of_birth=born_aged(22)),
        closed_on=datetime.date(2019, 6, 1),
        stage=Stage.RVDK,
    )
    w["rvdk_24"] = closed_case(
        ChildFactory(date_of_birth=born_aged(24)),
        closed_on=datetime.date(2021, 6, 1),
        stage=Stage.RVDK,
    )
    # Open, however old the child: kept.
    w["open_25"] = CaseFactory(child=ChildFactory(date_of_birth=born_aged(25)))
    # Two cases of one child: the old one is past, the recent one not, so both stay.
    twice = ChildFactory(date_of_birth=born_aged(21))
    w["twice_old"] = closed_case(twice, closed_on=datetime.date(2019, 5, 1))
    w["twice_recent"] = closed_case(twice, closed_on=datetime.date(2023, 5, 1))
    # A sibling household: the older child is due, the younger has an open case.
    siblings = HouseholdFactory(street="Kerkstraat 2")
    w["sibling_due"] = closed_case(
        ChildFactory(date_of_birth=born_aged(20), household=siblings),
        closed_on=datetime.date(2020, 9, 1),
    )
    w["sibling_open"] = CaseFactory(
        child=ChildFactory(date_of_birth=born_aged(12), household=siblings)
    )
    HouseholdPlanFactory(household=siblings)
    PlanActionFactory(plan=siblings.plan, description="Huiswerkbegeleiding")

    for name, guardian in (
        ("leerplicht_19_closed_6y", "Fatima de Vries"),
        ("leerplicht_19_closed_2y", "Karin Smit"),
        ("rvdk_24", "Ahmed Bakker"),
        ("sibling_due", "Els Visser"),
    ):
        file_contents(w[name], professional, guardian=guardian)
    # The evaluation's records of a case that goes.
    gone = w["leerplicht_19_closed_6y"]
    measurement(gone)
    AllocationFactory(case=gone)
    invitation = SurveyInvitationFactory(case=gone, respondent_type=RespondentType.PARENT)
    SurveyResponse.objects.create(
        invitation=invitation,
        respondent_type=RespondentType.PARENT,
        arm=Arm.BIP,
        grade=8,
        comment="Mevrouw Wolterbeek was erg behulpzaam.",
    )
    return w


DUE = {"leerplicht_19_closed_6y", "rvdk_24", "sibling_due"}
KEPT = {
    "leerplicht_19_closed_2y",
    "rvdk_22",
    "open_25",
    "twice_old",
    "twice_recent",
    "sibling_open",
}

CASE_DATA_MODELS = (
    Case,
    Child,
    Household,
    Guardian,
    Contact,
    StageChange,
    Assignment,
    Outcome,
    HouseholdPlan,
    PlanGoal,
    PlanAction,
    PlanChange,
    LogEntry,
    Measurement,
    Allocation,
    SurveyInvitation,
    SurveyResponse,
    ImportBatch,
    ImportRow,
    RetentionRun,
)


def database_state() -> dict:
    """Every row of every model retention touches, as tuples of all column values."""
    state = {}
    for model in CASE_DATA_MODELS:
        columns = [field.attname for field in model._meta.concrete_fields]
        state[model._meta.label] = sorted(
            model.objects.order_by("pk").values_list(*columns), key=repr
        )
    return state


def history_of(obj: models.Model):
    return LogEntry.objects.get_for_object(obj)


def test_the_query_and_the_pure_rules_pick_the_same_children(world):
    due = set(children_due(policy=POLICY, today=TODAY).values_list("pk", flat=True))
    for name, case in world.items():
        ends = case_retention_ends(
            date_of_birth=case.child.date_of_birth,
            closed_on=case.closed_on,
            reached_rvdk=case.stage == Stage.RVDK,
            policy=POLICY,
        )
        child_cases = Case.objects.filter(child=case.child)
        all_past = all(
            (
                end := case_retention_ends(
                    date_of_birth=c.child.date_of_birth,
                    closed_on=c.closed_on,
                    reached_rvdk=c.stage == Stage.RVDK,
                    policy=POLICY,
                )
            )
            is not None
            and end <= TODAY
            for c in child_cases
        )
        assert (case.child_id in due) == all_past == (name in DUE), (name, ends)


def test_a_case_that_reached_the_rvdk_by_a_stage_change_follows_the_rvdk_rule(world):
    case = world["leerplicht_19_closed_6y"]
    StageChangeFactory(case=case, from_stage=Stage.LEERPLICHT, to_stage=Stage.RVDK)
    assert case.child_id not in children_due(policy=POLICY, today=TODAY).values_list(
        "pk", flat=True
    )


def test_the_real_run_anonymises_what_is_due_and_keeps_the_rest(world, coordinator, client):
    kept_before = {
        name: (Case.objects.filter(pk=world[name].pk).values().get(), world[name].child.bsn)
        for name in KEPT
    }
    kept_history = history_of(world["leerplicht_19_closed_2y"].child).count()
    assert kept_history > 0
    gone = world["leerplicht_19_closed_6y"]
    gone_ids = {
        "child": gone.child_id,
        "case": gone.pk,
        "contacts": list(gone.contacts.values_list("pk", flat=True)),
        "guardians": list(gone.child.guardians.values_list("pk", flat=True)),
        "plan": gone.child.household.plan.pk,
    }
    assert history_of(gone.child).exists() and history_of(gone).exists()
    client.force_login(coordinator)
    sibling_url = reverse("cases:case_detail", args=[world["sibling_open"].pk])
    assert world["sibling_due"].number in client.get(sibling_url).content.decode()

    report = apply_retention(policy=POLICY, actor="beheerder")

    # The due children: names, BSN and birth day gone; birth year kept.
    for name in DUE:
        child = Child.objects.get(pk=world[name].child_id)
        assert (child.first_name, child.last_name, child.bsn, child.onderwijsnummer) == (
            "",
            "",
            None,
            None,
        )
        assert child.date_of_birth == datetime.date(world[name].child.date_of_birth.year, 1, 1)
        assert child.anonymised_at is not None
        assert str(child) == f"Geanonimiseerd kind {child.pk}"
        case = Case.objects.get(pk=world[name].pk)
        assert case.anonymised_at is not None
        # Guardians go with their household: sibling_due's stay for the sibling kept.
        assert Guardian.objects.filter(child=child).exists() == (name == "sibling_due")
        assert set(case.contacts.values_list("summary", flat=True)) == {""}
        assert set(case.stage_changes.values_list("reason", flat=True)) == {""}
        assert set(case.assignments.values_list("note", flat=True)) == {""}
        # Structured case data stays for the evaluation.
        assert case.outcomes.count() == 1
        assert case.contacts.count() == 1
    # The kept cases did not change at all.
    for name, (row, bsn) in kept_before.items():
        assert Case.objects.filter(pk=world[name].pk).values().get() == row
        assert Child.objects.get(pk=world[name].child_id).bsn == bsn
    assert history_of(world["leerplicht_19_closed_2y"].child).count() == kept_history
    assert Guardian.objects.filter(child=world["leerplicht_19_closed_2y"].child).exists()

    # The household whose only child went: address blanked, plan deleted.
    gone_household = Household.objects.get(pk=gone.child.household_id)
    assert (gone_household.street, gone_household.postcode, gone_household.city) == ("", "", "")
    assert gone_household.anonymised_at is not None
    assert not HouseholdPlan.objects.filter(pk=gone_ids["plan"]).exists()
    assert not PlanGoal.objects.filter(plan_id=gone_ids["plan"]).exists()
    # The sibling household stays as long as one child remains.
    siblings = Household.objects.get(pk=world["sibling_open"].child.household_id)
    assert (siblings.street, siblings.anonymised_at) == ("Kerkstraat 2", None)
    assert siblings.plan.actions.count() == 1

    # The evaluation's records stay; only the survey's free text goes.
    assert Measurement.objects.filter(case=gone).exists()
    assert Allocation.objects.filter(case=gone).exists()
    response = SurveyResponse.objects.get(invitation__case=gone)
    assert (response.grade, response.comment) == (8, "")

    # The change history of everything removed is gone: it held the before/after values.
    assert not history_of(Child.objects.get(pk=gone_ids["child"])).exists()
    assert not history_of(Case.objects.get(pk=gone_ids["case"])).exists()
    for model, key in ((Contact, "contacts"), (Guardian, "guardians")):
        assert not LogEntry.objects.filter(
            content_type__model=model._meta.model_name,
            object_pk__in=[str(pk) for pk in gone_ids[key]],
        ).exists()
    for removed in ("Wolterbeek", "Fatima de Vries", "Ahmed Bakker", "Grote Markt"):
        assert not LogEntry.objects.filter(changes__icontains=removed).exists()
        assert not LogEntry.objects.filter(object_repr__icontains=removed).exists()
    assert LogEntry.objects.filter(changes__icontains="Karin Smit").exists()
    assert LogEntry.objects.filter(changes__icontains="Els Visser").exists()

    # The run is recorded.
    run = RetentionRun.objects.get()
    assert run == report.run
    assert run.actor == "beheerder"
    assert run.finished_at is not None
    assert run.policy["rvdk_born_on_or_before"] == "2002-03-16"
    assert run.counts["children"] == 3
    assert run.counts["cases"] == 3
    assert run.counts["guardians"] == 2  # not Els Visser: her household keeps a child
    assert run.counts["contacts"] == 3
    assert run.counts["households"] == 2  # the Grote Markt one and rvdk_24's own
    assert run.counts["plans"] == 1
    assert run.counts["plan_goals"] == 1
    assert run.counts["survey_comments"] == 1
    assert run.counts["history_entries"] > 0

    # An anonymised case is no case file any more: not in the list, 404 on its page.
    assert client.get(reverse("cases:case_detail", args=[gone.pk])).status_code == 404
    listing = client.get(reverse("cases:case_list"))
    assert gone.number not in listing.content.decode()
    assert world["leerplicht_19_closed_2y"].number in listing.content.decode()
    # Nor in the household panel of a sibling's case that stays.
    sibling_page = client.get(sibling_url)
    assert sibling_page.status_code == 200
    assert world["sibling_due"].number not in sibling_page.content.decode()


def test_a_dry_run_changes_nothing_and_reports_what_the_real_run_does(world):
    before = database_state()
    dry = apply_retention(policy=POLICY, dry_run=True)
    assert database_state() == before
    assert dry.run is None
    assert dry.counts["children"] == 3

    real = apply_retention(policy=POLICY)
    assert {key: dry.counts.get(key, 0) for key in COUNT_LABELS} == real.run.counts


def test_a_second_run_finds_nothing_to_do(world):
    apply_retention(policy=POLICY, chunk_size=1)
    after_first = database_state()
    second = apply_retention(policy=POLICY)
    assert set(second.run.counts.values()) == {0}
    after_second = database_state()
    # Only the second RetentionRun row is new.
    assert after_second.pop("cases.RetentionRun")[:-1] == after_first.pop("cases.RetentionRun")
    assert after_second == after_first


def test_small_chunks_give_the_same_result_as_one_chunk(world):
    dry = apply_retention(policy=POLICY, dry_run=True, chunk_size=1)
    real = apply_retention(policy=POLICY, chunk_size=1)
    assert {key: dry.counts.get(key, 0) for key in COUNT_LABELS} == real.run.counts
    assert real.run.counts["children"] == 3


def test_a_case_reopened_before_its_chunk_is_not_anonymised(world, coordinator):
    """The chunk re-checks the rules inside its transaction, with the cases locked."""
    from cases.services import case_reopen

    case = world["rvdk_24"]
    case_reopen(case=case, actor=coordinator, reason="Nieuwe melding", expected_version=None)
    report = apply_retention(policy=POLICY)
    assert report.run.counts["children"] == 2
    assert Child.objects.get(pk=case.child_id).anonymised_at is None


def test_stale_import_previews_lose_their_cells(db):
    user = UserFactory(coordinator=True)
    stale = ImportBatch.objects.create(
        file_name="oud.csv", uploaded_by=user, uploaded_at=NOW - datetime.timedelta(hours=25)
    )
    fresh = ImportBatch.objects.create(
        file_name="nieuw.csv", uploaded_by=user, uploaded_at=NOW - datetime.timedelta(hours=23)
    )
    for batch in (stale, fresh):
        ImportRow.objects.create(
            batch=batch, line_number=2, status=ImportRowStatus.VALID, payload={"bsn": "123"}
        )
        ImportRow.objects.create(
            batch=batch, line_number=3, status=ImportRowStatus.ERROR, errors=["Fout"]
        )
    report = apply_retention(policy=POLICY)
    stale.refresh_from_db()
    assert stale.status == ImportStatus.CANCELLED
    assert stale.finished_at == NOW
    assert list(stale.rows.values_list("payload", "status")) == [
        (None, ImportRowStatus.SKIPPED),
        (None, ImportRowStatus.SKIPPED),
    ]
    fresh.refresh_from_db()
    assert fresh.status == ImportStatus.PREVIEW
    assert fresh.rows.get(line_number=2).payload == {"bsn": "123"}
    assert (report.run.counts["import_batches"], report.run.counts["import_rows"]) == (1, 1)


def test_the_settings_are_the_default_policy(settings):
    settings.RETENTION_LEERPLICHT_AGE = 20
    settings.RETENTION_LEERPLICHT_YEARS_AFTER_CLOSURE = 3
    settings.RETENTION_RVDK_AGE = 25
    settings.IMPORT_PREVIEW_RETENTION_HOURS = 48
    assert RetentionPolicy.from_settings() == RetentionPolicy(
        leerplicht_age=20, leerplicht_years_after_closure=3, rvdk_age=25, import_preview_hours=48
    )


def test_the_command_dry_run_prints_the_counts_and_changes_nothing(world):
    before = database_state()
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert database_state() == before
    text = out.getvalue()
    assert "Proefdraai, er is niets gewijzigd" in text
    assert "kinderen geanonimiseerd: 3" in text
    assert "Peildatum 2026-03-16" in text


def test_the_command_applies_and_records_the_run(world):
    out = io.StringIO()
    call_command("apply_retention", "--chunk-size", "2", stdout=out)
    run = RetentionRun.objects.get()
    assert run.actor == "system"
    assert run.counts["children"] == 3
    assert f"Vastgelegd als uitvoering {run.pk}" in out.getvalue()
    assert Child.objects.filter(anonymised_at__isnull=False).count() == 3


def test_the_retention_run_is_read_only_in_the_admin(world, administrator, client):
    apply_retention(policy=POLICY)
    run = RetentionRun.objects.get()
    client.force_login(administrator)
    assert client.get(reverse("admin:cases_retentionrun_changelist")).status_code == 200
    page = client.get(reverse("admin:cases_retentionrun_change", args=[run.pk]))
    assert page.status_code == 200
    assert "kinderen geanonimiseerd: 3" in page.content.decode()
    assert (
        client.post(reverse("admin:cases_retentionrun_change", args=[run.pk]), {}).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:cases_retentionrun_delete", args=[run.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert RetentionRun.objects.count() == 1


@pytest.mark.slow  # a subprocess per value
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RETENTION_LEERPLICHT_AGE", "12"),
        ("RETENTION_RVDK_AGE", "99"),
        ("RETENTION_LEERPLICHT_YEARS_AFTER_CLOSURE", "-1"),
        ("IMPORT_PREVIEW_RETENTION_HOURS", "0"),
    ],
)
def test_settings_refuse_a_retention_value_out_of_range(variable, value):
    """Settings load once, so in a subprocess (demo settings: DEBUG on)."""
    env = {key: val for key, val in os.environ.items() if not key.startswith("RETENTION_")}
    env.update(DEBUG="true", DJANGO_SETTINGS_MODULE="bip.settings", **{variable: value})
    result = subprocess.run(  # noqa: S603 - our own interpreter with fixed arguments
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("django.core.exceptions.ImproperlyConfigured:"), result.stderr
    assert variable in error
