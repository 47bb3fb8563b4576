"""/gezondheid/: the load balancer's health check (bip/health.py)."""

import datetime

import pytest
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from bip import health
from bip.management.commands.worker import beat_for
from bip.models import WorkerHeartbeat
from tests.factories import CaseFactory

URL = reverse("health")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_migrations_check():
    health.forget_migrations_check()
    yield
    health.forget_migrations_check()


def test_healthy_without_login_and_without_data(client):
    CaseFactory()
    WorkerHeartbeat.objects.create(worker_id="w1", beat_at=timezone.now())
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "migrations": "ok",
        "worker": "ok",
    }
    assert "sessionid" not in response.cookies
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.mfa
def test_no_login_or_second_factor_step_even_with_mfa_on(client, coordinator):
    client.force_login(coordinator)  # logged in, second factor not passed
    response = client.get(URL)
    assert response.status_code == 200


def test_a_missing_or_stale_worker_is_reported_but_fails_only_on_request(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["worker"] == "missing"
    assert client.get(URL, {"werker": "1"}).status_code == 503

    WorkerHeartbeat.objects.create(
        worker_id="w1", beat_at=timezone.now() - datetime.timedelta(minutes=3)
    )
    assert client.get(URL).json()["worker"] == "stale"
    assert client.get(URL, {"werker": "1"}).status_code == 503

    beat_for("w1")()
    response = client.get(URL, {"werker": "1"})
    assert response.status_code == 200
    assert response.json()["worker"] == "ok"


def test_pending_migrations_give_503(client, monkeypatch):
    monkeypatch.setattr(
        health.MigrationExecutor, "migration_plan", lambda self, targets: [("pending", False)]
    )
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending"


def test_an_unreachable_database_gives_503(client, monkeypatch):
    def fail(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(WorkerHeartbeat.objects, "aggregate", fail)
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json() == {
        "status": "fail",
        "database": "unreachable",
        "migrations": "unknown",
        "worker": "unknown",
    }


def test_one_query_once_the_migrations_are_known(client, django_assert_num_queries):
    client.get(URL)
    with django_assert_num_queries(1):
        assert client.get(URL).status_code == 200


def test_only_reads(client):
    assert client.post(URL).status_code in (403, 405)  # CSRF or method: never a write
    assert client.head(URL).status_code == 200


def test_plain_http_is_not_redirected_to_https(client, settings):
    """A load balancer checks the app server over HTTP; production redirects everything else."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^gezondheid/$"]
    assert client.get(URL).status_code == 200
    assert client.get(reverse("login")).status_code == 301
