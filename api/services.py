"""Writes of the API: registering and revoking clients, and taking in referrals.

A referral is checked and registered by the CSV import's own code (cases.imports): the same
row form, the same checks against the database, the same bulk registration with allocation
and initial stage. The API adds only its envelope: JSON in, a reference out.
"""

import datetime
import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.constants import CaseSource
from cases.imports.checks import RowCheck, check_rows
from cases.imports.reader import COLUMNS, SourceRow
from cases.imports.services import register_checked_rows

from .constants import IDEMPOTENCY_HOURS, Scope
from .models import ApiClient, ApiReferral, IdempotencyRecord
from .secrets import NewSecret, new_secret

# The duplicate message of the import names the open case's number: the API never shows it.
_OPEN_CASE_PREFIX = "dubbel: dit kind heeft al een open zaak"


@dataclass(frozen=True)
class RegisteredClient:
    client: ApiClient
    token: str  # shown once


def api_client_register(
    *,
    name: str,
    organisation: str,
    scopes: Sequence[str],
    expires_at: datetime.datetime,
    actor: User | None,
) -> RegisteredClient:
    """A new client with its service account and a secret that is returned once."""
    unknown = set(scopes) - set(Scope.values)
    if unknown or not scopes:
        raise ValueError(f"unknown or no scopes: {sorted(unknown)}")
    made: NewSecret = new_secret()
    with transaction.atomic():
        user = User.objects.create_user(username=f"api-{made.key_id}", first_name=name[:150])
        user.set_unusable_password()
        user.save(update_fields=["password"])
        client = ApiClient.objects.create(
            name=name,
            organisation=organisation.strip(),
            scopes=sorted(set(scopes)),
            key_id=made.key_id,
            secret_hash=made.secret_hash,
            expires_at=expires_at,
            user=user,
            created_by=actor,
        )
    return RegisteredClient(client=client, token=made.token)


def api_client_revoke(*, client: ApiClient) -> ApiClient:
    """Revoke a client: every later call answers 401. Revoking twice keeps the first time."""
    with transaction.atomic():
        locked = ApiClient.objects.select_for_update().get(pk=client.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
    return locked


def api_client_touch(client: ApiClient) -> None:
    """Record the last use, at most once a minute per client (no write on every call)."""
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > datetime.timedelta(minutes=1):
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now


# --- referrals -----------------------------------------------------------------------------


@dataclass
class ItemProblem:
    """What is wrong with one referral: field errors, or an open case for the child."""

    index: int
    errors: list[dict[str, str | None]] = field(default_factory=list)
    duplicate_of: str | None = None  # the open case's reference, when this client's org sent it
    is_duplicate: bool = False


class ReferralsRefused(Exception):
    def __init__(self, problems: list[ItemProblem]) -> None:
        super().__init__("referrals refused")
        self.problems = problems


def as_cells(item: Mapping[str, Any]) -> dict[str, str]:
    """A referral's JSON values as the CSV cells the import checks (dates ISO, counts digits)."""
    cells: dict[str, str] = {}
    for column in COLUMNS:
        value = item.get(column)
        if value is None:
            cells[column] = ""
        elif isinstance(value, datetime.date):
            cells[column] = value.isoformat()
        else:
            cells[column] = str(value)
    return cells


def _field_of(message: str) -> str | None:
    """The column a line error names (the import's messages start with it), if any."""
    for column in sorted(COLUMNS, key=len, reverse=True):
        if message.startswith(column):
            return column
    if message.startswith("bsn en onderwijsnummer"):
        return "onderwijsnummer"
    return None


def _problems(checks: Sequence[RowCheck], client: ApiClient) -> list[ItemProblem]:
    problems = []
    for index, check in enumerate(checks):
        if check.is_valid:
            continue
        problem = ItemProblem(index=index)
        for message in check.errors:
            if message.startswith(_OPEN_CASE_PREFIX):
                problem.is_duplicate = True
                continue
            problem.errors.append({"field": _field_of(message), "detail": message})
        if problem.is_duplicate and check.child_id is not None:
            problem.duplicate_of = _open_case_reference(check.child_id, client)
            if not problem.errors:
                problem.errors.append(
                    {"field": None, "detail": _("Voor dit kind is al een open melding.")}
                )
        problems.append(problem)
    return problems


def _open_case_reference(child_id: int, client: ApiClient) -> str | None:
    """The reference of the child's open case, if this client's organisation sent it."""
    return (
        ApiReferral.objects.filter(
            case__child_id=child_id,
            case__status="open",
            organisation=client.organisation,
        )
        .order_by("-id")
        .values_list("reference", flat=True)
        .first()
    )


def _new_reference() -> str:
    return "MLD-" + secrets.token_hex(8).upper()


def referrals_submit(*, client: ApiClient, items: Sequence[Mapping[str, Any]]) -> list[ApiReferral]:
    """Check and register referrals, all or nothing. Raises ReferralsRefused with the problems
    of every refused item; registers nothing then. Runs in the caller's transaction."""
    rows = [SourceRow(index + 1, as_cells(item)) for index, item in enumerate(items)]
    checks = check_rows(rows, lock=True)
    problems = _problems(checks, client)
    if problems:
        raise ReferralsRefused(problems)
    cases = register_checked_rows(checks, actor=client.user, source=CaseSource.SCHOOL)
    referrals = [
        ApiReferral(
            reference=_new_reference(),
            client=client,
            organisation=client.organisation,
            case=cases[row.line_number],
        )
        for row in rows
    ]
    ApiReferral.objects.bulk_create(referrals)
    return referrals


# --- idempotency ---------------------------------------------------------------------------


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """The same request: the same method, path and JSON (key order and spacing ignored)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = body.decode(errors="replace")
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def idempotent_answer(client: ApiClient, key: str) -> IdempotencyRecord | None:
    since = timezone.now() - datetime.timedelta(hours=IDEMPOTENCY_HOURS)
    return IdempotencyRecord.objects.filter(client=client, key=key, created_at__gte=since).first()


def idempotency_remember(
    *, client: ApiClient, key: str, fingerprint: str, status_code: int, body: dict[str, Any]
) -> bool:
    """Store the answer for a key, in the caller's transaction; False when another request
    with the same key stored one first (the caller rolls back and replays that one).

    A stored answer older than IDEMPOTENCY_HOURS no longer holds the key: it is deleted when
    the key is taken, and the answer stored again. Deleting only then saves a statement on
    every other call.
    """
    for attempt in range(2):
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    client=client,
                    key=key,
                    request_hash=fingerprint,
                    status_code=status_code,
                    body=body,
                )
            return True
        except IntegrityError:
            since = timezone.now() - datetime.timedelta(hours=IDEMPOTENCY_HOURS)
            expired = IdempotencyRecord.objects.filter(client=client, key=key, created_at__lt=since)
            if attempt or not expired.delete()[0]:
                return False
    return False
