"""The benchmark's mixed-load users (benchmarks/bench/world.py)."""

import pytest

from benchmarks.bench import world
from tests.factories import CaseFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


def test_a_small_world_gives_the_professionals_it_has():
    working = [ProfessionalFactory(bip=True) for _ in range(3)]
    cases = [CaseFactory(professional=professional) for professional in working]
    CaseFactory(professional=ProfessionalFactory(bip=True), halt=True)  # not in Leerplicht

    chosen = world.mixed_load_users(16)

    assert chosen == [
        (professional.user.username, case.pk)
        for professional, case in zip(working, cases, strict=True)
    ]
    for professional in working:
        professional.user.refresh_from_db()
        assert professional.user.check_password(world.DEMO_PASSWORD)


def test_as_many_as_asked_when_the_world_has_more():
    for _ in range(4):
        CaseFactory(professional=ProfessionalFactory(bip=True))
    assert len(world.mixed_load_users(2)) == 2


def test_no_professional_at_work_is_an_error():
    CaseFactory(professional=ProfessionalFactory(bip=True), closed=True)
    with pytest.raises(RuntimeError, match="no professional"):
        world.mixed_load_users(16)
