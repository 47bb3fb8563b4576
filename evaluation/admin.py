from django.contrib import admin

from bip.lib.admin import ReadOnlyAdmin

from .models import Allocation, ExportEvent, ResearchExport


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = [
        "case",
        "arm",
        "method",
        "stratum",
        "block_number",
        "sequence_position",
        "actor",
        "created_at",
    ]
    list_filter = ["arm", "method"]
    list_select_related = ["case", "actor"]
    search_fields = ["case__number"]
    show_full_result_count = False


class ExportEventInline(admin.TabularInline):
    model = ExportEvent
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ResearchExport)
class ResearchExportAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "file_format", "requested_by", "status", "row_count", "requested_at"]
    list_filter = ["dataset", "file_format", "status"]
    list_select_related = ["requested_by"]
    inlines = [ExportEventInline]
