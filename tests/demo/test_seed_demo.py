"""`manage.py seed_demo`: the demo world is complete, consistent with every rule, and stable."""

import re
from collections import Counter, defaultdict

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError
from django.db import connection
from django.http import HttpRequest
from django.test import override_settings
from django.utils import timezone
from stdnum.nl import brin, bsn, onderwijsnummer, postcode

from cases.constants import STAGE_TRANSITIONS, CaseStatus, SchoolLevel, Stage
from cases.models import (
    Assignment,
    Case,
    Child,
    Contact,
    Household,
    HouseholdPlan,
    Outcome,
    PlanAction,
    School,
    StageChange,
    age_on,
    three_month_deadline,
)
from demo import reference, scaled
from evaluation.constants import CLIENT_ITEMS, STAFF_ITEMS, AllocationMethod, Arm, RespondentType
from evaluation.models import Allocation, AllocationSequence, SurveyInvitation, SurveyResponse
from evaluation.services import SequenceCursor, allocate_block_random, stratum_for
from professionals.constants import StaffGroup
from professionals.models import Organisation, Professional, Qualification
from roles.acts import act_violations
from roles.constants import ChainRole, ContactKind

from .conftest import seed

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

BIPS = [f"bip{i}" for i in range(1, 7)]
REGULARS = [f"regular{i}" for i in range(1, 7)]


@pytest.fixture
def world():
    # The generator's 300-case world, written in bulk (fast); tests/demo/test_replay.py builds
    # a small one through the services.
    seed("--bulk")


def world_counts() -> dict[str, int]:
    labels = ("auth", "professionals", "cases", "evaluation")
    return {
        model._meta.label: model.objects.count()
        for label in labels
        for model in apps.get_app_config(label).get_models()
    }


def test_demo_accounts_log_in_with_the_demo_password_and_sit_in_their_group(world):
    users = get_user_model().objects.filter(
        username__in=[a.username for a in reference.DEMO_ACCOUNTS]
    )
    assert users.count() == 15
    for account in reference.DEMO_ACCOUNTS:
        # django-axes checks every password login against its lockout, so it needs a request.
        user = authenticate(HttpRequest(), username=account.username, password="ketenkameleon-demo")
        assert user is not None, account.username
        assert list(user.groups.values_list("name", flat=True)) == [account.group]
        assert user.first_name and user.last_name
        assert not user.is_superuser
        assert user.is_staff == (account.username == "beheerder")
    assert authenticate(HttpRequest(), username="bip1", password="wrong-password") is None
    expected = {StaffGroup.PROFESSIONAL: 12, StaffGroup.COORDINATOR: 1}
    for group, count in expected.items():
        assert users.filter(groups__name=group).count() == count
    assert users.get(username="researcher").groups.get().name == StaffGroup.RESEARCHER
    assert users.get(username="beheerder").groups.get().name == StaffGroup.ADMINISTRATOR


def test_three_organisations_each_with_two_bips_and_two_regulars(world):
    assert sorted(Organisation.objects.values_list("kind", "name")) == [
        (ChainRole.HALT, "Halt Kennemerland"),
        (ChainRole.LEERPLICHT, "Leerplicht Haarlem"),
        (ChainRole.RVDK, "Raad voor de Kinderbescherming Haarlem"),
    ]
    per_org = Counter(Professional.objects.values_list("organisation__kind", "is_bip"))
    assert per_org == {(kind, is_bip): 2 for kind in ChainRole for is_bip in (True, False)}


def test_bips_are_qualified_for_every_role_and_regulars_for_their_own(world):
    for username in BIPS + REGULARS:
        professional = Professional.objects.get(user__username=username)
        qualifications = {q.role: q for q in professional.qualifications.all()}
        if username.startswith("bip"):
            assert professional.is_bip
            assert set(qualifications) == set(ChainRole)
        else:
            assert not professional.is_bip
            assert set(qualifications) == {professional.organisation.kind}
        for role, qualification in qualifications.items():
            assert qualification.valid_from.isoformat() == "2018-08-01"
            assert qualification.valid_until is None
            assert qualification.is_sworn == (role == ChainRole.LEERPLICHT)


def test_a_second_run_adds_nothing(world):
    before = world_counts()
    output = seed()
    assert "geen zaken toegevoegd" in output
    assert world_counts() == before
    # Asking for another size does not add cases either without --reset.
    seed("--cases", "50")
    assert world_counts() == before


def test_reset_rebuilds_the_same_world_from_the_same_seed(world):
    def snapshot():
        return list(
            Case.objects.order_by("number").values_list(
                "number", "date_received", "melding_type", "stage", "status", "arm",
                "child__bsn", "professional__user__username",
            )
        )  # fmt: skip

    first = snapshot()
    seed("--reset", "--bulk")
    assert snapshot() == first
    seed("--reset", "--bulk", "--seed", "7")
    assert snapshot() != first


def test_a_small_run_makes_exactly_that_many_cases():
    output = seed("--cases", "50")
    assert Case.objects.count() == 50
    assert "50 demozaken aangemaakt" in output
    assert "cases.Case" in output
    assert not get_user_model().objects.filter(username__startswith="prof").exists()


def test_refuses_a_production_configuration_without_force():
    with override_settings(DEBUG=False):
        with pytest.raises(CommandError, match="--force"):
            seed()
        assert not get_user_model().objects.exists()
        seed("--force", "--cases", "20")
    assert Case.objects.count() == 20


def test_a_scaled_world_adds_professionals_who_cannot_log_in_and_more_schools():
    reference.ensure_reference_data()
    reference.ensure_scaled_reference_data(5_000)
    reference.ensure_scaled_reference_data(5_000)  # idempotent
    extra = Professional.objects.filter(user__username__startswith="prof")
    assert extra.count() == reference.scaled_professional_count(5_000) == 8
    assert School.objects.count() == 5_000 // reference.CASES_PER_SCHOOL
    for professional in extra.select_related("user", "organisation"):
        assert not professional.user.has_usable_password()
        assert professional.user.groups.get().name == StaffGroup.PROFESSIONAL
        roles = set(professional.qualifications.values_list("role", flat=True))
        own = {professional.organisation.kind}
        assert roles == (set(ChainRole) if professional.is_bip else own)


def test_the_world_covers_every_stage_both_arms_and_the_coordinator_queue(world):
    cases = Case.objects.all()
    assert 280 <= cases.count() <= 300
    assert set(cases.values_list("stage", flat=True)) == set(Stage)
    assert set(cases.values_list("status", flat=True)) == set(CaseStatus)
    for arm in Arm:
        assert cases.filter(arm=arm, status=CaseStatus.OPEN).exists()
        assert cases.filter(arm=arm, status=CaseStatus.CLOSED).exists()
    queue = cases.filter(status=CaseStatus.OPEN, professional=None)
    assert queue.exists()
    assert not Assignment.objects.filter(case__in=queue).exists()
    assert not Contact.objects.filter(case__in=queue).exists()
    # The autumn peak: September to December is busier than the rest of the year per month.
    months = Counter(cases.values_list("date_received__month", flat=True))
    autumn = sum(months[m] for m in (9, 10, 11, 12)) / 4
    rest = sum(months[m] for m in range(1, 9)) / 8
    assert autumn > 1.5 * rest
    start = scaled.window_start(timezone.localdate())
    assert cases.filter(date_received__lt=start).count() == 0
    assert cases.filter(date_received__gt=timezone.localdate()).count() == 0


def test_households_have_siblings_years_apart_guardians_and_some_plans(world):
    siblings = Counter(Child.objects.values_list("household_id", flat=True))
    assert any(count >= 2 for count in siblings.values())
    assert any(count == 3 for count in siblings.values())
    dates_per_household = defaultdict(list)
    for household_id, day in Case.objects.values_list("child__household_id", "date_received"):
        dates_per_household[household_id].append(day)
    assert any((max(d) - min(d)).days >= 365 for d in dates_per_household.values())
    assert not Child.objects.filter(guardians=None).exists()
    assert HouseholdPlan.objects.exists()
    for plan in HouseholdPlan.objects.prefetch_related("goals", "actions", "changes"):
        assert plan.goals.exists() and plan.actions.exists()
        assert plan.version == 1 + plan.changes.count()
    for action in PlanAction.objects.filter(owner="professional"):
        assert action.owner_professional_id is not None
    for code in Household.objects.values_list("postcode", flat=True):
        assert postcode.validate(code) == code


def test_identifiers_are_valid_and_unique(world):
    children = list(Child.objects.values_list("bsn", "onderwijsnummer"))
    bsns = [number for number, _ in children if number]
    assert len(bsns) > 0.9 * len(children)
    assert len(set(bsns)) == len(bsns)
    assert all(bsn.is_valid(number) and len(number) == 9 for number in bsns)
    numbers = [number for _, number in children if number]
    assert numbers and all(onderwijsnummer.is_valid(number) for number in numbers)
    assert not any(b and n for b, n in children)
    schools = list(School.objects.values_list("brin", "level"))
    assert len(schools) >= 20
    assert all(brin.is_valid(code) and len(code) == 4 for code, _ in schools)
    levels = Counter(level for _, level in schools)
    assert set(levels) == set(SchoolLevel)
    assert levels[SchoolLevel.VO] > len(schools) / 2
    for number, day in Case.objects.values_list("number", "date_received"):
        assert re.fullmatch(rf"{day.year}-\d{{6}}", number)


def test_referral_dates_deadlines_ages_and_absence_periods(world):
    today = timezone.localdate()
    for case in Case.objects.select_related("child"):
        assert case.three_month_deadline == three_month_deadline(case.date_received)
        assert case.period_start <= case.period_end <= case.date_received <= today
        assert 5 <= age_on(case.child.date_of_birth, case.date_received) <= 17
        assert (case.status == CaseStatus.CLOSED) == (case.closed_on is not None)
        if case.child.school_id is None:
            assert case.melding_type == "absoluut"


def test_case_arm_is_the_latest_allocation_drawn_like_the_app_draws_it(world):
    latest = {}
    for allocation in Allocation.objects.select_related("draw").order_by("created_at", "id"):
        latest[allocation.case_id] = allocation
    drawn = defaultdict(list)
    for case in Case.objects.select_related("child__school"):
        allocation = latest.get(case.pk)
        if allocation is None:
            assert case.arm == ""
            assert case.professional_id is None
            continue
        assert case.arm == allocation.arm
        assert allocation.draw.stratum == stratum_for(case)
        assert allocation.method == AllocationMethod.BLOCK_RANDOM
        drawn[allocation.draw.stratum].append(allocation.draw)
    for stratum, draws in drawn.items():
        # Replayed by the app's own cursor, position by position, the arms are the same.
        cursor = SequenceCursor(stratum=stratum)
        for place in sorted(draws, key=lambda d: d.sequence_position):
            expected = cursor.draw()
            assert place.sequence_position == expected.position
            assert place.block_number == expected.block_number
            assert place.allocation.arm == expected.arm
        assert AllocationSequence.objects.get(stratum=stratum).next_position == len(draws)
    # The coordinator can allocate a waiting referral: the app's sequence continues.
    waiting = Case.objects.filter(allocations=None).select_related("child__school").first()
    assert waiting is not None
    coordinator = get_user_model().objects.get(username="coordinator")
    allocation = allocate_block_random(case=waiting, actor=coordinator)
    assert allocation.draw.sequence_position == len(drawn[stratum_for(waiting)])


def test_stage_history_matches_each_case_and_follows_the_chain_routes(world):
    history = defaultdict(list)
    for change in StageChange.objects.order_by("changed_at", "id"):
        history[change.case_id].append(change)
    pv_or_care = defaultdict(list)
    for case_id, occurred_at in Contact.objects.filter(
        kind__in=[ContactKind.PROCES_VERBAAL, ContactKind.ZORGMELDING]
    ).values_list("case_id", "occurred_at"):
        pv_or_care[case_id].append(occurred_at)
    halt_children = Counter()
    seen = set()
    for case in Case.objects.select_related("child"):
        changes = history[case.pk]
        assert changes[0].from_stage == "" and changes[0].to_stage == Stage.LEERPLICHT
        assert changes[-1].to_stage == case.stage
        assert changes[-1].to_status == case.status
        for change in changes[1:]:
            if change.from_status != change.to_status:
                assert change.to_status == CaseStatus.CLOSED
                continue
            seen.add((change.from_stage, change.to_stage))
            assert change.to_stage in STAGE_TRANSITIONS[Stage(change.from_stage)]
            if change.to_stage == Stage.RVDK:
                assert any(moment < change.changed_at for moment in pv_or_care[case.pk])
            if change.to_stage == Stage.HALT:
                halt_children[case.child_id] += 1
                assert 12 <= case.child.age_on(change.changed_at.date()) <= 17
                assert change.pupil_consent is True
        if case.status == CaseStatus.CLOSED:
            outcomes = list(case.outcomes.all())
            assert len(outcomes) == 1
            assert case.date_received <= outcomes[0].achieved_on <= case.closed_on
            assert timezone.localdate(changes[-1].changed_at) == case.closed_on
        else:
            assert not case.outcomes.exists()
    assert seen == {
        (Stage.LEERPLICHT, Stage.HALT),
        (Stage.HALT, Stage.LEERPLICHT),
        (Stage.LEERPLICHT, Stage.RVDK),
    }
    assert max(halt_children.values()) == 1  # no earlier Halt referral for school absence
    assert Outcome.objects.count() == Case.objects.closed().count()


def test_assignments_bip_keeps_the_case_control_hands_over(world):
    assignments = defaultdict(list)
    for assignment in Assignment.objects.select_related("professional__organisation").order_by(
        "started_at", "id"
    ):
        assignments[assignment.case_id].append(assignment)
    handovers_in_control = 0
    for case in Case.objects.exclude(professional=None).select_related(
        "professional__organisation"
    ):
        rows = assignments[case.pk]
        assert rows and not rows[0].is_handover
        assert rows[0].started_at > case.created_at
        assert [row.ended_at is None for row in rows] == [False] * (len(rows) - 1) + [True]
        assert rows[-1].professional_id == case.professional_id
        for previous, row in zip(rows, rows[1:], strict=False):
            assert row.is_handover and previous.ended_at == row.started_at and row.note
        if case.arm == Arm.BIP:
            assert len(rows) == 1 and case.professional.is_bip
            assert set(case.contacts.values_list("professional_id", flat=True)) <= {
                case.professional_id
            }
        else:
            assert not case.professional.is_bip
            handovers_in_control += len(rows) - 1
            if case.handover_requested_at is None:
                assert case.professional.organisation.kind == case.stage
            else:
                assert case.professional.organisation.kind != case.stage
    assert handovers_in_control > 0
    assert not Assignment.objects.filter(is_handover=True, case__arm=Arm.BIP).exists()


def test_no_contact_breaks_a_rule_of_its_act(world):
    qualifications = defaultdict(list)
    for qualification in Qualification.objects.all():
        qualifications[qualification.professional_id].append(qualification)
    now = timezone.now()
    roles_per_case = defaultdict(set)
    contacts = Contact.objects.select_related("case__child", "professional")
    assert contacts.count() > 2 * Case.objects.count()
    for contact in contacts:
        day = timezone.localdate(contact.occurred_at)
        held = [q for q in qualifications[contact.professional_id] if q.valid_from <= day]
        assert contact.role in {q.role for q in held}
        sworn = any(q.role == ChainRole.LEERPLICHT and q.is_sworn for q in held)
        violations = act_violations(
            role=contact.role,
            kind=contact.kind,
            sworn=sworn,
            caution_given=contact.caution_given,
            with_whom=contact.with_whom,
            pupil_age=contact.case.child.age_on(day),
        )
        assert violations == {}, (contact.pk, contact.kind, violations)
        assert 1 <= contact.duration_minutes <= 480
        assert contact.case.date_received <= day
        assert contact.occurred_at <= now
        if contact.case.closed_on:
            assert day <= contact.case.closed_on
        if contact.follow_up_on:
            assert contact.follow_up_on >= day
        assert contact.created_by_id == contact.professional.user_id
        roles_per_case[contact.case_id].add(contact.role)
    # A BIP logs contacts in more than one role as the case moves along the chain.
    bip_cases = set(Case.objects.filter(arm=Arm.BIP).values_list("id", flat=True))
    assert any(len(roles) > 1 for case, roles in roles_per_case.items() if case in bip_cases)


def test_client_and_staff_surveys(world):
    invitations = SurveyInvitation.objects.all()
    hashes = list(invitations.values_list("token_hash", flat=True))
    assert len(set(hashes)) == len(hashes)
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in hashes)
    responses = SurveyResponse.objects.select_related(
        "invitation__case", "invitation__professional"
    )
    kinds = Counter(responses.values_list("respondent_type", flat=True))
    assert set(kinds) == set(RespondentType)
    for response in responses.prefetch_related("answers"):
        invitation = response.invitation
        assert invitation.used_at == response.submitted_at
        assert 1 <= response.grade <= 10
        items = {answer.item: answer.score for answer in response.answers.all()}
        assert all(1 <= score <= 5 for score in items.values())
        if response.respondent_type == RespondentType.STAFF:
            assert set(items) == set(STAFF_ITEMS)
            assert response.arm == (Arm.BIP if invitation.professional.is_bip else Arm.CONTROL)
        else:
            assert set(items) == set(CLIENT_ITEMS)
            assert invitation.case.status == CaseStatus.CLOSED
            assert response.arm == invitation.case.arm


@pytest.mark.skipif(connection.vendor != "postgresql", reason="bulk load is PostgreSQL only")
def test_bulk_load_rebuilds_every_index_and_constraint_it_dropped(monkeypatch):
    def schema():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                FROM pg_constraint WHERE connamespace = 'public'::regnamespace
                UNION ALL SELECT tablename, indexname, indexdef
                FROM pg_indexes WHERE schemaname = 'public'
                ORDER BY 1, 2, 3
                """
            )
            return cursor.fetchall()

    before = schema()
    seed("--cases", "20")  # rows to reset, written the ordinary way
    monkeypatch.setattr(scaled, "BULK_LOAD_MIN_CASES", 1)
    output = seed("--reset", "--cases", "200", "--bulk")
    assert "Indexen en sleutels opnieuw opbouwen" in output
    assert schema() == before
    assert Case.objects.count() == 200
    # The sequences continue after the pre-assigned keys.
    case = Case.objects.order_by("-id").first()
    outcome = Outcome.objects.create(
        case=case, category="terug_op_school", achieved_on=case.date_received,
        recorded_by=get_user_model().objects.get(username="coordinator"),
    )  # fmt: skip
    assert outcome.pk > Outcome.objects.exclude(pk=outcome.pk).order_by("-pk")[0].pk


def test_a_changed_study_end_is_a_command_error_not_a_traceback(monkeypatch):
    """The demo's snapshot under another STUDY_END: the command says what to do."""
    import datetime

    from demo.management.commands import seed_demo
    from evaluation.snapshots import StudyEndChanged

    def refuse(*args, **kwargs):
        raise StudyEndChanged(stored=[datetime.date(2026, 6, 30)], current=None)

    monkeypatch.setattr(seed_demo, "measurements_snapshot", refuse)
    with pytest.raises(CommandError, match="STUDY_END is gewijzigd"):
        seed("--cases", "5")
