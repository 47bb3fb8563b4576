import pytest
from django.urls import reverse

from cases.constants import Stage
from roles.constants import ChainRole
from tests.factories import (
    CaseFactory,
    ChildFactory,
    ContactFactory,
    HouseholdPlanFactory,
    PlanActionFactory,
    ProfessionalFactory,
    StageChangeFactory,
)


@pytest.fixture
def case(professional):
    return CaseFactory(professional=professional, stage=Stage.HALT)


def test_professional_sees_own_case_with_roles_in_the_timeline(client, professional, case):
    ContactFactory(case=case, role=ChainRole.LEERPLICHT, summary="Eerste gesprek")
    ContactFactory(case=case, halt=True, summary="Halt-gesprek gevoerd")
    StageChangeFactory(case=case, actor=professional.user, reason="Naar Halt verwezen")
    client.force_login(professional.user)
    response = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert response.status_code == 200
    assert "Rol: Leerplicht" in response.text
    assert "Rol: Halt" in response.text
    assert "Naar Halt verwezen" in response.text
    assert case.child.first_name in response.text


def test_other_professional_gets_404(client, other_professional, case):
    client.force_login(other_professional.user)
    assert client.get(reverse("cases:case_detail", args=[case.pk])).status_code == 404


def test_unknown_case_is_404(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("cases:case_detail", args=[999999])).status_code == 404


def test_post_is_405(client, coordinator, case):
    client.force_login(coordinator)
    assert client.post(reverse("cases:case_detail", args=[case.pk])).status_code == 405


def build_case_file(professional, *, contacts: int, siblings: int, actions: int):
    case = CaseFactory(professional=professional, stage=Stage.LEERPLICHT)
    household = case.child.household
    for _ in range(contacts):
        ContactFactory(case=case, follow_up_on=None)
    for _ in range(siblings):
        CaseFactory(child=ChildFactory(household=household), professional=ProfessionalFactory())
    plan = HouseholdPlanFactory(household=household)
    for _ in range(actions):
        PlanActionFactory(plan=plan)
    return case


def test_query_count_is_fixed(client, professional, django_assert_num_queries):
    """5 or 200 contacts, 1 or 6 siblings, 2 or 40 plan actions: the same queries."""
    small = build_case_file(professional, contacts=5, siblings=1, actions=2)
    large = build_case_file(professional, contacts=200, siblings=6, actions=40)
    client.force_login(professional.user)
    client.get(reverse("cases:case_detail", args=[small.pk]))  # warm the session
    with django_assert_num_queries(15) as counted:
        response = client.get(reverse("cases:case_detail", args=[small.pk]))
    assert response.status_code == 200
    with django_assert_num_queries(len(counted.captured_queries)):
        response = client.get(reverse("cases:case_detail", args=[large.pk]))
    assert response.status_code == 200
    assert response.text.count('class="kk-timeline__item ') == 100
    assert "Alleen de nieuwste 100 gebeurtenissen" in response.text
