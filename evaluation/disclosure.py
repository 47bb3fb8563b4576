"""Disclosure control of the report and recommendation pages: no count under 5 can be read
or derived.

Within a page (`DisclosureTable`):

- primary suppression: every count cell with n < MIN_CELL_SIZE (0 included), except a
  structural zero: a cell that is 0 by the study's design, not by what happened to a child
  (`add(key, 0, structural=True)`, e.g. "not yet measured" once every referral of the period
  has passed its measurement date). Everybody knows it is 0, so hiding it protects nobody,
  and treating it as a small count would hide the main result through secondary suppression
  (allocated = pending + measured + censored). A structural zero is never chosen as a
  secondary partner either: hiding a known value hides nothing;
- the page's additive relations are registered as sums (`add_sum(total, parts)`), e.g.
  referred = not allocated + BIP + control, allocated = pending + measured + censored,
  measured = suitable + not suitable, invited = responded + not responded. A part that the
  page does not print but that follows from the others (not suitable, not responded) is a cell
  too: it is as readable as a printed one;
- secondary suppression until, for every relation, the suppressed members are none or at
  least two whose known total (the relation's sum over them) is >= MIN_CELL_SIZE, then an
  exact check by linear algebra: a suppressed cell is derivable when its unit vector lies in
  the row space of the relations restricted to the suppressed cells; such a cell gets a
  further partner suppressed until none is derivable;
- a rate (a percentage) is printed only when its numerator and its denominator are printed:
  rate x denominator would give the numerator back ("invited 10, responded < 5, 30 %").

Across periods (`period_blocks`, `widen_to_blocks`): periods are whole months, and a period
is widened to whole blocks of months. Blocks are cut from the first month with referrals on,
each closing as soon as every group (the BIP arm, the control arm and not allocated) holds
0 or at least MIN_CELL_SIZE referrals; a trailing block that does not close joins the one
before it. Any two periods the report shows then differ by whole blocks: by 0 or at least 5
referrals in every arm, so subtracting two reports never isolates fewer than 5 children of an
arm (1-25 vs 1-26 August cannot be asked; nor can July-August vs August alone when July
holds 1 BIP referral). See /README "Disclosure control" for the reasoning.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from .periods import MonthPeriod, add_months

MIN_CELL_SIZE = 5


class DisclosureTable:
    """The counts on one page and the sums between them; `protect()` decides which to hide."""

    def __init__(self, min_cell_size: int = MIN_CELL_SIZE) -> None:
        self.min_cell_size = min_cell_size
        self.values: dict[str, int] = {}
        self.relations: list[tuple[str, tuple[str, ...]]] = []
        self.structural: set[str] = set()
        self._suppressed: set[str] | None = None

    def add(self, key: str, value: int, *, structural: bool = False) -> None:
        """A count cell. `structural`: the cell is 0 by design whenever it is 0 (see the module
        text); a non-zero value is an ordinary count and protected as one."""
        if value < 0:
            raise ValueError(f"A count cannot be negative: {key}={value}")
        self.values[key] = int(value)
        if structural and value == 0:
            self.structural.add(key)
        else:
            self.structural.discard(key)
        self._suppressed = None

    def add_sum(self, total: str, parts: Iterable[str], *, remainder: str | None = None) -> None:
        """`total` = sum of `parts`. With `remainder`, a cell that the page does not print but
        that follows as total - parts is added (and protected) too."""
        parts = tuple(parts)
        if remainder is not None:
            self.add(remainder, self.values[total] - sum(self.values[p] for p in parts))
            parts = (*parts, remainder)
        self.relations.append((total, parts))
        self._suppressed = None

    # ------------------------------------------------------------------ suppression

    def protect(self) -> set[str]:
        """The keys to hide (primary and secondary)."""
        if self._suppressed is None:
            self._suppressed = self._protect()
        return self._suppressed

    def shown(self, key: str) -> bool:
        return key not in self.protect()

    def value(self, key: str) -> int | None:
        """The printable value, None when suppressed."""
        return None if key in self.protect() else self.values[key]

    def rate_shown(self, numerator: str, denominator: str) -> bool:
        suppressed = self.protect()
        return numerator not in suppressed and denominator not in suppressed

    def _protect(self) -> set[str]:
        suppressed = {
            key
            for key, value in self.values.items()
            if value < self.min_cell_size and key not in self.structural
        }
        for _round in range(len(self.values) + 1):
            changed = self._secondary_pass(suppressed)
            if not changed:
                derivable = self.derivable(suppressed)
                if not derivable:
                    return suppressed
                changed = self._add_partner(suppressed, derivable)
            if not changed:  # nothing left to hide: hide everything in the relations
                for total, parts in self.relations:
                    suppressed.update((total, *parts))
                return suppressed
        return suppressed

    def _relation_unsafe(self, total: str, parts: tuple[str, ...], suppressed: set[str]) -> bool:
        members = [total, *parts]
        hidden = [key for key in members if key in suppressed]
        if not hidden:
            return False
        if len(hidden) == 1:
            return True
        if total in suppressed:
            return False
        # Only parts hidden: their sum is known (total - shown parts). If it is small, the
        # hidden parts are pinned to small ranges (0 when it is 0).
        return sum(self.values[key] for key in hidden) < self.min_cell_size

    def _partner(self, total: str, parts: tuple[str, ...], suppressed: set[str]) -> str | None:
        candidates = [key for key in parts if key not in suppressed and key not in self.structural]
        if candidates:
            return min(candidates, key=lambda key: (self.values[key], key))
        return None if total in suppressed or total in self.structural else total

    def _secondary_pass(self, suppressed: set[str]) -> bool:
        changed = False
        for total, parts in self.relations:
            while self._relation_unsafe(total, parts, suppressed):
                partner = self._partner(total, parts, suppressed)
                if partner is None:
                    break
                suppressed.add(partner)
                changed = True
        return changed

    def _add_partner(self, suppressed: set[str], derivable: set[str]) -> bool:
        for key in sorted(derivable):
            for total, parts in self.relations:
                if key == total or key in parts:
                    partner = self._partner(total, parts, suppressed)
                    if partner is not None:
                        suppressed.add(partner)
                        return True
        return False

    def derivable(self, suppressed: set[str]) -> set[str]:
        """The suppressed keys whose value follows exactly from the shown cells and the sums."""
        return derivable_cells(self.relations, suppressed)


def derivable_cells(relations: list[tuple[str, tuple[str, ...]]], hidden: set[str]) -> set[str]:
    """Hidden cells pinned by the linear relations (total - sum(parts) = 0) once every shown
    cell is known: e_i in the row space of the relations restricted to the hidden cells."""
    unknowns = sorted(hidden)
    if not unknowns:
        return set()
    index = {key: column for column, key in enumerate(unknowns)}
    rows = []
    for total, parts in relations:
        row = np.zeros(len(unknowns))
        if total in index:
            row[index[total]] += 1
        for part in parts:
            if part in index:
                row[index[part]] -= 1
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    matrix = np.array(rows)
    rank = np.linalg.matrix_rank(matrix)
    pinned = set()
    for key, column in index.items():
        unit = np.zeros(len(unknowns))
        unit[column] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            pinned.add(key)
    return pinned


# ---------------------------------------------------------------------- across periods


@dataclass(frozen=True)
class PeriodBlocks:
    """Month blocks (each a MonthPeriod, ascending, without gaps between their data)."""

    blocks: tuple[MonthPeriod, ...]

    def widen(self, period: MonthPeriod) -> MonthPeriod:
        """The smallest union of whole blocks that covers `period` (months without data
        outside the blocks stay as they are: they hold nothing to difference)."""
        first, last = period.first_month, period.last_month
        for block in self.blocks:
            if block.first_month <= first <= block.last_month:
                first = block.first_month
            if block.first_month <= last <= block.last_month:
                last = block.last_month
        return MonthPeriod(first_month=first, last_month=last)


def period_blocks(
    monthly: Mapping[datetime.date, Mapping[str, int]], min_cell_size: int = MIN_CELL_SIZE
) -> PeriodBlocks:
    """Cut the months with referrals into blocks, each with 0 or >= min_cell_size referrals in
    every group. `monthly`: first day of the month -> group -> referrals."""
    months = sorted(month for month, groups in monthly.items() if sum(groups.values()) > 0)
    if not months:
        return PeriodBlocks(blocks=())
    groups = sorted({group for counts in monthly.values() for group in counts})
    blocks: list[list[datetime.date]] = []
    current: list[datetime.date] = []
    totals = dict.fromkeys(groups, 0)
    for month in months:
        current.append(month)
        for group in groups:
            totals[group] += monthly[month].get(group, 0)
        if all(value == 0 or value >= min_cell_size for value in totals.values()):
            blocks.append(current)
            current, totals = [], dict.fromkeys(groups, 0)
    if current:
        if blocks:
            blocks[-1].extend(current)
        else:
            blocks.append(current)
    periods = []
    for index, block in enumerate(blocks):
        # A block reaches to the month before the next block's first month with data, so
        # empty months between them belong to it.
        last = add_months(blocks[index + 1][0], -1) if index + 1 < len(blocks) else block[-1]
        periods.append(MonthPeriod(first_month=block[0], last_month=last))
    return PeriodBlocks(blocks=tuple(periods))
