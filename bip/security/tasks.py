"""Background tasks of the login security (Django's task framework; `manage.py db_worker`)."""

from django.tasks import task

from . import notifications


@task
def password_reset_mail(email: str) -> None:
    """Send the password link for `email`. Run in the background so that the request for a
    link costs the same whether or not an account has that address (no timing difference);
    returns nothing, so the task's stored result says nothing about it either."""
    notifications.send_password_reset_mails(email)


@task
def account_welcome_mail(user_id: int) -> None:
    """Send a new account's user the link to set their password."""
    notifications.send_account_welcome_mail(user_id)
