"""The login records of django-axes in the admin, read-only.

Successful logins (AccessLog) and every failed attempt (AccessFailureLog) cannot be changed or
deleted through the admin. The lockout counters (AccessAttempt) can be deleted by whoever has
that permission: that lifts a lockout before its cool-off ends.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest


class ReadOnlyMixin:
    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class LoginLogAdmin(ReadOnlyMixin, AccessLogAdmin):
    pass


class LoginFailureLogAdmin(ReadOnlyMixin, AccessFailureLogAdmin):
    pass


class LockoutAdmin(AccessAttemptAdmin):
    actions: list[str] = []

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


for model, model_admin in (
    (AccessLog, LoginLogAdmin),
    (AccessFailureLog, LoginFailureLogAdmin),
    (AccessAttempt, LockoutAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
