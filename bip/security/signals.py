"""Events of the login security that later apps react to (the access log).

Sent inside the service's transaction, so a receiver that writes a row (the access log)
succeeds or fails together with the change.
"""

from django.dispatch import Signal

# A user's second factor was reset by an administrator.
# Arguments: user, actor, request (or None). The reason is in the change history only: it is
# free text and the access log holds no free text.
mfa_reset_done = Signal()
