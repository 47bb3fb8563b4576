import pytest

from tests.factories import ProfessionalFactory, UserFactory


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
def fast_password_hashing(settings):
    """PBKDF2 at full strength costs ~0.3 s per user; tests do not need it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
