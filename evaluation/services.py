"""Writes for the evaluation: allocating cases to the study arms.

Concealed block randomisation, stratified by melding type and school level. Each stratum's
sequence is cut into permuted blocks whose size the keyed HMAC picks from
ALLOCATION_BLOCK_SIZES, one block at a time; each block holds as many BIP as control
allocations, in an order derived from HMAC(ALLOCATION_SECRET, stratum, block). Without the
secret nobody can tell where a block ends, so the earlier arms of a stratum leave the next
one open (benchmarks/allocation_predictability.py measures how open). The stratum, block and
position of a draw are kept in `AllocationDraw`, which only this module writes and reads.

Intention-to-treat: a case's first allocation (drawn, or by hand with a reason) is never
changed. A correction is a new, reasoned `Allocation` row that supersedes the previous one; it
moves the case's as-treated arm (`Case.arm`), and only `_case_arm_write` writes that field,
with the case's version bumped and a change-history entry.
"""

import hashlib
import hmac
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import workload
from cases.exceptions import RuleViolation
from cases.models import Case
from cases.services._locking import bump_version, lock_case

from .constants import AllocationMethod, Arm
from .models import Allocation, AllocationDraw, AllocationSequence


def stratum_key(melding_type: str, school_level: str | None) -> str:
    """The randomisation stratum: melding type and school level ("geen" without a school)."""
    return f"{melding_type}/{school_level or 'geen'}"


def stratum_for(case: Case) -> str:
    school = case.child.school
    level = school.level if school is not None else None
    return stratum_key(case.melding_type, level)


def _keyed_rng(secret: str, message: str) -> random.Random:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return random.Random(digest)  # noqa: S311 - the seed is secret; no crypto needed


def block_size_for(
    stratum: str,
    block_number: int,
    *,
    sizes: Sequence[int] | None = None,
    secret: str | None = None,
) -> int:
    """The size of one block, picked from `sizes` (default ALLOCATION_BLOCK_SIZES) by the
    keyed HMAC: the same for the same secret, unforeseeable without it."""
    sizes = tuple(sizes or settings.ALLOCATION_BLOCK_SIZES)
    rng = _keyed_rng(secret or settings.ALLOCATION_SECRET, f"size:v2:{stratum}:{block_number}")
    return sizes[rng.randrange(len(sizes))]


def block_order(
    stratum: str, block_number: int, block_size: int, *, secret: str | None = None
) -> list[str]:
    """The arms of one block, in order: half BIP, half control; the order is keyed."""
    arms = [Arm.BIP.value] * (block_size // 2) + [Arm.CONTROL.value] * (block_size // 2)
    rng = _keyed_rng(
        secret or settings.ALLOCATION_SECRET, f"order:v2:{stratum}:{block_number}:{block_size}"
    )
    rng.shuffle(arms)
    return arms


@dataclass(frozen=True)
class Draw:
    """One drawn position of a stratum's sequence and the arm it gives."""

    stratum: str
    position: int
    block_number: int
    block_size: int
    arm: str

    @property
    def seed(self) -> str:
        # Names how the order was derived; the secret itself is never stored.
        return f"hmac-sha256:v2:{self.stratum}:{self.block_number}:{self.block_size}"


@dataclass
class SequenceCursor:
    """A stratum's place in its sequence, in memory: the rule every draw follows.

    `draw()` gives the next position's arm and advances; a new block (and its keyed size)
    starts when the current one is full. The allocation service loads cursors from and saves
    them to `AllocationSequence`; the demo seed and the predictability benchmark use the same
    cursor, so they cannot restate the rule differently.
    """

    stratum: str
    next_position: int = 0
    block_number: int = -1
    block_start: int = 0
    block_size: int = 0
    sizes: tuple[int, ...] | None = None
    secret: str | None = None
    _order: list[str] = field(default_factory=list, repr=False)

    def draw(self) -> Draw:
        if self.block_number < 0 or self.next_position >= self.block_start + self.block_size:
            self.block_number += 1
            self.block_start = self.next_position
            self.block_size = block_size_for(
                self.stratum, self.block_number, sizes=self.sizes, secret=self.secret
            )
            self._order = []
        if not self._order:
            self._order = block_order(
                self.stratum, self.block_number, self.block_size, secret=self.secret
            )
        position = self.next_position
        self.next_position += 1
        arm = self._order[position - self.block_start]
        return Draw(self.stratum, position, self.block_number, self.block_size, arm)

    @classmethod
    def from_sequence(cls, sequence: AllocationSequence) -> "SequenceCursor":
        return cls(
            stratum=sequence.stratum,
            next_position=sequence.next_position,
            block_number=sequence.block_number,
            block_start=sequence.block_start,
            block_size=sequence.block_size,
        )

    def as_sequence(self) -> AllocationSequence:
        return AllocationSequence(
            stratum=self.stratum,
            next_position=self.next_position,
            block_number=self.block_number,
            block_start=self.block_start,
            block_size=self.block_size,
        )


SEQUENCE_STATE_FIELDS = ["next_position", "block_number", "block_start", "block_size"]


def sequence_cursors_load() -> dict[str, SequenceCursor]:
    """Every stratum's cursor, for a writer that draws outside this module (the demo seed)."""
    return {
        sequence.stratum: SequenceCursor.from_sequence(sequence)
        for sequence in AllocationSequence.objects.all()
    }


def sequence_cursors_save(cursors: Sequence[SequenceCursor]) -> None:
    """Store cursors advanced outside `draw_positions` (the demo seed), so the app's own
    draws continue where they stopped."""
    AllocationSequence.objects.bulk_create(
        [cursor.as_sequence() for cursor in cursors],
        update_conflicts=True,
        unique_fields=["stratum"],
        update_fields=SEQUENCE_STATE_FIELDS,
    )


def draw_positions(strata: Sequence[str]) -> list[Draw]:
    """Draw the next position for each stratum in `strata`, in order, and advance the sequences.

    The sequence rows are locked until the transaction ends, so concurrent draws queue up.
    Must run inside transaction.atomic(), in the same transaction that stores the allocations
    (`allocate_block_random`, or `allocations_record_bulk` for a bulk import).
    """
    wanted = sorted(set(strata))

    def lock() -> dict[str, SequenceCursor]:
        locked = AllocationSequence.objects.select_for_update().filter(stratum__in=wanted)
        return {s.stratum: SequenceCursor.from_sequence(s) for s in locked.order_by("stratum")}

    cursors = lock()
    if len(cursors) < len(wanted):  # a stratum's first draw: create its row, then lock all
        AllocationSequence.objects.bulk_create(
            [AllocationSequence(stratum=s) for s in wanted if s not in cursors],
            ignore_conflicts=True,
        )
        cursors = lock()
    draws = [cursors[stratum].draw() for stratum in strata]
    # One plain UPDATE per stratum (a handful at most): for the one stratum of a single
    # referral, bulk_update's CASE WHEN per field cost the ORM several times more Python.
    for cursor in cursors.values():
        AllocationSequence.objects.filter(stratum=cursor.stratum).update(
            **{name: getattr(cursor, name) for name in SEQUENCE_STATE_FIELDS}
        )
    return draws


def _draw_row(allocation: Allocation, draw: Draw) -> AllocationDraw:
    return AllocationDraw(
        allocation=allocation,
        stratum=draw.stratum,
        sequence_position=draw.position,
        block_number=draw.block_number,
        block_size=draw.block_size,
        seed=draw.seed,
    )


def _case_arm_write(*, case: Case, arm: str, actor: User) -> None:
    """Set the case's as-treated arm: the only write of `Case.arm` on an existing case.

    `case` must be locked (lock_case) in the caller's transaction. Bumps the case's version,
    so a form opened before the change is refused as a concurrent edit, and writes the change
    history entry (`Case.arm` is left out of the automatic history: it is written here).
    """
    before = case.arm
    case.arm = arm
    bump_version(case, "arm")
    try:
        remote_addr = auditlog_value.get().get("remote_addr")
    except LookupError:
        remote_addr = None
    LogEntry.objects.log_create(
        case,
        action=LogEntry.Action.UPDATE,
        changes={"arm": [before or "None", arm]},
        actor=actor,
        remote_addr=remote_addr,
    )


def allocate_block_random(*, case: Case, actor: User) -> Allocation:
    """Draw the next position of the case's stratum and allocate the case to its arm.

    Refuses a case that already has an allocation: a change is a correction.
    """
    with transaction.atomic():
        case = lock_case(case, expected_version=None)
        if case.allocations.exists():
            raise RuleViolation(_("Deze zaak heeft al een arm; corrigeer die zo nodig."))
        (draw,) = draw_positions([stratum_for(case)])
        allocation = Allocation.objects.create(
            case=case, arm=draw.arm, method=AllocationMethod.BLOCK_RANDOM, actor=actor
        )
        _draw_row(allocation, draw).save()
        _case_arm_write(case=case, arm=draw.arm, actor=actor)
        return allocation


def allocations_record_bulk(*, drawn: Sequence[tuple[Case, Draw]], actor: User) -> None:
    """Store the allocations of a bulk import: the cases exist, created with the draw's arm
    (their creation is in the change history), so this writes the allocation log only."""
    allocations = Allocation.objects.bulk_create(
        (
            Allocation(case=case, arm=draw.arm, method=AllocationMethod.BLOCK_RANDOM, actor=actor)
            for case, draw in drawn
        ),
        batch_size=2000,
    )
    AllocationDraw.objects.bulk_create(
        (
            _draw_row(allocation, draw)
            for allocation, (_case, draw) in zip(allocations, drawn, strict=True)
        ),
        batch_size=2000,
    )


def allocate_manual(*, case: Case, actor: User, arm: str, reason: str) -> Allocation:
    """Allocate a case by hand, or correct its arm. Only with a written reason.

    Without an earlier allocation this is the case's first (manual) allocation, which it keeps
    for the intention-to-treat analysis. With one, it is a correction: a new row superseding
    the newest, which changes only the as-treated arm. A correction after the case's
    measurement date is marked `after_measurement` and counts as a protocol deviation.
    Raises RuleViolation (nothing written) without a valid arm or reason, or when the case is
    in that arm already.
    """
    reason = (reason or "").strip()
    errors = {}
    if arm not in Arm.values:
        errors["arm"] = _("Kies een arm.")
    if not reason:
        errors["reason"] = _("Een handmatige toewijzing of correctie vraagt een reden.")
    if errors:
        raise RuleViolation(errors=errors)
    with transaction.atomic():
        case = lock_case(case, expected_version=None)
        current = case.allocations.order_by("-created_at", "-id").first()
        if current is not None and current.arm == arm:
            raise RuleViolation(errors={"arm": _("De zaak zit al in deze arm.")})
        method = AllocationMethod.MANUAL if current is None else AllocationMethod.CORRECTION
        allocation = Allocation.objects.create(
            case=case,
            arm=arm,
            method=method,
            reason=reason,
            supersedes=current,
            after_measurement=current is not None
            and timezone.localdate() > case.three_month_deadline,
            actor=actor,
        )
        _case_arm_write(case=case, arm=arm, actor=actor)
        return allocation


def bip_capacity() -> dict:
    """Open BIP-arm cases against the summed caseload of active BIPs (cases.workload)."""
    return workload.bip_capacity()
