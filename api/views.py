"""The machine API, version 1 (django-ninja): referrals in, their status back to the sender.

Thin operations: the bearer token, scope, size and rate are checked by auth.ClientToken; the
work is in services and selectors; every non-success answer is an RFC 9457 problem. Each call
is written to the access log by api.urls' wrapper, in the same transaction as a write.
"""

import base64
import binascii
import json
import re
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import ConfigDict, Field

from . import selectors
from .access import referral_for, referrals_for
from .auth import BodyTooLarge, ClientToken, RateLimited, WrongScope
from .constants import MAX_BODY_BYTES, ReferralStatus, Scope
from .models import ApiClient, IdempotencyRecord
from .problems import PROBLEM_TYPE, problem, validation_detail
from .schemas import BatchIn, BatchOut, Problem, ReferralIn, ReferralOut, StatusOut, StatusPage
from .services import (
    ReferralsRefused,
    idempotency_remember,
    idempotent_answer,
    referrals_submit,
    request_fingerprint,
)


class KetenkameleonApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """Problem answers are documented as application/problem+json (RFC 9457)."""
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM_TYPE] = content.pop("application/json")
        # A link from a new referral to its status (OpenAPI links: schemathesis follows them).
        created: dict[str, Any] = next(
            (
                operations["post"]
                for path, operations in schema["paths"].items()
                if path.endswith("/meldingen") and "post" in operations
            ),
            {},
        )
        if 201 in created.get("responses", {}):
            created["responses"][201]["links"] = {
                "StatusVanMelding": {
                    "operationId": "api_views_melding_status",
                    "parameters": {"referentie": "$response.body#/referentie"},
                }
            }
        return schema


api = KetenkameleonApi(
    title="Ketenkameleon API",
    version="1",
    description=(
        "Verzuimmeldingen indienen en de terugkoppeling (status) opvragen. Authenticatie: "
        "`Authorization: Bearer kk_…` met het geheim dat de beheerder eenmalig toont. "
        "Fouten zijn RFC 9457 problem details met een Nederlandse `detail`."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)

WRITE = ClientToken(Scope.MELDINGEN_WRITE)
READ_STATUS = ClientToken(Scope.MELDINGEN_STATUS_READ)
ERRORS: dict[int, type[Schema]] = {
    400: Problem,
    401: Problem,
    403: Problem,
    413: Problem,
    422: Problem,
    429: Problem,
}
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
MAX_PAGE = 100


# --- errors ---------------------------------------------------------------------------------


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(
        401,
        _("Geen geldig, actief geheim meegestuurd: gebruik Authorization: Bearer kk_…"),
        headers={"WWW-Authenticate": 'Bearer realm="ketenkameleon"'},
    )


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problem(
        422,
        _("De invoer klopt niet; zie errors."),
        errors=[validation_detail(error) for error in exc.errors],
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(404, _("Deze melding bestaat niet of is niet door jouw organisatie ingediend."))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _too_large()


def _too_large() -> HttpResponse:
    return problem(
        413,
        _("Het verzoek is groter dan %(max)s MB.") % {"max": MAX_BODY_BYTES // (1024 * 1024)},
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, WrongScope):
        return problem(403, _("Deze koppeling heeft niet het recht voor deze handeling."))
    if isinstance(exc, BodyTooLarge):
        return _too_large()
    if isinstance(exc, RateLimited):
        return problem(
            429,
            _(
                "Te veel verzoeken van deze koppeling; "
                "probeer het over %(seconds)s seconden opnieuw."
            )
            % {"seconds": exc.retry_after},
            headers={"Retry-After": str(exc.retry_after)},
        )
    if exc.status_code == 400:
        return problem(400, _("De body is geen geldige JSON."))
    return problem(exc.status_code, str(exc))


# --- helpers --------------------------------------------------------------------------------


def _client(request: HttpRequest) -> ApiClient:
    client = request.auth  # type: ignore[attr-defined]
    assert isinstance(client, ApiClient)
    return client


def _note(request: HttpRequest, **values: Any) -> None:
    """What the access log entry of this call records (see api.urls)."""
    request.api_log = values  # type: ignore[attr-defined]


def _json(status: int, body: Any, **headers: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str, sort_keys=True),
        status=status,
        content_type="application/json",
    )
    for name, value in headers.items():
        response[name] = value
    return response


def _status_url(reference: str) -> str:
    return reverse("api-v1:melding_status", args=[reference])


def _replay(stored: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if stored.request_hash != fingerprint:
        return problem(
            422,
            _(
                "Deze Idempotency-Key is al gebruikt voor een ander verzoek; "
                "gebruik een nieuwe sleutel."
            ),
        )
    response = _json(stored.status_code, stored.body)
    response["Idempotent-Replayed"] = "true"
    return response


class _KeyTaken(Exception):
    pass


def _refused(refused: ReferralsRefused, *, batch: bool) -> HttpResponse:
    problems = refused.problems
    if (
        not batch
        and len(problems) == 1
        and problems[0].is_duplicate
        and len(problems[0].errors) == 1
    ):
        return problem(
            409,
            _("Voor dit kind is al een open melding; een nieuwe melding is niet nodig."),
            referentie=problems[0].duplicate_of,
        )
    errors = [
        {**error, "index": item.index if batch else None, "referentie": item.duplicate_of}
        for item in problems
        for error in item.errors
    ]
    detail = (
        _("%(count)s van de meldingen zijn niet geaccepteerd; er is niets geregistreerd.")
        % {"count": len(problems)}
        if batch
        else _("De melding is niet geaccepteerd; zie errors.")
    )
    return problem(422, detail, errors=errors)


def _submit(request: HttpRequest, items: list[dict[str, Any]], *, batch: bool) -> HttpResponse:
    client = _client(request)
    key = request.headers.get("Idempotency-Key")
    fingerprint = request_fingerprint(request.method or "", request.path, request.body)
    if key is not None:
        if not IDEMPOTENCY_KEY.fullmatch(key):
            return problem(
                400, _("Idempotency-Key moet 1 tot 255 zichtbare ASCII-tekens bevatten.")
            )
        stored = idempotent_answer(client, key)
        if stored is not None:
            return _replay(stored, fingerprint)
    try:
        with transaction.atomic():
            referrals = referrals_submit(client=client, items=items)
            out = [
                {"referentie": referral.reference, "status": ReferralStatus.RECEIVED.value}
                for referral in referrals
            ]
            body: dict[str, Any] = {"meldingen": out} if batch else out[0]
            if key is not None and not idempotency_remember(
                client=client, key=key, fingerprint=fingerprint, status_code=201, body=body
            ):
                raise _KeyTaken
    except ReferralsRefused as refused:
        _note(request, count=len(items), refused=len(refused.problems))
        return _refused(refused, batch=batch)
    except _KeyTaken:
        stored = idempotent_answer(client, key or "")
        assert stored is not None
        return _replay(stored, fingerprint)
    except IntegrityError:
        # The same new child in two requests at once: the other one registered it first.
        return problem(
            409,
            _("Er werd tegelijk een melding voor hetzelfde kind verwerkt; probeer het opnieuw."),
        )
    _note(
        request,
        case_id=referrals[0].case_id if not batch else None,
        count=len(referrals),
    )
    if batch:
        return _json(201, body)
    return _json(201, body, Location=_status_url(referrals[0].reference))


# --- operations -----------------------------------------------------------------------------


@api.post(
    "/meldingen",
    auth=WRITE,
    response={201: ReferralOut, 409: Problem, **ERRORS},
    url_name="meldingen",
    summary="Eén verzuimmelding indienen",
    openapi_extra={
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": 255, "pattern": "^[!-~]{1,255}$"},
                "description": (
                    "Maakt een herhaalde poging veilig: hetzelfde antwoord, geen tweede melding."
                ),
            }
        ]
    },
)
def meldingen(request: HttpRequest, payload: ReferralIn) -> HttpResponse:
    """Registreert de melding zoals een CSV-regel: dezelfde controles, dezelfde indeling.
    Een kind met een open zaak geeft 409 met de bestaande referentie (als uw organisatie die
    melding deed), nooit met zaakgegevens."""
    return _submit(request, [payload.model_dump()], batch=False)


@api.post(
    "/meldingen:batch",
    auth=WRITE,
    response={201: BatchOut, **ERRORS},
    url_name="meldingen_batch",
    summary="Tot 1.000 meldingen tegelijk, alles of niets",
    openapi_extra={
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": 255, "pattern": "^[!-~]{1,255}$"},
            }
        ]
    },
)
def meldingen_batch(request: HttpRequest, payload: BatchIn) -> HttpResponse:
    """Alle meldingen worden geregistreerd, of geen: bij één fout komt per melding de fout terug."""
    return _submit(request, [item.model_dump() for item in payload.meldingen], batch=True)


class PageQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    na: str | None = Field(None, max_length=40, description="Cursor uit 'volgende'.")
    aantal: int = Field(50, ge=1, le=MAX_PAGE)


def _cursor(value: str | None) -> int:
    if not value:
        return 0
    try:
        number = int(base64.urlsafe_b64decode(value.encode() + b"==").decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HttpError(400, "cursor") from None
    if number < 0:
        raise HttpError(400, "cursor")
    return number


@api.get(
    "/meldingen",
    auth=READ_STATUS,
    response={
        200: StatusPage,
        400: Problem,
        401: Problem,
        403: Problem,
        422: Problem,
        429: Problem,
    },
    url_name="meldingen_list",
    summary="De status van de eigen meldingen, per pagina",
)
def meldingen_list(request: HttpRequest, query: Query[PageQuery]) -> HttpResponse:
    client = _client(request)
    unknown = sorted(set(request.GET) - set(PageQuery.model_fields))
    if unknown:
        return problem(
            422,
            _("Onbekende parameter in de query; gebruik alleen na en aantal."),
            errors=[{"field": None, "detail": _("Deze parameter is onbekend."), "index": None}],
        )
    try:
        after = _cursor(query.na)
    except HttpError:
        return problem(400, _("De cursor is ongeldig; gebruik de waarde uit 'volgende'."))
    rows = list(
        selectors.with_status_columns(referrals_for(client).filter(id__gt=after)).order_by("id")[
            : query.aantal + 1
        ]
    )
    more = len(rows) > query.aantal
    rows = rows[: query.aantal]
    following = (
        base64.urlsafe_b64encode(str(rows[-1].id).encode()).decode().rstrip("=") if more else None
    )
    _note(request, count=len(rows))
    return _json(
        200, {"meldingen": [selectors.status_of(row) for row in rows], "volgende": following}
    )


@api.get(
    "/meldingen/{referentie}/status",
    auth=READ_STATUS,
    response={200: StatusOut, 404: Problem, **ERRORS},
    url_name="melding_status",
    summary="De terugkoppeling van één melding",
)
def melding_status(request: HttpRequest, referentie: str) -> HttpResponse:
    """Status, datum van de laatste wijziging en de categorie van de afsluiting. Nooit namen,
    contacten, de professional, de onderzoeksarm of andere zaakinhoud."""
    client = _client(request)
    found = referral_for(client, referentie)
    referral = selectors.with_status_columns(referrals_for(client)).get(pk=found.pk)
    _note(request, case_id=referral.case_id, count=1)
    return _json(200, selectors.status_of(referral))
