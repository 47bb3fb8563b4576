"""The beheerder registers a client in the admin, sees the secret once, and revokes it."""

import datetime

import pytest
from django.utils import timezone

from api.models import ApiClient
from tests.api.conftest import ApiCaller

pytestmark = pytest.mark.django_db


def test_the_beheerder_registers_a_client_and_sees_the_secret_once(
    client_for, administrator, client, referral
):
    browser = client_for(administrator)
    expires = (timezone.localtime() + datetime.timedelta(days=90)).strftime("%Y-%m-%d %H:%M:%S")
    response = browser.post(
        "/beheer/api/apiclient/add/",
        {
            "name": "Magister-koppeling",
            "organisation": "Het Baken",
            "scopes": ["meldingen:write", "meldingen:status:read"],
            "expires_at": expires,
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = response.context["token"]
    assert token.startswith("kk_") and token in response.content.decode()
    stored = ApiClient.objects.get()
    assert stored.created_by == administrator
    # The secret works once handed over, and is never shown again.
    assert ApiCaller(client, token).post("/meldingen", referral()).status_code == 201
    page = browser.get(f"/beheer/api/apiclient/{stored.pk}/change/")
    assert token not in page.content.decode()
    assert token.removeprefix("kk_")[13:] not in page.content.decode()


def test_a_past_expiry_is_refused_with_a_dutch_message(client_for, administrator):
    browser = client_for(administrator)
    response = browser.post(
        "/beheer/api/apiclient/add/",
        {
            "name": "Oud",
            "organisation": "Het Baken",
            "scopes": ["meldingen:write"],
            "expires_at": "2020-01-01 10:00:00",
        },
    )
    assert response.status_code == 200
    assert "De vervaldatum moet in de toekomst liggen." in response.content.decode()
    assert ApiClient.objects.count() == 0


def test_the_revoke_action_stops_the_client(client_for, administrator, register, client, referral):
    registered = register()
    browser = client_for(administrator)
    browser.post(
        "/beheer/api/apiclient/",
        {"action": "revoke", "_selected_action": [registered.client.pk]},
    )
    assert ApiClient.objects.get().revoked_at is not None
    assert ApiCaller(client, registered.token).post("/meldingen", referral()).status_code == 401
