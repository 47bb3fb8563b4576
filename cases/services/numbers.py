"""Readable case numbers."""

from django.db import transaction

from ..models import CaseNumberCounter


def case_numbers_reserve(*, year: int, count: int = 1) -> list[str]:
    """Reserve `count` consecutive readable case numbers for `year`, such as '2026-000123'.

    The year's counter row is locked, so two registrations never draw the same number.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    with transaction.atomic():
        CaseNumberCounter.objects.get_or_create(year=year)
        counter = CaseNumberCounter.objects.select_for_update().get(year=year)
        first = counter.last_number + 1
        counter.last_number += count
        counter.save(update_fields=["last_number"])
    return [f"{year}-{n:06d}" for n in range(first, first + count)]
