import itertools
import os

import pytest
from django.test import override_settings
from hypothesis import settings as hypothesis_settings

from tests.factories import ProfessionalFactory, UserFactory
from tests.migrated_schema import MigratedSchemaCache

# Hypothesis explores new examples on every local run. In CI (CI=true) it runs a fixed,
# derandomised set instead, so a merge is not decided by which examples came up; set
# HYPOTHESIS_PROFILE=explore to fuzz randomly there too.
hypothesis_settings.register_profile("ci", derandomize=True)
hypothesis_settings.register_profile("explore")
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "explore")
)


@pytest.fixture(scope="session")
def migrated_schema_cache(request):
    """The migrated in-memory SQLite database from an earlier run (tests/migrated_schema.py)."""
    if os.environ.get("TEST_SCHEMA_CACHE", "on") == "off":
        yield None
        return
    cache = MigratedSchemaCache(request.config.rootpath / ".test-cache" / "migrated-schema")
    cache.install()
    try:
        yield cache
    finally:
        cache.uninstall()


@pytest.fixture(scope="session")
def django_db_setup(migrated_schema_cache, django_db_setup):
    """pytest-django's test databases, built with the cached migrate while it is installed."""
    if migrated_schema_cache is not None:
        migrated_schema_cache.uninstall()
    yield


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


@pytest.fixture(scope="session")
def fresh_paths(tmp_path_factory):
    """New, unused paths under one temporary directory: `next(fresh_paths)`, not yet created.

    For directories the code makes itself on first use (MEDIA_ROOT, EXPORT_ROOT): a directory
    per test made up front cost a mkdir and pytest's bookkeeping for each of ~3,000 tests.
    """
    base = tmp_path_factory.mktemp("fresh")
    return (base / str(number) for number in itertools.count())


@pytest.fixture(autouse=True)
def test_settings(request, fresh_paths):
    """Settings every test runs with, in one override (each override signals its receivers).

    - Two-factor authentication is on only in tests marked `@pytest.mark.mfa`. The rest of the
      suite logs in with `force_login` and tests pages, not the MFA step; the MFA tests
      (tests/bip/security/, the MFA browser journey) switch it on and check that every URL
      demands it. Production refuses to start with MFA_REQUIRED off (tests/bip/test_settings.py).
    - Uploaded documents and letters go to a temporary MEDIA_ROOT, never the checkout's.
    - PBKDF2 at full strength costs ~0.3 s per user; tests do not need it.
    - No collected static files, as in a clean clone: `make bench`, `make cluster` and a
      server's deploy run collectstatic into `staticfiles/`, and WhiteNoise (at the top of the
      middleware) would index all ~1,150 files for every test client, each test's first
      request: that doubled the suite. Tests of static files serve them from the finders
      (tests/bip/test_headers.py).
    """
    with override_settings(
        MFA_REQUIRED=request.node.get_closest_marker("mfa") is not None,
        MEDIA_ROOT=next(fresh_paths),
        STATIC_ROOT=next(fresh_paths),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        yield


@pytest.fixture(autouse=True)
def factory_history(request):
    """Factory rows write their change history only in tests marked `factory_history`.

    See tests/factories.py ModelFactory: elsewhere a factory row is scaffolding and gets no
    django-auditlog entry; the services' own writes always get theirs.
    """
    from tests.factories import record_factory_history

    token = record_factory_history.set(
        request.node.get_closest_marker("factory_history") is not None
    )
    yield
    record_factory_history.reset(token)


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
