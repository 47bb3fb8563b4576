from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from bip.security import mfa
from bip.security.forms import MFAResetForm

from .accounts import (
    ACCOUNT_FIELDS,
    ACCOUNT_FIELDS_ON_CREATE_ONLY,
    AccountError,
    account_save,
    group_change_record,
    mfa_reset,
    why_no_mfa_reset,
    why_not_manageable,
)
from .constants import StaffGroup
from .models import Letterhead, Organisation, Professional, Qualification


class LetterheadInline(admin.StackedInline):
    """The organisation's letterhead for the letters generated from cases (cases.letters)."""

    model = Letterhead
    extra = 0
    max_num = 1
    can_delete = True


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]
    inlines = [LetterheadInline]


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


class AccountForm(forms.ModelForm):
    """The user form a functional administrator gets: ACCOUNT_FIELDS and *Professional*.

    Nothing else is on it (no password, staff, superuser, other groups or permissions), and
    `account_save` takes only these fields from it, whatever else a crafted POST holds.
    """

    is_professional = forms.BooleanField(
        label=_("Professional"),
        required=False,
        help_text=_(
            "Lid van de groep Professional: werkt met eigen zaken. Andere rollen kent alleen de "
            "systeemeigenaar toe."
        ),
    )

    class Meta:
        model = User
        fields = list(ACCOUNT_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "email" in self.fields:
            self.fields["email"].required = True
            self.fields["email"].help_text = _(
                "Hierheen gaat de link waarmee de gebruiker een wachtwoord instelt."
            )
        if self.instance.pk is not None and "is_professional" in self.fields:
            self.fields["is_professional"].initial = self.instance.groups.filter(
                name=StaffGroup.PROFESSIONAL
            ).exists()

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email and User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Er is al een account met dit e-mailadres."))
        return email


class ReadOnlyAccountForm(AccountForm):
    """AccountForm for an account the administrator may only view (every field read-only)."""

    # Django's form metaclass drops an inherited field that is set to None; the stubs cannot
    # express that removal.
    is_professional = None  # type: ignore[assignment]


ACCOUNT_FIELDSETS = [(None, {"fields": [*ACCOUNT_FIELDS, "is_professional"]})]
# Set by save_model for save_related, on the request: the admin calls them one after the other.
_GROUPS_BEFORE = "_kk_groups_before"


def admin_actor(request: HttpRequest) -> User:
    """The user behind an admin request: always logged in (admin_view lets nobody else in)."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


class AccountAdmin(UserAdmin):
    """The user admin: complete for a superuser, restricted for a functional administrator.

    A functional administrator sees the AccountForm (see professionals.accounts for the rules),
    only on accounts they may manage; other accounts are read-only for them, with a message
    that says why. Their saves go through `account_save`, which enforces the same rules on the
    server. Nobody but a superuser reaches the password page. Resetting a second factor is an
    action of its own (`mfa_reset_view`), with a reason.
    """

    add_form_template = "admin/auth/user/account_add_form.html"
    change_form_template = "admin/auth/user/account_change_form.html"
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_staff"]

    @staticmethod
    def _restricted(request: HttpRequest) -> bool:
        return not request.user.is_superuser

    def get_form(
        self, request: HttpRequest, obj: User | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[User]]:
        if not self._restricted(request):
            return super().get_form(request, obj, change=change, **kwargs)
        editable = obj is None or self.has_change_permission(request, obj)
        kwargs["form"] = AccountForm if editable else ReadOnlyAccountForm
        return admin.ModelAdmin.get_form(self, request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        if not self._restricted(request):
            return super().get_fieldsets(request, obj)
        return ACCOUNT_FIELDSETS

    def get_readonly_fields(
        self, request: HttpRequest, obj: User | None = None
    ) -> list[str] | tuple[str, ...]:
        if self._restricted(request) and obj is not None:
            return ACCOUNT_FIELDS_ON_CREATE_ONLY
        return super().get_readonly_fields(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or why_not_manageable(request.user, obj) is None

    @admin.display(description=_("Professional"), boolean=True)
    def is_professional(self, obj: User) -> bool:
        # Shown on the read-only page of an account the administrator may not change.
        return obj.groups.filter(name=StaffGroup.PROFESSIONAL).exists()

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "account_restricted": self._restricted(request)}
        return super().add_view(request, form_url, extra_context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        user = self.get_object(request, unquote(object_id))
        if user is not None and request.method == "GET":
            problem = why_not_manageable(request.user, user)
            if problem is not None and self._restricted(request):
                messages.info(request, problem)
            extra_context["mfa_reset_allowed"] = why_no_mfa_reset(request.user, user) is None
        return super().change_view(request, object_id, form_url, extra_context)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Setting a password would let the administrator log in as the user.
        if self._restricted(request):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not self._restricted(request):
            # Kept for save_related, which records a change of roles (groups).
            setattr(
                request,
                _GROUPS_BEFORE,
                set(obj.groups.values_list("name", flat=True)) if change else set(),
            )
            return super().save_model(request, obj, form, change)
        try:
            account_save(
                actor=admin_actor(request),
                user=obj,
                is_professional=form.cleaned_data.get("is_professional", False),
                request=request,
            )
        except AccountError as error:
            raise PermissionDenied(error.message) from error

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not self._restricted(request):
            super().save_related(request, form, formsets, change)
            group_change_record(
                user=form.instance,
                actor=admin_actor(request),
                before=getattr(request, _GROUPS_BEFORE, set()),
                after=set(form.instance.groups.values_list("name", flat=True)),
                request=request,
            )
            return
        # account_save set the groups; the restricted form has no others.

    def response_add(
        self, request: HttpRequest, obj: User, post_url_continue: str | None = None
    ) -> HttpResponse:
        if self._restricted(request):
            messages.info(
                request,
                _(
                    "Het account heeft nog geen wachtwoord. De gebruiker krijgt een e-mail met "
                    "een link om er zelf een in te stellen."
                ),
            )
        return super().response_add(request, obj, post_url_continue)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/tweestapsverificatie-herstellen/",
                self.admin_site.admin_view(self.mfa_reset_view),
                name="auth_user_mfa_reset",
            ),
            *super().get_urls(),
        ]

    def mfa_reset_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Confirm page for resetting a user's second factor, with a required reason."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        user = self.get_object(request, unquote(object_id))
        if user is None:
            raise Http404
        if not self.has_view_permission(request, user):
            raise PermissionDenied
        problem = why_no_mfa_reset(request.user, user)
        if problem is not None:
            raise PermissionDenied(problem)
        form = MFAResetForm(request.POST if request.method == "POST" else None)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    mfa_reset(
                        user=user,
                        actor=admin_actor(request),
                        reason=form.cleaned_data["reason"],
                        request=request,
                    )
                except mfa.MFAError as error:
                    form.add_error("reason", error.message)
                else:
                    messages.success(
                        request,
                        _(
                            "De tweestapsverificatie van %(username)s is opnieuw ingesteld. "
                            "Diegene is overal uitgelogd en krijgt een e-mail."
                        )
                        % {"username": user.get_username()},
                    )
                    return redirect("admin:auth_user_change", user.pk)
            status = 422
        context = {
            **self.admin_site.each_context(request),
            "title": _("Tweestapsverificatie opnieuw instellen"),
            "opts": self.opts,
            "original": user,
            "form": form,
            "has_app": mfa.confirmed_totp_device(user) is not None,
            "codes_left": mfa.recovery_codes_left(user),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/auth/user/mfa_reset.html", context, status=status)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AccountAdmin)
