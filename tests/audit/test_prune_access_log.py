"""manage.py prune_access_log: the only way entries leave the log, after their retention."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from audit.models import AccessLogEntry

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]

NOW = datetime.datetime(2026, 3, 16, 11, 0, tzinfo=datetime.UTC)


@pytest.fixture
def entries(make_entry, settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 365
    made = {}
    for name, days in [("old", 400), ("just_old", 366), ("just_kept", 364), ("new", 1)]:
        with time_machine.travel(NOW - datetime.timedelta(days=days), tick=False):
            made[name] = make_entry(child_id=1)
    return made


def kept() -> set[int]:
    return set(AccessLogEntry.objects.values_list("pk", flat=True))


@time_machine.travel(NOW, tick=False)
def test_dry_run_counts_and_deletes_nothing(entries, capsys):
    call_command("prune_access_log", "--dry-run")
    assert "2 regels" in capsys.readouterr().out
    assert kept() == {entry.pk for entry in entries.values()}


@time_machine.travel(NOW, tick=False)
def test_deletes_what_is_past_retention(entries, capsys):
    call_command("prune_access_log", "--batch-size", "1")
    assert "2 regels" in capsys.readouterr().out
    assert kept() == {entries["just_kept"].pk, entries["new"].pk}


@time_machine.travel(NOW, tick=False)
def test_retention_is_configurable(entries, settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 7
    call_command("prune_access_log")
    assert kept() == {entries["new"].pk}


@pytest.mark.slow  # a subprocess
def test_a_retention_below_one_day_is_refused_at_startup():
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(DEBUG="true", DJANGO_SETTINGS_MODULE="bip.settings", ACCESS_LOG_RETENTION_DAYS="0")
    result = subprocess.run(  # noqa: S603 - our own interpreter with fixed arguments
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ACCESS_LOG_RETENTION_DAYS must be at least 1." in result.stderr
