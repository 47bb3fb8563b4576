"""Measure the research export at scale: rows per second and peak memory, per file format.

Runs against the PostgreSQL database in DATABASE_URL as it is (it never creates or drops one).
Build the world first, as in the README (about 5 minutes for a million cases on 2 cores):

    createdb -h 127.0.0.1 -U postgres ketenkameleon_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ketenkameleon_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo --cases 1000000
    .venv/bin/python benchmarks/export_1m.py                 # cases dataset: csv, xlsx, sav
    .venv/bin/python benchmarks/export_1m.py --dataset contacten --formats csv

The seed stores no three-month measurements. When fewer than half of the allocated cases that
passed their three-month date have one, the script synthesises them in one INSERT ... SELECT
(deterministic figures from the case id: benchmark data, not the definitions), so the export
carries its full width.

Each format runs in its own Python process, so ru_maxrss is the peak of that export alone. The
line per format gives the rows, the wall time, rows per second, the peak resident memory, the
memory after start-up (Django and the libraries loaded, before the export), and the ZIP's size.
The export files are written to a temporary directory and deleted afterwards.

The floor for each export is COPY of the export's own SQL: the script records the statements
the export runs (an execute wrapper), and times `COPY (<each statement>) TO STDOUT` over the
same rows, read and discarded by psycopg. The ratio export seconds / COPY seconds is the goal
of issue 15 (CSV and SAV at most 3x). Every dataset reads a COPY of its own SQL on a
connection of its own (`postgres_rows`), which the execute wrapper does not see: the floor is
the logged statements (the k-anonymity plan's) plus a COPY of that SQL. For every
format the line also gives the CPU time of the whole machine during the export (from
/proc/stat: the export process, PostgreSQL and anything else running), because on 2 cores
the export and the database compete for the same CPUs.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bip.settings")
# A benchmark runs on the demo configuration (DEBUG, demo secrets), like `make run`.
os.environ.setdefault("ENV_FILE", ".env.demo")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from evaluation.constants import ExportDataset, ExportFormat  # noqa: E402
from evaluation.exports import services  # noqa: E402
from evaluation.exports.datasets import DEFAULT_CHUNK_SIZE  # noqa: E402
from professionals.constants import StaffGroup  # noqa: E402

RESEARCHER = "benchmark-onderzoeker"

# NOT IN (a hashed subplan: evaluation_measurement is read once, before the first insert).
# As a LEFT JOIN anti-join, PostgreSQL planned a nested loop over the (empty) table that
# scanned it again for every case while the INSERT grew it: quadratic, over 14 minutes at 1M.
SYNTHESISE_MEASUREMENTS = """
INSERT INTO evaluation_measurement (
    case_id, arm, date_received, measured_on, status, suitable, outcome_category,
    days_to_outcome, days_to_first_contact, distinct_professionals, handovers, contacts,
    furthest_stage, km_days, km_event, definitions_version, computed_at)
SELECT c.id, c.arm, c.date_received, c.three_month_deadline, 'gemeten',
    c.id % 10 < 7,
    CASE WHEN c.id % 10 < 7 THEN (ARRAY['terug_op_school', 'andere_school', 'passende_zorg',
        'vrijstelling'])[1 + c.id % 4] ELSE '' END,
    CASE WHEN c.id % 10 < 7 THEN 10 + c.id % 80 END,
    CASE WHEN c.id % 13 <> 0 THEN c.id % 21 END,
    CASE WHEN c.arm = 'bip' THEN 1 ELSE 1 + c.id % 3 END,
    CASE WHEN c.arm = 'bip' THEN 0 ELSE c.id % 3 END,
    c.id % 9,
    c.stage,
    CASE WHEN c.id % 10 < 7 THEN 10 + c.id % 80 ELSE c.three_month_deadline - c.date_received END,
    c.id % 10 < 7, 1, now()
FROM cases_case c
WHERE c.arm <> '' AND c.three_month_deadline < CURRENT_DATE
  AND c.id NOT IN (SELECT case_id FROM evaluation_measurement)
"""


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process (user + system): the export's own work, whatever the load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_cpu_seconds() -> float:
    """CPU time of the whole machine so far (user, nice and system, all cores)."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()[1:4]
    return sum(int(field) for field in fields) / os.sysconf("SC_CLK_TCK")


def researcher():
    from django.contrib.auth.models import Group, User

    user, created = User.objects.get_or_create(username=RESEARCHER)
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=StaffGroup.RESEARCHER))
    return user


def prepare() -> None:
    """Make sure there are cases and (synthetic) measurements."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case WHERE arm <> ''")
        (allocated,) = cursor.fetchone()
        if not allocated:
            sys.exit("No allocated cases: run `manage.py seed_demo --cases 1000000` first.")
        cursor.execute(
            "SELECT count(*) FROM cases_case "
            "WHERE arm <> '' AND three_month_deadline < CURRENT_DATE"
        )
        (due,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM evaluation_measurement")
        (measured,) = cursor.fetchone()
        if measured < due // 2:
            started = time.monotonic()
            cursor.execute(SYNTHESISE_MEASUREMENTS)
            cursor.execute("ANALYZE evaluation_measurement")
            print(
                f"Synthesised {cursor.rowcount if cursor.rowcount > 0 else due - measured:,} "
                f"measurements in {time.monotonic() - started:.0f} s"
            )
    print(f"{allocated:,} allocated cases; {due:,} past their three-month date")


class StatementLog:
    """The SELECTs the export runs, with their parameters (for the COPY floor)."""

    def __init__(self):
        self.statements: list[tuple[str, tuple]] = []

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT") and '"cases_case"' in sql:
            self.statements.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)


def copy_seconds(statements: list[tuple[str, tuple]]) -> float:
    """Seconds to COPY every distinct recorded statement's rows to the client."""
    from psycopg import ClientCursor

    raw = connection.connection
    seconds = 0.0
    for sql, params in dict.fromkeys(statements):
        if " IN (" in sql and len(params) > 100:  # the per-chunk freeze lookups
            continue
        query = ClientCursor(raw).mogrify(sql, params)
        started = time.monotonic()
        with raw.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
            for _block in copy:
                pass
        seconds += time.monotonic() - started
    return seconds


def own_rows_copy_seconds(dataset: str) -> float:
    """Seconds to COPY the rows of the dataset's own SQL (`postgres_rows.case_rows_sql`,
    `contact_rows_sql` or `survey_rows_sql`, as the exports run it on a connection of their
    own) to the client."""
    from evaluation.exports.datasets import cases_plan
    from evaluation.exports.postgres_rows import case_rows_sql, contact_rows_sql, survey_rows_sql

    if dataset == ExportDataset.CASES:
        text, params = case_rows_sql(plan=cases_plan(None), freeze=None, period=None)
    elif dataset == ExportDataset.CONTACTS:
        text, params = contact_rows_sql(None)
    else:
        text, params = survey_rows_sql(None)
    return copy_seconds([(text, tuple(params))])


def run_one(dataset: str, file_format: str, chunk_size: int) -> dict:
    """One export in this process; returns its figures."""
    if not settings.RESEARCH_PSEUDONYM_KEY:
        settings.RESEARCH_PSEUDONYM_KEY = "benchmark-pseudonym-key-of-more-than-32-chars"
    with tempfile.TemporaryDirectory(prefix="kk-export-bench-") as directory:
        settings.EXPORT_ROOT = Path(directory)
        user = researcher()
        baseline = peak_mib()
        export = services.export_create(user=user, dataset=dataset, file_format=file_format)
        log = StatementLog()
        started, cpu_started, machine_started = (
            time.monotonic(), cpu_seconds(), machine_cpu_seconds()
        )  # fmt: skip
        with connection.execute_wrapper(log):
            export = services.export_run(export_id=export.pk, chunk_size=chunk_size)
        seconds, cpu = time.monotonic() - started, cpu_seconds() - cpu_started
        machine_cpu = machine_cpu_seconds() - machine_started
        # Every dataset reads a COPY on a connection of its own, which the statement log does
        # not see: the floor adds the COPY of that SQL to the logged statements' (the
        # k-anonymity plan's).
        copy = copy_seconds(log.statements) + own_rows_copy_seconds(dataset)
        if export.status != "klaar":
            sys.exit(f"Export failed: {export.error}")
        size = services.export_path(export).stat().st_size
    return {
        "dataset": dataset,
        "format": file_format,
        "rows": export.row_count,
        "seconds": round(seconds, 1),
        "rows_per_second": round(export.row_count / seconds),
        "cpu_seconds": round(cpu, 1),
        "machine_cpu_seconds": round(machine_cpu, 1),
        "peak_mib": round(peak_mib()),
        "baseline_mib": round(baseline),
        "zip_mib": round(size / 2**20, 1),
        "copy_seconds": round(copy, 2),
        "ratio_to_copy": round(seconds / copy, 1) if copy else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default=ExportDataset.CASES, choices=ExportDataset.values)
    parser.add_argument("--formats", default="csv,xlsx,sav")
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one format here
    parser.add_argument(
        "--json", action="store_true", help="end with one line: the figures as a JSON list"
    )
    args = parser.parse_args()

    if args.one:
        print(json.dumps(run_one(args.dataset, args.one, args.chunk_size)))
        return
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (see the docstring).")
    prepare()
    connection.close()
    measured = []
    for file_format in args.formats.split(","):
        if file_format not in ExportFormat.values:
            sys.exit(f"Unknown format {file_format!r}")
        child = subprocess.run(  # noqa: S603 - our own script, fixed arguments
            [sys.executable, __file__, "--dataset", args.dataset, "--one", file_format,
             "--chunk-size", str(args.chunk_size)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        measured.append(figures)
        print(
            f"{figures['dataset']} {figures['format']:>4}: {figures['rows']:,} rows in "
            f"{figures['seconds']} s = {figures['rows_per_second']:,} rows/s "
            f"({figures['cpu_seconds']} s CPU in the export process, "
            f"{figures['machine_cpu_seconds']} s on the whole machine); peak memory "
            f"{figures['peak_mib']} MiB (after start-up {figures['baseline_mib']} MiB); "
            f"ZIP {figures['zip_mib']} MiB; "
            + (
                f"COPY of the same SQL {figures['copy_seconds']} s "
                f"(export = {figures['ratio_to_copy']}x COPY)"
                if figures["ratio_to_copy"]
                else "no COPY floor"
            ),
            flush=True,
        )
    if args.json:
        print(json.dumps(measured))


if __name__ == "__main__":
    main()
