"""How foreseeable is the next allocation? Replays 50,000 allocations and prints two figures.

    .venv/bin/python benchmarks/allocation_predictability.py [--n 50000] [--sizes 24,32,40,48]

The allocations are drawn by evaluation.services' own rule (SequenceCursor: permuted blocks,
each block's size and order from the keyed HMAC) with a fresh random secret, over 20 strata
of unequal size (melding type x school level, as in the pilot). The figures
(evaluation.predictability) are those of an observer who sees every earlier arm of the
stratum and knows the allowed block sizes, but not the secret:

- certain: share of allocations whose arm was forced by the earlier arms (target <= 5 %);
- guess rate: share guessed right by "the arm that is behind" (target <= 60 %).

For comparison it also prints the old fixed blocks of 4 and random blocks of 4, 6 or 8.
No database is touched.
"""

import argparse
import os
import random
import secrets
import sys
from collections import defaultdict
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bip.settings")
os.environ.setdefault("ENV_FILE", ".env.demo")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from evaluation.predictability import predictability  # noqa: E402
from evaluation.services import SequenceCursor  # noqa: E402

CERTAIN_TARGET = 0.05
GUESS_TARGET = 0.60


def strata_mix(n: int, rng: random.Random, count: int = 20) -> list[str]:
    """`n` strata in allocation order: `count` strata, a few large and many small."""
    names = [f"stratum-{index:02d}" for index in range(count)]
    weights = [1 / (index + 1) for index in range(count)]
    return rng.choices(names, weights=weights, k=n)


def replay(n: int, sizes: tuple[int, ...], *, seed: int = 2026) -> dict[str, list[str]]:
    """The arms of `n` allocations per stratum, drawn as the service draws them."""
    rng = random.Random(seed)  # noqa: S311 - which stratum each referral is in; not the draw
    secret = secrets.token_urlsafe(40)
    cursors: dict[str, SequenceCursor] = {}
    arms: dict[str, list[str]] = defaultdict(list)
    for stratum in strata_mix(n, rng):
        cursor = cursors.setdefault(
            stratum, SequenceCursor(stratum=stratum, sizes=sizes, secret=secret)
        )
        arms[stratum].append(cursor.draw().arm)
    return arms


def report(label: str, n: int, sizes: tuple[int, ...]) -> bool:
    figures = predictability(replay(n, sizes).values(), sizes)
    ok = figures.certain_share <= CERTAIN_TARGET and figures.guess_rate <= GUESS_TARGET
    print(
        f"{label:<34} sizes {','.join(map(str, sizes)):<14} n={figures.allocations:>6}  "
        f"certain {figures.certain_share:6.1%}  guess rate {figures.guess_rate:6.1%}  "
        f"{'meets the targets' if ok else 'FAILS the targets'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--sizes", default=",".join(map(str, settings.ALLOCATION_BLOCK_SIZES)))
    args = parser.parse_args()
    sizes = tuple(int(size) for size in args.sizes.split(","))
    print(f"Targets: certain <= {CERTAIN_TARGET:.0%}, guess rate <= {GUESS_TARGET:.0%}")
    report("before: fixed blocks of 4", args.n, (4,))
    report("random blocks of 4, 6 or 8", args.n, (4, 6, 8))
    ok = report("configured (ALLOCATION_BLOCK_SIZES)", args.n, sizes)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
