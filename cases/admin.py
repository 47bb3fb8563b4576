from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from bip.lib.admin import ReadOnlyAdmin

from .models import Assignment, PlanChange, RetentionRun, School, StageChange
from .retention import COUNT_LABELS


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


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    """What each `manage.py apply_retention` run did; written by the command only."""

    list_display = ["started_at", "finished_at", "actor", "children", "cases", "households"]
    fields = ("started_at", "finished_at", "actor", "policy", "counts_table")
    readonly_fields = fields

    @admin.display(description=_("kinderen"))
    def children(self, run: RetentionRun) -> int:
        return run.counts.get("children", 0)

    @admin.display(description=_("zaken"))
    def cases(self, run: RetentionRun) -> int:
        return run.counts.get("cases", 0)

    @admin.display(description=_("huishoudens"))
    def households(self, run: RetentionRun) -> int:
        return run.counts.get("households", 0)

    @admin.display(description=_("aantallen"))
    def counts_table(self, run: RetentionRun) -> str:
        return format_html_join(
            "",
            "<div>{}: {}</div>",
            ((label, run.counts.get(key, 0)) for key, label in COUNT_LABELS.items()),
        )
