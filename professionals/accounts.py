"""User accounts: what a functional administrator may do, role grants, and their history.

The rules, in one place:
- A superuser manages every account in the full user admin.
- A functional administrator (group *Functioneel beheerder*, with `auth.change_user`) manages
  ordinary accounts only: accounts that are not staff or superuser and hold no group other than
  *Professional*, and never their own. On those they change the name, the e-mail address (only
  when creating the account: changing it later could redirect someone's password-reset mail),
  whether the account is active, and membership of *Professional*. They never set a password:
  a new account gets an unusable one and its user sets one through the password-reset mail.
- Roles above *Professional* (and staff) are granted with `manage.py grant_role` by the system
  owner, or by a superuser in the admin.

Writes go through the services below; each writes its history entry in its own transaction.
"""

import logging
from functools import partial
from typing import Any

from auditlog.context import auditlog_value, disable_auditlog
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from bip.security.mfa import MFAError, MFAReset, second_factor_remove
from bip.security.notifications import send_mfa_reset_mail
from bip.security.signals import mfa_reset_done

from .constants import StaffGroup
from .groups import AnyUser, is_administrator
from .signals import account_created, role_changed

logger = logging.getLogger(__name__)

# The fields a functional administrator may set on an ordinary account.
ACCOUNT_FIELDS = ("username", "first_name", "last_name", "email", "is_active")
# ... of which these only when creating it.
ACCOUNT_FIELDS_ON_CREATE_ONLY = ("email",)


class AccountError(Exception):
    """A refused account change, with a message the user can read."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_account_manager(actor: AnyUser) -> bool:
    """Whether `actor` may manage accounts at all: a superuser, or an administrator with the
    user-change right."""
    if not actor.is_authenticated or not actor.is_active:
        return False
    return actor.is_superuser or (is_administrator(actor) and actor.has_perm("auth.change_user"))


def is_ordinary_account(user: User) -> bool:
    """Not staff, not superuser, and no group other than *Professional*."""
    if user.is_superuser or user.is_staff:
        return False
    return not user.groups.exclude(name=StaffGroup.PROFESSIONAL).exists()


def why_not_manageable(actor: AnyUser, user: User) -> str | None:
    """Why `actor` may not change `user` in the admin, or None when they may."""
    if not is_account_manager(actor):
        return _("Je mag geen accounts beheren.")
    if actor.is_superuser:
        return None
    if user.pk == actor.pk:
        return _("Je eigen account wijzigt een andere beheerder of de systeemeigenaar.")
    if not is_ordinary_account(user):
        return _(
            "Dit account heeft een rol boven Professional of is een beheeraccount. Alleen de "
            "systeemeigenaar (manage.py grant_role) of een superuser wijzigt het."
        )
    return None


def why_no_mfa_reset(actor: AnyUser, user: User) -> str | None:
    """Why `actor` may not reset `user`'s second factor, or None when they may.

    A reset alone gives nobody access (the password is still needed), so the administrator may
    reset every account except a superuser's and their own (a verified user links a new phone
    themselves; a superuser is reset by another superuser).
    """
    if not is_account_manager(actor):
        return _("Je mag geen tweestapsverificatie opnieuw instellen.")
    if user.pk == actor.pk:
        return _(
            "Je eigen tweestapsverificatie stel je opnieuw in onder Tweestapsverificatie, of "
            "laat je door een andere beheerder opnieuw instellen."
        )
    if user.is_superuser and not actor.is_superuser:
        return _("De tweestapsverificatie van een superuser stelt alleen een superuser opnieuw in.")
    return None


def account_history_record(
    *,
    user: User,
    actor: User | None,
    event: str,
    changes: dict[str, list[str]],
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> LogEntry:
    """Write a change-history entry (django-auditlog) for an account, in the caller's transaction.

    `event` names what happened ("mfa_reset", "role_granted"); `changes` is {field: [before,
    after]}; the reason and `extra` go to additional_data. The client address comes from the
    request context that HistoryMiddleware sets (none for a management command).
    """
    try:
        context = auditlog_value.get()
    except LookupError:
        context = {}
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(User),
        object_pk=str(user.pk),
        object_id=user.pk,
        object_repr=user.get_username(),
        action=LogEntry.Action.UPDATE,
        changes=changes,
        changes_text="",
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_email=getattr(actor, "email", None) or None,
        remote_addr=context.get("remote_addr"),
        additional_data={"event": event, "reason": reason, **(extra or {})},
    )


def _professional_group() -> Group:
    return Group.objects.get(name=StaffGroup.PROFESSIONAL)


def account_save(
    *, actor: User, user: User, is_professional: bool, request: HttpRequest | None = None
) -> User:
    """Create or update an ordinary account as a functional administrator (or superuser).

    Only ACCOUNT_FIELDS are taken from `user` (an unsaved or changed instance, as the admin
    form leaves it); everything else (password, staff, superuser, other groups, permissions)
    stays as stored, or for a new account: not staff, not superuser, an unusable password.
    Raises AccountError when `actor` may not manage this account.
    A new account with an e-mail address gets the password-reset mail on commit, so its user
    sets their own password.
    """
    with transaction.atomic():
        if user.pk is None:
            if not is_account_manager(actor):
                raise AccountError(_("Je mag geen accounts beheren."))
            account = User(
                **{field: getattr(user, field) for field in ACCOUNT_FIELDS},
                is_staff=False,
                is_superuser=False,
            )
            account.set_unusable_password()
            account.save()
            created = True
        else:
            account = User.objects.select_for_update().get(pk=user.pk)
            problem = why_not_manageable(actor, account)
            if problem is not None:
                raise AccountError(problem)
            editable = [f for f in ACCOUNT_FIELDS if f not in ACCOUNT_FIELDS_ON_CREATE_ONLY]
            for field in editable:
                setattr(account, field, getattr(user, field))
            account.save(update_fields=editable)
            created = False
        group = _professional_group()
        if is_professional:
            account.groups.add(group)
        else:
            account.groups.remove(group)
        if created:
            account_created.send(sender=User, user=account, actor=actor, request=request)
    logger.info(
        "Account %s %s by user %s", account.pk, "created" if created else "changed", actor.pk
    )
    # The admin goes on with its own instance (its message, its log entry, the redirect).
    user.pk = account.pk
    user._state.adding = False
    user._state.db = account._state.db
    return account


def group_change_record(
    *, user: User, actor: User, before: set[str], after: set[str], request: HttpRequest | None
) -> None:
    """Record a superuser's change of `user`'s groups in the user admin, in the caller's
    transaction: a change-history entry and, per role granted or revoked, `role_changed` (the
    access log). Nothing when the groups did not change."""
    if before == after:
        return
    account_history_record(
        user=user,
        actor=actor,
        event="groups_changed",
        changes={"groups": [", ".join(sorted(before)), ", ".join(sorted(after))]},
        extra={"by": actor.get_username()},
    )
    for role, revoked in [(r, False) for r in sorted(after - before)] + [
        (r, True) for r in sorted(before - after)
    ]:
        role_changed.send(
            sender=User,
            user=user,
            role=role,
            revoked=revoked,
            actor=actor,
            actor_name=actor.get_username(),
            request=request,
        )


def role_change(
    *,
    user: User,
    role: StaffGroup,
    reason: str,
    actor_name: str,
    actor: User | None = None,
    revoke: bool = False,
) -> bool:
    """Grant (or with `revoke` take away) one of the four roles; True when anything changed.

    Run by the system owner through `manage.py grant_role`. Granting *Functioneel beheerder*
    also makes the account staff (it works in the admin); revoking it takes staff away unless
    the account is a superuser. Writes a change-history entry with the reason, and sends
    `role_changed` (the access log records it) in the same transaction. Raises AccountError
    on an empty reason.
    """
    reason = reason.strip()
    if not reason:
        raise AccountError(_("Geef een reden op."))
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=user.pk)
        group = Group.objects.get(name=role)
        before = sorted(account.groups.values_list("name", flat=True))
        staff_before = account.is_staff
        # The entry below says what changed and why; auditlog's own m2m entry would not.
        with disable_auditlog():
            if revoke:
                account.groups.remove(group)
                if role == StaffGroup.ADMINISTRATOR and not account.is_superuser:
                    account.is_staff = False
            else:
                account.groups.add(group)
                if role == StaffGroup.ADMINISTRATOR:
                    account.is_staff = True
            if account.is_staff != staff_before:
                account.save(update_fields=["is_staff"])
        after = sorted(account.groups.values_list("name", flat=True))
        if before == after and staff_before == account.is_staff:
            return False
        changes = {"groups": [", ".join(before), ", ".join(after)]}
        if staff_before != account.is_staff:
            changes["is_staff"] = [str(staff_before), str(account.is_staff)]
        event = "role_revoked" if revoke else "role_granted"
        account_history_record(
            user=account,
            actor=actor,
            event=event,
            changes=changes,
            reason=reason,
            extra={"role": str(role), "by": actor_name},
        )
        role_changed.send(
            sender=User,
            user=account,
            role=str(role),
            revoked=revoke,
            actor=actor,
            actor_name=actor_name,
        )
    logger.info("Role %s %s for user %s by %s", role, event, account.pk, actor_name)
    return True


def mfa_reset(
    *, user: User, actor: User, reason: str, request: HttpRequest | None = None
) -> MFAReset:
    """Reset `user`'s second factor because they lost it (an administrator's action).

    Deletes the user's authenticator apps and recovery codes and ends all their sessions
    (bip.security.mfa.second_factor_remove), so they log in with their password again and then
    link a new app. Writes a change-history entry with the reason, and sends `mfa_reset_done`
    (the access log records it) in the same transaction; the user gets an e-mail on commit.
    Raises MFAError when the reason is empty or `actor` may not reset this account
    (why_no_mfa_reset). Here, not in bip.security: it is an account rule, and bip is plumbing
    that imports no app.
    """
    reason = reason.strip()
    if not reason:
        raise MFAError(_("Geef een reden op."))
    problem = why_no_mfa_reset(actor, user)
    if problem is not None:
        raise MFAError(problem)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        removed = second_factor_remove(locked)
        account_history_record(
            user=locked,
            actor=actor,
            event="mfa_reset",
            changes={
                "second_factor": [
                    f"{removed.apps} app(s), {removed.recovery_code_sets} recovery code set(s)",
                    "reset",
                ]
            },
            reason=reason,
            extra={"sessions_ended": removed.sessions_ended},
        )
        mfa_reset_done.send(sender=User, user=locked, actor=actor, request=request)
        transaction.on_commit(partial(send_mfa_reset_mail, locked.pk))
    logger.info("MFA reset for user %s by user %s", locked.pk, actor.pk)
    return MFAReset(
        devices_deleted=removed.apps + removed.recovery_code_sets,
        sessions_ended=removed.sessions_ended,
    )
