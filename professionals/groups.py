"""Group membership: which of the four groups a user is in, and the admin rights per group."""

from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.db.models import OuterRef, StringAgg, Subquery, Value

from .constants import StaffGroup

# A request's user: logged in or not.
type AnyUser = User | AnonymousUser
_GROUPS_CACHE = "_kk_groups"
# Between group names in `group_names_of` (a control character: never in a name).
_NAMES_SEPARATOR = "\x1f"

# The functional administrator manages reference data in the admin and reads history tables.
# add_user/change_user open the user admin, which limits them to ordinary accounts and the
# Professional group (professionals.accounts, professionals.admin.AccountAdmin).
ADMINISTRATOR_PERMISSIONS = {
    "auth": ["view_user", "add_user", "change_user"],
    "professionals": [
        "view_organisation",
        "add_organisation",
        "change_organisation",
        "view_professional",
        "add_professional",
        "change_professional",
        "view_qualification",
        "add_qualification",
        "change_qualification",
        "delete_qualification",
    ],
    "cases": [
        "view_school",
        "add_school",
        "change_school",
        "view_stagechange",
        "view_assignment",
        "view_planchange",
        "view_retentionrun",
    ],
    # The change history (django-auditlog), read-only in the admin.
    "auditlog": ["view_logentry"],
    "evaluation": ["view_allocation", "view_researchexport", "view_exportevent"],
    # Login security (bip/security): the login records read-only; lifting a lockout (deleting
    # its counter). Second factors are only viewed: a reset is the user admin's MFA reset
    # action (with a reason, logged, the user mailed), never a bare delete.
    "axes": [
        "view_accesslog",
        "view_accessfailurelog",
        "view_accessattempt",
        "delete_accessattempt",
    ],
    "otp_totp": ["view_totpdevice"],
    "otp_static": ["view_staticdevice"],
    # API clients (api/): registered and revoked, never deleted.
    "api": ["view_apiclient", "add_apiclient", "change_apiclient"],
}
# Rights the administrator had in earlier versions and must lose on existing installations:
# deleting someone's devices let an administrator take over that account unrecorded.
REVOKED_ADMINISTRATOR_PERMISSIONS = {
    "otp_totp": ["add_totpdevice", "change_totpdevice", "delete_totpdevice"],
    "otp_static": [
        "add_staticdevice",
        "change_staticdevice",
        "delete_staticdevice",
        "add_statictoken",
        "change_statictoken",
        "delete_statictoken",
    ],
    "auth": ["delete_user", "add_group", "change_group", "delete_group", "change_permission"],
}


def grant_group_permissions(app_config: AppConfig | None = None, **kwargs: Any) -> None:
    """Create the four groups (if missing), give the administrator its admin rights and take
    away the ones it must not have (REVOKED_ADMINISTRATOR_PERMISSIONS).

    post_migrate fires once per app with models, in INSTALLED_APPS order, and each app's
    permissions exist only after its own signal: so this runs once, after the last app's.
    """
    if app_config is not None and app_config.label != _last_app_with_models():
        return
    for group_name in StaffGroup.values:
        Group.objects.get_or_create(name=group_name)
    admin_group = Group.objects.get(name=StaffGroup.ADMINISTRATOR)
    for app_label, codenames in ADMINISTRATOR_PERMISSIONS.items():
        perms = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        admin_group.permissions.add(*perms)
    for app_label, codenames in REVOKED_ADMINISTRATOR_PERMISSIONS.items():
        perms = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        admin_group.permissions.remove(*perms)


def _last_app_with_models() -> str:
    return [config for config in apps.get_app_configs() if config.models_module][-1].label


def user_groups(user: AnyUser) -> frozenset[str]:
    """The names of the user's groups, cached on the user object for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, _GROUPS_CACHE, None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        # Not a field of User: a plain instance attribute, so it lives as long as the request.
        setattr(user, _GROUPS_CACHE, cached)
    return cached


def group_names_of(user_field: str) -> Subquery:
    """An annotation with the group names of the user in `user_field` (of the annotated
    query), for `remember_groups`: the groups come with the row, not in a query of their own."""
    return Subquery(
        Group.objects.filter(user=OuterRef(user_field))
        .order_by()
        .values("user")
        .annotate(names=StringAgg("name", delimiter=Value(_NAMES_SEPARATOR)))
        .values("names")[:1]
    )


def remember_groups(user: User, names: str | None) -> None:
    """Give `user_groups` the names a `group_names_of` annotation read (None: no group)."""
    setattr(user, _GROUPS_CACHE, frozenset(names.split(_NAMES_SEPARATOR) if names else ()))


def is_coordinator(user: AnyUser) -> bool:
    return StaffGroup.COORDINATOR in user_groups(user)


def is_professional(user: AnyUser) -> bool:
    return StaffGroup.PROFESSIONAL in user_groups(user)


def is_researcher(user: AnyUser) -> bool:
    return StaffGroup.RESEARCHER in user_groups(user)


def is_administrator(user: AnyUser) -> bool:
    return StaffGroup.ADMINISTRATOR in user_groups(user)
