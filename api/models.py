"""API clients (a school package, a regional relay), their referrals and idempotency keys.

A client authenticates with a secret that is shown once: only its SHA-256 is stored. The secret
has 256 random bits, so a fast hash is safe (no password stretching needed: nothing to guess).
Each client acts through its own service account (`user`), so the change history and the
access log name the client as the actor, like any other actor.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case

from .constants import Scope


class ApiClientQuerySet(models.QuerySet["ApiClient"]):
    def usable(self) -> "ApiClientQuerySet":
        """Clients that may call the API now: not revoked and not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiClient(models.Model):
    name = models.CharField(_("naam"), max_length=100, unique=True)
    # A school (board), a school package's supplier or a regional relay: not a chain partner,
    # so a name rather than professionals.Organisation. Clients of the same organisation see
    # each other's referrals (a package replaced by a new client keeps its history).
    organisation = models.CharField(
        _("organisatie"),
        max_length=200,
        help_text=_("Namens wie de koppeling meldingen indient; ziet alleen die meldingen terug."),
    )
    scopes = models.JSONField(_("rechten"), default=list)
    # The public part of the secret, to find the client in one indexed look-up.
    key_id = models.CharField(_("sleutel-id"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField(_("verloopt op"))
    revoked_at = models.DateTimeField(_("ingetrokken op"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("laatst gebruikt"), null=True, blank=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client",
        editable=False,
        verbose_name=_("serviceaccount"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
        verbose_name=_("geregistreerd door"),
    )
    created_at = models.DateTimeField(_("geregistreerd op"), auto_now_add=True)

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("API-koppeling")
        verbose_name_plural = _("API-koppelingen")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def scope_labels(self) -> list[Any]:
        return [Scope(value).label for value in self.scopes if value in Scope.values]


class ApiReferral(models.Model):
    """A referral that arrived through the API: the reference the sender gets back."""

    reference = models.CharField(_("meldingsreferentie"), max_length=32, unique=True)
    client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("koppeling")
    )
    organisation = models.CharField(_("organisatie"), max_length=200)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="api_referrals", verbose_name=_("zaak")
    )
    created_at = models.DateTimeField(_("ontvangen op"), auto_now_add=True)

    class Meta:
        verbose_name = _("API-melding")
        verbose_name_plural = _("API-meldingen")
        indexes = [
            models.Index(fields=["organisation", "id"], name="apireferral_org_idx"),
            models.Index(fields=["case", "organisation"], name="apireferral_case_org_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class IdempotencyRecord(models.Model):
    """The answer given to a request with an Idempotency-Key, replayed for a retry."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_client_key")
        ]
        indexes = [
            models.Index(fields=["created_at"], name="idempotency_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.key}"
