"""bip.lib.heartbeat: a thread that stamps a row while the job's own thread is busy."""

import datetime
import threading
import time

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connections

from bip.lib import heartbeat
from tests.factories import UserFactory

# The heartbeat thread has its own connection: it must see committed rows, and the test must
# see its writes, so the tests that touch the database commit for real.
real_commits = pytest.mark.django_db(transaction=True)

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
FAST = 0.01  # seconds between beats in these tests


def wait_for(condition, timeout=5.0):
    """Wait (briefly, for another thread) until `condition()` is true; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the heartbeat thread did not beat"
        time.sleep(FAST)


def test_the_default_interval_leaves_several_beats_before_a_job_counts_as_orphaned():
    interval, orphaned_after = heartbeat.HEARTBEAT_INTERVAL, heartbeat.ORPHANED_AFTER
    assert interval.total_seconds() <= 30
    assert orphaned_after >= 4 * interval
    assert orphaned_after.total_seconds() <= 3 * 60


def test_orphaned_before_is_the_cut_off():
    assert heartbeat.orphaned_before(START) == START - heartbeat.ORPHANED_AFTER


@real_commits
def test_it_stamps_the_row_while_the_main_thread_is_blocked_and_stops_after_the_block():
    user = UserFactory()
    rows = get_user_model().objects.filter(pk=user.pk)
    beat = heartbeat.stamp(rows, "last_login")
    with time_machine.travel(START, tick=False) as traveller:
        with heartbeat.Heartbeat(beat, interval=FAST) as running:
            # The "work" blocks this thread for 5 minutes (of travelled time) without writing
            # anything itself; the row is stamped nonetheless.
            traveller.shift(datetime.timedelta(minutes=5))
            wait_for(lambda: rows.get().last_login == START + datetime.timedelta(minutes=5))
            thread = running._thread
        assert not thread.is_alive()
        beats = running.beats
        traveller.shift(datetime.timedelta(minutes=5))
        time.sleep(10 * FAST)
    assert running.beats == beats  # no beat after the block
    assert rows.get().last_login == START + datetime.timedelta(minutes=5)


@real_commits
def test_the_thread_closes_its_database_connection():
    opened = []

    def beat():
        opened.append(connections["default"])
        get_user_model().objects.exists()

    with heartbeat.Heartbeat(beat, interval=FAST):
        wait_for(lambda: opened)
    connection = opened[0]
    assert connection is not connections["default"]  # its own, not the job's
    # Closed when the thread stopped (Django never closes an in-memory SQLite database).
    if not getattr(connection, "is_in_memory_db", lambda: False)():
        assert connection.connection is None


def test_a_failing_beat_is_logged_and_the_next_one_is_tried(caplog):
    calls = []
    second = threading.Event()

    def beat():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        second.set()

    with heartbeat.Heartbeat(beat, interval=FAST, name="test-heartbeat"):
        assert second.wait(5)
    assert "Heartbeat test-heartbeat failed" in caplog.text
    assert "database went away" in caplog.text
