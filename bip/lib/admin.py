from typing import Any

from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models import Model, QuerySet
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """History tables: visible in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class LookupSafeChangeList(ChangeList):
    """A changelist whose impossible query-string lookups get Django's "invalid lookup" answer.

    Django turns most bad lookups into IncorrectLookupParameters (a redirect to `?e=1`, then a
    page saying the lookup is invalid), but not all. These surface as ValueError or
    OverflowError while the filters are built or the rows are counted, and became a 500:
    - the date hierarchy at the last year (`__year=9999` makes year 10000), past a C long
      (`__year=99999999999999999999`), or at 0001-01-01 (cannot be made timezone-aware);
    - a date filter at 0001-01-01 (`occurred_at__gte=0001-01-01`), for the same reason;
    - a third-party filter that passes text to an id lookup (auditlog's `resource_type`).
    """

    def get_queryset(
        self, request: HttpRequest, exclude_parameters: list[str | None] | None = None
    ) -> QuerySet[Any]:
        try:
            return super().get_queryset(request, exclude_parameters)
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error

    def get_results(self, request: HttpRequest) -> None:
        try:
            super().get_results(request)
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error


def lookup_safe_changelist(
    model_admin: "ModelAdmin[Any]", request: HttpRequest, **kwargs: Any
) -> type[ChangeList]:
    """ModelAdmin.get_changelist for every admin, the third-party ones included."""
    return LookupSafeChangeList
