"""api.access.client_for_token: the client of a token, with its service account and groups."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from api.access import client_for_token
from api.models import ApiClient
from api.services import api_client_revoke
from professionals.groups import user_groups

pytestmark = pytest.mark.django_db


def test_a_token_gives_its_client_and_service_account_with_groups_in_two_statements(
    register, django_assert_num_queries
):
    registered = register()
    account = registered.client.user
    account.groups.add(Group.objects.create(name="koppelingen"))
    with django_assert_num_queries(2):
        client = client_for_token(registered.token)
        assert client is not None
        # The groups came with the service account: asking for them runs no query.
        assert user_groups(client.user) == {"koppelingen"}
    assert client.pk == registered.client.pk
    assert client.user.pk == account.pk and client.user.username == account.username
    assert client.organisation == "Het Baken"
    assert client.expires_at > timezone.now()  # a datetime, as the ORM gives it


def test_another_clients_key_with_this_secret_is_nobody(register):
    first, second = register(name="Een"), register(name="Twee")
    key_of_second = second.token.removeprefix("kk_")[:12]
    secret_of_first = first.token.removeprefix("kk_")[13:]
    assert client_for_token(f"kk_{key_of_second}_{secret_of_first}") is None
    assert client_for_token(second.token).pk == second.client.pk


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_a_revoked_or_expired_client_is_nobody_and_its_account_is_not_loaded(
    register, state, django_assert_num_queries
):
    registered = register()
    if state == "revoked":
        api_client_revoke(client=registered.client)
    else:
        ApiClient.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with django_assert_num_queries(1):
        assert client_for_token(registered.token) is None


def test_a_client_whose_service_account_is_switched_off_is_nobody(register):
    registered = register()
    account = registered.client.user
    account.is_active = False
    account.save(update_fields=["is_active"])
    assert client_for_token(registered.token) is None
    account.is_active = True
    account.save(update_fields=["is_active"])
    assert client_for_token(registered.token).pk == registered.client.pk


@pytest.mark.parametrize("token", ["", "kk_", "kk_000000000000_geheim", "nonsense"])
def test_a_malformed_or_unknown_token_is_nobody(register, token):
    register()
    assert client_for_token(token) is None
