"""The small demo world, built through the product's services.

`_WorldBuilder` (demo/scaled.py) decides the world: who is referred when, the route through the
chain, the contacts, plans, closures and survey answers. For a large world `RowSink` writes its
rows in bulk. For the small world (`make run`'s 300 cases) `ServiceReplay` takes the same rows
and reads each as the event it records, then makes the call a user would have made, in time
order, with time-machine as the clock (the services stamp `timezone.now()`):

- a case: the coordinator registers the referral (`household_register`, `child_register`,
  `referral_register`; evaluation's reaction draws the arm, which must be the generator's) and
  the guardians (`guardian_add`);
- an assignment: `case_assign` (a handover when the case had a professional);
- a stage change: `case_refer_to_halt`, `case_refer_to_rvdk`, `case_halt_result`, `case_close`
  (closing invites the client survey through evaluation's reaction);
- a contact: `contact_log`, by the case's professional at the moment it took place;
- a household plan: `plan_goal_add`, `plan_action_add`, `plan_action_set_done`;
- a staff-survey period: `invite_staff`.

Whatever the services refuse stops the seed with the service's message (`SeedError`), and
after the replay every case must have the stage, status, professional, arm and closing date the
generator decided. Survey links reach respondents by mail when the world commits: the seeder
reads them from the mails (kept in memory, nothing leaves the machine) and answers the links
the generator has answered through `survey_submit`, in a second transaction.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test.utils import override_settings
from django.urls import Resolver404, resolve

from cases.constants import CaseStatus, HaltResult, PlanChangeKind, Stage
from cases.exceptions import CaseError
from cases.models import Case, Child, Household, PlanAction, PlanGoal, School
from cases.services.assignments import case_assign
from cases.services.contacts import contact_log
from cases.services.guardians import GuardianDetails, guardian_add
from cases.services.plans import plan_action_add, plan_action_set_done, plan_goal_add
from cases.services.referrals import child_register, household_register, referral_register
from cases.services.stages import (
    case_close,
    case_halt_result,
    case_refer_to_halt,
    case_refer_to_rvdk,
)
from evaluation.constants import RespondentType
from evaluation.models import SurveyInvitation
from evaluation.surveys import SurveyLinkError, hash_token, invite_staff, survey_submit
from professionals.models import Professional

from .rows import (
    ROW_TYPES,
    AllocationRow,
    AssignmentRow,
    CaseRow,
    ChildRow,
    ContactRow,
    GuardianRow,
    HouseholdPlanRow,
    HouseholdRow,
    OutcomeRow,
    PlanActionRow,
    PlanChangeRow,
    PlanGoalRow,
    SeedError,
    StageChangeRow,
    SurveyAnswerRow,
    SurveyInvitationRow,
    SurveyResponseRow,
)

# The world's mails (assignments, survey links) go to memory: the addresses are made up, and
# the seeder reads the survey links from them.
IN_MEMORY_MAIL = {
    "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend", "OPTIONS": {}}
}
LINK = re.compile(r"https?://\S+")
# A respondent answers no later than an hour ago (as the generator decides answers).
ANSWERED_BEFORE_NOW = datetime.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class _Step:
    """One service call of the replay, at the moment the generator gave its event."""

    moment: datetime.datetime
    order: int  # generation order: breaks ties between events of the same moment
    event: str  # for the error message
    call: Callable[[], object]


@dataclass(frozen=True, slots=True)
class _Answer:
    """A survey answer the generator decided: whose, how long after the invitation, what."""

    after_invitation: datetime.timedelta
    grade: int
    scores: dict[str, int]


# Client answers are keyed by (generated case id, respondent type); staff answers by
# (professional id, period start, period end).
_AnswerKey = tuple[Any, ...]


@contextmanager
def mail_in_memory() -> Iterator[list[mail.EmailMessage]]:
    """Mail sent inside the block (on commit, too) goes to memory; yields a list that holds
    those messages once the block ends. They are taken out of `mail.outbox` again."""
    with override_settings(MAILERS=IN_MEMORY_MAIL):
        outbox: list[mail.EmailMessage] = getattr(mail, "outbox", [])
        mail.outbox = outbox
        start = len(outbox)
        sent: list[mail.EmailMessage] = []
        try:
            yield sent
        finally:
            sent[:] = outbox[start:]
            del outbox[start:]


class ServiceReplay:
    """A sink for `_WorldBuilder` that replays its rows through the services (see the module
    docstring). Ids handed out here are the generator's own; `flush` maps them to records."""

    is_postgres = False  # never a bulk load

    def __init__(self, *, coordinator_user_id: int) -> None:
        self.buffers: dict[type[tuple], list[Any]] = {row_type: [] for _, row_type in ROW_TYPES}
        self.last_ids: dict[type[tuple], int] = defaultdict(int)
        self.users = User.objects.in_bulk()
        self.professionals = Professional.objects.select_related("user").in_bulk()
        self.coordinator = self.users[coordinator_user_id]
        self.schools = School.objects.in_bulk()
        self.households: dict[int, Household] = {}
        self.children: dict[int, Child] = {}
        self.household_of_child: dict[int, int] = {}
        self.cases: dict[int, Case] = {}
        self.generated_case_ids: dict[int, int] = {}  # case pk -> the generator's id
        self.latest_case_of_household: dict[int, Case] = {}
        self.goals: dict[int, PlanGoal] = {}
        self.actions: dict[int, PlanAction] = {}
        self.answers: dict[_AnswerKey, _Answer] = {}
        self.cases_replayed = 0

    # -- the Sink protocol ---------------------------------------------------------------------

    def rows(self, row_type: type[tuple]) -> list[Any]:
        return self.buffers[row_type]

    def new_id(self, row_type: type[tuple]) -> int:
        self.last_ids[row_type] += 1
        return self.last_ids[row_type]

    def flush(self) -> None:
        """Replay the buffered rows in time order and empty the buffers."""
        steps = self._steps()
        if steps:
            with time_machine.travel(steps[0].moment, tick=False) as clock:
                for step in steps:
                    clock.move_to(step.moment)
                    try:
                        step.call()
                    except (CaseError, PermissionDenied, SurveyLinkError) as error:
                        raise SeedError(
                            f"{step.event} op {step.moment:%Y-%m-%d %H:%M}: de service weigert: "
                            f"{error}"
                        ) from error
        self._check_cases(self.buffers[CaseRow])
        self._keep_answers()
        self.cases_replayed += len(self.buffers[CaseRow])
        for buffer in self.buffers.values():
            buffer.clear()

    def close(self) -> None:
        """Nothing is pending after a flush."""

    def counts(self) -> dict[str, int]:
        """Rows per model label, as RowSink reports them (here: what the services wrote)."""
        return {model._meta.label: model._default_manager.count() for model, _ in ROW_TYPES}

    # -- the events ----------------------------------------------------------------------------

    def _steps(self) -> list[_Step]:
        rows = self.buffers
        steps: list[_Step] = []

        def add(moment: datetime.datetime, event: str, call: Callable[[], object]) -> None:
            steps.append(_Step(moment, len(steps), event, call))

        households = {row.id: row for row in rows[HouseholdRow]}
        children = {row.id: row for row in rows[ChildRow]}
        guardians: dict[int, list[GuardianRow]] = defaultdict(list)
        for guardian in rows[GuardianRow]:
            guardians[guardian.child_id].append(guardian)
        arms = {row.case_id: row.arm for row in rows[AllocationRow]}
        outcomes = {row.case_id: row for row in rows[OutcomeRow]}

        for case_row in rows[CaseRow]:
            add(
                case_row.created_at,
                f"Melding {case_row.id}",
                self._register(case_row, children, households, guardians, arms),
            )
        for assignment in rows[AssignmentRow]:
            event = f"Toewijzing aan zaak {assignment.case_id}"
            add(assignment.started_at, event, self._assign(assignment))
        for change in rows[StageChangeRow]:
            if change.from_stage:  # the registration row is written by referral_register
                event = f"Stapwissel van zaak {change.case_id}"
                call = self._stage_change(change, outcomes.get(change.case_id))
                add(change.changed_at, event, call)
        for contact in rows[ContactRow]:
            add(contact.occurred_at, f"Contact op zaak {contact.case_id}", self._contact(contact))
        self._plan_steps(add)
        self._staff_survey_steps(add)
        steps.sort(key=lambda step: (step.moment, step.order))
        return steps

    def _register(
        self,
        row: CaseRow,
        children: dict[int, ChildRow],
        households: dict[int, HouseholdRow],
        guardians: dict[int, list[GuardianRow]],
        arms: dict[int, str],
    ) -> Callable[[], object]:
        def call() -> None:
            child = self.children.get(row.child_id)
            new_child = child is None
            if child is None:
                child_row = children[row.child_id]
                self.household_of_child[row.child_id] = child_row.household_id
                household = self.households.get(child_row.household_id)
                if household is None:
                    household_row = households[child_row.household_id]
                    household = self.households[child_row.household_id] = household_register(
                        street=household_row.street,
                        postcode=household_row.postcode,
                        city=household_row.city,
                    )
                child = self.children[row.child_id] = child_register(
                    first_name=child_row.first_name,
                    tussenvoegsel=child_row.tussenvoegsel,
                    last_name=child_row.last_name,
                    date_of_birth=child_row.date_of_birth,
                    bsn=child_row.bsn,
                    onderwijsnummer=child_row.onderwijsnummer,
                    school=self.schools.get(child_row.school_id),
                    household=household,
                )
            case = referral_register(
                actor=self.coordinator,
                child=child,
                date_received=row.date_received,
                source=row.source,
                melding_type=row.melding_type,
                hours_absent=row.hours_absent,
                times_late=row.times_late,
                period_start=row.period_start,
                period_end=row.period_end,
                allocate=row.id in arms,
            )
            case.refresh_from_db(fields=["arm", "version"])
            if case.arm != arms.get(row.id, ""):
                raise SeedError(
                    f"Zaak {case.number}: de loting gaf {case.arm or 'geen arm'}, de generator "
                    f"rekende met {arms.get(row.id) or 'geen arm'}."
                )
            self.cases[row.id] = case
            self.generated_case_ids[case.pk] = row.id
            self.latest_case_of_household[self.household_of_child[row.child_id]] = case
            if new_child:
                for guardian in guardians[row.child_id]:
                    guardian_add(
                        case=case,
                        details=GuardianDetails(
                            name=guardian.name,
                            relation=guardian.relation,
                            has_custody=guardian.has_custody,
                            phone=guardian.phone,
                            email=guardian.email,
                        ),
                        actor=self.coordinator,
                    )

        return call

    def _assign(self, row: AssignmentRow) -> Callable[[], object]:
        def call() -> object:
            return case_assign(
                case=self.cases[row.case_id],
                professional=self.professionals[row.professional_id],
                actor=self.users[row.assigned_by_id],
                reason=row.reason,
                note=row.note,
                expected_version=None,
            )

        return call

    def _stage_change(
        self, row: StageChangeRow, outcome: OutcomeRow | None
    ) -> Callable[[], object]:
        def call() -> object:
            case = self.cases[row.case_id]
            actor = self.users[row.actor_id]
            if row.to_status == CaseStatus.CLOSED:
                if outcome is None:
                    raise SeedError(f"Zaak {case.number} sluit zonder uitkomst.")
                if row.from_stage == Stage.HALT:
                    return case_halt_result(
                        case=case,
                        actor=actor,
                        result=HaltResult.POSITIVE,
                        reason=row.reason,
                        category=outcome.category,
                        achieved_on=outcome.achieved_on,
                        expected_version=None,
                    )
                return case_close(
                    case=case,
                    actor=actor,
                    category=outcome.category,
                    achieved_on=outcome.achieved_on,
                    reason=row.reason,
                    expected_version=None,
                )
            if row.to_stage == Stage.HALT:
                return case_refer_to_halt(
                    case=case,
                    actor=actor,
                    reason=row.reason,
                    pupil_consent=bool(row.pupil_consent),
                    parent_consent=row.parent_consent,
                    expected_version=None,
                )
            if row.to_stage == Stage.RVDK:
                return case_refer_to_rvdk(
                    case=case, actor=actor, reason=row.reason, expected_version=None
                )
            if row.from_stage == Stage.HALT:
                return case_halt_result(
                    case=case,
                    actor=actor,
                    result=row.halt_result,
                    reason=row.reason,
                    expected_version=None,
                )
            raise SeedError(f"Geen service voor {row.from_stage} -> {row.to_stage}.")

        return call

    def _contact(self, row: ContactRow) -> Callable[[], object]:
        def call() -> object:
            return contact_log(
                case=self.cases[row.case_id],
                professional=self.professionals[row.professional_id],
                role=row.role,
                kind=row.kind,
                with_whom=row.with_whom,
                channel=row.channel,
                occurred_at=row.occurred_at,
                duration_minutes=row.duration_minutes,
                summary=row.summary,
                caution_given=row.caution_given,
                follow_up_on=row.follow_up_on,
            )

        return call

    def _plan_steps(
        self, add: Callable[[datetime.datetime, str, Callable[[], object]], None]
    ) -> None:
        """A household plan: its goals and actions when it is made, each action done on the day
        the generator marked it, on the household's latest case by its first professional."""
        rows = self.buffers
        plans = {row.id: row for row in rows[HouseholdPlanRow]}
        goals: dict[int, list[PlanGoalRow]] = defaultdict(list)
        for goal in rows[PlanGoalRow]:
            goals[goal.plan_id].append(goal)
        actions: dict[int, list[PlanActionRow]] = defaultdict(list)
        for action in rows[PlanActionRow]:
            actions[action.plan_id].append(action)
        actors: dict[int, int] = {}
        done_at: dict[tuple[int, str], datetime.datetime] = {}
        for change in rows[PlanChangeRow]:
            actors.setdefault(change.plan_id, change.actor_id)
            if change.kind == PlanChangeKind.ACTION_DONE:
                done_at[(change.plan_id, change.description)] = change.changed_at

        for plan in plans.values():
            actor = self.users[actors[plan.id]]

            def make(plan: HouseholdPlanRow = plan, actor: User = actor) -> None:
                case = self.latest_case_of_household[plan.household_id]
                for goal in sorted(goals[plan.id], key=lambda goal: goal.position):
                    self.goals[goal.id] = plan_goal_add(
                        case=case, actor=actor, description=goal.description
                    )
                for action in actions[plan.id]:
                    owner = action.owner_professional_id
                    self.actions[action.id] = plan_action_add(
                        case=case,
                        actor=actor,
                        description=action.description,
                        owner=action.owner,
                        due_on=action.due_on,
                        goal=self.goals[action.goal_id],
                        owner_professional=self.professionals[owner] if owner else None,
                    )

            add(plan.created_at, f"Gezinsplan {plan.id}", make)
            for action in actions[plan.id]:
                if action.done_on is None:
                    continue

                def done(
                    plan: HouseholdPlanRow = plan,
                    action: PlanActionRow = action,
                    actor: User = actor,
                ) -> object:
                    return plan_action_set_done(
                        case=self.latest_case_of_household[plan.household_id],
                        actor=actor,
                        action=self.actions[action.id],
                        done=True,
                        on=action.done_on or action.due_on,
                        expected_version=None,
                    )

                add(done_at[(plan.id, action.description)], f"Actie {action.id} gedaan", done)

    def _staff_survey_steps(
        self, add: Callable[[datetime.datetime, str, Callable[[], object]], None]
    ) -> None:
        """Each staff-survey period is sent to every professional at once (invite_staff)."""
        periods: dict[tuple[datetime.date, datetime.date], datetime.datetime] = {}
        for row in self.buffers[SurveyInvitationRow]:
            if row.respondent_type != RespondentType.STAFF:
                continue
            assert row.period_start is not None and row.period_end is not None  # staff rows
            period = (row.period_start, row.period_end)
            periods[period] = min(periods.get(period, row.created_at), row.created_at)
        for (start, end), moment in periods.items():

            def invite(start: datetime.date = start, end: datetime.date = end) -> object:
                return invite_staff(period_start=start, period_end=end)

            add(moment, f"Medewerkersenquête {start} - {end}", invite)

    # -- checks and answers ------------------------------------------------------------------

    def _check_cases(self, case_rows: list[CaseRow]) -> None:
        """Every case ends as the generator decided: the services agreed with its course."""
        written = {
            case.pk: case
            for case in Case.objects.filter(pk__in=[self.cases[row.id].pk for row in case_rows])
        }
        for row in case_rows:
            case = written[self.cases[row.id].pk]
            expected = (
                row.stage,
                row.status,
                row.professional_id,
                row.arm,
                row.closed_on,
                row.handover_requested_at is not None,
            )
            found = (
                case.stage,
                case.status,
                case.professional_id,
                case.arm,
                case.closed_on,
                case.handover_requested_at is not None,
            )
            if found != expected:
                raise SeedError(
                    f"Zaak {case.number} eindigt als {found}, de generator besloot {expected}."
                )

    def _keep_answers(self) -> None:
        """The answers the generator decided, to give once the links are mailed."""
        rows = self.buffers
        invitations = {row.id: row for row in rows[SurveyInvitationRow]}
        scores: dict[int, dict[str, int]] = defaultdict(dict)
        for answer in rows[SurveyAnswerRow]:
            scores[answer.response_id][answer.item] = answer.score
        for response in rows[SurveyResponseRow]:
            invitation = invitations[response.invitation_id]
            key: _AnswerKey
            if invitation.respondent_type == RespondentType.STAFF:
                key = (invitation.professional_id, invitation.period_start, invitation.period_end)
            else:
                key = (invitation.case_id, invitation.respondent_type)
            self.answers[key] = _Answer(
                after_invitation=response.submitted_at - invitation.created_at,
                grade=response.grade,
                scores=scores[response.id],
            )

    def answer_mailed_surveys(
        self, messages: list[mail.EmailMessage], *, now: datetime.datetime
    ) -> int:
        """Answer the survey links in `messages` that the generator answered, each at its
        moment (the link must still work then: survey_submit checks it). Returns the count.

        A link is matched to its invitation by the token's hash (evaluation.surveys.hash_token,
        as the survey page finds it) to learn whose it is and when it was sent.
        """
        answered = 0
        tokens = [token for message in messages for token in _survey_tokens(str(message.body))]
        by_hash = {hash_token(token): token for token in tokens}
        invitations = SurveyInvitation.objects.filter(token_hash__in=by_hash).order_by(
            "created_at", "pk"
        )
        with transaction.atomic():
            for invitation in invitations:
                key: _AnswerKey
                if invitation.respondent_type == RespondentType.STAFF:
                    key = (
                        invitation.professional_id,
                        invitation.period_start,
                        invitation.period_end,
                    )
                else:
                    key = (
                        self.generated_case_ids.get(invitation.case_id or 0),
                        invitation.respondent_type,
                    )
                answer = self.answers.get(key)
                if answer is None:
                    continue
                moment = invitation.created_at + answer.after_invitation
                if moment >= invitation.expires_at or moment > now - ANSWERED_BEFORE_NOW:
                    continue
                with time_machine.travel(moment, tick=False):
                    survey_submit(
                        token=by_hash[invitation.token_hash],
                        grade=answer.grade,
                        scores=answer.scores,
                    )
                answered += 1
        return answered


def _survey_tokens(body: str) -> Iterator[str]:
    """The tokens of the survey links in a mail body."""
    for link in LINK.findall(body):
        try:
            match = resolve(urlsplit(link).path)
        except Resolver404:
            continue
        if match.view_name == "evaluation:survey":
            yield match.kwargs["token"]
