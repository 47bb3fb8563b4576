"""Settings: production refusal (in a subprocess, since settings load once) and fixed values."""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils.csp import CSP

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Letters and digits only: django-environ treats a value starting with "$" as a reference.
STRONG_KEY = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(60))
INSECURE_KEY = "django-insecure-ketenkameleon-local-demo-only"  # noqa: S105

# Everything production requires; the refusal tests leave one out or change one.
PRODUCTION = {
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "example.nl",
    "ALLOCATION_SECRET": STRONG_KEY[::-1],
    "RESEARCH_PSEUDONYM_KEY": STRONG_KEY.upper(),
    "DATABASE_URL": "postgres://kk@db.example.nl:5432/ketenkameleon",
}
EMPTY_ENV_FILE = Path(__file__).with_name("empty.env")
SETUP = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"


def run(args, *, env_file: str | None = None, **env_vars):
    """Run Python in the project root with DEBUG=false and only the given variables.

    The subprocess reads `env_file` as its ENV_FILE, by default an empty file: neither the
    suite's .env.demo nor a developer's own .env leaks into what is tested here.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DEBUG",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "DATABASE_URL",
            "ALLOCATION_SECRET",
            "RESEARCH_PSEUDONYM_KEY",
            "MFA_REQUIRED",
            "CACHE_URL",
            "CONN_HEALTH_CHECKS",
            "ENV_FILE",
        }
    }
    env["ENV_FILE"] = env_file or str(EMPTY_ENV_FILE)
    # MFA on unless a test says otherwise: a local .env copied from .env.example turns it off
    # for the demo, and production refuses that.
    env.update(DEBUG="false", DJANGO_SETTINGS_MODULE="bip.settings", MFA_REQUIRED="true")
    env.update(env_vars)
    # A value of None removes the variable altogether.
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run(  # noqa: S603 - our own interpreter with fixed arguments
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def last_line(text):
    return text.strip().splitlines()[-1]


def test_production_refuses_to_start_without_secret_key():
    result = run(["-c", SETUP], ALLOWED_HOSTS="example.nl")
    assert result.returncode != 0
    error = last_line(result.stderr)
    assert error.startswith("django.core.exceptions.ImproperlyConfigured:"), result.stderr
    assert "SECRET_KEY" in error


def test_production_refuses_the_insecure_default_key():
    result = run(["-c", SETUP], SECRET_KEY=INSECURE_KEY, ALLOWED_HOSTS="example.nl")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in last_line(result.stderr), result.stderr
    assert "SECRET_KEY" in last_line(result.stderr)


def test_production_refuses_a_short_secret_key():
    result = run(["-c", SETUP], SECRET_KEY=STRONG_KEY[:49], ALLOWED_HOSTS="example.nl")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in last_line(result.stderr), result.stderr
    assert "SECRET_KEY" in last_line(result.stderr)


def test_production_refuses_to_start_without_allowed_hosts():
    result = run(["-c", SETUP], SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0
    error = last_line(result.stderr)
    assert error.startswith("django.core.exceptions.ImproperlyConfigured:"), result.stderr
    assert "ALLOWED_HOSTS" in error


def test_production_refuses_to_start_without_an_allocation_secret():
    without_secret = {k: v for k, v in PRODUCTION.items() if k != "ALLOCATION_SECRET"}
    result = run(["-c", SETUP], **without_secret)
    assert result.returncode != 0
    assert "ALLOCATION_SECRET" in last_line(result.stderr)


def test_production_refuses_to_start_without_a_pseudonym_key():
    without_key = {k: v for k, v in PRODUCTION.items() if k != "RESEARCH_PSEUDONYM_KEY"}
    result = run(["-c", SETUP], **without_key)
    assert result.returncode != 0
    assert "RESEARCH_PSEUDONYM_KEY" in last_line(result.stderr)


def test_production_refuses_to_start_without_a_database_url():
    without_database = {k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"}
    result = run(["-c", SETUP], **without_database)
    assert result.returncode != 0
    assert "DATABASE_URL" in last_line(result.stderr), result.stderr


def test_without_configuration_the_settings_default_to_production_and_refuse_to_start():
    """No DEBUG anywhere: the default is production, which needs its secrets (not the demo)."""
    result = run(["-c", SETUP], DEBUG=None)
    assert result.returncode != 0
    assert "SECRET_KEY" in last_line(result.stderr), result.stderr


def test_the_demo_configuration_is_read_only_when_asked_for():
    demo = run(["-c", SETUP], env_file=".env.demo", DEBUG=None, MFA_REQUIRED=None)
    assert demo.returncode == 0, demo.stderr
    assert last_line(demo.stdout) == "True"


def test_a_missing_env_file_is_refused():
    result = run(["-c", SETUP], env_file="does-not-exist.env", **PRODUCTION)
    assert result.returncode != 0
    assert "ENV_FILE" in last_line(result.stderr), result.stderr


def test_production_starts_with_debug_off():
    result = run(
        ["-c", SETUP],
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert last_line(result.stdout) == "False"


def test_production_refuses_to_start_without_mfa():
    result = run(
        ["-c", SETUP],
        **PRODUCTION,
        MFA_REQUIRED="false",
    )
    assert result.returncode != 0
    error = last_line(result.stderr)
    assert error.startswith("django.core.exceptions.ImproperlyConfigured:"), result.stderr
    assert "MFA_REQUIRED" in error


def test_production_refuses_an_idle_timeout_beyond_the_absolute_limit():
    result = run(
        ["-c", SETUP],
        **PRODUCTION,
        SESSION_IDLE_TIMEOUT="7200",
        SESSION_ABSOLUTE_TIMEOUT="3600",
    )
    assert result.returncode != 0
    assert "SESSION_IDLE_TIMEOUT" in last_line(result.stderr), result.stderr


def test_the_cache_comes_from_cache_url():
    show = (
        "import django; django.setup(); from django.conf import settings; "
        "c = settings.CACHES['default']; print(c['BACKEND'], c['LOCATION'])"
    )
    default = run(["-c", show], **PRODUCTION)
    assert default.returncode == 0, default.stderr
    assert last_line(default.stdout) == (
        "django.core.cache.backends.locmem.LocMemCache ketenkameleon"
    )
    shared = run(["-c", show], CACHE_URL="dbcache://ketenkameleon_cache", **PRODUCTION)
    assert shared.returncode == 0, shared.stderr
    assert last_line(shared.stdout) == (
        "django.core.cache.backends.db.DatabaseCache ketenkameleon_cache"
    )


def test_postgresql_connections_are_persistent_health_checked_and_without_jit():
    show = (
        "import django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; "
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], d['OPTIONS'])"
    )
    default = run(["-c", show], **PRODUCTION)
    assert default.returncode == 0, default.stderr
    assert last_line(default.stdout) == "60 True {'options': '-c jit=off'}"
    # Operators may turn the per-request health check off, and give their own options.
    tuned = run(
        ["-c", show],
        **{
            **PRODUCTION,
            "CONN_HEALTH_CHECKS": "false",
            "DATABASE_URL": PRODUCTION["DATABASE_URL"] + "?options=-c%20statement_timeout%3D5000",
        },
    )
    assert tuned.returncode == 0, tuned.stderr
    assert last_line(tuned.stdout) == "60 False {'options': '-c statement_timeout=5000'}"


def test_production_passes_the_deploy_check():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_dutch_language_and_amsterdam_time():
    assert settings.LANGUAGE_CODE == "nl"
    assert settings.TIME_ZONE == "Europe/Amsterdam"
    assert settings.USE_TZ is True


def test_csp_scripts_use_a_nonce_and_no_unsafe_inline():
    script_src = settings.SECURE_CSP["script-src"]
    assert CSP.NONCE in script_src
    assert CSP.UNSAFE_INLINE not in script_src
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
@pytest.mark.django_db
def test_postgresql_connections_run_without_jit_compilation():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
