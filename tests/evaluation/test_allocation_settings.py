"""Allocation settings at start-up (in a subprocess, since settings load once)."""

import pytest

from tests.bip.test_settings import PRODUCTION, SETUP, last_line, run

pytestmark = pytest.mark.slow

SHOW_SIZES = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.ALLOCATION_BLOCK_SIZES)"
)


def test_production_refuses_the_demo_allocation_secret():
    # The DEBUG default reproduces every allocation: never with DEBUG off.
    result = run(["-c", SETUP], **(PRODUCTION | {"ALLOCATION_SECRET": "demo-allocation"}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in last_line(result.stderr), result.stderr
    assert "ALLOCATION_SECRET" in last_line(result.stderr)


def test_block_sizes_default_to_the_sizes_that_meet_the_predictability_bar():
    result = run(["-c", SHOW_SIZES], **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(24, 32, 40, 48)"


def test_block_sizes_can_be_set():
    result = run(["-c", SHOW_SIZES], **(PRODUCTION | {"ALLOCATION_BLOCK_SIZES": "4,6,8"}))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(4, 6, 8)"


@pytest.mark.parametrize("sizes", ["4,5", "0", "vier", ""])
def test_bad_block_sizes_are_refused(sizes):
    result = run(["-c", SETUP], **(PRODUCTION | {"ALLOCATION_BLOCK_SIZES": sizes}))
    assert result.returncode != 0
    assert "ALLOCATION_BLOCK_SIZES" in last_line(result.stderr), result.stderr


def test_the_old_fixed_block_size_is_refused_rather_than_ignored():
    result = run(["-c", SETUP], **(PRODUCTION | {"ALLOCATION_BLOCK_SIZE": "4"}))
    assert result.returncode != 0
    assert "ALLOCATION_BLOCK_SIZES" in last_line(result.stderr), result.stderr
