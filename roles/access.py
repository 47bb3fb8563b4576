"""Which chain roles a professional may act in. The only place that answers that question."""

import datetime

from professionals.models import Professional, Qualification

from .constants import ChainRole


def roles_available_to(professional: Professional, on: datetime.date) -> list[ChainRole]:
    """The roles `professional` holds a valid qualification for on day `on`, in chain order."""
    held = set(
        Qualification.objects.filter(professional=professional)
        .valid_on(on)
        .values_list("role", flat=True)
    )
    return [role for role in ChainRole if role in held]


def is_sworn_on(professional: Professional, on: datetime.date) -> bool:
    """True when the professional holds a valid sworn (BOA) Leerplicht qualification on `on`."""
    return (
        Qualification.objects.filter(
            professional=professional, role=ChainRole.LEERPLICHT, is_sworn=True
        )
        .valid_on(on)
        .exists()
    )
