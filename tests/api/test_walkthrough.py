"""The README's curl walk-through (docs/api-walkthrough.sh) runs against a live server."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]


def test_the_walkthrough_registers_posts_retries_conflicts_and_reads(live_server, register):
    from tests.factories import SchoolFactory

    SchoolFactory(brin="12KL")
    token = register().token
    result = subprocess.run(  # noqa: S603 (our own script)
        [shutil.which("bash") or "/bin/bash", str(ROOT / "docs/api-walkthrough.sh")],
        env={**os.environ, "TOKEN": token, "BASE_URL": live_server.url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.strip().startswith("201 ") for line in lines)
    assert any(line.strip().startswith("409 ") for line in lines)
    assert '"status": "ontvangen"' in lines[-1]
