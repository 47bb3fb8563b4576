"""Time the CSV import of 20,000 verzuimmeldingen as it runs in production: the upload request
stores the file and queues the check; the worker (`manage.py db_worker`) checks it; the confirm
request queues the import; the worker imports it. Measures each step's wall time and the peak
memory (ru_maxrss) of each worker process, and the refusal of a 100,000-line file.

Runs against a fresh throw-away database, created and dropped like pytest's test database:
SQLite (a temporary file, WAL, as in the demo) by default, PostgreSQL with DATABASE_URL.

    .venv/bin/python benchmarks/import_20k.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_bench \\
        .venv/bin/python benchmarks/import_20k.py

The worker runs as a separate process (`db_worker --batch`, through this script's --worker
mode), so its memory is measured on its own. Targets: check + import within 60 s, each worker
within 250 MB.

The database already holds 2,000 children (500 with an open case). The file has 20,000 rows:
19,000 new children (about 1 in 5 with a sibling in the file, some at a known address), 600
known children without an open case, 200 known children with an open case (duplicates), 100
children listed twice, and 100 rows with an unknown BRIN.
"""

import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bip.settings")
# The real worker's backend, whatever the environment says.
os.environ["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases import imports  # noqa: E402
from cases.models import Case, Child, Household, ImportBatch, School  # noqa: E402
from tests.factories import UserFactory, valid_brin, valid_bsn  # noqa: E402

ROWS = 20_000
EXISTING_CHILDREN = 2_000
EXISTING_OPEN = 500
TARGET_SECONDS = 60
TARGET_MEGABYTES = 250


def main() -> None:
    # As in production: no query log (a .env for the demo may say DEBUG=true).
    settings.DEBUG = False
    if "--worker" in sys.argv:
        worker()
        return
    is_sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    if is_sqlite:
        workdir = tempfile.mkdtemp(prefix="kk-bench-")
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{workdir}/bench.sqlite3"
    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run()
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def worker() -> None:
    """One worker run: every queued task, then exit; prints its own peak memory as JSON."""
    started = time.perf_counter()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,  # with Django's start-up
                "max_rss_mb": usage.ru_maxrss / 1024,  # kilobytes on Linux
            }
        )
    )


def database_url() -> str:
    """The URL of the throw-away database, for the worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def run_worker() -> dict:
    """Run `db_worker --batch` in a process of its own; its wall time and peak memory."""
    environment = os.environ | {"DATABASE_URL": database_url()}
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - this script, with fixed arguments
        [sys.executable, __file__, "--worker"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    measured["process_seconds"] = time.perf_counter() - started  # with Django's start-up
    return measured


def run() -> None:
    vendor = connection.vendor
    coordinator = UserFactory(username="bench-coordinator", coordinator=True)
    schools = School.objects.bulk_create(
        School(brin=valid_brin(n), name=f"School {n}", level="vo" if n % 3 else "po")
        for n in range(20)
    )
    today = timezone.localdate()
    received = today - datetime.timedelta(days=3)
    households = Household.objects.bulk_create(
        Household(street=f"Bestaandestraat {n}", postcode="2011 AB", city="Haarlem")
        for n in range(EXISTING_CHILDREN)
    )
    children = Child.objects.bulk_create(
        Child(
            first_name="Bestaand",
            last_name=f"Kind{n}",
            date_of_birth=received.replace(year=received.year - 12) - datetime.timedelta(days=n),
            bsn=valid_bsn(1_000_000 + n),
            school=schools[n % len(schools)],
            household=households[n],
        )
        for n in range(EXISTING_CHILDREN)
    )
    Case.objects.bulk_create(
        Case(
            number=f"1999-{n:06d}",
            child=children[n],
            date_received=received - datetime.timedelta(days=60),
            melding_type="16_uur",
            period_start=received - datetime.timedelta(days=90),
            period_end=received - datetime.timedelta(days=61),
            three_month_deadline=received + datetime.timedelta(days=30),
        )
        for n in range(EXISTING_OPEN)
    )
    connection.close()  # the worker process must see committed data only

    content = build_file(schools, children, received)
    print(f"Database: {vendor}; file: {ROWS} rows, {len(content) / 1024 / 1024:.1f} MB")

    short_line = ";".join(["1"] * len(imports.COLUMNS)).encode() + b"\r\n"
    too_long = content.split(b"\r\n", 1)[0] + b"\r\n" + short_line * 100_000  # 3 MB
    started = time.perf_counter()
    try:
        imports.import_upload(content=too_long, file_name="groot.csv", actor=coordinator)
    except imports.ImportFileInvalid as error:
        refused = time.perf_counter() - started
        print(f"  100,000-line file refused:         {refused:6.2f} s ({error})")
    else:
        raise AssertionError("a 100,000-line file was accepted")

    started = time.perf_counter()
    batch = imports.import_upload(content=content, file_name="bench.csv", actor=coordinator)
    upload = time.perf_counter() - started
    print(f"  upload request (read, store, queue):{upload:6.2f} s")

    check = run_worker()
    batch.refresh_from_db()
    assert batch.status == "preview", (batch.status, batch.error)
    print(
        f"  worker: check + store preview:     {check['seconds']:6.2f} s, "
        f"peak {check['max_rss_mb']:.0f} MB (CPU {check['cpu_seconds']:.1f} s)"
    )
    print(f"    valid {batch.valid_count}, with errors {batch.error_count}")

    started = time.perf_counter()
    batch = imports.import_confirm_request(batch=batch, actor=coordinator)
    request = time.perf_counter() - started
    print(f"  confirm request (queue):           {request:6.2f} s")
    cases_before = Case.objects.count()
    confirm = run_worker()
    batch.refresh_from_db()
    assert batch.status == "imported", (batch.status, batch.error)
    print(
        f"  worker: re-check, create, arms:    {confirm['seconds']:6.2f} s, "
        f"peak {confirm['max_rss_mb']:.0f} MB (CPU {confirm['cpu_seconds']:.1f} s)"
    )
    print(f"    imported {batch.imported_count}, skipped {batch.skipped_count}")

    total = check["seconds"] + confirm["seconds"]
    peak = max(check["max_rss_mb"], confirm["max_rss_mb"])
    print(f"  check + import in the worker:      {total:6.2f} s (target {TARGET_SECONDS} s)")
    print(f"  worker peak memory:                {peak:6.0f} MB (target {TARGET_MEGABYTES} MB)")

    assert Case.objects.count() - cases_before == batch.imported_count
    assert batch.imported_count == batch.valid_count
    assert not Case.objects.filter(arm="").exclude(number__startswith="1999-").exists()
    assert ImportBatch.objects.get(pk=batch.pk).rows.filter(payload__isnull=False).count() == 0
    if total > TARGET_SECONDS or peak > TARGET_MEGABYTES:
        print("  TARGET MISSED")
        sys.exit(1)


def build_file(schools, children, received) -> bytes:
    dob = received.replace(year=received.year - 11)
    lines = [";".join(imports.COLUMNS)]

    def row(n: int, *, bsn: str, brin: str | None = None, street: str | None = None) -> str:
        household = n - 1 if n % 5 == 1 else n  # 1 in 5 lives with the child of the row before
        values = {
            "meldingsdatum": received.isoformat(),
            "bsn": bsn,
            "onderwijsnummer": "",
            "achternaam": f"Achternaam{household}",
            "voornamen": f"Voornaam{n}",
            "geboortedatum": (dob - datetime.timedelta(days=n % 1500)).isoformat(),
            "brin": brin or schools[n % len(schools)].brin,
            "soort_verzuim": ("16_uur", "lrv", "luxe", "overig")[n % 4],
            "verzuim_vanaf": (received - datetime.timedelta(days=28)).isoformat(),
            "verzuim_tot_en_met": (received - datetime.timedelta(days=1)).isoformat(),
            "uren_verzuim": str(16 + n % 40),
            "keer_te_laat": str(n % 7),
            "straat": street or f"Nieuwestraat {household}",
            "postcode": f"{2011 + household % 20} {'ABCDEFGHJK'[household % 10]}X",
            "plaats": "Haarlem",
        }
        return ";".join(values[column] for column in imports.COLUMNS)

    n = 0
    for _ in range(19_000):
        street = f"Bestaandestraat {n}" if n % 50 == 0 else None  # a known address
        lines.append(row(n, bsn=valid_bsn(n), street=street))
        n += 1
    for index in range(600):  # known children without an open case
        lines.append(row(n, bsn=children[EXISTING_OPEN + index].bsn))
        n += 1
    for index in range(200):  # known children with an open case: duplicates
        lines.append(row(n, bsn=children[index].bsn))
        n += 1
    for index in range(100):  # twice in the file
        lines.append(row(n, bsn=valid_bsn(index * 7)))
        n += 1
    for _ in range(100):  # an unknown BRIN
        lines.append(row(n, bsn=valid_bsn(500_000 + n), brin="99ZZ"))
        n += 1
    return ("\r\n".join(lines) + "\r\n").encode()


if __name__ == "__main__":
    main()
