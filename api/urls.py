"""The API's URLs under /api/v1/, each wrapped for the login middleware and the access log.

The API has its own authentication (a client's bearer token), so its URLs are exempt from the
login page; every call by a known client is written to the access log with the client's
service account as the actor. A write (POST) and its entry share one transaction: both are
kept, or neither (as audit.middleware does for the pages).
"""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils.translation import gettext as _

from audit.constants import Action, ObjectType
from audit.services import access_log_record

from .models import ApiClient
from .problems import problem
from .views import api

READS = frozenset({"GET", "HEAD", "OPTIONS"})
_ACTIONS = {
    "meldingen": (Action.CHANGE, ObjectType.CASE),
    "meldingen_batch": (Action.CHANGE, ObjectType.CASE_LIST),
    "meldingen_list": (Action.SEARCH, ObjectType.CASE_LIST),
    "melding_status": (Action.READ, ObjectType.CASE),
}


def _log(request: HttpRequest, response: HttpResponse, url_name: str) -> None:
    client = getattr(request, "api_client", None)
    if not isinstance(client, ApiClient) or url_name not in _ACTIONS:
        return  # no client, no actor: like an anonymous page request, nothing is logged
    action, object_type = _ACTIONS[url_name]
    noted: dict[str, Any] = getattr(request, "api_log", {})
    case_id = noted.get("case_id")
    access_log_record(
        request,
        actor=client.user,
        action=action,
        object_type=object_type,
        object_id=case_id,
        case_id=case_id,
        result=None,
        http_status=response.status_code,
        details={
            "api_client": client.name,
            **{key: value for key, value in noted.items() if key != "case_id"},
        },
    )


def _audited(view: Callable[..., HttpResponse], url_name: str) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if request.method in READS:
                response = view(request, *args, **kwargs)
                _log(request, response, url_name)
                return response
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                else:
                    _log(request, response, url_name)
            return response
        except DatabaseError:
            return problem(500, _("De toegang kon niet worden vastgelegd; er is niets opgeslagen."))

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]
    return login_not_required(wrapped)


def _patterns() -> list[URLPattern]:
    patterns, _app_name, _namespace = api.urls
    wrapped = []
    for pattern in patterns:
        assert isinstance(pattern, URLPattern)
        pattern.callback = _audited(pattern.callback, pattern.name or "")
        wrapped.append(pattern)
    return wrapped


app_name = "api-v1"
urlpatterns = _patterns()
