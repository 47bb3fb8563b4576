"""RFC 9457 problem details (application/problem+json), with the detail in Dutch.

Every answer that is not a success is one of these: a refused body, a missing secret, a wrong
scope, a duplicate, a rate limit. Pydantic's English messages are replaced by Dutch ones per
error type; the field is named, its value never repeated.
"""

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

PROBLEM_TYPE = "application/problem+json"


def _titles() -> dict[int, str]:
    return {
        400: _("Ongeldig verzoek"),
        401: _("Niet geauthenticeerd"),
        403: _("Geen toegang"),
        404: _("Niet gevonden"),
        405: _("Methode niet toegestaan"),
        409: _("Dubbele melding"),
        413: _("Verzoek te groot"),
        415: _("Verkeerd inhoudstype"),
        422: _("Melding niet geaccepteerd"),
        429: _("Te veel verzoeken"),
        500: _("Interne fout"),
    }


def problem(
    status: int,
    detail: str,
    *,
    errors: Iterable[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _titles().get(status, _("Fout")),
        "status": status,
        "detail": detail,
        "errors": [dict(error) for error in errors],
    }
    body.update({key: value for key, value in extra.items() if value is not None})
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_name(loc: Iterable[Any]) -> tuple[str | None, int | None]:
    """The field and (in a batch) the item index of a pydantic error location."""
    parts = [part for part in loc if part not in ("body", "payload", "query", "path")]
    index = None
    if len(parts) >= 2 and parts[0] == "meldingen" and isinstance(parts[1], int):
        index = parts[1]
        parts = parts[2:]
    names = [str(part) for part in parts if not isinstance(part, int)]
    return (names[-1] if names else None), index


def validation_detail(error: Mapping[str, Any]) -> dict[str, Any]:
    """One pydantic error as {field, detail, index} in Dutch."""
    field, index = _field_name(error.get("loc", ()))
    name = field or _("de melding")
    kind = str(error.get("type", ""))
    if kind == "missing":
        detail = _("%(field)s ontbreekt: dit veld is verplicht.") % {"field": name}
    elif kind == "extra_forbidden":
        detail = _("%(field)s is geen bekend veld.") % {"field": name}
    elif kind.startswith("date") or kind.startswith("datetime"):
        detail = _("%(field)s is geen geldige datum: gebruik JJJJ-MM-DD.") % {"field": name}
    elif kind.startswith("int") or kind == "bool_type":
        detail = _("%(field)s moet een geheel getal zijn.") % {"field": name}
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        detail = _("%(field)s ligt buiten het toegestane bereik.") % {"field": name}
    elif kind == "string_type":
        detail = _("%(field)s moet tekst zijn.") % {"field": name}
    elif kind == "string_too_long":
        detail = _("%(field)s is te lang.") % {"field": name}
    elif kind in ("too_short", "too_long"):
        detail = _("%(field)s moet 1 tot en met %(max)s meldingen bevatten.") % {
            "field": name,
            "max": 1000,
        }
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        detail = _("%(field)s moet een JSON-object zijn.") % {"field": name}
    elif kind == "list_type":
        detail = _("%(field)s moet een lijst zijn.") % {"field": name}
    else:
        detail = _("%(field)s is ongeldig.") % {"field": name}
    return {"field": field, "detail": detail, "index": index}
