"""Time the effect estimates' computation (evaluation.estimates.compute_estimates) on the
aggregated rows a database of N measured cases returns. Measures the Python/statsmodels side
only; the three GROUP BY queries come on top (benchmarks/report_1m.py times the whole report).

    ENV_FILE=.env.demo .venv/bin/python benchmarks/report_estimates.py 1000000
"""

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bip.settings")
django.setup()

import numpy as np  # noqa: E402

from evaluation.estimates import compute_estimates  # noqa: E402


def aggregated_rows(cases: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    arm = rng.choice(["bip", "controle"], cases)
    stratum = rng.choice([f"{m}/{lv}" for m in ("16_uur", "lrv", "luxe", "overig")
                          for lv in ("po", "vo", "so", "mbo", "geen")], cases)  # fmt: skip
    event = rng.random(cases) < np.where(arm == "bip", 0.55, 0.45)
    days = np.where(event, rng.integers(1, 92, cases), 91)
    keys, counts = np.unique(np.stack([arm, stratum, days.astype(str), event.astype(str)], 1),
                             axis=0, return_counts=True)  # fmt: skip
    survival = [(a, s, "gemeten", e == "True", int(d), e == "True", int(n))
                for (a, s, d, e), n in zip(keys, counts, strict=True)]  # fmt: skip
    contact = rng.integers(0, 40, cases)
    keys, counts = np.unique(np.stack([arm, contact.astype(str)], 1), axis=0, return_counts=True)
    contacts = [(a, int(c), 91, int(n)) for (a, c), n in zip(keys, counts, strict=True)]
    sums = {}
    for name in ("bip", "controle"):
        chosen = arm == name
        sums[f"n_{name}"] = int(chosen.sum())
        for measure in ("contacts", "distinct_professionals", "handovers"):
            values = rng.integers(0, 10, int(chosen.sum()))
            sums[f"sum_{measure}_{name}"] = int(values.sum())
            sums[f"sumsq_{measure}_{name}"] = int((values**2).sum())
    return survival, contacts, sums


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    survival, contacts, sums = aggregated_rows(cases)
    start = time.perf_counter()
    estimates = compute_estimates(survival_rows=survival, contact_rows=contacts, sums=sums)
    elapsed = time.perf_counter() - start
    print(f"{cases} cases, {len(survival)} aggregated rows: compute {elapsed:.3f} s")
    print(f"  RD {estimates.risk_difference.value:.4f} HR {estimates.hazard_ratio.value:.3f}")


if __name__ == "__main__":
    main()
