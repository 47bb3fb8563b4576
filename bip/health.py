"""`/gezondheid/`: the load balancer's health check. No login, no data.

Answers 200 when this app server can serve: the database answers and every migration is
applied. 503 otherwise, so the load balancer stops sending it requests. The background worker's
last heartbeat (`manage.py worker`, bip/models.py) is reported too, but only fails the check
with `?werker=1`: a stopped worker delays exports, it does not make an app server unfit, and a
load balancer that took every app server out for it would stop the whole service.

The body is a few words of JSON (no version, no host names, no counts). One query per call:
the migrations are checked against the database until they are found applied, and from then
on not again in this process (a deployment that adds migrations restarts it).
"""

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .lib.heartbeat import orphaned_before
from .models import WorkerHeartbeat

_migrations_applied = False


def migrations_applied() -> bool:
    """Whether the database has every migration of the code; True is remembered."""
    global _migrations_applied  # noqa: PLW0603 - a per-process memo of a fact that stays true
    if not _migrations_applied:
        executor = MigrationExecutor(connection)
        _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_applied


def forget_migrations_check() -> None:
    """For tests: check the migrations again on the next call."""
    global _migrations_applied  # noqa: PLW0603
    _migrations_applied = False


@login_not_required
@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    checks = {"database": "ok", "migrations": "ok", "worker": "ok"}
    try:
        last_beat = WorkerHeartbeat.objects.aggregate(last=Max("beat_at"))["last"]
        if not migrations_applied():
            checks["migrations"] = "pending"
    except DatabaseError:
        checks.update(database="unreachable", migrations="unknown", worker="unknown")
        last_beat = None
    else:
        if last_beat is None:
            checks["worker"] = "missing"
        elif last_beat <= orphaned_before():
            checks["worker"] = "stale"
    required = ["database", "migrations"] + (["worker"] if request.GET.get("werker") else [])
    healthy = all(checks[name] == "ok" for name in required)
    return JsonResponse(
        {"status": "ok" if healthy else "fail", **checks}, status=200 if healthy else 503
    )
