import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from professionals.admin import admin_actor
from tests.factories import UserFactory


def test_admin_actor_is_the_logged_in_user(db):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory()
    assert admin_actor(request) == request.user


def test_admin_actor_refuses_an_anonymous_request():
    # admin_view never lets one through; should one arrive, it gets 403, not an anonymous actor.
    request = RequestFactory().get("/admin/")
    request.user = AnonymousUser()
    with pytest.raises(PermissionDenied):
        admin_actor(request)
