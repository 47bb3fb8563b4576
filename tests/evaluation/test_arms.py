"""The allocated (ITT) arm and method read through a join on the first allocation
(evaluation/arms.py): the same answer as the allocation log, one row per case."""

import pytest
from django.core.exceptions import FieldError
from django.db.models import Count

from cases.models import Case, Contact
from evaluation.arms import allocated_arm, allocation_method, with_initial_allocation
from evaluation.constants import AllocationMethod, Arm
from evaluation.models import Allocation
from tests.factories import AllocationFactory, CaseFactory, ContactFactory

pytestmark = pytest.mark.django_db


def _corrected_case():
    """Drawn into control, corrected to BIP twice afterwards: Case.arm is BIP."""
    case = CaseFactory(arm=Arm.BIP, assigned=True)
    drawn = AllocationFactory(case=case, arm=Arm.CONTROL)
    first = AllocationFactory(case=case, arm=Arm.BIP, supersedes=drawn, correction=True)
    AllocationFactory(case=case, arm=Arm.BIP, supersedes=first, correction=True)
    return case


def test_the_allocated_arm_is_the_first_allocations_not_the_corrected_one():
    corrected = _corrected_case()
    manual = CaseFactory(arm=Arm.BIP)
    AllocationFactory(case=manual, arm=Arm.BIP, method=AllocationMethod.MANUAL, reason="z")
    unlogged = CaseFactory(arm=Arm.CONTROL)  # from before the allocation log
    unallocated = CaseFactory(arm="")

    rows = dict(
        with_initial_allocation(Case.objects.all())
        .annotate(itt=allocated_arm())
        .values_list("pk", "itt")
    )
    methods = dict(
        with_initial_allocation(Case.objects.all())
        .annotate(method=allocation_method())
        .values_list("pk", "method")
    )

    assert rows == {
        corrected.pk: Arm.CONTROL,
        manual.pk: Arm.BIP,
        unlogged.pk: Arm.CONTROL,
        unallocated.pk: "",
    }
    assert methods == {
        corrected.pk: AllocationMethod.BLOCK_RANDOM,
        manual.pk: AllocationMethod.MANUAL,
        unlogged.pk: None,
        unallocated.pk: None,
    }
    assert Allocation.objects.filter(case=corrected).count() == 3


def test_the_join_adds_no_row_per_correction():
    case = _corrected_case()
    ContactFactory.create_batch(2, case=case)
    counted = (
        with_initial_allocation(Contact.objects.filter(case=case), "case")
        .annotate(itt=allocated_arm("case"))
        .values("itt")
        .annotate(n=Count("pk"))
    )
    assert list(counted) == [{"itt": Arm.CONTROL, "n": 2}]


def test_without_the_join_the_arm_cannot_be_read():
    """Forgetting with_initial_allocation fails loudly, not with a wrong arm."""
    with pytest.raises(FieldError):
        list(Case.objects.annotate(itt=allocated_arm()).values("itt"))
