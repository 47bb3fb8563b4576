"""bip/lib/admin.py: impossible changelist lookups get the admin's "invalid lookup" answer."""

import pytest
from django.urls import reverse

from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.factory_history


@pytest.fixture
def superuser_client(client, db):
    # A case writes auditlog entries: the auditlog filters only show (and apply) with rows.
    CaseFactory()
    client.force_login(UserFactory(username="super", is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize(
    ("changelist", "params"),
    [
        # The date hierarchy at year 10000, or past a C long (axes' own admin, subclassed in
        # bip/security/admin.py).
        ("admin:axes_accesslog_changelist", {"attempt_time__year": "9999"}),
        (
            "admin:axes_accesslog_changelist",
            {"attempt_time__year": "9999", "attempt_time__month": "12", "attempt_time__day": "31"},
        ),
        ("admin:axes_accesslog_changelist", {"attempt_time__year": "9" * 20}),
        # A third-party filter that passes text to an id lookup (auditlog).
        ("admin:auditlog_logentry_changelist", {"resource_type": "x"}),
        ("admin:auditlog_logentry_changelist", {"resource_type": "9" * 5000}),
    ],
)
def test_impossible_lookup_is_refused_not_a_crash(superuser_client, changelist, params):
    url = reverse(changelist)
    response = superuser_client.get(url, params)
    # Django's answer to an invalid lookup: back to the list with the error flag ...
    assert response.status_code == 302
    assert response.url == f"{url}?e=1"
    # ... where the same lookup shows the admin's "invalid lookup" page.
    response = superuser_client.get(url, params | {"e": "1"})
    assert response.status_code == 200
    assert "admin/invalid_setup.html" in [t.name for t in response.templates]


@pytest.mark.parametrize(
    ("changelist", "params"),
    [
        (
            "admin:auditlog_logentry_changelist",
            {"timestamp__year": "1", "timestamp__month": "1", "timestamp__day": "1"},
        ),
        # A date filter link at the first day (a third-party admin: django-otp).
        ("admin:otp_totp_totpdevice_changelist", {"created_at__gte": "0001-01-01"}),
        ("admin:audit_accesslogentry_changelist", {"occurred_at__lt": "0001-01-01"}),
    ],
)
def test_first_day_is_a_list_or_refused_never_a_crash(superuser_client, changelist, params):
    """0001-01-01 00:00 in Amsterdam is before the year 1 in UTC: PostgreSQL stores it,
    SQLite's adapter cannot convert it (OverflowError), so that lookup is refused there."""
    url = reverse(changelist)
    response = superuser_client.get(url, params)
    if response.status_code == 302:
        assert response.url == f"{url}?e=1"
    else:
        assert response.status_code == 200
        assert "admin/change_list.html" in [t.name for t in response.templates]


def test_valid_lookups_still_filter(superuser_client):
    url = reverse("admin:axes_accesslog_changelist")
    response = superuser_client.get(url, {"attempt_time__year": "2024"})
    assert response.status_code == 200
    assert "admin/change_list.html" in [t.name for t in response.templates]
