from django.contrib import admin

from .models import Organisation, Professional, Qualification


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


class QualificationInline(admin.TabularInline):
    model = Qualification
    extra = 0


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organisation", "is_bip", "max_caseload", "is_active"]
    list_filter = ["organisation", "is_bip", "is_active"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user", "organisation"]
    autocomplete_fields = ["user"]
    inlines = [QualificationInline]


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["professional", "role", "valid_from", "valid_until", "is_sworn"]
    list_filter = ["role", "is_sworn"]
    list_select_related = ["professional__user"]
    search_fields = ["professional__user__last_name"]
