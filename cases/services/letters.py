"""Sending a letter: render it as PDF and store it on the case as a document."""

import logging

from django.contrib.auth.models import User
from django.utils import timezone

from professionals.models import Professional

from ..exceptions import RuleViolation
from ..letters import (
    LetterRequest,
    RenderedLetter,
    case_guardians,
    letter_context,
    letter_refusals,
    render_letter,
)
from ..models import Case, Document
from .documents import letter_store

logger = logging.getLogger(__name__)


def letter_send(
    *, case: Case, professional: Professional, request: LetterRequest, actor: User
) -> tuple[Document, RenderedLetter]:
    """Render `request`'s letter for `case` as PDF and store it as a document of kind
    "brief" with its letter and role: the timeline shows "Brief … verstuurd, rol …".

    Refused with RuleViolation (per form field) when the professional does not hold the role
    today, the letter does not go in that role, a draft PV is asked by someone who is not a
    sworn BOA, a letter to the parents has nobody to go to (no guardians), or an invitation
    lacks its date, time or place. The caller checks access (cases.access.can_write_letter);
    the document service locks the case and refuses a closed one.
    """
    today = timezone.localdate()
    guardians = case_guardians(case)
    errors = letter_refusals(
        case=case, professional=professional, request=request, guardians=guardians, today=today
    )
    if errors:
        raise RuleViolation(errors=errors)
    context = letter_context(
        case=case, professional=professional, request=request, guardians=guardians, today=today
    )
    rendered = render_letter(context, language=request.language)
    # The time only, no names: to watch the one-second target in the logs.
    logger.info("Letter %s rendered in %.3f s", request.letter, rendered.seconds)
    document = letter_store(
        case=case,
        letter=request.letter,
        role=request.role,
        file_name=rendered.file_name,
        pdf=rendered.pdf,
        actor=actor,
    )
    return document, rendered
