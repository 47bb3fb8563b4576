"""What the login security does when something happens elsewhere (the list, in one place)."""

from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction


def on_account_created(sender: object, *, user: User, **kwargs: Any) -> None:
    """A new account: its user gets the link to set a password, once the account is committed.

    Queued as a background task, like the password-reset mail, so that the admin page does not
    wait for the mail server.
    """
    from .tasks import account_welcome_mail

    if user.email:
        transaction.on_commit(partial(account_welcome_mail.enqueue, user.pk))
