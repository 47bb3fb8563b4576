"""Events about accounts that later apps react to (the access log; the password mail).

Sent inside the service's transaction: a receiver that must succeed with the change (the
access-log row) writes in that transaction; a side effect (a mail) uses on_commit.
"""

from django.dispatch import Signal

# An account was created by a functional administrator or superuser.
# Arguments: user, actor, request (or None).
account_created = Signal()

# A role (group) was granted or revoked with `manage.py grant_role`.
# Arguments: user, role (the group name), revoked (bool), actor (a User or None), actor_name.
role_changed = Signal()
