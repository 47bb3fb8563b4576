import os

import pytest
from hypothesis import settings as hypothesis_settings

from tests.factories import ProfessionalFactory, UserFactory

# Hypothesis explores new examples on every local run. In CI (CI=true) it runs a fixed,
# derandomised set instead, so a merge is not decided by which examples came up; set
# HYPOTHESIS_PROFILE=explore to fuzz randomly there too.
hypothesis_settings.register_profile("ci", derandomize=True)
hypothesis_settings.register_profile("explore")
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "explore")
)


@pytest.fixture
def coordinator(db):
    return UserFactory(username="coord", coordinator=True)


@pytest.fixture
def researcher(db):
    return UserFactory(username="onderzoeker", researcher=True)


@pytest.fixture
def administrator(db):
    return UserFactory(username="beheer", administrator=True)


@pytest.fixture
def professional(db):
    """A BIP: qualified for all three roles."""
    return ProfessionalFactory(bip=True, user__username="bip")


@pytest.fixture
def other_professional(db):
    return ProfessionalFactory(user__username="collega")


@pytest.fixture
def client_for(client):
    """Log a user in on the test client: client_for(user)."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def mfa_only_where_marked(request, settings):
    """Two-factor authentication is on only in tests marked `@pytest.mark.mfa`.

    The rest of the suite logs in with `force_login` and tests pages, not the MFA step; the
    MFA tests (tests/bip/security/, the MFA browser journey) switch it on and check that every
    URL demands it. Production refuses to start with MFA_REQUIRED off (tests/bip/test_settings.py).
    """
    settings.MFA_REQUIRED = request.node.get_closest_marker("mfa") is not None


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path_factory):
    """Uploaded documents and letters go to a temporary MEDIA_ROOT, never the checkout's."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 at full strength costs ~0.3 s per user; tests do not need it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def dutch_by_default():
    """A request with the English cookie leaves English active in the thread; reset per test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def empty_cache():
    """Test databases reuse ids, so a cached report keyed by ids could outlive its test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
