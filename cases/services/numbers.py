"""Readable case numbers."""

from django.db import transaction
from django.db.models import F

from ..models import CaseNumberCounter


def case_numbers_reserve(*, year: int, count: int = 1) -> list[str]:
    """Reserve `count` consecutive readable case numbers for `year`, such as '2026-000123'.

    The year's counter row is locked by the UPDATE that increments it (held until the
    transaction ends), so two registrations never draw the same number. Two round trips in the
    common case, and no savepoint inside the caller's transaction: an error here fails the
    whole registration anyway.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    counters = CaseNumberCounter.objects.filter(year=year)
    with transaction.atomic(savepoint=False):
        if not counters.update(last_number=F("last_number") + count):
            CaseNumberCounter.objects.get_or_create(year=year)  # the year's first number
            counters.update(last_number=F("last_number") + count)
        last = counters.values_list("last_number", flat=True).get()
    first = last - count + 1
    return [f"{year}-{n:06d}" for n in range(first, first + count)]
