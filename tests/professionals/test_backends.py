"""The login backend reads the user's groups in the user's own query (professionals/backends.py)."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from professionals.backends import UserWithGroupsBackend
from professionals.constants import StaffGroup
from professionals.groups import is_coordinator, user_groups
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_site_uses_it_after_axes():
    assert settings.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend",
        "professionals.backends.UserWithGroupsBackend",
    ]


@pytest.mark.parametrize(
    "memberships", [(), (StaffGroup.COORDINATOR,), (StaffGroup.RESEARCHER, StaffGroup.PROFESSIONAL)]
)
def test_the_user_comes_with_their_groups_in_one_query(memberships, django_assert_num_queries):
    user = UserFactory()
    user.groups.set(Group.objects.filter(name__in=memberships))
    UserFactory(coordinator=True)  # someone else's groups stay out

    with django_assert_num_queries(1):
        loaded = UserWithGroupsBackend().get_user(user.pk)
        assert loaded == user
        assert user_groups(loaded) == frozenset(memberships)


def test_an_inactive_or_unknown_user_is_nobody():
    inactive = UserFactory(is_active=False, coordinator=True)
    assert UserWithGroupsBackend().get_user(inactive.pk) is None
    assert UserWithGroupsBackend().get_user(inactive.pk + 1000) is None
    assert UserWithGroupsBackend().get_user("geen-nummer") is None


def test_the_user_is_loaded_whole_from_a_session_id_in_text():
    """Sessions hold the id as text; the user comes back with every field, not a stub."""
    user = UserFactory(first_name="Femke", is_staff=True, researcher=True)

    loaded = UserWithGroupsBackend().get_user(str(user.pk))

    assert (loaded.pk, loaded.username, loaded.first_name, loaded.is_staff) == (
        user.pk,
        user.username,
        "Femke",
        True,
    )
    assert loaded.check_password("ketenkameleon-demo")
    assert user_groups(loaded) == frozenset({StaffGroup.RESEARCHER})


def test_a_request_reads_session_and_user_with_groups_and_nothing_more(
    client, django_assert_num_queries
):
    user = UserFactory(coordinator=True)
    client.force_login(user)
    # The home page only redirects by role: the session, then the user with the groups.
    with django_assert_num_queries(2):
        response = client.get("/")
    assert response.status_code == 302
    assert response.wsgi_request.user == user
    assert is_coordinator(response.wsgi_request.user)


def test_a_group_change_shows_on_the_next_request(client):
    user = UserFactory(coordinator=True)
    client.force_login(user)
    assert is_coordinator(client.get("/").wsgi_request.user)
    user.groups.clear()
    assert not is_coordinator(client.get("/").wsgi_request.user)
