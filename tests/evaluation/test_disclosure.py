"""Disclosure control (evaluation.disclosure): nothing under 5 can be read or derived."""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.disclosure import DisclosureTable, derivable_cells, period_blocks
from evaluation.periods import MonthPeriod

D = datetime.date


def flow_table(unallocated, bip, control):
    table = DisclosureTable()
    table.add("unallocated", unallocated)
    table.add("bip", bip)
    table.add("control", control)
    table.add("referred", unallocated + bip + control)
    table.add_sum("referred", ("unallocated", "bip", "control"))
    return table


def test_not_allocated_is_not_referred_minus_arms():
    """Referred 43, BIP 20, control 20: "not allocated" (3) must not follow by subtraction."""
    table = flow_table(3, 20, 20)
    hidden = table.protect()
    assert "unallocated" in hidden
    assert len(hidden & {"bip", "control", "referred"}) >= 1
    assert not table.derivable(hidden)


def test_zero_cells_are_not_pinned_by_a_zero_sum():
    """Two hidden parts that sum to 0 would both be 0: a third one is hidden."""
    table = flow_table(0, 0, 30)
    hidden = table.protect()
    assert {"unallocated", "bip"} <= hidden
    assert hidden & {"control", "referred"}


def test_response_rate_does_not_give_the_numerator_back():
    """Parents, control: invited 10, responded 3 (< 5), rate 30 %: the rate is not shown, and
    neither is the invited count's complement that would give 3 = 10 - 7."""
    table = DisclosureTable()
    table.add("invited", 10)
    table.add("responded", 3)
    table.add_sum("invited", ("responded",), remainder="not_responded")
    hidden = table.protect()
    assert "responded" in hidden
    assert not table.rate_shown("responded", "invited")
    assert hidden & {"invited", "not_responded"}
    assert not table.derivable(hidden)


def test_complement_of_a_rate_is_protected():
    """Suitable 57 of 60 measured: the 3 without a suitable outcome would follow."""
    table = DisclosureTable()
    table.add("measured", 60)
    table.add("suitable", 57)
    table.add_sum("measured", ("suitable",), remainder="not_suitable")
    assert "not_suitable" in table.protect()
    assert not table.rate_shown("suitable", "measured")


def test_large_cells_stay():
    table = flow_table(10, 40, 38)
    assert table.protect() == set()
    assert table.value("bip") == 40


def test_two_dimensional_table_chain():
    """Arm x status with row and column totals: a single small cell takes three partners."""
    table = DisclosureTable()
    cells = {("bip", "a"): 2, ("bip", "b"): 30, ("control", "a"): 12, ("control", "b"): 25}
    for (arm, status), value in cells.items():
        table.add(f"{arm}_{status}", value)
    for arm in ("bip", "control"):
        table.add(arm, sum(v for (a, _s), v in cells.items() if a == arm))
        table.add_sum(arm, (f"{arm}_a", f"{arm}_b"))
    for status in ("a", "b"):
        table.add(status, sum(v for (_a, s), v in cells.items() if s == status))
        table.add_sum(status, (f"bip_{status}", f"control_{status}"))
    hidden = table.protect()
    assert "bip_a" in hidden
    assert not derivable_cells(table.relations, hidden)


# ------------------------------------------------------------------ property-based


@st.composite
def tables(draw):
    """A rows x columns table of counts with row totals, column totals and a grand total."""
    rows = draw(st.integers(1, 4))
    columns = draw(st.integers(1, 4))
    values = draw(
        st.lists(
            st.lists(st.integers(0, 40), min_size=columns, max_size=columns),
            min_size=rows,
            max_size=rows,
        )
    )
    return values


@settings(max_examples=150, deadline=None)
@given(tables())
def test_no_hidden_cell_is_derivable(values):
    table = DisclosureTable()
    rows, columns = len(values), len(values[0])
    for r in range(rows):
        for c in range(columns):
            table.add(f"c{r}_{c}", values[r][c])
        table.add(f"row{r}", sum(values[r]))
        table.add_sum(f"row{r}", [f"c{r}_{c}" for c in range(columns)])
    for c in range(columns):
        table.add(f"col{c}", sum(values[r][c] for r in range(rows)))
        table.add_sum(f"col{c}", [f"c{r}_{c}" for r in range(rows)])
    table.add("all", sum(map(sum, values)))
    table.add_sum("all", [f"row{r}" for r in range(rows)])
    table.add_sum("all", [f"col{c}" for c in range(columns)])
    hidden = table.protect()
    # Every small cell is hidden ...
    assert all(key in hidden for key, value in table.values.items() if value < 5)
    # ... and none of the hidden cells follows exactly from the shown ones.
    assert not derivable_cells(table.relations, hidden)
    # No relation leaves hidden parts whose known sum is 0..4 (they would be pinned small).
    for total, parts in table.relations:
        hidden_parts = [p for p in parts if p in hidden]
        if hidden_parts and total not in hidden:
            assert sum(table.values[p] for p in hidden_parts) >= 5


# ------------------------------------------------------------------ across periods


def monthly(*counts):
    """Consecutive months from January 2026, each (bip, control)."""
    return {
        D(2026, 1 + index, 1): {"bip": bip, "control": control, "unallocated": 0}
        for index, (bip, control) in enumerate(counts)
    }


def test_blocks_hold_five_per_arm():
    blocks = period_blocks(monthly((6, 7), (2, 3), (4, 2), (9, 9), (1, 1)))
    assert [(b.first_month.month, b.last_month.month) for b in blocks.blocks] == [
        (1, 1),
        (2, 3),
        (4, 5),  # May alone holds 1 + 1: it joins April
    ]


def test_period_differencing_cannot_isolate_fewer_than_five():
    """Two adjacent periods that differ by one month with a single BIP referral (the 25 vs
    26 August attack, in months): February is widened to February-March, so the two periods
    differ by 8 BIP and 9 control referrals, not by the one child of February."""
    counts = monthly((8, 8), (1, 0), (7, 9))
    blocks = period_blocks(counts)
    january = blocks.widen(MonthPeriod.parse("2026-01", "2026-01"))
    january_february = blocks.widen(MonthPeriod.parse("2026-01", "2026-02"))
    assert january == MonthPeriod.parse("2026-01", "2026-01")
    assert january_february == MonthPeriod.parse("2026-01", "2026-03")
    assert blocks.widen(MonthPeriod.parse("2026-02", "2026-02")) == MonthPeriod.parse(
        "2026-02", "2026-03"
    )


def test_any_two_widened_periods_isolate_zero_or_five_per_arm():
    counts = monthly((3, 2), (1, 4), (6, 0), (0, 0), (2, 2), (5, 5), (1, 0))
    blocks = period_blocks(counts)
    months = [f"2026-{m:02d}" for m in range(1, 8)]
    shown = set()
    for i, first in enumerate(months):
        for last in months[i:]:
            shown.add(blocks.widen(MonthPeriod.parse(first, last)))

    def months_of(period):
        return {month for month in counts if period.first_month <= month <= period.last_month}

    # What subtracting one shown period from another isolates: the months in one and not in
    # the other. Each such set holds 0 or at least 5 referrals of each arm.
    for one in shown:
        for other in shown:
            isolated = months_of(one) - months_of(other)
            for arm in ("bip", "control"):
                referrals = sum(counts[month][arm] for month in isolated)
                assert referrals == 0 or referrals >= 5, (one, other, arm)


def test_no_data_no_blocks():
    blocks = period_blocks({})
    period = MonthPeriod.parse("2026-01", "2026-02")
    assert blocks.widen(period) == period


def arm_flow_table(pending, measured, censored, *, pending_structural):
    table = DisclosureTable()
    table.add("allocated", pending + measured + censored)
    table.add("pending", pending, structural=pending_structural)
    table.add("measured", measured)
    table.add("censored", censored)
    table.add_sum("allocated", ("pending", "measured", "censored"))
    return table


def test_a_structural_zero_is_shown_and_keeps_the_main_result_visible():
    """At the end of follow-up "not yet measured" is 0 by design. Hidden as a small count it
    would be the only hidden member of allocated = pending + measured + censored, and the
    partner chosen for it would be the smallest visible part: the censored 7 or, with fewer
    censored, the measured count itself."""
    table = arm_flow_table(0, 40, 7, pending_structural=True)
    assert table.protect() == set()
    assert table.value("pending") == 0 and table.value("measured") == 40

    ordinary = arm_flow_table(0, 40, 7, pending_structural=False)
    assert {"pending", "censored"} <= ordinary.protect()


def test_a_structural_cell_that_is_not_zero_is_an_ordinary_count():
    """Two cases still waiting after the measurement date (a snapshot that did not run) are
    real children: hidden, with a partner."""
    table = arm_flow_table(2, 40, 7, pending_structural=True)
    hidden = table.protect()
    assert "pending" in hidden and "censored" in hidden
    assert not table.derivable(hidden)


def test_a_structural_zero_is_never_the_partner_that_hides_a_small_cell():
    """Censored 3 needs a partner; hiding the known 0 beside it would protect nothing, so the
    partner is a real count."""
    table = arm_flow_table(0, 40, 3, pending_structural=True)
    hidden = table.protect()
    assert "pending" not in hidden
    assert "censored" in hidden and hidden & {"measured", "allocated"}
    assert not table.derivable(hidden)
