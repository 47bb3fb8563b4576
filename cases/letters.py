"""Letters generated from a case: which exist, their rules, and rendering to HTML and PDF.

The texts are Django templates in the repository (templates/letters/); the organisation's
letterhead, return address and signatory come from professionals.Letterhead, kept by the
functional administrator. Letters to parents can be rendered in Dutch or English
(translation.override); letters to the Raad and the draft PV are always Dutch.

PDFs are rendered with WeasyPrint from the same HTML as the preview, with a URL fetcher that
refuses everything but the letter's own stylesheet: a letter never fetches from the network.
"""

import datetime
import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from professionals.models import Letterhead, Professional
from professionals.qualifications import is_sworn_on, roles_available_to
from roles.constants import ChainRole

from .constants import LetterKind
from .models import Case, Guardian

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LETTER_CSS = Path(settings.BASE_DIR) / "templates" / "letters" / "letter.css"
LANGUAGES = {"nl": gettext_lazy("Nederlands"), "en": gettext_lazy("Engels")}


@dataclass(frozen=True)
class LetterType:
    template: str
    roles: frozenset[str]
    to_parents: bool
    needs_appointment: bool = False
    sworn_only: bool = False


ALL_ROLES = frozenset(ChainRole.values)
LETTER_TYPES: dict[str, LetterType] = {
    LetterKind.INVITATION: LetterType(
        "letters/uitnodiging.html", ALL_ROLES, to_parents=True, needs_appointment=True
    ),
    LetterKind.WARNING: LetterType(
        "letters/waarschuwing.html", frozenset({ChainRole.LEERPLICHT}), to_parents=True
    ),
    LetterKind.HALT_REFERRAL: LetterType(
        "letters/verwijzing_halt.html", frozenset({ChainRole.LEERPLICHT}), to_parents=True
    ),
    LetterKind.RVDK_REQUEST: LetterType(
        "letters/verzoek_raad.html", frozenset({ChainRole.LEERPLICHT}), to_parents=False
    ),
    LetterKind.DRAFT_PV: LetterType(
        "letters/concept_pv.html",
        frozenset({ChainRole.LEERPLICHT}),
        to_parents=False,
        sworn_only=True,
    ),
}


@dataclass
class LetterRequest:
    """What the professional asked for: the letter, the role, the language and, for an
    invitation, when and where."""

    letter: str
    role: str
    language: str = "nl"
    appointment_on: datetime.date | None = None
    appointment_time: datetime.time | None = None
    location: str = ""


def case_guardians(case: Case) -> list[Guardian]:
    """The guardians the letter is addressed to: those with custody, else all of them."""
    guardians = list(Guardian.objects.of_household(case.child.household_id))
    with_custody = [guardian for guardian in guardians if guardian.has_custody]
    return with_custody or guardians


def letter_refusals(
    *,
    case: Case,
    professional: Professional,
    request: LetterRequest,
    guardians: list[Guardian],
    today: datetime.date,
) -> "dict[str | None, StrOrPromise]":
    """Why this letter may not be made now, per form field; empty when it may."""
    errors: dict[str | None, StrOrPromise] = {}
    letter_type = LETTER_TYPES.get(request.letter)
    if letter_type is None:
        errors["letter"] = _("Kies een brief.")
        return errors
    if request.role not in roles_available_to(professional, today):
        errors["role"] = _("Je hebt vandaag geen geldige kwalificatie voor deze rol.")
    elif request.role not in letter_type.roles:
        errors["role"] = _("De %(letter)s gaat alleen in de rol Leerplicht.") % {
            "letter": LetterKind(request.letter).label.lower()
        }
    if letter_type.sworn_only and not is_sworn_on(professional, today):
        errors["letter"] = _(
            "Een proces-verbaal maakt alleen een beëdigd buitengewoon opsporingsambtenaar (BOA) "
            "in de rol Leerplicht. Je hebt geen geldige BOA-beëdiging."
        )
    if letter_type.to_parents and not guardians:
        errors[None] = _(
            "Deze zaak heeft nog geen ouders of verzorgers. Voeg ze eerst toe bij de zaak; een "
            "brief aan de ouders heeft een geadresseerde nodig."
        )
    if request.language not in LANGUAGES or (
        request.language != "nl" and not letter_type.to_parents
    ):
        errors["language"] = _("Deze brief bestaat alleen in het Nederlands.")
    if letter_type.needs_appointment:
        if request.appointment_on is None:
            errors["appointment_on"] = _("Vul de datum van het gesprek in.")
        elif request.appointment_on < today:
            errors["appointment_on"] = _("De datum van het gesprek ligt in het verleden.")
        if request.appointment_time is None:
            errors["appointment_time"] = _("Vul het tijdstip van het gesprek in.")
        if not request.location.strip():
            errors["location"] = _("Vul in waar het gesprek is.")
    return errors


def letter_context(
    *,
    case: Case,
    professional: Professional,
    request: LetterRequest,
    guardians: list[Guardian],
    today: datetime.date,
) -> dict[str, Any]:
    letterhead = Letterhead.objects.filter(organisation_id=professional.organisation_id).first()
    household = case.child.household
    return {
        "case": case,
        "child": case.child,
        "child_age": case.child.age_on(today),
        "household": household,
        "guardians": guardians,
        "professional": professional,
        "organisation": professional.organisation,
        "letterhead": letterhead,
        "letter": request,
        "role": request.role,
        "role_label": ChainRole(request.role).label if request.role in ChainRole.values else "",
        "today": today,
        "title": LetterKind(request.letter).label,
    }


def render_letter_html(context: dict[str, Any], *, language: str, document: bool) -> str:
    """The letter's HTML in `language`: the body fragment for the preview, or with
    `document` the whole HTML document WeasyPrint renders."""
    letter_type = LETTER_TYPES[context["letter"].letter]
    with translation.override(language):
        body = render_to_string(letter_type.template, context)
        if not document:
            return body
        return render_to_string(
            "letters/document.html",
            {**context, "body": body, "language": language, "title": str(context["title"])},
        )


class RemoteFetchRefused(ValueError):
    """A letter asked for a URL that is not its own stylesheet."""


def refuse_remote(url: str) -> bytes:
    """What a letter may fetch: only its own stylesheet, from disk. Anything else raises, so
    a letter never reaches the network (or reads a file it should not)."""
    if url == LETTER_CSS.as_uri():
        return LETTER_CSS.read_bytes()
    raise RemoteFetchRefused(url)


@functools.cache
def _local_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher that asks refuse_remote. WeasyPrint is imported on first use:
    loading it costs time the other pages need not pay."""
    from weasyprint.urls import (  # type: ignore[import-untyped]
        URLFetcher,
        URLFetcherResponse,
    )

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            return URLFetcherResponse(url, refuse_remote(url), {"Content-Type": "text/css"})

    return LocalOnlyFetcher()


def render_letter_pdf(html: str) -> bytes:
    """The PDF of a letter's HTML document."""
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    fetcher = _local_only_fetcher()
    stylesheet = CSS(string=LETTER_CSS.read_text(encoding="utf-8"), url_fetcher=fetcher)
    document = HTML(string=html, url_fetcher=fetcher, base_url=LETTER_CSS.parent.as_uri())
    pdf = document.write_pdf(stylesheets=[stylesheet])
    assert pdf is not None
    return pdf


@dataclass(frozen=True)
class RenderedLetter:
    pdf: bytes
    file_name: str
    seconds: float


def render_letter(context: dict[str, Any], *, language: str) -> RenderedLetter:
    """Render the letter to PDF; with the time it took (the target is under a second)."""
    started = time.perf_counter()
    pdf = render_letter_pdf(render_letter_html(context, language=language, document=True))
    letter = context["letter"]
    day = timezone.localdate()
    # The case number, never the child's name: file names end up in mail and downloads.
    file_name = f"{slugify(LetterKind(letter.letter).label)}-{context['case'].number}-{day:%Y%m%d}"
    return RenderedLetter(
        pdf=pdf, file_name=f"{file_name}.pdf", seconds=time.perf_counter() - started
    )
