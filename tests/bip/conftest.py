"""The access matrix's world, shared by the matrix and the form and query fuzzers.

Building the world (two households with case, child, plan, goal and action, six accounts)
costs more than most of the matrix cells that read it, and the matrix has hundreds of cells.
So the rows are written once per module, inside a transaction that is rolled back when the
module ends; every test runs in its own savepoint inside it (pytest-django's `db`), so what a
test writes is still undone after that test. Each test gets freshly loaded instances, so a
test that changes an object in memory (deactivating the owner) cannot leak into the next.

A module that uses `world` cannot also hold a `transaction=True` test: that test's flush
would run inside the module's open transaction.
"""

import pickle

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings

from cases.models import ImportBatch
from tests.factories import (
    CaseFactory,
    ChildFactory,
    PlanActionFactory,
    PlanGoalFactory,
    ProfessionalFactory,
    UserFactory,
    record_factory_history,
)


def _household_records(professional, marker: str) -> dict:
    child = ChildFactory(first_name=f"Kindvoornaam{marker}", last_name=f"Kindachternaam{marker}")
    case = CaseFactory(professional=professional, child=child, number=f"2099-{marker}")
    action = PlanActionFactory(
        plan__household=child.household, description=f"Planactie van huishouden {marker}"
    )
    goal = PlanGoalFactory(plan=action.plan, description=f"Plandoel van huishouden {marker}")
    return {"case": case, "goal": goal, "action": action}


def _fresh(obj):
    """The row again from the database: no cached relations, no in-memory changes."""
    return type(obj)._default_manager.get(pk=obj.pk)


def _session_for(user) -> str:
    """The session key of a `force_login` for `user`, done once per module.

    A test that logs out or cycles the session does so in its own savepoint, so the session row
    is back for the next test.
    """
    client = Client()
    client.force_login(user)
    return client.session.session_key


@pytest.fixture(scope="module")
def world_rows(django_db_setup, django_db_blocker):
    """The world's rows, written once per module and rolled back at its end (pickled: each test
    unpickles its own copy, several times faster than a deep copy). The rows write their change
    history, as a user's would: the inzage pages in the matrix show it (tests/factories.py)."""
    history = record_factory_history.set(True)
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        owner = ProfessionalFactory(bip=True, user__username="eigenaar")
        other = ProfessionalFactory(user__username="ander")
        coordinator = UserFactory(username="coord", coordinator=True)
        users = {
            "coordinator": coordinator,
            "professional": owner.user,
            "professional_other": other.user,
            "researcher": UserFactory(username="onderzoeker", researcher=True),
            "researcher_other": UserFactory(username="andere-onderzoeker", researcher=True),
            "administrator": UserFactory(username="beheer", administrator=True),
        }
        # Loaded back once, so the per-test copies hold what the database holds.
        world = {
            "a": {key: _fresh(row) for key, row in _household_records(owner, "710001").items()},
            "b": {key: _fresh(row) for key, row in _household_records(other, "820002").items()},
            "batch": _fresh(
                ImportBatch.objects.create(uploaded_by=coordinator, file_name="leeg.csv")
            ),
            "users": {key: _fresh(user) for key, user in users.items()},
            "sessions": {key: _session_for(user) for key, user in users.items()},
        }
        for household in ("a", "b"):
            # The child comes along in the copies: no query per test to name it.
            world[household]["case"].child  # noqa: B018
        record_factory_history.reset(history)
        yield pickle.dumps(world)
        transaction.set_rollback(True)


@pytest.fixture
def world(world_rows, db, settings, fresh_paths):
    # Exports run inline and write to a temporary directory (as tests/evaluation/exports/).
    settings.RESEARCH_PSEUDONYM_KEY = "test-pseudonym-key-with-more-than-32-characters"
    settings.STUDY_ID = "bip-test"
    settings.EXPORT_ROOT = next(fresh_paths)
    # Copies of the rows as loaded (every test's writes are rolled back, so the database still
    # holds them): a test that changes an object in memory cannot leak into the next.
    return pickle.loads(world_rows)  # noqa: S301 (our own rows, pickled above)


@pytest.fixture
def log_in(client, world):
    """Log the client in as one of the world's users, with their module-wide session.

    The matrix logs in hundreds of times; a `force_login` per test wrote a session and an axes
    login row each time.
    """

    def log_in_as(key: str):
        client.cookies[django_settings.SESSION_COOKIE_NAME] = world["sessions"][key]
        return client

    return log_in_as
