from django.contrib import admin

from bip.lib.admin import ReadOnlyAdmin

from .models import Assignment, PlanChange, School, StageChange


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "brin", "level", "city"]
    list_filter = ["level"]
    search_fields = ["name", "brin"]


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyAdmin):
    list_display = ["case", "from_stage", "to_stage", "to_status", "actor", "changed_at"]
    list_filter = ["to_stage", "to_status", "eligibility_override"]
    list_select_related = ["case", "actor"]
    search_fields = ["case__number"]
    show_full_result_count = False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["case", "professional", "started_at", "ended_at", "reason", "is_handover"]
    list_filter = ["reason", "is_handover"]
    list_select_related = ["case", "professional__user"]
    search_fields = ["case__number"]
    show_full_result_count = False


@admin.register(PlanChange)
class PlanChangeAdmin(ReadOnlyAdmin):
    list_display = ["plan", "kind", "actor", "changed_at"]
    list_filter = ["kind"]
    list_select_related = ["plan__household", "actor"]
    show_full_result_count = False
