"""Rendering the inzage file: labels of its keys and its values, whatever their type."""

import datetime

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from audit import inzage

register = template.Library()


@register.filter
def inzage_label(key: str) -> str:
    return inzage.label(key)


@register.filter
def inzage_value(value: object) -> str:
    """Dates and times in the local format, yes/no for booleans, a dash for nothing."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("ja") if value else _("nee")
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, dict):
        return "; ".join(
            f"{inzage.label(key)}: {inzage_value(item)}" for key, item in value.items()
        )
    if isinstance(value, list):
        return " → ".join(inzage_value(item) for item in value)
    return str(value)


@register.filter
def scalar_items(record: dict) -> list[tuple[str, object]]:
    """The record's own fields; its nested records are rendered under their own heading."""
    return [(key, value) for key, value in record.items() if key not in inzage.NESTED_KEYS]


@register.filter
def make_list_of_one(record: object) -> list[object]:
    """One record (or none) as a list, for the records partial."""
    return [record] if record else []


@register.filter
def case_number(case_id: int | None, numbers: dict[int, str] | None) -> str:
    """The case number of `case_id` from the page's `case_numbers` (audit.selectors), or ""
    when the case is gone (retention) or the entry has none."""
    if not case_id or not numbers:
        return ""
    return numbers.get(case_id, "")
