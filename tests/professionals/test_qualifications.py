import datetime

import pytest

from professionals.models import Qualification
from professionals.qualifications import is_sworn_on, roles_available_to
from roles.constants import CHAIN_ORDER, ChainRole
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def qualify(professional, role, valid_from, valid_until=None, *, is_sworn=False):
    return Qualification.objects.create(
        professional=professional,
        role=role,
        valid_from=valid_from,
        valid_until=valid_until,
        is_sworn=is_sworn,
    )


@pytest.fixture
def pro():
    return ProfessionalFactory(qualified=False)


@pytest.fixture
def mixed(pro):
    """Leerplicht expired end 2025, Halt starts April 2026, RvdK open-ended since 2019."""
    qualify(pro, ChainRole.LEERPLICHT, D(2020, 1, 1), D(2025, 12, 31))
    qualify(pro, ChainRole.HALT, D(2026, 4, 1))
    qualify(pro, ChainRole.RVDK, D(2019, 1, 1))
    return pro


@pytest.mark.parametrize(
    ("day", "roles"),
    [
        (D(2018, 12, 31), []),
        (D(2019, 1, 1), [ChainRole.RVDK]),
        (D(2025, 6, 1), [ChainRole.LEERPLICHT, ChainRole.RVDK]),
        (D(2025, 12, 31), [ChainRole.LEERPLICHT, ChainRole.RVDK]),
        (D(2026, 1, 1), [ChainRole.RVDK]),
        (D(2026, 3, 31), [ChainRole.RVDK]),
        (D(2026, 4, 1), [ChainRole.HALT, ChainRole.RVDK]),
        (D(2040, 1, 1), [ChainRole.HALT, ChainRole.RVDK]),
    ],
)
def test_roles_available_on_a_day(mixed, day, roles):
    assert roles_available_to(mixed, day) == roles


def test_roles_come_in_chain_order(pro):
    for role in reversed(CHAIN_ORDER):
        qualify(pro, role, D(2020, 1, 1))
    assert roles_available_to(pro, D(2026, 1, 1)) == list(CHAIN_ORDER)


def test_overlapping_qualifications_give_the_role_once(pro):
    qualify(pro, ChainRole.LEERPLICHT, D(2018, 1, 1), D(2020, 12, 31))
    qualify(pro, ChainRole.LEERPLICHT, D(2020, 6, 1))
    assert roles_available_to(pro, D(2020, 7, 1)) == [ChainRole.LEERPLICHT]


def test_other_professionals_qualifications_do_not_count(pro):
    ProfessionalFactory(bip=True)
    assert roles_available_to(pro, D(2026, 1, 1)) == []


def test_is_sworn_on_a_valid_sworn_leerplicht_qualification(pro):
    qualify(pro, ChainRole.LEERPLICHT, D(2024, 1, 1), D(2025, 12, 31), is_sworn=True)
    assert not is_sworn_on(pro, D(2023, 12, 31))
    assert is_sworn_on(pro, D(2024, 1, 1))
    assert is_sworn_on(pro, D(2025, 12, 31))
    assert not is_sworn_on(pro, D(2026, 1, 1))


def test_not_sworn_with_an_unsworn_leerplicht_qualification(pro):
    qualify(pro, ChainRole.LEERPLICHT, D(2024, 1, 1), is_sworn=False)
    qualify(pro, ChainRole.HALT, D(2024, 1, 1))
    assert roles_available_to(pro, D(2025, 1, 1)) == [ChainRole.LEERPLICHT, ChainRole.HALT]
    assert not is_sworn_on(pro, D(2025, 1, 1))


def test_sworn_after_renewal_with_an_unsworn_gap(pro):
    qualify(pro, ChainRole.LEERPLICHT, D(2020, 1, 1), D(2022, 12, 31), is_sworn=True)
    qualify(pro, ChainRole.LEERPLICHT, D(2023, 1, 1), D(2023, 12, 31), is_sworn=False)
    qualify(pro, ChainRole.LEERPLICHT, D(2024, 1, 1), is_sworn=True)
    assert is_sworn_on(pro, D(2022, 6, 1))
    assert not is_sworn_on(pro, D(2023, 6, 1))
    assert is_sworn_on(pro, D(2024, 6, 1))
