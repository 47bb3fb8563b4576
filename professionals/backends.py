"""The login backend: Django's ModelBackend, with the user's groups read in the same query.

Every request loads its user from the session (`get_user`); almost every page then asks for the
user's groups (the navigation, the access checks). Loading both in one query saves a database
round trip on every authenticated request. The groups are those at the start of the request,
as before (professionals.groups.user_groups remembered them on the user for the request).
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User

from .groups import group_names_of, remember_groups


class UserWithGroupsBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        user = (
            User._default_manager.annotate(group_names=group_names_of("pk"))
            .filter(pk=user_id)
            .first()
        )
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_groups(user, user.group_names)
        return user
