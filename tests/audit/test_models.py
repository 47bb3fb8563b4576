"""The access log is append-only: no change or delete through the ORM, the admin or raw SQL."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from audit.constants import Action
from audit.models import AccessLogEntry

pytestmark = pytest.mark.factory_history


@pytest.fixture
def entry(make_entry, professional):
    return make_entry(actor=professional.user, case_id=5, child_id=7)


def test_an_entry_cannot_be_saved_again(entry):
    entry.action = Action.CHANGE
    with pytest.raises(ValidationError):
        entry.save()
    entry.refresh_from_db()
    assert entry.action == Action.READ


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(ValidationError):
        entry.delete()
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()


def test_querysets_refuse_update_and_delete(entry):
    with pytest.raises(ValidationError):
        AccessLogEntry.objects.filter(pk=entry.pk).update(action=Action.CHANGE)
    with pytest.raises(ValidationError):
        AccessLogEntry.objects.all().delete()
    entry.action = Action.CHANGE
    # bulk_update runs in a transaction without a savepoint of its own: give it one.
    with pytest.raises(ValidationError), transaction.atomic():
        AccessLogEntry.objects.bulk_update([entry], ["action"])
    assert AccessLogEntry.objects.get(pk=entry.pk).action == Action.READ


def test_the_database_refuses_an_update_in_raw_sql(entry):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_accesslogentry SET actor_username = %s WHERE id = %s",
            ["iemand-anders", entry.pk],
        )
    assert AccessLogEntry.objects.get(pk=entry.pk).actor_username == entry.actor_username


def test_the_log_outlives_the_records_it_is_about(entry):
    """Case, child and household are plain numbers: no foreign key stops a retention delete."""
    fields = {field.name: field for field in AccessLogEntry._meta.get_fields()}
    for name in ("case_id", "child_id", "household_id"):
        assert not fields[name].is_relation
