"""k-anonymity of the cases export: every released combination of quasi-identifiers is shared
by at least K rows.

The quasi-identifiers are what an outsider could know about a child: the age at the referral,
the school level, the referral's year and month, the melding type and the source. A row whose
combination is rarer than K is generalised step by step (local recoding), and each step is
counted only among the rows that are still left:

    level 0  age, month                  (as recorded)
    level 1  age band, month
    level 2  age band, quarter
    level 3  age band, year
    level 4  age band, year; school level and melding type suppressed
    level 5  everything suppressed

At each level the rows whose generalised combination occurs at least K times among the rows
still left are released at that level; the others go on to the next. So every released
combination (generalised values compared as they are written, e.g. "12-13" and "2024-K3")
occurs at least K times in the file. Should fewer than K rows end fully suppressed, whole
groups of the last level join them until there are K (an all-suppressed row matches any
child, so K of them are as anonymous as any other class). With fewer than K rows in all,
every row is suppressed.

The plan is computed from the quasi-identifiers alone (one pass over the rows, memory per
distinct combination, not per row) and applied while the rows are streamed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

K = 5

# (school level, melding type, source) are kept as they are up to level 3.
Identifiers = tuple[int, str, int, int, str, str]  # age, school level, year, month, type, source

LEVELS = 6  # 0..5
FULLY_SUPPRESSED = LEVELS - 1

# Age bands: the primary-school years, then the Halt age (12+) in two-year bands, and the end
# of compulsory education (16+). Any age outside falls in the nearest end band.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("5-8", 5, 8),
    ("9-11", 9, 11),
    ("12-13", 12, 13),
    ("14-15", 14, 15),
    ("16-18", 16, 18),
)


def age_band(age: int) -> str:
    for code, low, high in AGE_BANDS:
        if low <= age <= high:
            return code
    return AGE_BANDS[0][0] if age < AGE_BANDS[0][1] else AGE_BANDS[-1][0]


def quarter(month: int) -> int:
    return (month - 1) // 3 + 1


def generalised(identifiers: Identifiers, level: int) -> tuple:
    """The combination as it is released at `level` (suppressed parts as None)."""
    age, school_level, year, month, melding_type, source = identifiers
    if level == 0:
        return identifiers
    band = age_band(age)
    if level == 1:
        return (band, school_level, year, month, melding_type, source)
    if level == 2:
        return (band, school_level, year, quarter(month), melding_type, source)
    if level == 3:
        return (band, school_level, year, None, melding_type, source)
    if level == 4:
        return (band, None, year, None, None, source)
    return (None,) * 6


@dataclass
class GeneralisationPlan:
    """Which level each combination of quasi-identifiers is released at."""

    k: int
    levels: dict[Identifiers, int] = field(default_factory=dict)
    rows_per_level: Counter[int] = field(default_factory=Counter)

    def level(self, identifiers: Identifiers) -> int:
        return self.levels.get(identifiers, FULLY_SUPPRESSED)

    @property
    def rows(self) -> int:
        return sum(self.rows_per_level.values())

    @property
    def generalised_rows(self) -> int:
        """Rows released coarser than recorded (level 1 or higher)."""
        return self.rows - self.rows_per_level[0]


def plan_generalisation(counts: Counter[Identifiers], k: int = K) -> GeneralisationPlan:
    """The generalisation for rows with these combinations (combination -> number of rows)."""
    plan = GeneralisationPlan(k=k)
    left = dict(counts)
    released: list[tuple[int, int, list[Identifiers]]] = []  # (rows, level, combinations)
    for level in range(FULLY_SUPPRESSED):
        groups: dict[tuple, list[Identifiers]] = {}
        sizes: Counter[tuple] = Counter()
        for identifiers, rows in left.items():
            key = generalised(identifiers, level)
            groups.setdefault(key, []).append(identifiers)
            sizes[key] += rows
        for key, size in sizes.items():
            if size >= k:
                released.append((size, level, groups[key]))
                for identifiers in groups[key]:
                    del left[identifiers]
    suppressed = sum(left.values())
    # Fewer than k fully suppressed rows would form a small class of their own: whole released
    # classes (the smallest first) join them until there are k.
    released.sort(key=lambda entry: (entry[0], -entry[1]))
    while 0 < suppressed < k and released:
        size, _level, combinations = released.pop(0)
        suppressed += size
        left.update({identifiers: counts[identifiers] for identifiers in combinations})
    for size, level, combinations in released:
        plan.rows_per_level[level] += size
        for identifiers in combinations:
            plan.levels[identifiers] = level
    plan.rows_per_level[FULLY_SUPPRESSED] += suppressed
    for identifiers in left:
        plan.levels[identifiers] = FULLY_SUPPRESSED
    return plan


def smallest_class(rows: Iterable[tuple]) -> int:
    """The size of the smallest class of identical released combinations (0 without rows);
    a check on the released file, independent of the plan."""
    sizes = Counter(rows)
    return min(sizes.values(), default=0)
