"""Benchmark the case list's name search (issue 14) on a PostgreSQL world of seed_demo cases.

    createdb -h 127.0.0.1 -U postgres kk_big
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kk_big .venv/bin/python manage.py migrate
    DATABASE_URL=… .venv/bin/python manage.py seed_demo --cases 1000000
    DATABASE_URL=… .venv/bin/python benchmarks/name_search.py [--repeats 7]

For each search: the coordinator list's query as the page runs it (cases.selectors.case_search,
the list's columns and default order, first page of 25 rows) plus the capped count (1,001),
timed in the Django ORM, median and max of --repeats runs after one warm-up. Prints the load
average before and after: figures from a loaded machine are not comparable.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEARCHES = [
    "zwartkop",
    "emma van beek",
    "eva de vries",
    "ozturk",
    "vries",
    "jan",
    "van beek",
    "de vries",
    "2026-000123",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database with a seed_demo world.")
    os.environ.setdefault("ENV_FILE", ".env.demo")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bip.settings")
    import django

    django.setup()
    from cases import selectors
    from cases.models import Case, Child

    print(f"{Case.objects.count():,} cases, {Child.objects.count():,} children")
    print(f"load average before: {os.getloadavg()}")
    print("| search | children matching | p50 | max |")
    print("|---|---|---|---|")
    for text in SEARCHES:
        matching = (
            selectors.name_search(Child.objects.all(), text).count() if text[0].isalpha() else 0
        )

        def run(text: str = text) -> float:
            started = time.perf_counter()
            cases = selectors.case_search(Case.objects.all(), text)
            rows = selectors.case_list_rows(cases, ordering=selectors.DEFAULT_CASE_ORDERING)
            list(rows[:25])
            cases.order_by()[:1001].count()
            return (time.perf_counter() - started) * 1000

        run()
        times = [run() for _ in range(args.repeats)]
        print(
            f"| `{text}` | {matching:,} | {statistics.median(times):.0f} ms | {max(times):.0f} ms |"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
