import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from api.constants import Scope
from api.services import RegisteredClient, api_client_register
from tests.factories import SchoolFactory, valid_bsn

ALL_SCOPES = [Scope.MELDINGEN_WRITE, Scope.MELDINGEN_STATUS_READ]


@pytest.fixture
def register() -> Callable[..., RegisteredClient]:
    def make(
        name: str = "Schoolpakket",
        organisation: str = "Het Baken",
        scopes: list[str] | None = None,
        days: int = 30,
    ) -> RegisteredClient:
        return api_client_register(
            name=name,
            organisation=organisation,
            scopes=ALL_SCOPES if scopes is None else scopes,
            expires_at=timezone.now() + datetime.timedelta(days=days),
            actor=None,
        )

    return make


@pytest.fixture
def school(db):
    return SchoolFactory(brin="12KL")


@pytest.fixture
def referral(school) -> Callable[..., dict[str, Any]]:
    """A valid referral body; overrides replace (or, with None, drop) fields."""

    def make(n: int = 1, **overrides: Any) -> dict[str, Any]:
        today = timezone.localdate()
        body: dict[str, Any] = {
            "meldingsdatum": (today - datetime.timedelta(days=3)).isoformat(),
            "bsn": valid_bsn(n),
            "achternaam": "Bakker",
            "voornamen": "Noor",
            "geboortedatum": today.replace(year=today.year - 12, day=1).isoformat(),
            "brin": school.brin,
            "soort_verzuim": "16_uur",
            "verzuim_vanaf": (today - datetime.timedelta(days=40)).isoformat(),
            "verzuim_tot_en_met": (today - datetime.timedelta(days=5)).isoformat(),
            "uren_verzuim": 18,
            "keer_te_laat": 0,
            "straat": "Kruisstraat 1",
            "postcode": "2011 AB",
            "plaats": "Haarlem",
        }
        for key, value in overrides.items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    return make


class ApiCaller:
    def __init__(self, client: Client, token: str | None) -> None:
        self.client = client
        self.token = token

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        headers.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in extra.items()})
        return headers

    def post(self, path: str, body: Any, raw: bytes | None = None, **headers: str):
        data = raw if raw is not None else json.dumps(body)
        return self.client.post(
            f"/api/v1{path}", data=data, content_type="application/json", **self.headers(**headers)
        )

    def get(self, path: str, **params: Any):
        return self.client.get(f"/api/v1{path}", params, **self.headers())


@pytest.fixture
def caller(client, register) -> ApiCaller:
    return ApiCaller(client, register().token)
