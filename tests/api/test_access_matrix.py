"""Every API route × every kind of caller × every scope: who gets in, and who gets what.

Callers: no token, a wrong token, an expired client, a revoked client, a client with only the
write scope, only the status scope, both scopes, and a client of another organisation. A new
route without rows here fails test_every_route_is_in_the_matrix.
"""

import datetime
import json

import pytest
from django.utils import timezone

from api.constants import Scope
from api.models import ApiClient
from api.services import api_client_revoke
from api.urls import urlpatterns

pytestmark = pytest.mark.django_db

W, R = Scope.MELDINGEN_WRITE, Scope.MELDINGEN_STATUS_READ
CALLERS = ["anonymous", "wrong", "expired", "revoked", "write", "read", "both", "other_org"]
# (route name, method) -> expected status per caller; the status route is asked for a
# referral of organisation "Het Baken", sent by the "both" client.
MATRIX = {
    ("meldingen", "POST"): {
        "anonymous": 401,
        "wrong": 401,
        "expired": 401,
        "revoked": 401,
        "write": 201,
        "read": 403,
        "both": 201,
        "other_org": 201,
    },
    ("meldingen_batch", "POST"): {
        "anonymous": 401,
        "wrong": 401,
        "expired": 401,
        "revoked": 401,
        "write": 201,
        "read": 403,
        "both": 201,
        "other_org": 201,
    },
    ("meldingen_list", "GET"): {
        "anonymous": 401,
        "wrong": 401,
        "expired": 401,
        "revoked": 401,
        "write": 403,
        "read": 200,
        "both": 200,
        "other_org": 200,
    },
    ("melding_status", "GET"): {
        "anonymous": 401,
        "wrong": 401,
        "expired": 401,
        "revoked": 401,
        "write": 403,
        "read": 200,
        "both": 200,
        "other_org": 404,
    },
}
# The document and its rendered docs are public (they hold no data); the root is a 404.
PUBLIC = {"openapi-json", "openapi-view", "api-root"}


def test_every_route_is_in_the_matrix():
    names = {pattern.name for pattern in urlpatterns}
    assert names == {name for name, _ in MATRIX} | PUBLIC


@pytest.fixture
def tokens(register):
    made = {
        "write": register(name="w", scopes=[W]),
        "read": register(name="r", scopes=[R]),
        "both": register(name="b", scopes=[W, R]),
        "other_org": register(name="o", organisation="Andere school", scopes=[W, R]),
        "expired": register(name="e"),
        "revoked": register(name="v"),
    }
    ApiClient.objects.filter(name="e").update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    api_client_revoke(client=made["revoked"].client)
    tokens = {name: registered.token for name, registered in made.items()}
    tokens["wrong"] = made["both"].token[:-2] + "xx"
    tokens["anonymous"] = None
    return tokens


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("route", "method"), list(MATRIX))
def test_the_matrix(client, tokens, referral, caller, route, method):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens['both']}"}
    sent = client.post(
        "/api/v1/meldingen", data=referral(n=90), content_type="application/json", **headers
    )
    reference = sent.json()["referentie"]
    token = tokens[caller]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    n = CALLERS.index(caller) + 1
    if route == "meldingen":
        response = client.post(
            "/api/v1/meldingen", data=referral(n=n), content_type="application/json", **auth
        )
    elif route == "meldingen_batch":
        response = client.post(
            "/api/v1/meldingen:batch",
            data=json.dumps({"meldingen": [referral(n=n)]}),
            content_type="application/json",
            **auth,
        )
    elif route == "meldingen_list":
        response = client.get("/api/v1/meldingen", **auth)
    else:
        response = client.get(f"/api/v1/meldingen/{reference}/status", **auth)
    assert response.status_code == MATRIX[(route, method)][caller], response.content
    if route == "meldingen_list" and response.status_code == 200:
        references = [row["referentie"] for row in response.json()["meldingen"]]
        # Only the own organisation's referrals: the other school sees none of Het Baken's.
        assert (reference in references) == (caller != "other_org")


def test_the_public_routes_need_no_token_and_hold_no_data(client, tokens, referral):
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200
    assert client.get("/api/v1/").status_code == 404
