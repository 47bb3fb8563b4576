import pytest
from django.urls import reverse

from cases.constants import Stage
from roles.constants import ChainRole
from tests.factories import CaseFactory, ContactFactory, StageChangeFactory


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
    assert "in de rol Leerplicht" in response.text
    assert "in de rol Halt" in response.text
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


@pytest.mark.parametrize("contacts", [5, 200])
def test_query_count_is_fixed(client, professional, case, contacts, django_assert_num_queries):
    for _ in range(contacts):
        ContactFactory(case=case)
    client.force_login(professional.user)
    with django_assert_num_queries(7):
        response = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert response.status_code == 200
