"""Which chain roles a professional may act in. The only place that answers that question.

Here in professionals, not in roles: the answer reads the professional's qualifications, and
roles comes first in the dependency order (roles -> professionals -> cases -> ...).
"""

import datetime

from roles.constants import ChainRole

from .models import Professional, Qualification


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
