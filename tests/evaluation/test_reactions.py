"""evaluation/reactions.py: the evaluation's reactions to case events (cases/events.py).

The behaviour itself (allocation, invitations, anonymised comments) is tested with the
services that send the events; these tests pin the transaction boundary: a reaction that fails
rolls back the change that sent the event, and each event has its receiver connected.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases import events
from cases.constants import CaseSource, MeldingType, OutcomeCategory, Stage
from cases.exceptions import RuleViolation
from cases.models import Case
from cases.services import case_close, referral_register
from evaluation import reactions
from evaluation.models import Allocation, SurveyInvitation
from tests.factories import CaseFactory, ChildFactory, UserFactory

NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.ALLOCATION_BLOCK_SIZES = (4, 6, 8)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize(
    ("event", "receiver"),
    [
        (events.referral_registered, reactions.on_referral_registered),
        (events.referrals_imported, reactions.on_referrals_imported),
        (events.case_closed, reactions.on_case_closed),
        (events.cases_anonymising, reactions.on_cases_anonymising),
    ],
)
def test_every_case_event_has_its_evaluation_reaction_connected(event, receiver):
    connected = [ref() for _key, ref, *_rest in event.receivers]
    assert receiver in connected


def register(actor, child) -> Case:
    return referral_register(
        actor=actor,
        child=child,
        date_received=datetime.date(2026, 1, 31),
        source=CaseSource.DUO,
        melding_type=MeldingType.ZESTIEN_UUR,
        hours_absent=18,
        times_late=3,
        period_start=datetime.date(2026, 1, 5),
        period_end=datetime.date(2026, 1, 30),
    )


def test_a_refused_allocation_rolls_the_registration_back(monkeypatch):
    actor = UserFactory(coordinator=True)
    child = ChildFactory(date_of_birth=datetime.date(2011, 6, 1))

    def refuse(**kwargs):
        raise RuleViolation("Geen loting mogelijk.")

    monkeypatch.setattr(reactions, "allocate_block_random", refuse)

    with pytest.raises(RuleViolation):
        register(actor, child)

    assert not Case.objects.filter(child=child).exists()
    assert not Allocation.objects.exists()


def test_registration_allocates_in_the_same_transaction():
    actor = UserFactory(coordinator=True)
    case = register(actor, ChildFactory(date_of_birth=datetime.date(2011, 6, 1)))

    case.refresh_from_db()
    allocation = Allocation.objects.get(case=case)
    assert case.arm == allocation.arm


def test_a_failing_survey_reaction_leaves_the_case_open(monkeypatch, professional):
    case = CaseFactory(professional=professional, stage=Stage.LEERPLICHT, arm="bip")

    def broken(case):
        raise RuntimeError("database gone")

    monkeypatch.setattr(reactions, "survey_invitations_for_case", broken)

    with pytest.raises(RuntimeError):
        case_close(
            case=case,
            actor=professional.user,
            category=OutcomeCategory.CARE,
            achieved_on=NOW.date() - datetime.timedelta(days=1),
            reason="Hulp gestart.",
            expected_version=case.version,
        )

    case.refresh_from_db()
    assert case.is_open
    assert not SurveyInvitation.objects.filter(case=case).exists()
