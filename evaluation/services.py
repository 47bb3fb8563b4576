"""Writes for the evaluation: allocating cases to the study arms.

Block randomisation, stratified by melding type and school level. Each stratum has its own
sequence of positions; position p falls in block p // B at index p % B. A block holds B/2
BIP and B/2 control allocations in an order derived from HMAC(ALLOCATION_SECRET, stratum and
block), so the order cannot be foreseen from the database, and the next allocation exists
only once the referral is registered and drawn. Every allocation is an append-only
Allocation row; a correction is a new row that supersedes the old one.
"""

import hashlib
import hmac
import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from cases.exceptions import RuleViolation
from cases.models import Case
from professionals.models import Professional

from .constants import AllocationMethod, Arm
from .models import Allocation, AllocationSequence


def stratum_key(melding_type: str, school_level: str | None) -> str:
    """The randomisation stratum: melding type and school level ("geen" without a school)."""
    return f"{melding_type}/{school_level or 'geen'}"


def stratum_for(case: Case) -> str:
    level = case.child.school.level if case.child.school_id else None
    return stratum_key(case.melding_type, level)


def block_order(stratum: str, block_number: int, *, block_size: int | None = None) -> list[str]:
    """The arms of one block, in order. Half BIP, half control; the order is keyed."""
    size = block_size or settings.ALLOCATION_BLOCK_SIZE
    key = settings.ALLOCATION_SECRET.encode()
    digest = hmac.new(key, f"{stratum}:{block_number}:{size}".encode(), hashlib.sha256).digest()
    arms = [Arm.BIP.value] * (size // 2) + [Arm.CONTROL.value] * (size // 2)
    random.Random(digest).shuffle(arms)  # noqa: S311 - the seed is secret; no crypto needed
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
        return f"hmac-sha256:{self.stratum}:{self.block_number}:{self.block_size}"


def draw_positions(strata: Sequence[str]) -> list[Draw]:
    """Draw the next position for each stratum in `strata`, in order, and advance the sequences.

    The sequence rows are locked until the transaction ends, so concurrent draws queue up.
    Must run inside transaction.atomic(), in the same transaction that stores the allocations.
    """
    size = settings.ALLOCATION_BLOCK_SIZE
    wanted = sorted(set(strata))
    for stratum in wanted:
        AllocationSequence.objects.get_or_create(stratum=stratum)
    next_positions = dict(
        AllocationSequence.objects.select_for_update()
        .filter(stratum__in=wanted)
        .order_by("stratum")
        .values_list("stratum", "next_position")
    )
    draws, orders = [], {}
    for stratum in strata:
        position = next_positions[stratum]
        next_positions[stratum] = position + 1
        block_number, index = divmod(position, size)
        if (stratum, block_number) not in orders:
            orders[stratum, block_number] = block_order(stratum, block_number, block_size=size)
        arm = orders[stratum, block_number][index]
        draws.append(Draw(stratum, position, block_number, size, arm))
    for stratum, position in next_positions.items():
        AllocationSequence.objects.filter(stratum=stratum).update(next_position=position)
    return draws


def _allocation(case: Case, draw: Draw, actor) -> Allocation:
    return Allocation(
        case=case,
        arm=draw.arm,
        method=AllocationMethod.BLOCK_RANDOM,
        stratum=draw.stratum,
        block_number=draw.block_number,
        sequence_position=draw.position,
        seed=draw.seed,
        actor=actor,
    )


def _set_arm(case: Case, arm: str) -> None:
    Case.objects.filter(pk=case.pk).update(arm=arm)
    case.arm = arm


def allocate_block_random(*, case: Case, actor) -> Allocation:
    """Draw the next position of the case's stratum and allocate the case to its arm.

    Refuses a case that already has an allocation: a change is a correction.
    """
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("child__school")
            .get(pk=case.pk)
        )
        if case.allocations.exists():
            raise RuleViolation(_("Deze zaak heeft al een arm; corrigeer die zo nodig."))
        (draw,) = draw_positions([stratum_for(case)])
        allocation = _allocation(case, draw, actor)
        allocation.save()
        _set_arm(case, draw.arm)
        return allocation


def allocations_record_bulk(*, drawn: Sequence[tuple[Case, Draw]], actor) -> None:
    """Store the allocations of a bulk import: the cases exist, their arm is the draw's."""
    Allocation.objects.bulk_create(
        (_allocation(case, draw, actor) for case, draw in drawn), batch_size=2000
    )


def allocate_manual(*, case: Case, actor, arm: str, reason: str) -> Allocation:
    """Allocate a case by hand. Only with a written reason; logged like any other."""
    reason = (reason or "").strip()
    errors = {}
    if arm not in Arm.values:
        errors["arm"] = _("Kies een arm.")
    if not reason:
        errors["reason"] = _("Een handmatige toewijzing aan een arm vraagt een reden.")
    if errors:
        raise RuleViolation(errors=errors)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        current = case.allocations.order_by("-created_at", "-id").first()
        method = AllocationMethod.MANUAL if current is None else AllocationMethod.CORRECTION
        if current is not None and current.arm == arm:
            raise RuleViolation(errors={"arm": _("De zaak zit al in deze arm.")})
        allocation = Allocation.objects.create(
            case=case,
            arm=arm,
            method=method,
            stratum=current.stratum if current else "",
            reason=reason,
            supersedes=current,
            actor=actor,
        )
        _set_arm(case, arm)
        return allocation


def bip_capacity() -> dict:
    """Open BIP-arm cases against the summed caseload of active BIPs."""
    capacity = (
        Professional.objects.filter(is_active=True, is_bip=True).aggregate(
            total=Sum("max_caseload")
        )["total"]
        or 0
    )
    open_cases = Case.objects.aggregate(n=Count("id", filter=Q(arm=Arm.BIP, status="open")))["n"]
    return {"capacity": capacity, "open": open_cases, "at_capacity": open_cases >= capacity}
