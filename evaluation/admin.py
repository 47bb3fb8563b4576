from django.contrib import admin
from django.http import HttpRequest

from bip.lib.admin import ReadOnlyAdmin

from .models import (
    Allocation,
    AllocationDraw,
    DataFreeze,
    ExportEvent,
    MeasurementRestatement,
    ResearchExport,
)


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    """The allocation log as the functional administrator sees it: arm, method, who and why.

    Where a draw sits in its stratum's sequence is not here: it is in AllocationDraw, which
    only a superuser may open (with the earlier arms it would tell the next one).
    """

    list_display = ["case", "arm", "method", "after_measurement", "actor", "created_at"]
    fields = ["case", "arm", "method", "reason", "supersedes", "after_measurement", "actor",
              "created_at"]  # fmt: skip
    list_filter = ["arm", "method", "after_measurement"]
    list_select_related = ["case", "actor"]
    search_fields = ["case__number"]
    show_full_result_count = False


@admin.register(AllocationDraw)
class AllocationDrawAdmin(ReadOnlyAdmin):
    """The concealed randomisation sequence: for a superuser (an audit) only."""

    list_display = ["allocation", "stratum", "block_number", "block_size", "sequence_position"]
    list_select_related = ["allocation__case"]
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: AllocationDraw | None = None) -> bool:
        return request.user.is_active and request.user.is_superuser


class ExportEventInline(admin.TabularInline):
    model = ExportEvent
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: ResearchExport | None = None) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ResearchExport | None = None
    ) -> bool:
        return False


@admin.register(ResearchExport)
class ResearchExportAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "file_format", "requested_by", "status", "row_count", "requested_at"]
    list_filter = ["dataset", "file_format", "status"]
    list_select_related = ["requested_by"]
    inlines = [ExportEventInline]


@admin.register(DataFreeze)
class DataFreezeAdmin(ReadOnlyAdmin):
    """Data freezes: never changed or deleted here (their hash vouches for their rows)."""

    list_display = ["label", "as_of", "study_end", "row_count", "rows_bip", "rows_control",
                    "sha256", "created_by"]  # fmt: skip
    list_select_related = ["created_by"]


@admin.register(MeasurementRestatement)
class MeasurementRestatementAdmin(ReadOnlyAdmin):
    """Why the daily snapshot was rebuilt (`snapshot_measurements --restate --reason`)."""

    list_display = ["restated_at", "previous_study_ends", "study_end", "deleted", "reason"]
