import datetime
from collections.abc import Container
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.constants import DEADLINE_WARNING_DAYS
from cases.models import Case
from roles.constants import CHAIN_ORDER

register = template.Library()


def deadline_state(deadline: datetime.date, today: datetime.date) -> tuple[str, str]:
    """('overdue' | 'soon' | 'ok', the days left in words)."""
    days = (deadline - today).days
    if days < 0:
        return "overdue", ngettext(
            "%(n)s dag over de termijn", "%(n)s dagen over de termijn", -days
        ) % {"n": -days}
    if days == 0:
        return "soon", _("termijn verloopt vandaag")
    words = ngettext("nog %(n)s dag", "nog %(n)s dagen", days) % {"n": days}
    return ("soon" if days <= DEADLINE_WARNING_DAYS else "ok"), words


@register.inclusion_tag("cases/_deadline_badge.html")
def deadline_badge(case: Case, today: datetime.date) -> dict[str, Any]:
    if not case.is_open:
        return {"state": "closed", "words": _("gesloten")}
    state, words = deadline_state(case.three_month_deadline, today)
    return {"state": state, "words": words, "deadline": case.three_month_deadline}


@register.simple_tag
def days_since(day: datetime.date, today: datetime.date) -> int:
    return (today - day).days


@register.inclusion_tag("cases/_chain_track.html")
def chain_track(case: Case, visited_stages: Container[str]) -> dict[str, Any]:
    """Leerplicht → Halt → RvdK, marking the current stage and the ones the case has been in."""
    steps = [
        {
            "stage": stage,
            "label": stage.label,
            "current": case.stage == stage,
            "visited": stage in visited_stages or case.stage == stage,
        }
        for stage in CHAIN_ORDER
    ]
    return {"steps": steps, "is_open": case.is_open}
