"""The case's study-arm page (evaluation/views/allocation.py): the allocation log, a draw, a
manual allocation or a correction with a reason.

Each test checks the response, then the database (Allocation rows, the case's arm). Who may
open the page at all is in tests/bip/test_access_matrix.py.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases.constants import Arm, SchoolLevel
from evaluation.constants import AllocationMethod
from evaluation.models import Allocation
from tests.factories import AllocationFactory, CaseFactory

NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.ALLOCATION_BLOCK_SIZES = (4, 6, 8)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def coordinator_client(client_for, coordinator):
    return client_for(coordinator)


def allocation_url(case) -> str:
    return reverse("evaluation_case:allocation", args=[case.pk])


def test_allocation_page_of_an_unallocated_case_offers_the_draw(coordinator_client):
    case = CaseFactory()

    response = coordinator_client.get(allocation_url(case))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Deze zaak is nog niet ingedeeld." in html
    assert 'name="action" value="random"' in html


def test_drawing_allocates_the_case(coordinator_client, coordinator):
    case = CaseFactory(child__school__level=SchoolLevel.PO)

    response = coordinator_client.post(allocation_url(case), {"action": "random"})

    assert response.status_code == 302
    assert response.url == allocation_url(case)
    allocation = Allocation.objects.get(case=case)
    assert allocation.method == AllocationMethod.BLOCK_RANDOM
    assert allocation.draw.stratum == "16_uur/po"
    assert allocation.actor == coordinator
    case.refresh_from_db()
    assert case.arm == allocation.arm
    page = coordinator_client.get(allocation_url(case)).content.decode()
    assert 'name="action" value="random"' not in page
    assert "Blokrandomisatie" in page


def test_drawing_again_is_refused_without_a_second_allocation(coordinator_client):
    case = CaseFactory()
    coordinator_client.post(allocation_url(case), {"action": "random"})
    first = Allocation.objects.get(case=case)

    # A double submit of the draw button.
    response = coordinator_client.post(allocation_url(case), {"action": "random"})

    assert response.status_code == 422
    assert "Deze zaak heeft al een arm" in response.content.decode()
    assert list(Allocation.objects.filter(case=case)) == [first]


def test_manual_allocation_without_a_reason_is_refused(coordinator_client):
    case = CaseFactory()

    response = coordinator_client.post(
        allocation_url(case), {"action": "manual", "arm": Arm.BIP, "reason": ""}
    )

    assert response.status_code == 422
    assert response.context["form"].errors["reason"]
    assert not Allocation.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.arm == ""


def test_manual_allocation_with_a_reason(coordinator_client, coordinator):
    case = CaseFactory()

    response = coordinator_client.post(
        allocation_url(case),
        {"action": "manual", "arm": Arm.CONTROL, "reason": "Loting viel uit."},
    )

    assert response.status_code == 302
    allocation = Allocation.objects.get(case=case)
    assert (allocation.method, allocation.arm, allocation.reason) == (
        AllocationMethod.MANUAL,
        Arm.CONTROL,
        "Loting viel uit.",
    )
    assert allocation.actor == coordinator
    case.refresh_from_db()
    assert case.arm == Arm.CONTROL


def test_correction_adds_a_row_and_keeps_the_old_one(coordinator_client, coordinator):
    case = CaseFactory(arm=Arm.BIP)
    original = AllocationFactory(case=case, arm=Arm.BIP)
    original_row = Allocation.objects.filter(pk=original.pk).values().get()

    response = coordinator_client.post(
        allocation_url(case),
        {"action": "manual", "arm": Arm.CONTROL, "reason": "Verkeerde soort melding."},
    )

    assert response.status_code == 302
    assert Allocation.objects.filter(case=case).count() == 2
    correction = Allocation.objects.get(case=case, supersedes=original)
    assert correction.method == AllocationMethod.CORRECTION
    assert correction.arm == Arm.CONTROL
    assert correction.reason == "Verkeerde soort melding."
    assert correction.actor == coordinator
    assert Allocation.objects.filter(pk=original.pk).values().get() == original_row
    case.refresh_from_db()
    assert case.arm == Arm.CONTROL
    page = coordinator_client.get(allocation_url(case)).content.decode()
    assert "Correctie van een eerdere toewijzing" in page
    assert "Verkeerde soort melding." in page
    assert "Blokrandomisatie" in page


def test_correction_to_the_same_arm_is_refused(coordinator_client):
    case = CaseFactory(arm=Arm.BIP)
    original = AllocationFactory(case=case, arm=Arm.BIP)

    response = coordinator_client.post(
        allocation_url(case), {"action": "manual", "arm": Arm.BIP, "reason": "Nogmaals."}
    )

    assert response.status_code == 422
    assert "De zaak zit al in deze arm." in response.content.decode()
    assert list(Allocation.objects.filter(case=case)) == [original]
