"""Writing the access log, and pruning it after its retention period.

`access_log_record` is the one way to write an entry: the middleware calls it for every audited
page (audit.policy), and code that serves data outside a page view (exports, downloads) calls
it itself. It writes one INSERT; the child and household of a case, the organisation of a
professional, and whether a refused record exists are filled in by subqueries in that INSERT.
"""

import datetime
import ipaddress
import logging
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Case as CaseWhen
from django.db.models import Exists, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone

from professionals.groups import is_professional, user_groups

from .constants import MASK, ObjectType, Result
from .models import AccessLogEntry

logger = logging.getLogger(__name__)

MAX_ID = 2**63 - 1
# A BSN or onderwijsnummer: nine digits (eight for an old BSN), alone or inside a text.
BSN_LIKE = re.compile(r"(?<!\d)\d{8,9}(?!\d)")


def access_log_record(
    request: HttpRequest | None,
    *,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    case_id: int | str | None = None,
    child_id: int | str | None = None,
    household_id: int | str | None = None,
    result: str | None = Result.SUCCESS,
    http_status: int | None = None,
    details: Mapping[str, Any] | None = None,
    actor: User | None = None,
) -> AccessLogEntry:
    """Write one access log entry and return it.

    - `request`: the request served; gives the actor (unless `actor` is given), the client IP,
      the user agent, the method and the path without its query string. May be None for work
      outside a request (a background export), then pass `actor`.
    - `action`: an `audit.constants.Action`; `object_type`: an `ObjectType`; `object_id`: the
      record's own id (an export's id, a case's id).
    - `case_id`/`child_id`/`household_id`: give what you know; a case's child and household,
      and a child's household, are filled in by the database. An id taken from a URL may be
      given as text: anything but a plain positive number is recorded as no id.
    - `result`: a `Result`; None derives it from `http_status` (403 refused; 404 refused when
      the record exists, else not found; other 4xx invalid; 5xx error; else success).
    - `details`: JSON-serialisable and free of personal data: filter names, row counts, a file
      format. As a safety net, any text that looks like a BSN is replaced by "***".

    Raises the database error when the entry cannot be written: the caller must not serve the
    data then (the middleware answers 500; an export should fail).
    """
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    case_id, child_id, household_id = _as_id(case_id), _as_id(child_id), _as_id(household_id)
    fields: dict[str, Any] = {
        "occurred_at": timezone.now(),
        "action": action,
        "object_type": object_type,
        "object_id": "" if object_id is None else str(object_id)[:64],
        "case_id": case_id,
        "child_id": child_id,
        "household_id": household_id,
        "http_status": http_status,
        "details": _scrub(dict(details or {})),
        **_actor_fields(actor),
        **_origin_fields(request),
    }
    _fill_in_subject(fields)
    fields["result"] = result or _result_for_status(http_status, fields, object_id)
    # One statement, in the caller's transaction if there is one: a rolled-back export
    # leaves no entry behind.
    return AccessLogEntry.objects.create(**fields)


def access_log_prune(*, before: datetime.datetime, batch_size: int = 10_000) -> int:
    """Delete the entries that occurred before `before`, in batches; return how many.

    The only way entries are ever deleted. The model and its QuerySet refuse delete(), so this
    uses QuerySet._raw_delete (one DELETE ... WHERE id IN (...) per batch, no signals). Each
    batch commits on its own, so a long prune never holds a lock on the whole log.
    """
    old = AccessLogEntry.objects.filter(occurred_at__lt=before).order_by("occurred_at", "id")
    deleted = 0
    while True:
        ids = list(old.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        with transaction.atomic():
            deleted += AccessLogEntry.objects.filter(pk__in=ids)._raw_delete(old.db)


def retention_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """Entries before this moment are past ACCESS_LOG_RETENTION_DAYS."""
    return (now or timezone.now()) - datetime.timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, as the lockout counts it (REVERSE_PROXY_COUNT proxies in front)."""
    from bip.security.lockout import client_ip as lockout_client_ip

    try:
        return str(ipaddress.ip_address(lockout_client_ip(request) or ""))
    except ValueError:
        return None


def mask_bsn_like(text: str) -> str:
    """`text` with every run of eight or nine digits (a BSN, an onderwijsnummer) as "***"."""
    return BSN_LIKE.sub(MASK, text)


def _as_id(value: int | str | None) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def _actor_fields(actor: User | None) -> dict[str, Any]:
    if actor is None:
        return {"actor": None, "actor_username": "", "actor_role": "", "acting_on_behalf_of": ""}
    groups = sorted(user_groups(actor))
    role = ", ".join(groups) or ("superuser" if actor.is_superuser else "")
    on_behalf_of: Any = ""
    if is_professional(actor):
        from professionals.models import Professional

        on_behalf_of = Coalesce(
            Subquery(
                Professional.objects.filter(user_id=actor.pk).values("organisation__name")[:1]
            ),
            Value(""),
        )
    return {
        "actor": actor,
        "actor_username": actor.get_username()[:150],
        "actor_role": role[:60],
        "acting_on_behalf_of": on_behalf_of,
    }


def _origin_fields(request: HttpRequest | None) -> dict[str, Any]:
    if request is None:
        return {"ip_address": None, "user_agent": "", "method": "", "path": "", "url_name": ""}
    match = getattr(request, "resolver_match", None)
    return {
        "ip_address": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        "method": request.method[:7] if request.method else "",
        # path, never get_full_path(): a query string may hold a BSN or a name. A BSN typed
        # into the path itself (/zaken/111222333/) is masked too.
        "path": mask_bsn_like(request.path)[:300],
        "url_name": (match.view_name if match else "")[:100],
    }


def _fill_in_subject(fields: dict[str, Any]) -> None:
    """Let the INSERT look up the child and household of a case, or the household of a child."""
    from cases.models import Case, Child

    case_id, child_id = fields["case_id"], fields["child_id"]
    if case_id is not None:
        case = Case.objects.filter(pk=case_id).order_by()
        if child_id is None:
            fields["child_id"] = Subquery(case.values("child_id")[:1])
        if fields["household_id"] is None:
            fields["household_id"] = Subquery(case.values("child__household_id")[:1])
    elif child_id is not None and fields["household_id"] is None:
        fields["household_id"] = Subquery(
            Child.objects.filter(pk=child_id).order_by().values("household_id")[:1]
        )


def _result_for_status(
    status: int | None, fields: dict[str, Any], object_id: str | int | None
) -> Any:
    if status is None or status < 400:
        return Result.SUCCESS
    if status == 403:
        return Result.REFUSED
    if status == 404:
        exists = _record_exists(fields, object_id)
        if exists is None:
            return Result.NOT_FOUND
        return CaseWhen(When(exists, then=Value(Result.REFUSED)), default=Value(Result.NOT_FOUND))
    if status < 500:
        return Result.INVALID
    return Result.ERROR


def _record_exists(fields: dict[str, Any], object_id: str | int | None) -> Exists | None:
    """Whether the record behind a 404 exists: then it was hidden from the user (refused)."""
    from cases.models import Case, Child, ImportBatch

    if fields["case_id"] is not None:
        return Exists(Case.objects.filter(pk=fields["case_id"]))
    if isinstance(fields["child_id"], int):
        return Exists(Child.objects.filter(pk=fields["child_id"]))
    batch_id = _as_id(object_id)
    if fields["object_type"] == ObjectType.IMPORT_BATCH and batch_id:
        return Exists(ImportBatch.objects.filter(pk=batch_id))
    return None


def _scrub(value: Any) -> Any:
    """Replace anything that looks like a BSN in the details by "***" (a safety net)."""
    if isinstance(value, str):
        return mask_bsn_like(value)
    if isinstance(value, Mapping):
        return {_scrub(str(key)): _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(item) for item in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    return _scrub(str(value))
