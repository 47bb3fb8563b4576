"""Adding a melding to an open case (issue 14 #8), and the intake fixes of issue 14 #3-#5:
the arm in the success message, the registration as first timeline entry, and a
reassignment's own reason. Who may open the page at all is in tests/bip/test_access_matrix.py.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from cases.constants import AssignmentReason, CaseSource, MeldingType
from cases.models import Assignment, Case, Melding
from cases.services.referrals import initial_stage_change
from evaluation.models import Allocation
from tests.factories import CaseFactory, ChildFactory, ProfessionalFactory, UserFactory

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


def melding_data(case: Case, **overrides) -> dict:
    return {
        "date_received": "2026-03-13",
        "source": CaseSource.SCHOOL,
        "melding_type": MeldingType.LRV,
        "period_start": "2026-02-02",
        "period_end": "2026-03-12",
        "hours_absent": "40",
        "times_late": "0",
        "note": "Tweede melding van de school.",
        "version": str(case.version),
    } | overrides


# Adding a melding -----------------------------------------------------------------------


def test_the_coordinator_adds_a_melding_and_sees_it_in_the_timeline(
    coordinator_client, coordinator
):
    case = CaseFactory(child=ChildFactory(first_name="Eva", tussenvoegsel="de", last_name="Vries"))
    url = reverse("cases:melding_create", args=[case.pk])

    form = coordinator_client.get(url)
    assert form.status_code == 200
    assert "Melding toevoegen aan zaak" in form.text and "Eva de Vries" in form.text

    response = coordinator_client.post(url, melding_data(case))

    assert response.status_code == 302
    assert response.url == reverse("cases:case_detail", args=[case.pk])
    melding = Melding.objects.get(case=case)
    assert melding.created_by == coordinator
    assert melding.melding_type == MeldingType.LRV
    case.refresh_from_db()
    assert case.version == 2
    assert Case.objects.filter(child=case.child).count() == 1  # no second case
    page = coordinator_client.get(response.url)
    assert f'id="melding-{melding.pk}"' in page.text
    assert "Nieuwe melding: Langdurig relatief verzuim (LRV)" in page.text
    assert "De melding is toegevoegd aan zaak" in page.text


def test_the_assigned_professional_may_add_a_melding(client_for, professional):
    case = CaseFactory(professional=professional)

    response = client_for(professional.user).post(
        reverse("cases:melding_create", args=[case.pk]), melding_data(case)
    )

    assert response.status_code == 302
    assert Melding.objects.get(case=case).created_by == professional.user


def test_another_professional_gets_404_and_nothing_is_added(client_for, other_professional):
    case = CaseFactory(assigned=True)

    response = client_for(other_professional.user).post(
        reverse("cases:melding_create", args=[case.pk]), melding_data(case)
    )

    assert response.status_code == 404
    assert not Melding.objects.exists()


def test_a_closed_case_takes_no_melding(coordinator_client):
    case = CaseFactory(closed=True)

    response = coordinator_client.get(reverse("cases:melding_create", args=[case.pk]))

    assert response.status_code == 403


def test_wrong_method_is_refused(coordinator_client):
    case = CaseFactory()
    response = coordinator_client.put(reverse("cases:melding_create", args=[case.pk]))
    assert response.status_code == 405


def test_bad_input_keeps_what_was_typed(coordinator_client):
    case = CaseFactory()

    response = coordinator_client.post(
        reverse("cases:melding_create", args=[case.pk]),
        melding_data(case, period_end="2026-03-14", note="Bewaar mij"),
    )

    assert response.status_code == 422
    assert "uiterlijk op de datum van de melding" in response.text
    assert "Bewaar mij" in response.text
    assert not Melding.objects.exists()


def test_a_stale_form_keeps_the_input_and_adds_nothing(coordinator_client):
    case = CaseFactory()
    Case.objects.filter(pk=case.pk).update(version=5)

    response = coordinator_client.post(
        reverse("cases:melding_create", args=[case.pk]), melding_data(case, version="1")
    )

    assert response.status_code == 422
    assert "Iemand anders heeft deze zaak gewijzigd" in response.text
    assert not Melding.objects.exists()


# Intake offers the melding as soon as it finds the open case -----------------------------


def test_intake_search_offers_adding_the_melding_to_the_open_case(coordinator_client):
    child = ChildFactory(
        first_name="Eva",
        tussenvoegsel="de",
        last_name="Vries",
        date_of_birth=datetime.date(2012, 5, 4),
    )
    case = CaseFactory(child=child)
    params = {"zoek": "1", "last_name": "vries", "date_of_birth": "2012-05-04"}

    full = coordinator_client.get(reverse("cases:intake"), params)
    partial = coordinator_client.get(
        reverse("cases:intake"), params, headers={"HX-Request": "true"}
    )

    offer = reverse("cases:melding_create", args=[case.pk])
    for response in (full, partial):
        assert response.status_code == 200
        assert offer in response.text
        assert f"Voeg de melding toe aan zaak {case.number}" in response.text
        assert "Eva de Vries" in response.text
    assert "<html" in full.text
    assert "<html" not in partial.text and 'id="find-heading"' not in partial.text


def test_intake_for_a_child_with_an_open_case_offers_the_melding_not_the_form(coordinator_client):
    case = CaseFactory()

    response = coordinator_client.get(reverse("cases:intake"), {"child": case.child.pk})

    assert response.status_code == 200
    assert response.context["open_case"] == case
    assert response.context["referral_form"] is None
    assert reverse("cases:melding_create", args=[case.pk]) in response.text


# Issue 14 #3: the success message names the arm ------------------------------------------


def test_intake_success_message_names_the_arm(coordinator_client):
    child = ChildFactory(date_of_birth=datetime.date(2012, 5, 4))
    data = {
        "child": str(child.pk),
        "date_received": "2026-03-10",
        "source": CaseSource.DUO,
        "melding_type": MeldingType.ZESTIEN_UUR,
        "period_start": "2026-02-09",
        "period_end": "2026-03-06",
        "hours_absent": "18",
        "times_late": "2",
    }

    response = coordinator_client.post(
        reverse("cases:intake") + f"?child={child.pk}", data, follow=True
    )

    case = Case.objects.get(child=child)
    arm = Allocation.objects.get(case=case).get_arm_display()
    assert arm
    assert f"Zaak {case.number} is aangemaakt en ingedeeld in de {arm}." in response.text
    assert "ingedeeld in de ." not in response.text


# Issue 14 #4: the first timeline entry is the registration ---------------------------------


@pytest.mark.parametrize(
    ("language", "expected", "wrong"),
    [
        ("nl", "Melding geregistreerd, ketenstap", "Zaak heropend"),
        ("en", "Melding geregistreerd", "Case reopened"),
    ],
)
def test_the_first_timeline_entry_is_the_registration(
    coordinator_client, coordinator, language, expected, wrong
):
    case = CaseFactory()
    initial_stage_change(case=case, actor=coordinator)

    with translation.override(language):
        response = coordinator_client.get(
            reverse("cases:case_detail", args=[case.pk]), headers={"Accept-Language": language}
        )

    assert response.status_code == 200
    timeline = response.text[response.text.index('class="kk-timeline"') :]
    assert wrong not in timeline
    if language == "nl":
        assert expected in timeline
    assert "Zaak heropend" not in timeline


# Issue 14 #5: a reassignment chooses its own reason -----------------------------------------


def test_reassign_form_proposes_no_reason_and_offers_no_first_assignment(coordinator_client):
    case = CaseFactory(assigned=True)

    response = coordinator_client.get(reverse("cases:assign", args=[case.pk]))

    assert response.status_code == 200
    choices = [value for value, _label in response.context["form"].fields["reason"].choices]
    assert AssignmentReason.INTAKE not in choices
    assert choices[0] == ""
    assert response.context["form"]["reason"].value() in ("", None)
    assert 'value="intake"' not in response.text


def test_first_assignment_still_proposes_eerste_toewijzing(coordinator_client):
    case = CaseFactory()

    response = coordinator_client.get(reverse("cases:assign", args=[case.pk]))

    assert response.context["form"]["reason"].value() == AssignmentReason.INTAKE


def test_reassigning_without_a_reason_or_as_first_assignment_is_refused(coordinator_client):
    case = CaseFactory(assigned=True)
    before = case.professional
    other = ProfessionalFactory()
    url = reverse("cases:assign", args=[case.pk])
    data = {"professional": other.pk, "note": "Werkdruk", "version": case.version}

    missing = coordinator_client.post(url, data | {"reason": ""})
    as_first = coordinator_client.post(url, data | {"reason": AssignmentReason.INTAKE})

    assert missing.status_code == 422 and "Kies een reden." in missing.text
    assert as_first.status_code == 422
    case.refresh_from_db()
    assert case.professional == before
    assert not Assignment.objects.filter(case=case, professional=other).exists()

    ok = coordinator_client.post(url, data | {"reason": AssignmentReason.WORKLOAD})
    assert ok.status_code == 302
    assignment = Assignment.objects.get(case=case, professional=other)
    assert assignment.reason == AssignmentReason.WORKLOAD and assignment.is_handover


def test_the_service_refuses_a_handover_as_first_assignment():
    from cases.exceptions import RuleViolation
    from cases.services import case_assign

    case = CaseFactory(assigned=True)
    with pytest.raises(RuleViolation) as refused:
        case_assign(
            case=case,
            professional=ProfessionalFactory(),
            actor=UserFactory(coordinator=True),
            reason=AssignmentReason.INTAKE,
            note="Overdracht",
            expected_version=None,
            notify=False,
        )
    assert "reason" in refused.value.errors


def test_an_htmx_intake_search_with_an_error_loads_the_page_that_shows_it(coordinator_client):
    """The error summary, the field's message and aria-invalid are in the search form, which
    the htmx answer (the matches) does not replace: the whole page comes instead."""
    params = {"zoek": "1", "bsn": "123456789", "last_name": "Vries"}
    answer = coordinator_client.get(reverse("cases:intake"), params, headers={"HX-Request": "true"})
    assert answer["HX-Redirect"].startswith(reverse("cases:intake") + "?")
    page = coordinator_client.get(answer["HX-Redirect"])
    assert "bsn" in page.context["search"].errors
    assert 'aria-invalid="true"' in page.text and 'value="Vries"' in page.text
    assert page.text.count("kk-error-summary__title") == 1  # one summary, at the form
    assert 'hx-target="#intake-matches"' not in page.text
    fixed = coordinator_client.get(
        reverse("cases:intake"),
        {"zoek": "1", "last_name": "Vries", "date_of_birth": "2012-05-04"},
    )
    assert not fixed.context["search"].errors
    assert 'hx-target="#intake-matches"' in fixed.text
