"""GET /api/v1/meldingen/{ref}/status and the list: the terugkoppeling, scoped to the sender."""

import datetime

import pytest
from django.utils import timezone

from api.models import ApiReferral
from cases.constants import CaseStatus, OutcomeCategory, Stage
from cases.models import Case, Outcome, StageChange
from tests.api.conftest import ApiCaller
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db


def _submit(caller, referral, n=1) -> str:
    response = caller.post("/meldingen", referral(n=n))
    assert response.status_code == 201, response.content
    return response.json()["referentie"]


def test_a_new_referral_is_received(caller, referral):
    reference = _submit(caller, referral)
    body = caller.get(f"/meldingen/{reference}/status").json()
    assert body == {
        "referentie": reference,
        "status": "ontvangen",
        "gewijzigd_op": timezone.localdate().isoformat(),
        "reden_afsluiting": None,
    }


def test_status_follows_the_case_through_the_chain(caller, referral):
    reference = _submit(caller, referral)
    case = ApiReferral.objects.get(reference=reference).case
    professional = ProfessionalFactory()
    Case.objects.filter(pk=case.pk).update(professional=professional)
    assert caller.get(f"/meldingen/{reference}/status").json()["status"] == "in_behandeling"

    Case.objects.filter(pk=case.pk).update(stage=Stage.HALT)
    assert caller.get(f"/meldingen/{reference}/status").json()["status"] == "doorverwezen"

    closed_on = timezone.localdate()
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closed_on=closed_on)
    Outcome.objects.create(
        case=case,
        category=OutcomeCategory.BACK_TO_SCHOOL,
        achieved_on=closed_on,
        recorded_by=professional.user,
    )
    body = caller.get(f"/meldingen/{reference}/status").json()
    assert body["status"] == "afgesloten"
    assert body["reden_afsluiting"] == "terug_op_school"
    assert body["gewijzigd_op"] == closed_on.isoformat()


def test_the_status_holds_no_case_content(caller, referral):
    reference = _submit(caller, referral)
    case = ApiReferral.objects.get(reference=reference).case
    text = caller.get(f"/meldingen/{reference}/status").content.decode()
    for secret in (case.number, "Bakker", "Noor", case.arm, case.child.bsn):
        assert secret not in text


def test_another_organisation_gets_404_for_a_reference(client, register, referral):
    ours = ApiCaller(client, register(name="A", organisation="School A").token)
    theirs = ApiCaller(client, register(name="B", organisation="School B").token)
    reference = _submit(ours, referral)
    response = theirs.get(f"/meldingen/{reference}/status")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert theirs.get("/meldingen/MLD-DOESNOTEXIST/status").json() == response.json()


def test_the_list_pages_with_a_cursor_in_constant_queries(
    caller, referral, django_assert_max_num_queries
):
    references = [_submit(caller, referral, n=n) for n in range(1, 6)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"aantal": 2, **({"na": cursor} if cursor else {})}
        with django_assert_max_num_queries(8):
            body = caller.get("/meldingen", **params).json()
        seen += [row["referentie"] for row in body["meldingen"]]
        cursor = body["volgende"]
        if cursor is None:
            break
    assert seen == references


def test_a_bad_cursor_is_400(caller):
    response = caller.get("/meldingen", na="!!!")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("De cursor")


def test_the_date_of_the_last_change_is_the_stage_change(caller, referral):
    reference = _submit(caller, referral)
    case = ApiReferral.objects.get(reference=reference).case
    later = timezone.now() + datetime.timedelta(days=2)
    Case.objects.filter(pk=case.pk).update(stage=Stage.RVDK)
    StageChange.objects.filter(case=case).update(changed_at=later)
    body = caller.get(f"/meldingen/{reference}/status").json()
    assert body["gewijzigd_op"] == timezone.localdate(later).isoformat()


def test_a_nul_byte_in_the_query_is_a_problem_not_a_page(caller):
    response = caller.get("/meldingen", na="\x00")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_an_unknown_query_parameter_is_refused(caller):
    response = caller.get("/meldingen", pagina="2")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
