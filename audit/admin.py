"""The access log in the admin: readable and filterable, never added, changed or deleted."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from bip.lib.admin import ReadOnlyAdmin
from bip.lib.pagination import CappedPaginator

from .models import AccessLogEntry


class AdminCappedPaginator(CappedPaginator):
    """The admin passes orphans positionally; counting stops at LIST_COUNT_LIMIT rows."""

    def __init__(
        self,
        object_list: QuerySet[Any, Any],
        per_page: int | str,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> None:
        super().__init__(
            object_list, per_page, orphans=orphans, allow_empty_first_page=allow_empty_first_page
        )


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "actor_username",
        "actor_role",
        "action",
        "object_type",
        "object_id",
        "case_id",
        "child_id",
        "result",
        "http_status",
    ]
    list_filter = ["action", "result", "object_type", "occurred_at"]
    # Exact match through the user's unique index, then the (actor, time) index of the log.
    search_fields = ["=actor__username"]
    search_help_text = _("Zoek op gebruikersnaam (exact).")
    ordering = ["-occurred_at", "-id"]
    paginator = AdminCappedPaginator
    show_full_result_count = False
    list_select_related = False
