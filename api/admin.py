"""The beheerder registers and revokes API clients here; the secret is shown once, on the
page that answers the registration, and never again (only its hash is stored)."""

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import Scope
from .models import ApiClient
from .services import api_client_register, api_client_revoke


def _default_expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=365)


class ApiClientAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("Rechten"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    expires_at = forms.DateTimeField(label=_("Verloopt op"), initial=_default_expiry)

    class Meta:
        model = ApiClient
        fields = ["name", "organisation", "scopes", "expires_at"]

    def clean_expires_at(self) -> datetime.datetime:
        value: datetime.datetime = self.cleaned_data["expires_at"]
        if value <= timezone.now():
            raise forms.ValidationError(_("De vervaldatum moet in de toekomst liggen."))
        if value > timezone.now() + datetime.timedelta(days=2 * 366):
            raise forms.ValidationError(_("Een koppeling geldt hoogstens twee jaar."))
        return value


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin[ApiClient]):
    list_display = [
        "name",
        "organisation",
        "scope_list",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "organisation"]
    actions = ["revoke"]
    readonly_fields = [
        "name",
        "organisation",
        "scope_list",
        "key_id",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "created_at",
        "created_by",
    ]

    @admin.display(description=_("Rechten"))
    def scope_list(self, obj: ApiClient) -> str:
        return ", ".join(str(label) for label in obj.scope_labels())

    def get_form(
        self,
        request: HttpRequest,
        obj: ApiClient | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiClientAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: ApiClient | None = None) -> Any:
        if obj is None:
            return ["name", "organisation", "scopes", "expires_at"]
        return self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: ApiClient | None = None) -> Any:
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        return False  # revoke instead: the referrals keep their sender

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST" and self.has_add_permission(request):
            form = ApiClientAddForm(request.POST)
            if form.is_valid():
                registered = api_client_register(
                    name=form.cleaned_data["name"],
                    organisation=form.cleaned_data["organisation"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=form.cleaned_data["expires_at"],
                    actor=request.user,  # type: ignore[arg-type]
                )
                # Rendered, not redirected: the secret is in this one response and nowhere else.
                response = TemplateResponse(
                    request,
                    "api/client_secret.html",
                    {
                        **self.admin_site.each_context(request),
                        "title": _("Geheim van de nieuwe koppeling"),
                        "client": registered.client,
                        "token": registered.token,
                        "opts": self.model._meta,
                    },
                )
                response["Cache-Control"] = "no-store"
                return response
        return super().add_view(request, form_url, extra_context)

    @admin.action(description=_("Geselecteerde koppelingen intrekken"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            api_client_revoke(client=client)
        self.message_user(
            request,
            _("%(count)s koppeling(en) ingetrokken.") % {"count": queryset.count()},
            messages.SUCCESS,
        )
