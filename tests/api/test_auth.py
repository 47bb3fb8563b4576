"""Authentication, scopes, expiry, revocation and rate limits: every refusal a problem."""

import datetime

import pytest
from django.utils import timezone

from api.constants import Scope
from api.models import ApiClient
from api.services import api_client_revoke
from cases.models import Case
from tests.api.conftest import ApiCaller

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer kk_000000000000_wrong", "Basic abc", "Bearer nonsense"],
)
def test_a_missing_or_wrong_secret_is_401(client, referral, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post(
        "/api/v1/meldingen", data=referral(), content_type="application/json", **extra
    )
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Case.objects.count() == 0


def test_only_a_hash_of_the_secret_is_stored(register):
    registered = register()
    secret = registered.token.removeprefix("kk_")[13:]
    stored = ApiClient.objects.get()
    assert secret not in stored.secret_hash and len(stored.secret_hash) == 64


def test_an_expired_client_is_401(client, register, referral):
    registered = register()
    ApiClient.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = ApiCaller(client, registered.token).post("/meldingen", referral())
    assert response.status_code == 401


def test_a_client_whose_service_account_is_switched_off_is_401(client, register, referral):
    registered = register()
    registered.client.user.is_active = False
    registered.client.user.save(update_fields=["is_active"])
    response = ApiCaller(client, registered.token).post("/meldingen", referral())
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert Case.objects.count() == 0


def test_a_revoked_client_is_401_and_its_last_use_was_recorded(client, register, referral):
    registered = register()
    caller = ApiCaller(client, registered.token)
    assert caller.post("/meldingen", referral()).status_code == 201
    assert ApiClient.objects.get().last_used_at is not None
    api_client_revoke(client=registered.client)
    assert caller.post("/meldingen", referral(n=2)).status_code == 401


def test_a_wrong_scope_is_403_and_saves_nothing(client, register, referral):
    reader = ApiCaller(client, register(scopes=[Scope.MELDINGEN_STATUS_READ]).token)
    response = reader.post("/meldingen", referral())
    assert response.status_code == 403
    assert Case.objects.count() == 0
    writer = ApiCaller(client, register(name="W", scopes=[Scope.MELDINGEN_WRITE]).token)
    assert writer.get("/meldingen").status_code == 403


def test_the_rate_limit_answers_429_with_retry_after(caller, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    statuses = [caller.get("/meldingen").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = caller.get("/meldingen")
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_token_never_reaches_the_logs(client, register, referral, caplog):
    registered = register()
    ApiCaller(client, registered.token + "x").post("/meldingen", referral())
    ApiCaller(client, registered.token).post("/meldingen", referral())
    assert registered.token.removeprefix("kk_")[13:] not in caplog.text
