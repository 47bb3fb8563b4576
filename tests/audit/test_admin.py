"""The access log in the admin: the functional administrator reads and filters it; nobody can
add, change or delete an entry there."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from audit.constants import Action
from audit.models import AccessLogEntry

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_accesslogentry_changelist")


def shown(response) -> set[int]:
    return {entry.pk for entry in response.context["cl"].result_list}


def test_changelist_filters_by_action_and_date_and_searches_by_username(
    admin_client, make_entry, professional, coordinator
):
    with time_machine.travel(datetime.datetime(2025, 1, 1, 12, 0, tzinfo=datetime.UTC)):
        old = make_entry(actor=coordinator, action=Action.SEARCH)
    read = make_entry(actor=professional.user, action=Action.READ)
    change = make_entry(actor=coordinator, action=Action.CHANGE)

    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert {old.pk, read.pk, change.pk} <= shown(response)
    assert shown(admin_client.get(CHANGELIST, {"action__exact": "change"})) == {change.pk}
    assert shown(admin_client.get(CHANGELIST, {"q": "bip"})) == {read.pk}
    assert "occurred_at__gte" in response.text  # the date filter's links (today, past 7 days…)
    recent = shown(
        admin_client.get(
            CHANGELIST,
            {
                "occurred_at__gte": "2026-01-01 00:00+00:00",
                "occurred_at__lt": "2100-01-01 00:00+00:00",
            },
        )
    )
    assert old.pk not in recent and read.pk in recent


def test_an_entry_can_be_viewed_but_not_changed(admin_client, make_entry, professional):
    entry = make_entry(actor=professional.user)
    url = reverse("admin:audit_accesslogentry_change", args=[entry.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in response.text
    response = admin_client.post(url, {"action": "change", "actor_username": "iemand"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.actor_username == "bip"


def test_no_add_and_no_delete(admin_client, make_entry, professional):
    entry = make_entry(actor=professional.user)
    assert admin_client.get(reverse("admin:audit_accesslogentry_add")).status_code == 403
    delete = reverse("admin:audit_accesslogentry_delete", args=[entry.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    admin_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()


def test_a_superuser_cannot_change_or_delete_either(client, make_entry, professional):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    entry = make_entry(actor=professional.user)
    change = reverse("admin:audit_accesslogentry_change", args=[entry.pk])
    assert client.post(change, {"actor_username": "x"}).status_code == 403
    delete = reverse("admin:audit_accesslogentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AccessLogEntry.objects.filter(pk=entry.pk, actor_username="bip").exists()


def test_admin_views_of_the_log_are_logged(admin_client, make_entry, professional):
    entry = make_entry(actor=professional.user)
    admin_client.get(reverse("admin:audit_accesslogentry_change", args=[entry.pk]))
    own = AccessLogEntry.objects.newest_first().first()
    assert (own.action, own.object_type, own.object_id) == ("read", "admin_record", str(entry.pk))
    assert own.details == {"model": "audit.accesslogentry"}
