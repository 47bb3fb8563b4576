"""The benchmark's PostgreSQL world: built once with seed_demo, reused while it has N cases.

Runs inside a Django process set up with benchmarks.bench.settings (see __main__.py).
"""

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import psycopg

if TYPE_CHECKING:
    from django_otp.plugins.otp_totp.models import TOTPDevice

DEMO_PASSWORD = "ketenkameleon-demo"  # noqa: S105 - the documented demo password
BENCH_ADMIN = "bench-admin"


def ensure_database(url: str) -> None:
    """Create the database in `url` if it does not exist (PostgreSQL only)."""
    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], env=env, check=True)  # noqa: S603


def ensure_world(cases: int, env: dict[str, str]) -> dict[str, float]:
    """Migrate, and seed `cases` cases unless the database holds that many already."""
    from cases.models import Case

    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("collectstatic", "--noinput", "-v", "0", env=env)
    present = Case.objects.count()
    timings = {"seeded_cases": 0.0}
    if present != cases:
        import time

        started = time.monotonic()
        reset = ["--reset"] if present else []
        manage("seed_demo", "--cases", str(cases), "--force", *reset, env=env)
        timings = {"seeded_cases": float(cases), "seed_seconds": time.monotonic() - started}
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    return timings


def ensure_bench_admin() -> None:
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(
        username=BENCH_ADMIN, defaults={"is_staff": True, "is_superuser": True}
    )
    user.set_password(DEMO_PASSWORD)
    user.is_staff = user.is_superuser = True
    user.save()


def totp_device(username: str) -> "TOTPDevice":
    """The user's confirmed authenticator (created once), as a phone app would hold it."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="benchmark", confirmed=True)
    return device


def totp_code(device: "TOTPDevice") -> str:
    """The current code of `device`, computed like an authenticator app does."""
    from django_otp.oath import totp

    device.refresh_from_db()
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def sample_ids() -> dict[str, int]:
    """Ids for the requests: a professional with cases, and a case file with many contacts."""
    from django.db.models import Count

    from cases.models import Case
    from professionals.models import Professional

    professional = (
        Professional.objects.filter(is_active=True, user__username__startswith="prof")
        .order_by("id")
        .first()
        or Professional.objects.filter(is_active=True).order_by("id").first()
    )
    first_cases = list(
        Case.objects.filter(anonymised_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:2000]
    )
    case = (
        Case.objects.filter(pk__in=first_cases)
        .annotate(contact_count=Count("contacts"))
        .order_by("-contact_count", "id")
        .first()
    )
    assert professional is not None and case is not None
    return {"professional": professional.pk, "case": case.pk}


def database_url(cases: int) -> str:
    return os.environ.get(
        "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/ketenkameleon_bench_{cases}"
    )


def mixed_load_users(count: int) -> list[tuple[str, int]]:
    """Up to `count` working professionals, each with an open case in the Leerplicht stage that
    they may log a Leerplicht contact on: (username, case id). Fewer in a small world.

    The scaled world gives only the demo accounts a password; these get the demo password here,
    in the benchmark's own database, so that each virtual user logs in as a different person
    (a TOTP code is accepted once per 30-second step and user, so one account cannot log in 16
    times at once).
    """
    import datetime

    from django.contrib.auth import get_user_model
    from django.db.models import Q
    from django.utils import timezone

    from cases.constants import CaseStatus, Stage
    from cases.models import Case
    from professionals.models import Professional
    from roles.constants import ChainRole

    professionals = (
        Professional.objects.filter(is_active=True, user__is_active=True)
        .filter(Q(is_bip=True) | Q(organisation__kind=ChainRole.LEERPLICHT))
        .order_by("id")
    )
    chosen: list[tuple[str, int]] = []
    for professional in professionals.iterator():
        case_id = (
            Case.objects.filter(
                professional=professional,
                status=CaseStatus.OPEN,
                stage=Stage.LEERPLICHT,
                anonymised_at__isnull=True,
                date_received__lt=timezone.localdate() - datetime.timedelta(days=7),
            )
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
        if case_id is None:
            continue
        user = get_user_model().objects.get(pk=professional.user_id)
        if not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        chosen.append((user.username, case_id))
        if len(chosen) == count:
            return chosen
    if not chosen:
        raise RuntimeError("no professional with an open Leerplicht case")
    # A small world (one extra professional per 250 cases) has fewer: the mixed load runs
    # with those, and the report says how many.
    return chosen
