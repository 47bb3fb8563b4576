import pytest

from audit.constants import Action, ObjectType, Result
from audit.models import AccessLogEntry


@pytest.fixture
def make_entry(db):
    """Write a log entry directly: make_entry(actor=user, child_id=3, action=Action.READ)."""

    def make(**fields) -> AccessLogEntry:
        actor = fields.get("actor")
        values = {
            "action": Action.READ,
            "object_type": ObjectType.CASE,
            "result": Result.SUCCESS,
            "actor_username": actor.username if actor else "",
            **fields,
        }
        return AccessLogEntry.objects.create(**values)

    return make


@pytest.fixture
def admin_client(client, administrator):
    """The test client, logged in as the functional administrator (beheerder)."""
    client.force_login(administrator)
    return client
