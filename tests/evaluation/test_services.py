"""Allocation to the study arms: stratified block randomisation, manual allocation, capacity.

The draws depend on ALLOCATION_SECRET, so the tests never hard-code an arm: they compare each
draw with block_order() for its stratum, block and index (read from the concealed
AllocationDraw), and check the balance of the blocks. Small block sizes (4, 6, 8) here keep
several blocks within a few draws.
"""

import collections
import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction

from cases.constants import CaseStatus, MeldingType, SchoolLevel
from cases.exceptions import RuleViolation
from cases.models import Case
from evaluation.constants import AllocationMethod, Arm
from evaluation.models import Allocation, AllocationDraw, AllocationSequence
from evaluation.services import (
    SEQUENCE_STATE_FIELDS,
    SequenceCursor,
    allocate_block_random,
    allocate_manual,
    bip_capacity,
    block_order,
    block_size_for,
    draw_positions,
    stratum_for,
)
from tests.factories import CaseFactory, ProfessionalFactory, UserFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)
SECRET = "test-allocation-secret-with-more-than-32-characters"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def allocation_settings(settings):
    settings.ALLOCATION_BLOCK_SIZES = (4, 6, 8)
    settings.ALLOCATION_SECRET = SECRET


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def actor():
    return UserFactory(coordinator=True)


def case_in(melding_type: str = MeldingType.ZESTIEN_UUR, level: str | None = SchoolLevel.VO):
    """An open, unallocated case in the stratum `melding_type/level` (level None: no school)."""
    if level is None:
        return CaseFactory(melding_type=melding_type, child__school=None)
    return CaseFactory(melding_type=melding_type, child__school__level=level)


def draw(actor, **stratum) -> Allocation:
    return allocate_block_random(case=case_in(**stratum), actor=actor)


def frozen_row(allocation: Allocation) -> dict:
    return Allocation.objects.filter(pk=allocation.pk).values().get()


def test_stratum_is_melding_type_and_school_level():
    assert stratum_for(case_in(MeldingType.LRV, SchoolLevel.PO)) == "lrv/po"
    assert stratum_for(case_in(MeldingType.ZESTIEN_UUR, SchoolLevel.MBO)) == "16_uur/mbo"


def test_stratum_of_a_child_without_school_is_geen():
    assert stratum_for(case_in(MeldingType.ABSOLUUT, None)) == "absoluut/geen"


def draws_of(allocations: list[Allocation]) -> list[AllocationDraw]:
    by_allocation = AllocationDraw.objects.in_bulk(
        [a.pk for a in allocations], field_name="allocation_id"
    )
    return [by_allocation[a.pk] for a in allocations]


def test_every_complete_block_is_balanced_and_has_its_keyed_size(actor):
    allocations = [draw(actor) for _ in range(30)]

    blocks = collections.defaultdict(list)
    for allocation, drawn in zip(allocations, draws_of(allocations), strict=True):
        blocks[drawn.block_number].append(allocation.arm)
        assert drawn.block_size == block_size_for("16_uur/vo", drawn.block_number)
    complete = [n for n, arms in blocks.items() if len(arms) == block_size_for("16_uur/vo", n)]
    assert len(complete) >= 3
    for number in complete:
        half = block_size_for("16_uur/vo", number) // 2
        assert collections.Counter(blocks[number]) == {Arm.BIP: half, Arm.CONTROL: half}


def test_block_sizes_vary_between_blocks():
    sizes = [block_size_for("16_uur/vo", block) for block in range(60)]
    assert set(sizes) == {4, 6, 8}


def test_each_draw_is_the_arm_of_its_block_position(actor):
    allocations = [draw(actor) for _ in range(20)]

    drawn = draws_of(allocations)
    assert [d.sequence_position for d in drawn] == list(range(20))
    block_starts: dict[int, int] = {}
    for allocation, place in zip(allocations, drawn, strict=True):
        # A block starts where its number first appears; the position inside follows.
        block_start = block_starts.setdefault(place.block_number, place.sequence_position)
        assert place.stratum == "16_uur/vo"
        assert allocation.method == AllocationMethod.BLOCK_RANDOM
        expected = block_order("16_uur/vo", place.block_number, place.block_size)
        assert allocation.arm == expected[place.sequence_position - block_start]
        assert allocation.actor == actor
        assert allocation.reason == ""
        assert allocation.supersedes is None


def test_the_service_draws_the_same_sequence_as_the_pure_cursor(actor):
    cursor = SequenceCursor(stratum="16_uur/vo")
    expected = [cursor.draw().arm for _ in range(25)]

    assert [draw(actor).arm for _ in range(25)] == expected
    sequence = AllocationSequence.objects.get(stratum="16_uur/vo")
    assert (sequence.next_position, sequence.block_number, sequence.block_start) == (
        cursor.next_position,
        cursor.block_number,
        cursor.block_start,
    )


def test_one_bulk_draw_stores_every_strata_cursor_whole(actor):
    """draw_positions over several strata at once (an import) leaves each stratum's row where
    its own cursor stands: position, block number, block start and block size."""
    strata = ["16_uur/vo", "lrv/po", "16_uur/vo", "16_uur/geen"] * 30 + ["lrv/po"]
    with transaction.atomic():
        draws = draw_positions(strata)
    cursors = {stratum: SequenceCursor(stratum=stratum) for stratum in set(strata)}
    assert [d.arm for d in draws] == [cursors[stratum].draw().arm for stratum in strata]
    stored = {
        sequence.stratum: tuple(getattr(sequence, name) for name in SEQUENCE_STATE_FIELDS)
        for sequence in AllocationSequence.objects.all()
    }
    assert stored == {
        stratum: tuple(getattr(cursor, name) for name in SEQUENCE_STATE_FIELDS)
        for stratum, cursor in cursors.items()
    }
    assert stored["16_uur/vo"][0] == 60 and stored["lrv/po"][0] == 31


def test_positions_are_consecutive_per_stratum_and_independent_between_strata(actor):
    vo = {"melding_type": MeldingType.ZESTIEN_UUR, "level": SchoolLevel.VO}
    po = {"melding_type": MeldingType.ZESTIEN_UUR, "level": SchoolLevel.PO}
    lrv = {"melding_type": MeldingType.LRV, "level": SchoolLevel.VO}
    none = {"melding_type": MeldingType.ZESTIEN_UUR, "level": None}
    order = [vo, po, vo, lrv, vo, none, po, vo, vo]

    allocations = [draw(actor, **stratum) for stratum in order]

    positions = collections.defaultdict(list)
    cursors: dict[str, SequenceCursor] = {}
    for allocation, place in zip(allocations, draws_of(allocations), strict=True):
        positions[place.stratum].append(place.sequence_position)
        # Draws in other strata do not move this stratum's sequence.
        cursor = cursors.setdefault(place.stratum, SequenceCursor(stratum=place.stratum))
        assert allocation.arm == cursor.draw().arm
    assert positions == {
        "16_uur/vo": [0, 1, 2, 3, 4],
        "16_uur/po": [0, 1],
        "lrv/vo": [0],
        "16_uur/geen": [0],
    }
    assert dict(AllocationSequence.objects.values_list("stratum", "next_position")) == {
        "16_uur/vo": 5,
        "16_uur/po": 2,
        "lrv/vo": 1,
        "16_uur/geen": 1,
    }


def test_block_order_is_balanced_and_deterministic_for_one_secret():
    first = [block_order("16_uur/vo", block, 6) for block in range(20)]
    again = [block_order("16_uur/vo", block, 6) for block in range(20)]

    assert first == again
    for arms in first:
        assert collections.Counter(arms) == {Arm.BIP: 3, Arm.CONTROL: 3}


def test_block_order_and_sizes_depend_on_the_secret(settings):
    settings.ALLOCATION_SECRET = SECRET
    orders_first = [block_order("16_uur/vo", block, 8) for block in range(20)]
    sizes_first = [block_size_for("16_uur/vo", block) for block in range(40)]
    settings.ALLOCATION_SECRET = "another-secret-of-more-than-32-characters"
    orders_second = [block_order("16_uur/vo", block, 8) for block in range(20)]
    sizes_second = [block_size_for("16_uur/vo", block) for block in range(40)]

    assert orders_first != orders_second
    assert sizes_first != sizes_second
    for arms in orders_second:
        assert collections.Counter(arms) == {Arm.BIP: 4, Arm.CONTROL: 4}


def test_block_sizes_follow_the_setting(settings):
    settings.ALLOCATION_BLOCK_SIZES = (10,)

    assert {block_size_for("16_uur/vo", block) for block in range(10)} == {10}


def test_case_arm_follows_the_allocation(actor):
    case = case_in()

    allocation = allocate_block_random(case=case, actor=actor)

    assert allocation.case_id == case.pk
    case.refresh_from_db()
    assert case.arm == allocation.arm
    assert case.arm in Arm.values


def test_a_second_draw_for_the_same_case_is_refused(actor):
    case = case_in()
    first = allocate_block_random(case=case, actor=actor)
    sequence_before = list(AllocationSequence.objects.values_list("stratum", "next_position"))

    with pytest.raises(RuleViolation) as refused:
        allocate_block_random(case=case, actor=actor)

    assert "heeft al een arm" in str(refused.value)
    assert list(Allocation.objects.filter(case=case)) == [first]
    assert (
        list(AllocationSequence.objects.values_list("stratum", "next_position")) == sequence_before
    )
    case.refresh_from_db()
    assert case.arm == first.arm


def test_an_allocation_cannot_be_changed(actor):
    allocation = draw(actor)
    stored = frozen_row(allocation)

    allocation.arm = Arm.CONTROL if allocation.arm == Arm.BIP else Arm.BIP
    allocation.reason = "Achteraf aangepast"
    with pytest.raises(ValidationError):
        allocation.save()

    assert frozen_row(allocation) == stored


def test_an_allocation_cannot_be_deleted(actor):
    allocation = draw(actor)
    count = Allocation.objects.count()

    with pytest.raises(ValidationError):
        allocation.delete()

    assert Allocation.objects.count() == count
    assert Allocation.objects.filter(pk=allocation.pk).exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_manual_allocation_without_a_reason_is_refused(actor, reason):
    case = case_in()

    with pytest.raises(RuleViolation) as refused:
        allocate_manual(case=case, actor=actor, arm=Arm.BIP, reason=reason)

    assert set(refused.value.errors) == {"reason"}
    assert not Allocation.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.arm == ""


def test_manual_allocation_with_an_unknown_arm_is_refused(actor):
    case = case_in()

    with pytest.raises(RuleViolation) as refused:
        allocate_manual(case=case, actor=actor, arm="beide", reason="Proef")

    assert set(refused.value.errors) == {"arm"}
    assert not Allocation.objects.filter(case=case).exists()


def test_manual_allocation_of_an_unallocated_case(actor):
    case = case_in()

    allocation = allocate_manual(
        case=case, actor=actor, arm=Arm.CONTROL, reason="  Loting viel uit; met onderzoeker.  "
    )

    stored = Allocation.objects.get(case=case)
    assert stored.pk == allocation.pk
    assert stored.method == AllocationMethod.MANUAL
    assert stored.arm == Arm.CONTROL
    assert stored.reason == "Loting viel uit; met onderzoeker."
    assert stored.supersedes is None
    assert stored.actor == actor
    assert not AllocationDraw.objects.exists()
    case.refresh_from_db()
    assert case.arm == Arm.CONTROL
    # A manual allocation draws no position from the stratum's sequence.
    assert not AllocationSequence.objects.exists()


def test_correcting_an_allocation_adds_a_row_and_keeps_the_old_one(actor):
    case = case_in()
    original = allocate_block_random(case=case, actor=actor)
    original_row = frozen_row(original)
    other_arm = Arm.CONTROL if original.arm == Arm.BIP else Arm.BIP
    corrector = UserFactory(coordinator=True)

    correction = allocate_manual(
        case=case, actor=corrector, arm=other_arm, reason="Verkeerde soort melding ingevoerd."
    )

    assert Allocation.objects.filter(case=case).count() == 2
    correction.refresh_from_db()
    assert correction.method == AllocationMethod.CORRECTION
    assert correction.arm == other_arm
    assert correction.supersedes_id == original.pk
    assert correction.after_measurement is False
    assert correction.reason == "Verkeerde soort melding ingevoerd."
    assert correction.actor == corrector
    assert frozen_row(original) == original_row
    assert original.superseded_by == correction
    case.refresh_from_db()
    assert case.arm == other_arm


def test_a_correction_can_itself_be_corrected(actor):
    case = case_in()
    first = allocate_manual(case=case, actor=actor, arm=Arm.BIP, reason="Eerste indeling.")
    second = allocate_manual(case=case, actor=actor, arm=Arm.CONTROL, reason="Correctie.")

    third = allocate_manual(case=case, actor=actor, arm=Arm.BIP, reason="Terug naar BIP.")

    assert second.supersedes == first
    assert third.supersedes == second
    assert third.method == AllocationMethod.CORRECTION
    case.refresh_from_db()
    assert case.arm == Arm.BIP


def test_correcting_to_the_same_arm_is_refused(actor):
    case = case_in()
    original = allocate_block_random(case=case, actor=actor)

    with pytest.raises(RuleViolation) as refused:
        allocate_manual(case=case, actor=actor, arm=original.arm, reason="Nogmaals.")

    assert set(refused.value.errors) == {"arm"}
    assert list(Allocation.objects.filter(case=case)) == [original]
    case.refresh_from_db()
    assert case.arm == original.arm


def test_bip_capacity_counts_open_bip_arm_cases_against_active_bips():
    ProfessionalFactory(bip=True, max_caseload=2)
    ProfessionalFactory(bip=True, max_caseload=1)
    ProfessionalFactory(bip=True, max_caseload=50, is_active=False)
    ProfessionalFactory(max_caseload=50)  # control arm: not BIP capacity
    CaseFactory.create_batch(2, arm=Arm.BIP)
    CaseFactory(arm=Arm.BIP, closed=True)
    CaseFactory(arm=Arm.CONTROL)
    CaseFactory()  # not allocated

    assert bip_capacity() == {"capacity": 3, "open": 2, "at_capacity": False}

    CaseFactory(arm=Arm.BIP)

    assert bip_capacity() == {"capacity": 3, "open": 3, "at_capacity": True}


def test_a_full_bip_arm_does_not_change_the_draw(actor):
    ProfessionalFactory(bip=True, max_caseload=1)
    CaseFactory(arm=Arm.BIP)
    assert bip_capacity()["at_capacity"] is True
    # Start the stratum at the first BIP position of its first block, so the draw must be BIP.
    size = block_size_for("16_uur/vo", 0)
    first_bip = block_order("16_uur/vo", 0, size).index(Arm.BIP)
    AllocationSequence.objects.create(
        stratum="16_uur/vo", next_position=first_bip, block_number=0, block_size=size
    )
    case = case_in()

    allocation = allocate_block_random(case=case, actor=actor)

    assert allocation.arm == Arm.BIP
    assert allocation.draw.sequence_position == first_bip
    case.refresh_from_db()
    assert case.arm == Arm.BIP
    assert case.status == CaseStatus.OPEN
    assert bip_capacity() == {"capacity": 1, "open": 2, "at_capacity": True}
    assert Case.objects.filter(arm=Arm.CONTROL).count() == 0


@pytest.mark.django_db
def test_allocations_cannot_be_bulk_updated_or_deleted(coordinator):
    allocation = allocate_block_random(case=CaseFactory(), actor=coordinator)
    with pytest.raises(ValidationError):
        Allocation.objects.filter(pk=allocation.pk).update(arm="controle")
    with pytest.raises(ValidationError):
        Allocation.objects.filter(pk=allocation.pk).delete()
    allocation.refresh_from_db()
    assert Allocation.objects.filter(pk=allocation.pk, arm=allocation.arm).exists()
