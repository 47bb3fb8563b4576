"""Chain steps on the case page: Halt referral, Halt result, RvdK referral, closing, reopening.

Each test checks the response, then the case row (refresh_from_db), then the history rows
(StageChange, Outcome). Who may GET or POST at all is in tests/bip/test_access_matrix.py.
"""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases import services
from cases.constants import AssignmentReason, CaseStatus, HaltResult, OutcomeCategory, Stage
from cases.models import Outcome, StageChange
from evaluation.constants import Arm
from roles.constants import ContactKind
from tests.factories import CaseFactory, ChildFactory, ContactFactory, ProfessionalFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 3, 16)
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)
TYPED_REASON = "Leerling en ouders willen meewerken aan de Halt-aanpak."
CONFLICT = "Iemand anders heeft deze zaak gewijzigd"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(NOW, tick=False):
        yield TODAY


def child_aged(age: int):
    """A child who is `age` on TODAY: born on 1 June, so this year's birthday is still ahead."""
    return ChildFactory(date_of_birth=datetime.date(TODAY.year - age - 1, 6, 1))


def make_case(professional, *, age: int = 14, **kwargs):
    """An open BIP-arm case held by `professional`, received 30 days ago, 20 hours absent."""
    values = {
        "professional": professional,
        "arm": Arm.BIP,
        "child": child_aged(age),
        "date_received": TODAY - datetime.timedelta(days=30),
        "hours_absent": 20,
    }
    values.update(kwargs)
    return CaseFactory(**values)


@pytest.fixture
def case(professional):
    return make_case(professional)


def url(name: str, case) -> str:
    return reverse(f"cases:{name}", args=[case.pk])


def field_error(response, name: str) -> str:
    match = re.search(rf'id="id_{name}_error">(.*?)</div>', response.text, re.S)
    return match.group(1) if match else ""


def hidden_version(response) -> int:
    match = re.search(r'<input type="hidden" name="version" value="(\d+)"', response.text)
    assert match, "no hidden version field"
    return int(match.group(1))


def halt_data(case, **overrides) -> dict:
    values = {
        "reason": TYPED_REASON,
        "pupil_consent": "on",
        "parent_consent": "on",
        "override_reason": "",
        "version": case.version,
    }
    values.update(overrides)
    return values


# Refer to Halt


def test_halt_form_warns_about_an_ineligible_child(client, professional):
    case = make_case(professional, age=11)
    client.force_login(professional.user)
    response = client.get(url("refer_to_halt", case))
    assert response.status_code == 200
    assert "voldoet niet aan alle toelatingscriteria van Halt" in response.text
    assert "deze leerling is 11" in response.text
    assert 'name="parent_consent"' in response.text  # under 16: the parents consent too
    assert hidden_version(response) == case.version


def test_halt_form_for_a_16_year_old_has_no_parent_consent_and_no_warning(client, professional):
    case = make_case(professional, age=16)
    client.force_login(professional.user)
    response = client.get(url("refer_to_halt", case))
    assert response.status_code == 200
    assert 'name="parent_consent"' not in response.text
    assert 'name="pupil_consent"' in response.text
    assert "toelatingscriteria van Halt:" not in response.text


def test_refer_eligible_case_to_halt(client, professional, case):
    client.force_login(professional.user)
    response = client.post(url("refer_to_halt", case), halt_data(case))
    assert response.status_code == 302
    assert response.url == case.get_absolute_url()

    version = case.version
    case.refresh_from_db()
    assert case.stage == Stage.HALT
    assert case.status == CaseStatus.OPEN
    assert case.version == version + 1
    assert case.handover_requested_at is None  # BIP arm: the same professional keeps the case

    change = StageChange.objects.get(case=case)
    assert (change.from_stage, change.to_stage) == (Stage.LEERPLICHT, Stage.HALT)
    assert change.actor == professional.user
    assert change.reason == TYPED_REASON
    assert change.pupil_consent is True
    assert change.parent_consent is True
    assert change.eligibility_override is False

    page = client.get(response.url)
    assert "De zaak is doorverwezen naar Halt." in page.text
    assert f'id="stage-{change.pk}"' in page.text


def test_16_year_old_goes_to_halt_without_parent_consent(client, professional):
    case = make_case(professional, age=16)
    client.force_login(professional.user)
    response = client.post(url("refer_to_halt", case), halt_data(case, parent_consent=""))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.HALT
    assert StageChange.objects.get(case=case).parent_consent is None


def test_control_arm_referral_waits_for_a_handover(client):
    officer = ProfessionalFactory(user__username="leerplichtambtenaar")
    case = make_case(officer, arm=Arm.CONTROL)
    client.force_login(officer.user)
    response = client.post(url("refer_to_halt", case), halt_data(case))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.HALT
    assert case.handover_requested_at == NOW
    assert "wacht sinds" in client.get(response.url).text


def test_ineligible_case_without_override_is_refused_on_the_override_field(client, professional):
    case = make_case(professional, age=11)
    client.force_login(professional.user)
    response = client.post(url("refer_to_halt", case), halt_data(case))
    assert response.status_code == 422
    error = field_error(response, "override_reason")
    assert "deze leerling is 11" in error
    assert "schriftelijke reden" in error
    assert TYPED_REASON in response.text

    version = case.version
    case.refresh_from_db()
    assert case.stage == Stage.LEERPLICHT
    assert case.version == version
    assert not StageChange.objects.filter(case=case).exists()


def test_ineligible_case_with_override_goes_to_halt_and_the_timeline_says_so(client, professional):
    case = make_case(professional, age=11)
    client.force_login(professional.user)
    override = "Oudere broer zit al in een Halt-traject; samen aanpakken."
    response = client.post(url("refer_to_halt", case), halt_data(case, override_reason=override))
    assert response.status_code == 302

    case.refresh_from_db()
    assert case.stage == Stage.HALT
    change = StageChange.objects.get(case=case)
    assert change.eligibility_override is True
    assert f"Toelating overschreven: {override}" in change.reason

    page = client.get(response.url)
    assert "toelating bewust overschreven" in page.text
    assert override in page.text


def test_missing_consent_is_refused_on_the_consent_fields(client, professional, case):
    client.force_login(professional.user)
    response = client.post(
        url("refer_to_halt", case), halt_data(case, pupil_consent="", parent_consent="")
    )
    assert response.status_code == 422
    assert "toestemming van de leerling" in field_error(response, "pupil_consent")
    assert "jonger dan 16" in field_error(response, "parent_consent")
    case.refresh_from_db()
    assert case.stage == Stage.LEERPLICHT
    assert not StageChange.objects.exists()


# Concurrent edit


def test_concurrent_change_keeps_the_input_and_offers_the_new_version(
    client, coordinator, professional, other_professional, case
):
    client.force_login(coordinator)
    form_page = client.get(url("refer_to_halt", case))
    seen_version = hidden_version(form_page)
    assert seen_version == case.version

    # Meanwhile a colleague hands the case over to someone else.
    services.case_assign(
        case=case,
        professional=other_professional,
        actor=coordinator,
        reason=AssignmentReason.WORKLOAD,
        note="Verdeling na ziekte.",
        expected_version=case.version,
    )
    case.refresh_from_db()
    current_version = case.version
    assert current_version == seen_version + 1

    response = client.post(url("refer_to_halt", case), halt_data(case, version=seen_version))
    assert response.status_code == 422
    assert CONFLICT in response.text
    assert TYPED_REASON in response.text
    assert hidden_version(response) == current_version

    case.refresh_from_db()
    assert case.stage == Stage.LEERPLICHT
    assert case.version == current_version
    assert case.professional == other_professional
    assert not StageChange.objects.filter(case=case).exists()

    # Resubmitting the form as shown now applies to the current state.
    response = client.post(
        url("refer_to_halt", case), halt_data(case, version=hidden_version(response))
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.HALT
    assert case.version == current_version + 1
    assert StageChange.objects.get(case=case).actor == coordinator


# Refer to RvdK


def test_refer_to_rvdk_without_proces_verbaal_is_refused(client, professional, case):
    ContactFactory(case=case, kind=ContactKind.VERZUIMGESPREK)
    client.force_login(professional.user)
    response = client.post(
        url("refer_to_rvdk", case), {"reason": "Verzuim houdt aan.", "version": case.version}
    )
    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == [
        "Naar de Raad gaat een zaak na een proces-verbaal of een zorgmelding. "
        "Leg die eerst vast als contact."
    ]
    assert "Naar de Raad gaat een zaak na een proces-verbaal" in response.text
    assert "Verzuim houdt aan." in response.text
    case.refresh_from_db()
    assert case.stage == Stage.LEERPLICHT
    assert not StageChange.objects.exists()


def test_refer_to_rvdk_after_proces_verbaal(client, professional, case):
    ContactFactory(case=case, kind=ContactKind.PROCES_VERBAAL)
    client.force_login(professional.user)
    response = client.post(
        url("refer_to_rvdk", case), {"reason": "Proces-verbaal opgemaakt.", "version": case.version}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.RVDK
    change = StageChange.objects.get(case=case)
    assert (change.from_stage, change.to_stage) == (Stage.LEERPLICHT, Stage.RVDK)
    assert change.reason == "Proces-verbaal opgemaakt."


# Close


def close_data(case, **overrides) -> dict:
    values = {
        "category": OutcomeCategory.BACK_TO_SCHOOL,
        "achieved_on": "2026-03-13",
        "reason": "Leerling gaat weer elke dag naar school.",
        "version": case.version,
    }
    values.update(overrides)
    return values


def test_close_with_outcome(client, professional, case):
    client.force_login(professional.user)
    response = client.post(url("close", case), close_data(case))
    assert response.status_code == 302

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.closed_on == TODAY
    outcome = Outcome.objects.get(case=case)
    assert outcome.category == OutcomeCategory.BACK_TO_SCHOOL
    assert outcome.achieved_on == datetime.date(2026, 3, 13)
    assert outcome.recorded_by == professional.user
    change = StageChange.objects.get(case=case)
    assert (change.from_status, change.to_status) == (CaseStatus.OPEN, CaseStatus.CLOSED)

    page = client.get(response.url)
    assert "De zaak is gesloten." in page.text
    assert "Zaak gesloten" in page.text


def test_close_with_outcome_date_in_the_future_is_refused_on_the_date(client, professional, case):
    client.force_login(professional.user)
    response = client.post(url("close", case), close_data(case, achieved_on="2026-03-17"))
    assert response.status_code == 422
    assert "in de toekomst" in field_error(response, "achieved_on")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert not Outcome.objects.exists()


def test_close_from_halt_is_refused(client, professional):
    case = make_case(professional, stage=Stage.HALT)
    client.force_login(professional.user)
    response = client.post(url("close", case), close_data(case))
    assert response.status_code == 422
    assert "sluit met een positieve Halt-uitkomst" in response.text
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert case.stage == Stage.HALT
    assert not Outcome.objects.exists()
    assert not StageChange.objects.exists()


# Halt result


def test_positive_halt_result_closes_the_case(client, professional):
    case = make_case(professional, stage=Stage.HALT)
    client.force_login(professional.user)
    response = client.post(
        url("halt_result", case),
        {
            "result": HaltResult.POSITIVE,
            "category": OutcomeCategory.BACK_TO_SCHOOL,
            "achieved_on": "2026-03-12",
            "reason": "Leerstraf afgerond.",
            "version": case.version,
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.stage == Stage.HALT
    assert Outcome.objects.get(case=case).category == OutcomeCategory.BACK_TO_SCHOOL
    change = StageChange.objects.get(case=case)
    assert change.halt_result == HaltResult.POSITIVE
    assert change.to_status == CaseStatus.CLOSED


def test_positive_halt_result_without_outcome_is_refused(client, professional):
    case = make_case(professional, stage=Stage.HALT)
    client.force_login(professional.user)
    response = client.post(
        url("halt_result", case),
        {"result": HaltResult.POSITIVE, "reason": "Afgerond.", "version": case.version},
    )
    assert response.status_code == 422
    assert field_error(response, "category")
    assert field_error(response, "achieved_on")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert not Outcome.objects.exists()


def test_negative_halt_result_sends_the_case_back_to_leerplicht(client, professional):
    case = make_case(professional, stage=Stage.HALT)
    client.force_login(professional.user)
    response = client.post(
        url("halt_result", case),
        {"result": HaltResult.NEGATIVE, "reason": "Niet verschenen.", "version": case.version},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert case.stage == Stage.LEERPLICHT
    change = StageChange.objects.get(case=case)
    assert (change.from_stage, change.to_stage) == (Stage.HALT, Stage.LEERPLICHT)
    assert change.halt_result == HaltResult.NEGATIVE
    assert not Outcome.objects.exists()


# Reopen


def test_coordinator_reopens_a_closed_case(client, coordinator, professional):
    case = make_case(professional, status=CaseStatus.CLOSED, closed_on=TODAY)
    client.force_login(coordinator)
    response = client.post(
        url("reopen", case), {"reason": "Verzuim is opnieuw begonnen.", "version": case.version}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert case.closed_on is None
    change = StageChange.objects.get(case=case)
    assert (change.from_status, change.to_status) == (CaseStatus.CLOSED, CaseStatus.OPEN)
    assert change.actor == coordinator
    assert "Zaak heropend" in client.get(response.url).text


def test_professional_may_not_reopen(client, professional):
    case = make_case(professional, status=CaseStatus.CLOSED, closed_on=TODAY)
    client.force_login(professional.user)
    response = client.post(url("reopen", case), {"reason": "Graag open.", "version": case.version})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert not StageChange.objects.exists()


# Methods


@pytest.mark.parametrize(
    "name", ["refer_to_halt", "refer_to_rvdk", "halt_result", "close", "reopen"]
)
@pytest.mark.parametrize("method", ["put", "delete"])
def test_wrong_method_is_405(client, coordinator, case, name, method):
    client.force_login(coordinator)
    response = getattr(client, method)(url(name, case))
    assert response.status_code == 405
    version = case.version
    case.refresh_from_db()
    assert case.version == version


# What the forms say before the user submits (issue 14, #12 and #14)


def label_of(response, name: str) -> str:
    match = re.search(
        rf'<label class="utrecht-form-label" for="id_{name}">(.*?)</label>', response.text, re.S
    )
    assert match, f"no label for {name}"
    return match.group(1)


def test_rvdk_form_shows_the_missing_proces_verbaal_before_submitting(client, professional, case):
    ContactFactory(case=case, kind=ContactKind.VERZUIMGESPREK)
    client.force_login(professional.user)
    response = client.get(url("refer_to_rvdk", case))
    assert response.status_code == 200
    assert "Nog niet mogelijk:" in response.text
    assert "Naar de Raad gaat een zaak na een proces-verbaal of een zorgmelding." in response.text
    assert f'href="{url("contact_create", case)}"' in response.text


def test_rvdk_form_after_a_zorgmelding_shows_no_requirement(client, professional, case):
    ContactFactory(case=case, kind=ContactKind.ZORGMELDING)
    client.force_login(professional.user)
    response = client.get(url("refer_to_rvdk", case))
    assert "Nog niet mogelijk:" not in response.text


def test_halt_result_form_says_when_the_outcome_is_required_and_never_optional(
    client, professional
):
    case = make_case(professional, stage=Stage.HALT)
    client.force_login(professional.user)
    response = client.get(url("halt_result", case))
    assert "optioneel" not in response.text
    assert "(verplicht bij positief afgerond)" in label_of(response, "category")
    assert "(verplicht bij positief afgerond)" in label_of(response, "achieved_on")
    radio = re.search(r'<input type="radio" name="result"[^>]*>', response.text).group(0)
    assert 'hx-post=""' in radio
    assert "ververs_formulier" in radio
    assert 'hx-target="#stage-form"' in radio
    assert 'id="stage-form"' in response.text


def test_choosing_positive_makes_the_outcome_required_without_saving(client, professional):
    case = make_case(professional, stage=Stage.HALT)
    client.force_login(professional.user)
    response = client.post(
        url("halt_result", case),
        {
            "result": HaltResult.POSITIVE,
            "reason": TYPED_REASON,
            "version": case.version,
            "ververs_formulier": "1",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert label_of(response, "category").strip() == "Uitkomst van de zaak"
    assert re.search(r'<select name="category"[^>]*required', response.text)
    assert TYPED_REASON in response.text
    assert "kk-error-summary" not in response.text  # no errors before a submit
    assert "checked" in re.search(
        r'<input type="radio" name="result" value="positief"[^>]*>', response.text
    ).group(0)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert not StageChange.objects.exists()


def test_choosing_negative_leaves_the_outcome_out(client, professional):
    case = make_case(professional, stage=Stage.HALT)
    client.force_login(professional.user)
    response = client.post(
        url("halt_result", case),
        {"result": HaltResult.NEGATIVE, "version": case.version, "ververs_formulier": "1"},
    )
    assert response.status_code == 200
    assert '<input type="hidden" name="category"' in response.text
    assert 'for="id_category"' not in response.text
    assert not StageChange.objects.exists()


def test_halt_referral_of_an_eligible_child_has_no_override_field(client, professional, case):
    client.force_login(professional.user)
    response = client.get(url("refer_to_halt", case))
    assert 'for="id_override_reason"' not in response.text
    assert "optioneel" not in response.text


def test_halt_referral_of_an_ineligible_child_requires_the_override(client, professional):
    case = make_case(professional, age=11)
    client.force_login(professional.user)
    response = client.get(url("refer_to_halt", case))
    assert "(verplicht voor deze leerling)" in label_of(response, "override_reason")
    assert "optioneel" not in label_of(response, "override_reason")
    assert 'aria-required="true"' in response.text


@pytest.mark.parametrize("name", ["close", "refer_to_rvdk"])
def test_required_stage_fields_are_not_marked_optional(client, professional, case, name):
    client.force_login(professional.user)
    assert "optioneel" not in client.get(url(name, case)).text
