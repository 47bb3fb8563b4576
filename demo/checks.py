"""Check a sample of the written demo world against the product's own rule functions.

The scaled world is bulk-written (demo/scaled.py), so no service looked at its rows. This module
takes a random sample of cases and replays what the services would have checked, with the
services' functions rather than restatements:

- the stage history starts with the registration row and follows `STAGE_TRANSITIONS`; its last
  row gives the case's stage and status; a closed case has its one outcome;
- every contact passes `roles.acts.act_violations`, in a role the professional holds that day
  (`professionals.qualifications.roles_available_to`), sworn as `is_sworn_on` says;
- every allocation is the draw `SequenceCursor` gives at its position in the stratum
  `stratum_for` gives the case, and the case's arm is that allocation's;
- the deadline is `three_month_deadline(date_received)`; the age on the referral date is a
  school age and no earlier case of the child is still open (`referral_problems`' rules);
  a control-arm case waiting for no handover is held
  by its stage's organisation.

`sample_problems()` returns readable problems, empty when the sample is clean.
"""

from __future__ import annotations

import random
from collections import defaultdict

from django.utils import timezone

from cases.constants import MAX_SCHOOL_AGE, MIN_SCHOOL_AGE, STAGE_TRANSITIONS, CaseStatus, Stage
from cases.models import Assignment, Case, Contact, StageChange, three_month_deadline
from cases.services.referrals import REGISTERED_REASON
from evaluation.constants import Arm
from evaluation.models import Allocation
from evaluation.services import SequenceCursor, stratum_for
from professionals.qualifications import is_sworn_on, roles_available_to
from roles.acts import act_violations

DEFAULT_SAMPLE = 300


def sample_case_ids(*, size: int, seed: int = 0) -> list[int]:
    """Up to `size` case ids, drawn uniformly (all of them when there are fewer)."""
    ids = list(Case.objects.order_by("id").values_list("id", flat=True))
    if len(ids) <= size:
        return ids
    return sorted(random.Random(seed).sample(ids, size))  # noqa: S311 - a sample, not security


def sample_problems(*, size: int = DEFAULT_SAMPLE, seed: int = 0) -> list[str]:
    """Replay `size` random cases through the rule functions; one line per problem found."""
    case_ids = sample_case_ids(size=size, seed=seed)
    cases = {
        case.pk: case
        for case in Case.objects.filter(pk__in=case_ids).select_related(
            "child__school", "professional__organisation"
        )
    }
    problems: list[str] = []
    problems += _stage_history_problems(cases)
    problems += _contact_problems(cases)
    problems += _allocation_problems(cases)
    problems += _case_field_problems(cases)
    return problems


def _stage_history_problems(cases: dict[int, Case]) -> list[str]:
    problems = []
    history = defaultdict(list)
    for change in StageChange.objects.filter(case_id__in=cases).order_by("changed_at", "id"):
        history[change.case_id].append(change)
    closed_with_outcome: defaultdict[int, int] = defaultdict(int)
    for case_id in (
        Case.objects.filter(pk__in=cases).values_list("outcomes__case_id", flat=True).iterator()
    ):
        if case_id is not None:
            closed_with_outcome[case_id] += 1
    for case in cases.values():
        changes = history[case.pk]
        if not changes:
            problems.append(f"{case.number}: geen statusgeschiedenis")
            continue
        first = changes[0]
        if (first.from_stage, first.to_stage, first.reason) != (
            "",
            Stage.LEERPLICHT,
            REGISTERED_REASON,
        ):
            problems.append(f"{case.number}: de geschiedenis begint niet met de registratie")
        stage, status = first.to_stage, first.to_status
        for change in changes[1:]:
            if (change.from_stage, change.from_status) != (stage, status):
                problems.append(f"{case.number}: rij {change.pk} sluit niet aan op de vorige")
            if (
                change.from_stage != change.to_stage
                and change.to_stage not in STAGE_TRANSITIONS[Stage(change.from_stage)]
            ):
                problems.append(
                    f"{case.number}: {change.from_stage} -> {change.to_stage} is geen route"
                )
            stage, status = change.to_stage, change.to_status
        if (stage, status) != (case.stage, case.status):
            problems.append(
                f"{case.number}: de geschiedenis eindigt niet in {case.stage}/{case.status}"
            )
        outcomes = closed_with_outcome[case.pk]
        if (case.status == CaseStatus.CLOSED) != (outcomes == 1):
            problems.append(f"{case.number}: {outcomes} uitkomsten bij status {case.status}")
    return problems


def _contact_problems(cases: dict[int, Case]) -> list[str]:
    problems = []
    now = timezone.now()
    contacts = Contact.objects.filter(case_id__in=cases).select_related("professional")
    for contact in contacts:
        case = cases[contact.case_id]
        day = timezone.localdate(contact.occurred_at)
        label = f"{case.number}: contact {contact.pk}"
        if contact.role not in roles_available_to(contact.professional, day):
            problems.append(f"{label}: geen kwalificatie voor {contact.role} op {day}")
            continue
        violations = act_violations(
            role=contact.role,
            kind=contact.kind,
            sworn=is_sworn_on(contact.professional, day),
            caution_given=contact.caution_given,
            with_whom=contact.with_whom,
            pupil_age=case.child.age_on(day),
        )
        if violations:
            problems.append(f"{label}: {violations}")
        if not case.date_received <= day or contact.occurred_at > now:
            problems.append(f"{label}: buiten de looptijd van de zaak")
        if contact.follow_up_on is not None and contact.follow_up_on < day:
            problems.append(f"{label}: vervolgafspraak vóór het contact")
    return problems


def _allocation_problems(cases: dict[int, Case]) -> list[str]:
    problems = []
    latest: dict[int, Allocation] = {}
    for allocation in (
        Allocation.objects.filter(case_id__in=cases)
        .select_related("draw")
        .order_by("created_at", "id")
    ):
        latest[allocation.case_id] = allocation
    wanted: dict[str, dict[int, Allocation]] = defaultdict(dict)
    for case in cases.values():
        found = latest.get(case.pk)
        if found is None:
            if case.arm:
                problems.append(f"{case.number}: arm {case.arm} zonder toewijzing")
            continue
        if case.arm != found.arm:
            problems.append(f"{case.number}: arm {case.arm}, toewijzing {found.arm}")
        draw = getattr(found, "draw", None)
        if draw is None:
            continue  # a manual allocation: no draw to replay
        if draw.stratum != stratum_for(case):
            problems.append(f"{case.number}: stratum {draw.stratum}, verwacht {stratum_for(case)}")
            continue
        wanted[draw.stratum][draw.sequence_position] = found
    # The app's own cursor, replayed from the start of each stratum up to the last sampled
    # position: the arm there must be the stored one.
    for stratum, positions in wanted.items():
        cursor = SequenceCursor(stratum=stratum)
        for position in range(max(positions) + 1):
            expected = cursor.draw()
            placed = positions.get(position)
            if placed is None:
                continue
            stored = placed.draw
            if (placed.arm, stored.block_number, stored.block_size) != (
                expected.arm,
                expected.block_number,
                expected.block_size,
            ):
                problems.append(
                    f"{stratum} positie {position}: {placed.arm} in blok "
                    f"{stored.block_number}, de loting geeft {expected.arm} in blok "
                    f"{expected.block_number}"
                )
    return problems


def _case_field_problems(cases: dict[int, Case]) -> list[str]:
    problems = []
    current = {
        assignment.case_id: assignment
        for assignment in Assignment.objects.filter(case_id__in=cases, ended_at=None)
    }
    # referral_problems' rule: a child has one open case at a time, so an earlier case of the
    # same child closed on or before this referral arrived.
    earlier_cases = defaultdict(list)
    for child_id, received, closed_on in Case.objects.filter(
        child_id__in={case.child_id for case in cases.values()}
    ).values_list("child_id", "date_received", "closed_on"):
        earlier_cases[child_id].append((received, closed_on))
    for case in cases.values():
        for received, closed_on in earlier_cases[case.child_id]:
            if received < case.date_received and (
                closed_on is None or closed_on > case.date_received
            ):
                problems.append(f"{case.number}: het kind had bij de melding nog een open zaak")
        if case.three_month_deadline != three_month_deadline(case.date_received):
            problems.append(f"{case.number}: termijn {case.three_month_deadline}")
        if not case.number.startswith(f"{case.date_received.year}-"):
            problems.append(f"{case.number}: nummer past niet bij {case.date_received}")
        age = case.child.age_on(case.date_received)
        if not MIN_SCHOOL_AGE <= age <= MAX_SCHOOL_AGE:
            problems.append(f"{case.number}: kind is {age} bij de melding")
        if (case.status == CaseStatus.CLOSED) != (case.closed_on is not None):
            problems.append(f"{case.number}: status {case.status}, gesloten op {case.closed_on}")
        assignment = current.get(case.pk)
        holder = assignment.professional_id if assignment else None
        if holder != case.professional_id:
            problems.append(
                f"{case.number}: lopende toewijzing {holder}, zaak {case.professional_id}"
            )
        # The services' handover rule (cases/services/stages.py `_move`): outside the BIP arm,
        # a case in another organisation's stage waits for the coordinator.
        professional = case.professional
        if professional is not None and case.is_open:
            needs_handover = case.arm != Arm.BIP and professional.organisation.kind != case.stage
            if needs_handover != (case.handover_requested_at is not None):
                problems.append(f"{case.number}: overdrachtsverzoek klopt niet met de stap")
    return problems
