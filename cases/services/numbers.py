"""Readable case numbers."""

from django.db import connection, transaction

from ..models import CaseNumberCounter


def case_numbers_reserve(*, year: int, count: int = 1) -> list[str]:
    """Reserve `count` consecutive readable case numbers for `year`, such as '2026-000123'.

    The year's counter row is locked by the UPDATE that increments it (held until the
    transaction ends), so two registrations never draw the same number. One round trip in the
    common case (UPDATE ... RETURNING, which PostgreSQL and SQLite 3.35+ both have; Django's
    update() returns only a count), and no savepoint inside the caller's transaction: an error
    here fails the whole registration anyway.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    with transaction.atomic(savepoint=False):
        last = _increment(year, count)
        if last is None:
            CaseNumberCounter.objects.get_or_create(year=year)  # the year's first number
            last = _increment(year, count)
    assert last is not None
    first = last - count + 1
    return [f"{year}-{n:06d}" for n in range(first, first + count)]


def _increment(year: int, count: int) -> int | None:
    """Add `count` to the year's counter and return its new value; None without a row."""
    table = connection.ops.quote_name(CaseNumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + %s WHERE year = %s "  # noqa: S608
            "RETURNING last_number",
            [count, year],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])
