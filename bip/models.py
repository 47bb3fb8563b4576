"""The plumbing's own table: the background workers' sign of life, for /gezondheid/."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """One row per background worker (`manage.py worker`), stamped every HEARTBEAT_INTERVAL
    while it runs, also while it is idle or busy with a long task."""

    worker_id = models.CharField(_("werker"), max_length=64, primary_key=True)
    beat_at = models.DateTimeField(_("laatste teken van leven"))

    class Meta:
        verbose_name = _("hartslag van een werker")
        verbose_name_plural = _("hartslagen van werkers")

    def __str__(self) -> str:
        return f"{self.worker_id}: {self.beat_at:%Y-%m-%d %H:%M:%S}"
