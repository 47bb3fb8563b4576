"""The only way the API finds a client or a referral: scoped to the calling client.

A client sees the referrals its organisation sent, nothing else; any other reference answers
404, the same as one that does not exist.
"""

from typing import cast

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from bip.lib.statements import CompiledQuery
from professionals.backends import user_with_groups

from .models import ApiClient, ApiReferral
from .secrets import secret_matches, split_token


def _client_by_key(key_id: str) -> QuerySet[ApiClient]:
    return ApiClient.objects.filter(key_id=key_id)


# Compiled once (bip/lib/statements.py): every API call looks its client up, and building the
# query cost the ORM more Python than the database needs to answer it. The placeholder is
# longer than any key id (split_token accepts 12 characters only).
_CLIENT_BY_KEY = CompiledQuery(_client_by_key, key_id="compiled-key-id-placeholder")


def client_for_token(token: str) -> ApiClient | None:
    """The usable client this token belongs to, or None (unknown, wrong, revoked or expired,
    or its service account switched off).

    Its service account (the actor of its calls) comes with its groups, which give its role in
    the access log: two compiled queries, the second only for a usable client.
    """
    parts = split_token(token)
    if parts is None:
        return None
    key_id, secret = parts
    clients = _CLIENT_BY_KEY.instances(key_id=key_id)
    client = cast(ApiClient, clients[0]) if clients else None
    if client is None or not secret_matches(secret, client.secret_hash):
        return None
    if client.revoked_at is not None or client.expires_at <= timezone.now():
        return None
    user = user_with_groups(client.user_id)
    # A service account switched off in the admin (is_active) stops its client too.
    if user is None or not user.is_active:
        return None
    client.user = user
    return client


def referrals_for(client: ApiClient) -> QuerySet[ApiReferral]:
    return ApiReferral.objects.filter(organisation=client.organisation)


def referral_for(client: ApiClient, reference: str) -> ApiReferral:
    """The client's organisation's referral with this reference, else 404."""
    referral = referrals_for(client).select_related("case").filter(reference=reference[:32]).first()
    if referral is None:
        raise Http404
    return referral
