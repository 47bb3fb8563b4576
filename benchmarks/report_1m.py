"""Time the evaluation report with its effect estimates and Table 1 on a real database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_big \\
        ENV_FILE=.env.demo .venv/bin/python benchmarks/report_1m.py [--repeats 3]

The database is a `seed_demo --cases N` world with its measurements
(`manage.py snapshot_measurements`). For the study's whole default period (what the report page
opens with, widened to whole disclosure blocks) it reports:
- cold: `evaluation_report` (all its queries, the estimates and Table 1), each repeat after the
  cache is cleared; the estimates' share (`effect_estimates`) separately;
- cached: `evaluation_report_cached` once the report is in the configured cache;
- stored (what the page does once the daily run has stored the rows, `evaluation.aggregates`):
  the time to compute and store every month's rows, their size, and the page's work with an
  empty cache: the latest computation, its rows read once, the disclosure blocks and the
  report added up from the months (`--repeats` times, the cache cleared before each).
"""

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bip.settings")
django.setup()

from django.core.cache import cache  # noqa: E402

from cases.models import Case  # noqa: E402
from evaluation.aggregates import report_aggregate_store  # noqa: E402
from evaluation.estimates import effect_estimates  # noqa: E402
from evaluation.models import Measurement  # noqa: E402
from evaluation.periods import default_period  # noqa: E402
from evaluation.report import (  # noqa: E402
    ReportPeriod,
    evaluation_report,
    evaluation_report_cached,
    referral_blocks,
    report_for_months,
)


def timed(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        cache.clear()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"cases {Case.objects.count():,}, measurements {Measurement.objects.count():,}")
    months = referral_blocks().widen(default_period())
    period = ReportPeriod.from_months(months)
    print(f"period {period.date_from} .. {period.date_to}")

    estimates_s, effects = timed(lambda: effect_estimates(months), args.repeats)
    report_s, report = timed(lambda: evaluation_report(period), args.repeats)
    cache.clear()
    evaluation_report_cached(period)  # fills the cache
    cached = []
    for _ in range(max(args.repeats, 5)):
        start = time.perf_counter()
        evaluation_report_cached(period)
        cached.append(time.perf_counter() - start)
    start = time.perf_counter()
    stored = report_aggregate_store()
    store_s = time.perf_counter() - start
    size = len(json.dumps(stored.rows))
    counts = ", ".join(f"{name} {len(rows):,}" for name, rows in stored.rows.items())

    page_s, (_months, from_stored) = timed(
        lambda: report_for_months(default_period()), args.repeats
    )
    assert dataclasses.replace(from_stored, as_of=None) == report, "stored != live"
    print(f"rows of every month computed and stored: {store_s:.2f} s, {size / 1e6:.1f} MB JSON")
    print(f"  rows per part: {counts}")
    print(f"the page's report from the stored rows (cold, median): {page_s * 1000:.0f} ms")
    print(f"effect estimates alone (cold, median of {args.repeats}): {estimates_s:.2f} s")
    print(f"whole report with estimates and Table 1 (cold): {report_s:.2f} s")
    print(f"whole report, cached (median): {statistics.median(cached) * 1000:.1f} ms")
    for label, estimate in (
        ("risk difference BIP - control", effects.risk_difference),
        ("hazard ratio (Cox, stratified)", effects.hazard_ratio),
    ):
        shown = (
            f"{estimate.value:.3f} ({estimate.low:.3f}-{estimate.high:.3f})"
            if estimate.computable
            else f"not computed: {estimate.reason}"
        )
        print(f"{label}: {shown}")


if __name__ == "__main__":
    main()
