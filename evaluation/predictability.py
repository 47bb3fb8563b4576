"""How foreseeable the allocation is to someone who sees every earlier arm of a stratum.

Used by benchmarks/allocation_predictability.py and its test. Two figures over a stratum's
sequence of arms, computed by an observer who knows the allowed block sizes but not the
secret, so not where a block ends:

- certain: the share of allocations whose arm was forced. Exact: the observer tracks every
  state the current block can be in, (block size, BIP so far, control so far), over all
  block partitions consistent with the arms seen so far (each block holds as many BIP as
  control, its size one of the allowed sizes). An allocation is certain when every such
  state leaves only one arm possible.
- guess rate: the share guessed right by "the arm that is behind": guess the arm with fewer
  allocations so far in the stratum (with permuted blocks the same guess as "fewer since the
  last point both were equal"); on a tie the guess is a fair coin, counted as half right.
  With known boundaries and blocks of 4 this is the classic convergence strategy (70.8 %).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BIP = "bip"


@dataclass(frozen=True)
class Predictability:
    allocations: int
    certain: int
    guessed_right: float  # ties count half

    @property
    def certain_share(self) -> float:
        return self.certain / self.allocations if self.allocations else 0.0

    @property
    def guess_rate(self) -> float:
        return self.guessed_right / self.allocations if self.allocations else 0.0

    def __add__(self, other: "Predictability") -> "Predictability":
        return Predictability(
            self.allocations + other.allocations,
            self.certain + other.certain,
            self.guessed_right + other.guessed_right,
        )


def stratum_predictability(arms: Iterable[str], sizes: Sequence[int]) -> Predictability:
    """The two figures for one stratum's arms, in allocation order."""
    fresh = frozenset((size, 0, 0) for size in sizes)
    states = fresh
    allocations = certain = 0
    guessed = 0.0
    lead = 0  # BIP minus control so far
    for arm in arms:
        is_bip = arm == BIP
        possible = set()
        for size, bip, control in states:
            if bip < size // 2:
                possible.add(True)
            if control < size // 2:
                possible.add(False)
        allocations += 1
        certain += len(possible) == 1
        if lead == 0:
            guessed += 0.5
        elif (lead < 0) == is_bip:
            guessed += 1
        lead += 1 if is_bip else -1
        following: set[tuple[int, int, int]] = set()
        for size, bip, control in states:
            if is_bip and bip < size // 2:
                bip += 1
            elif not is_bip and control < size // 2:
                control += 1
            else:
                continue  # this state could not have given this arm
            if bip + control == size:
                following |= fresh
            else:
                following.add((size, bip, control))
        if not following:
            raise ValueError("These arms cannot come from permuted blocks of these sizes.")
        states = frozenset(following)
    return Predictability(allocations, certain, guessed)


def predictability(per_stratum: Iterable[Iterable[str]], sizes: Sequence[int]) -> Predictability:
    """The figures over several strata (each its own sequence), summed."""
    total = Predictability(0, 0, 0.0)
    for arms in per_stratum:
        total = total + stratum_predictability(arms, sizes)
    return total
