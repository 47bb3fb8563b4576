"""Shared by the demo seeder's tests: DEBUG on, and `seed()` to run the command."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def development_settings(settings):
    # pytest-django runs tests with DEBUG off; seed_demo is meant for DEBUG on.
    settings.DEBUG = True


def seed(*args: str) -> str:
    """Run `manage.py seed_demo` with these arguments; its output."""
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()
