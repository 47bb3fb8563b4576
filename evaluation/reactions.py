"""The evaluation's reactions to events of earlier apps (the list, in one place).

cases sends the events (cases/events.py) inside its own transactions; evaluation/apps.py
connects these receivers. Each receiver is named after its event. They write in the sender's
transaction: an allocation succeeds or fails with the registration; survey mails go out on
commit (evaluation.surveys defers them).
"""

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User

from cases.models import Case, Child

from .models import SurveyResponse
from .services import allocate_block_random, allocations_record_bulk, draw_positions, stratum_key
from .surveys import survey_invitations_for_case

# Rows per UPDATE of the imported cases' arm: well under SQLite's bound-parameter limit.
ARM_UPDATE_CHUNK = 2000


def on_referral_registered(sender: object, *, case: Case, actor: User, **kwargs: Any) -> None:
    """cases.events.referral_registered: allocate the new case to an arm by block random."""
    allocate_block_random(case=case, actor=actor)


def on_referrals_imported(
    sender: object, *, cases: Sequence[Case], actor: User, **kwargs: Any
) -> None:
    """cases.events.referrals_imported: allocate every imported case as allocate_block_random
    would, one after the other in file order, in bulk.

    Done in bulk because 10,000 separate draws take minutes: draw_positions draws all
    positions with each stratum's sequence row locked once. Sets `arm` on the instances too.
    """
    if not cases:
        return
    levels = dict(
        Child.objects.filter(pk__in={case.child_id for case in cases}).values_list(
            "pk", "school__level"
        )
    )
    strata = [stratum_key(case.melding_type, levels.get(case.child_id)) for case in cases]
    drawn = list(zip(cases, draw_positions(strata), strict=True))
    by_arm: dict[str, list[int]] = {}
    for case, draw in drawn:
        case.arm = draw.arm
        by_arm.setdefault(draw.arm, []).append(case.pk)
    # A new case's arm is written once, with its creation (not a change: no version bump).
    for arm, pks in by_arm.items():
        for start in range(0, len(pks), ARM_UPDATE_CHUNK):
            Case.objects.filter(pk__in=pks[start : start + ARM_UPDATE_CHUNK]).update(arm=arm)
    allocations_record_bulk(drawn=drawn, actor=actor)


def on_case_closed(sender: object, *, case: Case, **kwargs: Any) -> None:
    """cases.events.case_closed: the client survey invitations (idempotent), mailed on commit."""
    survey_invitations_for_case(case)


def on_cases_anonymising(
    sender: object, *, case_ids: Sequence[int], apply: bool, **kwargs: Any
) -> dict[str, int]:
    """cases.events.cases_anonymising: blank the survey comments of these cases (scores are
    kept for the evaluation). Returns the count, as the retention run reports it."""
    comments = SurveyResponse.objects.filter(invitation__case_id__in=case_ids).exclude(comment="")
    changed = comments.update(comment="") if apply else comments.count()
    return {"survey_comments": changed}
