"""The goals of issue 15 that need no web server: the evaluation report cold and the research
exports, measured on the bench world after the requests (`make bench`; BENCH_OFFLINE=0 skips).

- The report: the daily snapshot's rows computed and stored (`evaluation.aggregates`, as the
  nightly run does), then the page's work with an empty cache (the latest computation, its
  rows read once, the disclosure blocks, the report added up from the months), median of
  three; and the live report (what a source without stored rows costs), once.
- The exports: `benchmarks/export_1m.py --json` per dataset, each format in its own process
  (rows per second, peak memory, and the ratio to a COPY of the export's own SQL).
"""

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = {"zaken": "csv,sav,xlsx", "contacten": "csv,sav", "enquetes": "csv,sav"}


def export_figures(env: dict[str, str]) -> list[dict]:
    """Every export of EXPORTS on the bench world (export_1m.py also synthesises measurements
    when the world has too few, as the report needs)."""
    figures: list[dict] = []
    for dataset, formats in EXPORTS.items():
        child = subprocess.run(  # noqa: S603 - our own script, fixed arguments
            [sys.executable, str(ROOT / "benchmarks" / "export_1m.py"), "--dataset", dataset,
             "--formats", formats, "--json"],
            check=True, capture_output=True, text=True, env=env, cwd=ROOT,
        )  # fmt: skip
        figures += json.loads(child.stdout.strip().splitlines()[-1])
    return figures


def report_figures(repeats: int = 3) -> dict:
    from django.core.cache import cache

    from evaluation.aggregates import report_aggregate_store
    from evaluation.periods import default_period
    from evaluation.report import (
        ReportPeriod,
        evaluation_report,
        referral_blocks,
        report_for_months,
    )

    started = time.perf_counter()
    stored = report_aggregate_store()
    compute_s = time.perf_counter() - started

    cold = []
    for _ in range(repeats):
        cache.clear()
        started = time.perf_counter()
        report_for_months(default_period())
        cold.append(time.perf_counter() - started)
    cache.clear()
    started = time.perf_counter()
    evaluation_report(ReportPeriod.from_months(referral_blocks().widen(default_period())))
    live_s = time.perf_counter() - started
    cache.clear()
    return {
        "stored_cold_s": round(statistics.median(cold), 3),
        "compute_s": round(compute_s, 1),
        "live_cold_s": round(live_s, 2),
        "stored_mb": round(len(json.dumps(stored.rows)) / 1e6, 1),
    }


GOALS_TEXT = {
    "report": "evaluation report <= 2 s cold",
    "export_ratio": "exports: CSV and SAV <= 3x COPY of the same SQL",
    "sav_memory": "SAV export memory <= 250 MB",
    "xlsx_rate": "XLSX export >= 30k rows/s",
}


def evaluate(report: dict, exports: list[dict]) -> dict[str, dict]:
    ratios = [e for e in exports if e["format"] in ("csv", "sav")]
    savs = [e for e in exports if e["format"] == "sav"]
    xlsx = [e for e in exports if e["format"] == "xlsx"]
    goals = {
        "report": (
            report["stored_cold_s"] <= 2,
            f"{report['stored_cold_s']} s from the stored rows",
            f"computing and storing every month's rows: {report['compute_s']} s "
            f"({report['stored_mb']} MB); the live report: {report['live_cold_s']} s",
        ),
        "export_ratio": (
            all(e["ratio_to_copy"] is not None and e["ratio_to_copy"] <= 3 for e in ratios),
            ", ".join(f"{e['dataset']} {e['format']} {e['ratio_to_copy']}x" for e in ratios),
            ", ".join(f"{e['dataset']} {e['format']} {e['seconds']} s" for e in ratios),
        ),
        "sav_memory": (
            all(e["peak_mib"] * 2**20 <= 250e6 for e in savs),
            ", ".join(f"{e['dataset']} {e['peak_mib']} MiB" for e in savs),
            "",
        ),
        "xlsx_rate": (
            all(e["rows_per_second"] >= 30_000 for e in xlsx),
            ", ".join(f"{e['dataset']} {e['rows_per_second']:,} rows/s" for e in xlsx),
            "; ".join(
                f"{e['rows']:,} rows in {e['seconds']} s, {e['cpu_seconds']} s of it CPU in the "
                f"export process ({1e6 * e['cpu_seconds'] / max(e['rows'], 1):.0f} µs a row on "
                "one core: one workbook is one stream, which the Rust writer builds and "
                "deflates row by row; a COPY of the same SQL takes "
                f"{e['copy_seconds']} s)"
                for e in xlsx
            ),
        ),
    }
    return {
        key: {"goal": GOALS_TEXT[key], "met": met, "measured": text}
        | ({"evidence": evidence} if evidence else {})
        for key, (met, text, evidence) in goals.items()
    }


def markdown(exports: list[dict]) -> list[str]:
    lines = [
        "",
        "Research exports (`benchmarks/export_1m.py`, each in its own process; the floor is a "
        "COPY of the export's own SQL):",
        "",
        "| export | rows | seconds | rows/s | peak MiB | x COPY |",
        "|---|---|---|---|---|---|",
    ]
    for e in exports:
        lines.append(
            f"| {e['dataset']} {e['format']} | {e['rows']:,} | {e['seconds']} | "
            f"{e['rows_per_second']:,} | {e['peak_mib']} | {e['ratio_to_copy']} |"
        )
    return lines
