"""The login backend: Django's ModelBackend, with the user's groups read in the same query.

Every request loads its user from the session (`get_user`); almost every page then asks for the
user's groups (the navigation, the access checks). Loading both in one query saves a database
round trip on every authenticated request. The groups are those at the start of the request,
as before (professionals.groups.user_groups remembered them on the user for the request).
"""

from typing import Any, cast

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from bip.lib.statements import CompiledQuery

from .groups import group_names_of, remember_groups


def _user_with_groups(user_id: int) -> QuerySet[User]:
    return User._default_manager.annotate(group_names=group_names_of("pk")).filter(pk=user_id)


# Compiled once (bip/lib/statements.py): building and compiling this query took the ORM 1.5 ms
# of Python on every authenticated request, ten times what the database needs for it.
_USER_WITH_GROUPS = CompiledQuery(_user_with_groups, user_id=-7_345_129)


def user_with_groups(user_id: int) -> User | None:
    """The user with this id and its groups remembered (`user_groups` asks no query), in one
    compiled query; None when there is no such user. Also for the API's service accounts."""
    users = _USER_WITH_GROUPS.instances(user_id=user_id)
    if not users:
        return None
    user = cast(User, users[0])
    remember_groups(user, user.group_names)  # type: ignore[attr-defined]
    return user


class UserWithGroupsBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            user_id = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = user_with_groups(user_id)
        if user is None or not self.user_can_authenticate(user):
            return None
        return user
