"""Table 1's counts (evaluation/baseline.py): each referral once per variable, in its category
and its allocated (ITT) arm; the group key the query groups by reads back as it was built."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.constants import MeldingType, SchoolLevel
from evaluation.baseline import KEY_BASE, _split_group_key, baseline_counts, variables
from evaluation.constants import Arm
from evaluation.report import ReportPeriod
from tests.factories import AllocationFactory, CaseFactory, ChildFactory, SchoolFactory

pytestmark = pytest.mark.django_db

D = datetime.date
PERIOD = ReportPeriod(date_from=D(2026, 3, 1), date_to=D(2026, 3, 31))


def _case(arm, *, born, level=SchoolLevel.VO, child=None, **fields):
    child = child or ChildFactory(
        date_of_birth=born, school=SchoolFactory(level=level) if level else None
    )
    case = CaseFactory(
        child=child, arm=arm, date_received=fields.pop("received", D(2026, 3, 10)), **fields
    )
    return case


def _nonzero(counts):
    return {key: n for key, n in counts.items() if n}


def test_each_referral_counts_once_per_variable_in_its_category_and_itt_arm():
    # BIP: a 13-year-old in vo (a 16-hour melding, 20 hours, never late, no earlier referral).
    _case(Arm.BIP, born=D(2013, 6, 1))
    # BIP: a child in po with LRV, 70 hours, late 12 times, one earlier referral (February).
    twice = ChildFactory(date_of_birth=D(2016, 1, 1), school=SchoolFactory(level=SchoolLevel.PO))
    _case(Arm.BIP, born=None, child=twice, received=D(2026, 2, 1))  # outside the period
    _case(
        Arm.BIP,
        born=None,
        child=twice,
        melding_type=MeldingType.LRV,
        hours_absent=70,
        times_late=12,
    )
    # Control: drawn into control, corrected to BIP afterwards: counts in control (ITT).
    corrected = _case(Arm.BIP, born=D(2008, 1, 1), level=None, hours_absent=16, times_late=3)
    drawn = AllocationFactory(case=corrected, arm=Arm.CONTROL)
    AllocationFactory(case=corrected, arm=Arm.BIP, supersedes=drawn, correction=True)
    # Not allocated, and received after the period: in no count.
    _case("", born=D(2012, 1, 1))
    _case(Arm.CONTROL, born=D(2012, 1, 1), received=D(2026, 4, 1))

    counts = baseline_counts(PERIOD)

    assert _nonzero(counts) == {
        ("age", "12", Arm.BIP): 1,  # 2026 - 2013
        ("age", "0", Arm.BIP): 1,  # 2026 - 2016 = 10
        ("age", "18", Arm.CONTROL): 1,  # 2026 - 2008
        ("school_level", "vo", Arm.BIP): 1,
        ("school_level", "po", Arm.BIP): 1,
        ("school_level", "geen", Arm.CONTROL): 1,
        ("melding_type", "16_uur", Arm.BIP): 1,
        ("melding_type", "lrv", Arm.BIP): 1,
        ("melding_type", "16_uur", Arm.CONTROL): 1,
        ("hours_absent", "16", Arm.BIP): 1,  # 20 hours
        ("hours_absent", "64", Arm.BIP): 1,
        ("hours_absent", "16", Arm.CONTROL): 1,
        ("times_late", "0", Arm.BIP): 1,
        ("times_late", "10", Arm.BIP): 1,
        ("times_late", "1", Arm.CONTROL): 1,
        ("earlier", "0", Arm.BIP): 1,
        ("earlier", "1", Arm.BIP): 1,
        ("earlier", "0", Arm.CONTROL): 1,
        ("stratum", "16_uur/vo", Arm.BIP): 1,
        ("stratum", "lrv/po", Arm.BIP): 1,
        ("stratum", "16_uur/geen", Arm.CONTROL): 1,
    }
    # Every (variable, category, arm) is in the result, the empty ones as 0.
    assert len(counts) == 2 * sum(len(variable.categories) for variable in variables())


def test_the_categories_of_a_variable_add_up_to_the_arms_referrals():
    for index in range(7):
        _case(
            Arm.BIP if index % 2 else Arm.CONTROL,
            born=D(2008 + index, 1, 1),
            hours_absent=10 * index,
            times_late=index,
        )
    counts = baseline_counts(PERIOD)
    for variable in variables():
        for arm, expected in ((Arm.BIP, 3), (Arm.CONTROL, 4)):
            total = sum(counts[(variable.key, c.key, arm)] for c in variable.categories)
            assert total == expected, variable.key


def test_every_variable_fits_its_digits_of_the_group_key():
    assert all(len(variable.categories) + 1 < KEY_BASE for variable in variables())


@given(
    arm_code=st.integers(0, 2),
    indexes=st.lists(st.integers(-1, KEY_BASE - 2), min_size=1, max_size=9),
)
def test_a_group_key_reads_back_as_it_was_built(arm_code, indexes):
    key = arm_code * KEY_BASE ** len(indexes) + sum(
        (index + 1) * KEY_BASE**position for position, index in enumerate(indexes)
    )
    assert _split_group_key(key, len(indexes)) == (arm_code, indexes)
