"""The access log (NEN 7513, BIO): who did what with which record, when, from where, how it ended.

Append-only: the ORM refuses to change or delete an entry (see bip.lib.models.AppendOnlyModel),
and on both databases a trigger refuses any UPDATE (migration 0002). The only delete path is
`manage.py prune_access_log`, which removes entries older than ACCESS_LOG_RETENTION_DAYS.

The case, child and household are plain integer columns, not foreign keys: the log must outlive
the records it is about, which the retention command deletes. No BSN, name or birth date is ever
stored here; search terms are masked (see audit.policy).
"""

from typing import ClassVar, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bip.lib.models import AppendOnlyModel, AppendOnlyQuerySet

from .constants import Action, ObjectType, Result

RARE_ACTIONS = [Action.CHANGE, Action.EXPORT, Action.DOWNLOAD, Action.INZAGE]


class AccessLogQuerySet(AppendOnlyQuerySet["AccessLogEntry"]):
    def for_child(self, child_id: int) -> Self:
        return self.filter(child_id=child_id)

    def via_household(self, household_id: int, *, child_id: int) -> Self:
        """Views of a sibling's file: its household panel shows this child as well."""
        return self.filter(household_id=household_id).exclude(child_id=child_id)

    def newest_first(self) -> Self:
        return self.order_by("-occurred_at", "-id")


AccessLogManager = models.Manager.from_queryset(AccessLogQuerySet)


class AccessLogEntry(AppendOnlyModel):
    occurred_at = models.DateTimeField(_("tijdstip (UTC)"), default=timezone.now)
    # Who: the account, its name copied (the log stays readable whatever happens to the
    # account), the group it acted in, and on whose behalf (NEN 7513 "namens"): for a
    # professional the organisation that employs them; empty for staff of the pilot itself.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the (actor, occurred_at) index serves every lookup by actor
        verbose_name=_("gebruiker"),
    )
    actor_username = models.CharField(_("gebruikersnaam"), max_length=150, blank=True)
    actor_role = models.CharField(_("rol"), max_length=60, blank=True)
    acting_on_behalf_of = models.CharField(_("namens"), max_length=200, blank=True)
    # What: the action and the record.
    action = models.CharField(_("actie"), max_length=10, choices=Action.choices)
    object_type = models.CharField(_("soort record"), max_length=20, choices=ObjectType.choices)
    object_id = models.CharField(_("record-id"), max_length=64, blank=True)
    case_id = models.BigIntegerField(_("zaak-id"), null=True, blank=True)
    child_id = models.BigIntegerField(_("kind-id"), null=True, blank=True)
    household_id = models.BigIntegerField(_("huishouden-id"), null=True, blank=True)
    # With what result.
    result = models.CharField(_("resultaat"), max_length=10, choices=Result.choices)
    http_status = models.PositiveSmallIntegerField(_("HTTP-status"), null=True, blank=True)
    # From where: the client, and the page without its query string (that may hold a BSN).
    ip_address = models.GenericIPAddressField(_("IP-adres"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)
    method = models.CharField(_("methode"), max_length=7, blank=True)
    path = models.CharField(_("pagina"), max_length=300, blank=True)
    url_name = models.CharField(_("naam van de pagina"), max_length=100, blank=True)
    # Which filters a search used, which fields a form posted: names, and only values that
    # cannot identify a child; everything else is "***".
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects: ClassVar[AccessLogManager] = AccessLogManager()

    class Meta:
        verbose_name = _("toegangslogregel")
        verbose_name_plural = _("toegangslog")
        ordering = ["-occurred_at", "-id"]
        # Every lookup is "by X, newest first". The id breaks ties within one timestamp, so
        # the index also gives the order. Partial indexes: most rows have no child or case.
        indexes = [
            models.Index(fields=["occurred_at", "id"], name="accesslog_time_idx"),
            models.Index(
                fields=["child_id", "occurred_at", "id"],
                condition=Q(child_id__isnull=False),
                name="accesslog_child_idx",
            ),
            models.Index(
                fields=["case_id", "occurred_at", "id"],
                condition=Q(case_id__isnull=False),
                name="accesslog_case_idx",
            ),
            models.Index(
                fields=["household_id", "occurred_at", "id"],
                condition=Q(household_id__isnull=False),
                name="accesslog_household_idx",
            ),
            models.Index(fields=["actor", "occurred_at", "id"], name="accesslog_actor_idx"),
            # "Who changed or exported anything?": rare among millions of reads and searches,
            # so a small partial index instead of a scan of the whole period.
            models.Index(
                fields=["action", "occurred_at", "id"],
                condition=Q(action__in=RARE_ACTIONS),
                name="accesslog_rare_action_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action}"
