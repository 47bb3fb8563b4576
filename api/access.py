"""The only way the API finds a client or a referral: scoped to the calling client.

A client sees the referrals its organisation sent, nothing else; any other reference answers
404, the same as one that does not exist.
"""

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from professionals.groups import group_names_of, remember_groups

from .models import ApiClient, ApiReferral
from .secrets import secret_matches, split_token


def client_for_token(token: str) -> ApiClient | None:
    """The usable client this token belongs to, or None (unknown, wrong, revoked or expired)."""
    parts = split_token(token)
    if parts is None:
        return None
    key_id, secret = parts
    client = (
        ApiClient.objects.select_related("user")
        .annotate(user_group_names=group_names_of("user_id"))
        .filter(key_id=key_id)
        .first()
    )
    if client is None or not secret_matches(secret, client.secret_hash):
        return None
    # The service account's groups (its role in the access log) came with the row.
    remember_groups(client.user, client.user_group_names)
    if client.revoked_at is not None or client.expires_at <= timezone.now():
        return None
    return client


def referrals_for(client: ApiClient) -> QuerySet[ApiReferral]:
    return ApiReferral.objects.filter(organisation=client.organisation)


def referral_for(client: ApiClient, reference: str) -> ApiReferral:
    """The client's organisation's referral with this reference, else 404."""
    referral = referrals_for(client).select_related("case").filter(reference=reference[:32]).first()
    if referral is None:
        raise Http404
    return referral
