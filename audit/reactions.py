"""The access log's reactions to events of earlier apps (the list, in one place).

Each writes its access-log row inside the sender's transaction: if the row cannot be written
the change is rolled back, so no account change goes unlogged. Free text (a reason) is never
copied here; it is in the change history (django-auditlog) of the account.
"""

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest

from .constants import Action, ObjectType
from .services import access_log_record

USER_MODEL = "auth.user"


def on_mfa_reset(
    sender: object,
    *,
    user: User,
    actor: User,
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """bip.security.signals.mfa_reset_done: an administrator reset a user's second factor."""
    access_log_record(
        request,
        action=Action.CHANGE,
        object_type=ObjectType.ADMIN_RECORD,
        object_id=user.pk,
        actor=actor,
        details={"model": USER_MODEL, "event": "mfa_reset", "username": user.get_username()},
    )


def on_role_changed(
    sender: object,
    *,
    user: User,
    role: str,
    revoked: bool,
    actor: User | None = None,
    actor_name: str = "",
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """professionals.signals.role_changed: `manage.py grant_role` granted or revoked a role."""
    access_log_record(
        request,
        action=Action.CHANGE,
        object_type=ObjectType.ADMIN_RECORD,
        object_id=user.pk,
        actor=actor,
        details={
            "model": USER_MODEL,
            "event": "role_revoked" if revoked else "role_granted",
            "role": role,
            "username": user.get_username(),
            "by": actor_name,
        },
    )
