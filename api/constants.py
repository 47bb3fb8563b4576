"""Choices and limits of the machine API (/api/v1/)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What a client may do. A client holds one or more scopes."""

    MELDINGEN_WRITE = "meldingen:write", _("Meldingen indienen")
    MELDINGEN_STATUS_READ = "meldingen:status:read", _("Status van eigen meldingen lezen")


class ReferralStatus(models.TextChoices):
    """The terugkoppeling to the school: what happens with its referral, in four words."""

    RECEIVED = "ontvangen", _("Ontvangen")
    IN_PROGRESS = "in_behandeling", _("In behandeling")
    REFERRED = "doorverwezen", _("Doorverwezen")
    CLOSED = "afgesloten", _("Afgesloten")


# One referral's JSON is well under 2 KB; a full batch of 1,000 under 2 MB.
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_BATCH = 1000
# The rate limit's window (seconds); the limit itself is the setting API_RATE_LIMIT_PER_MINUTE.
RATE_WINDOW_SECONDS = 60
# An idempotency key is remembered this long (hours); a retry after that is a new request.
IDEMPOTENCY_HOURS = 24
SECRET_PREFIX = "kk_"  # noqa: S105 (a prefix, not a secret)
