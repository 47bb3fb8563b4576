"""Time the CSV import of 10,000 verzuimmeldingen: the preview (read, check, store) and confirm.

Runs against a fresh throw-away database, created and dropped like pytest's test database:
SQLite (a temporary file, WAL, as in the demo) by default, PostgreSQL with DATABASE_URL.

    .venv/bin/python benchmarks/import_10k.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_bench \\
        .venv/bin/python benchmarks/import_10k.py

The database already holds 2,000 children (500 with an open case). The file has 10,000 rows:
9,500 new children (about 1 in 5 with a sibling in the file, some at a known address), 300
known children without an open case, 100 known children with an open case (duplicates), 50
children listed twice, and 50 rows with an unknown BRIN.
"""

import datetime
import os
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
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases import imports  # noqa: E402
from cases.models import Case, Child, Household, ImportBatch, School  # noqa: E402
from tests.factories import UserFactory, valid_brin, valid_bsn  # noqa: E402

ROWS = 10_000
EXISTING_CHILDREN = 2_000
EXISTING_OPEN = 500


def main() -> None:
    is_sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    if is_sqlite:
        workdir = tempfile.mkdtemp(prefix="kk-bench-")
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{workdir}/bench.sqlite3"
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


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

    content = build_file(schools, children, received)
    print(f"Database: {vendor}; file: {ROWS} rows, {len(content) / 1024 / 1024:.1f} MB")

    started = time.perf_counter()
    checks = imports.check_rows(imports.read_rows(content))
    parse_check = time.perf_counter() - started
    print(f"  read + check (no writes):          {parse_check:6.2f} s")

    started = time.perf_counter()
    batch = imports.import_preview_create(content=content, file_name="bench.csv", actor=coordinator)
    preview = time.perf_counter() - started
    print(f"  preview = read + check + store:    {preview:6.2f} s")
    print(f"    valid {batch.valid_count}, with errors {batch.error_count}")

    client = Client()
    client.force_login(coordinator)
    url = reverse("cases:import_preview", args=[batch.pk])
    started = time.perf_counter()
    for page in (1, 200, 400):
        assert client.get(url, {"pagina": page}).status_code == 200
    page_time = (time.perf_counter() - started) / 3
    print(f"  preview page (25 rows), average:   {page_time:6.2f} s")

    cases_before = Case.objects.count()
    started = time.perf_counter()
    batch = imports.import_confirm(batch=batch, actor=coordinator)
    confirm = time.perf_counter() - started
    print(f"  confirm (re-check, create, arms):  {confirm:6.2f} s")
    print(f"    imported {batch.imported_count}, skipped {batch.skipped_count}")
    print(f"  preview + confirm:                 {preview + confirm:6.2f} s")

    assert Case.objects.count() - cases_before == batch.imported_count
    assert batch.imported_count == sum(check.is_valid for check in checks)
    assert not Case.objects.filter(arm="").exclude(number__startswith="1999-").exists()
    assert ImportBatch.objects.get(pk=batch.pk).rows.filter(payload__isnull=False).count() == 0


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
    for _ in range(9_500):
        street = f"Bestaandestraat {n}" if n % 50 == 0 else None  # a known address
        lines.append(row(n, bsn=valid_bsn(n), street=street))
        n += 1
    for index in range(300):  # known children without an open case
        lines.append(row(n, bsn=children[EXISTING_OPEN + index].bsn))
        n += 1
    for index in range(100):  # known children with an open case: duplicates
        lines.append(row(n, bsn=children[index].bsn))
        n += 1
    for index in range(50):  # twice in the file
        lines.append(row(n, bsn=valid_bsn(index * 7)))
        n += 1
    for _ in range(50):  # an unknown BRIN
        lines.append(row(n, bsn=valid_bsn(500_000 + n), brin="99ZZ"))
        n += 1
    return ("\r\n".join(lines) + "\r\n").encode()


if __name__ == "__main__":
    main()
