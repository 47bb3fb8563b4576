"""demo/checks.py: a sample of the generated world, replayed through the app's rule functions.

The scaled world is bulk-written, so no service saw its rows. These tests run the sampling
check on a generated world (clean), and then break one rule at a time in the written rows to
show that the check notices each kind of drift: a stage route, a contact act, an allocation
draw, a deadline, a handover.
"""

import dataclasses
import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cases.constants import CaseStatus, Stage
from cases.models import Case, Contact, StageChange, age_on
from demo import checks, scaled
from evaluation.constants import Arm
from evaluation.models import Allocation
from roles.constants import ContactKind

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

CASES = 400


@pytest.fixture
def world():
    call_command("seed_demo", "--cases", str(CASES), "--bulk", stdout=StringIO())


def every_case_problems() -> list[str]:
    return checks.sample_problems(size=CASES)


def test_a_generated_world_passes_the_rule_functions(world):
    assert every_case_problems() == []
    # A sample is a subset: a smaller one checks fewer cases, still clean.
    assert len(checks.sample_case_ids(size=50, seed=3)) == 50
    assert checks.sample_problems(size=50, seed=3) == []


def test_the_command_checks_a_sample_on_request():
    # A small world goes through the services; its sample passes the rule functions too.
    out = StringIO()
    call_command("seed_demo", "--cases", "80", "--check", "60", stdout=out)
    assert "Steekproef van 60 zaken: alles volgens de regels van de app." in out.getvalue()


def test_a_stage_move_outside_the_transition_map_is_found(world):
    move = StageChange.objects.filter(from_stage=Stage.HALT, to_stage=Stage.LEERPLICHT).first()
    assert move is not None
    # Halt -> RvdK is no route in STAGE_TRANSITIONS.
    StageChange.objects.filter(pk=move.pk).update(to_stage=Stage.RVDK)
    problems = every_case_problems()
    assert any(f"{Stage.HALT} -> {Stage.RVDK} is geen route" in p for p in problems)


def test_a_contact_its_role_does_not_allow_is_found(world):
    contact = Contact.objects.filter(role=Stage.LEERPLICHT, kind=ContactKind.VERZUIMGESPREK).first()
    assert contact is not None
    # A Halt intake is a Halt act: not allowed in the Leerplicht role.
    Contact.objects.filter(pk=contact.pk).update(kind=ContactKind.HALT_INTAKE)
    problems = every_case_problems()
    assert any(f"contact {contact.pk}:" in p for p in problems)


def test_an_arm_the_draw_does_not_give_is_found(world, monkeypatch):
    # Allocations are immutable in the database, so the drift is put on the other side: a
    # draw rule that gives the other arm, as a changed rule would after the world was written.
    class OtherArmCursor(checks.SequenceCursor):
        def draw(self):
            drawn = super().draw()
            return dataclasses.replace(drawn, arm=Arm.CONTROL if drawn.arm == Arm.BIP else Arm.BIP)

    assert Allocation.objects.exists()
    monkeypatch.setattr(checks, "SequenceCursor", OtherArmCursor)
    problems = every_case_problems()
    assert problems and all("de loting geeft" in p for p in problems)


def test_a_deadline_other_than_the_services_is_found(world):
    case = Case.objects.first()
    Case.objects.filter(pk=case.pk).update(
        three_month_deadline=case.three_month_deadline + datetime.timedelta(days=1)
    )
    problems = every_case_problems()
    assert any(p.startswith(f"{case.number}: termijn") for p in problems)


def test_a_control_case_whose_handover_request_does_not_fit_its_stage_is_found(world):
    case = (
        Case.objects.filter(arm=Arm.CONTROL, status=CaseStatus.OPEN)
        .exclude(professional=None)
        .first()
    )
    assert case is not None
    # The services' rule: waiting for a handover exactly when the professional's organisation
    # is not the stage's. Flip the request.
    flipped = None if case.handover_requested_at else case.created_at
    Case.objects.filter(pk=case.pk).update(handover_requested_at=flipped)
    problems = every_case_problems()
    assert problems == [f"{case.number}: overdrachtsverzoek klopt niet met de stap"]


def test_a_referral_while_the_child_still_had_an_open_case_is_found(world):
    later = None
    for case in Case.objects.order_by("date_received", "id"):
        earlier = (
            Case.objects.filter(child_id=case.child_id, date_received__lt=case.date_received)
            .exclude(closed_on=None)
            .first()
        )
        if earlier is not None:
            later = case
            break
    assert later is not None, "the world has a child referred twice"
    # The earlier case closed only after the second referral arrived.
    Case.objects.filter(pk=earlier.pk).update(
        closed_on=later.date_received + datetime.timedelta(days=1)
    )
    problems = every_case_problems()
    assert f"{later.number}: het kind had bij de melding nog een open zaak" in problems


def test_the_command_fails_when_the_sample_breaks_a_rule(monkeypatch):
    monkeypatch.setattr(checks, "sample_problems", lambda **kwargs: ["2026-000001: termijn"])
    with pytest.raises(CommandError, match="wijkt 1 keer af"):
        call_command("seed_demo", "--cases", "10", "--check", stdout=StringIO())


@pytest.mark.parametrize(
    "day",
    [
        datetime.date(2026, 5, 29),  # the 29th of a month: once made an 18-year-old
        datetime.date(2026, 1, 31),
        datetime.date(2028, 2, 29),  # a leap day
        datetime.date(2025, 3, 1),  # the day after 28 February, a leap year earlier
    ],
)
@pytest.mark.parametrize("days_before", [0, 1, 200, 364])
def test_a_generated_child_is_exactly_the_drawn_age_on_the_referral_day(day, days_before):
    for age in (5, 12, 17):
        born = scaled.birth_date(day, age=age, days_before=days_before)
        assert age_on(born, day) == age, (day, age, days_before, born)
