"""POST /api/v1/meldingen and the batch: registration, idempotency, duplicates, bad input."""

import json

import pytest
from django.db.models import F

from api.models import ApiReferral, IdempotencyRecord
from audit.models import AccessLogEntry
from cases.constants import CaseSource, CaseStatus
from cases.models import Case, Child, StageChange
from evaluation.models import Allocation

pytestmark = pytest.mark.django_db


def test_a_referral_is_registered_allocated_and_answered_with_a_reference(caller, referral):
    response = caller.post("/meldingen", referral())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "ontvangen"
    referral_row = ApiReferral.objects.get(reference=body["referentie"])
    case = referral_row.case
    assert case.source == CaseSource.SCHOOL
    assert case.status == CaseStatus.OPEN
    assert case.arm  # allocated like an intake
    assert Allocation.objects.filter(case=case).count() == 1
    assert StageChange.objects.filter(case=case).count() == 1  # the initial stage
    assert response["Location"] == f"/api/v1/meldingen/{body['referentie']}/status"
    # Nothing of the case in the answer.
    assert set(body) == {"referentie", "status"}


def test_every_call_is_in_the_access_log_with_the_client_as_actor(caller, referral):
    response = caller.post("/meldingen", referral())
    entry = AccessLogEntry.objects.get()
    assert entry.actor.api_client.name == "Schoolpakket"
    assert entry.http_status == 201
    assert entry.case_id == ApiReferral.objects.get().case_id
    assert entry.details["api_client"] == "Schoolpakket"
    caller.get(f"/meldingen/{response.json()['referentie']}/status")
    assert AccessLogEntry.objects.count() == 2


def test_a_retry_with_the_same_key_gets_the_same_answer_and_no_second_case(caller, referral):
    body = referral()
    first = caller.post("/meldingen", body, **{"Idempotency-Key": "abc-1"})
    again = caller.post("/meldingen", body, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 201
    # Byte for byte, not only as JSON: PostgreSQL's jsonb stores the answer with its keys
    # reordered, so a client comparing bodies would see a different answer otherwise.
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1


def test_a_key_reused_with_another_body_is_refused(caller, referral):
    caller.post("/meldingen", referral(), **{"Idempotency-Key": "k"})
    response = caller.post("/meldingen", referral(n=2), **{"Idempotency-Key": "k"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert "Idempotency-Key" in response.json()["detail"]
    assert Case.objects.count() == 1


def test_a_duplicate_answers_409_with_the_reference_and_no_case_data(caller, referral):
    first = caller.post("/meldingen", referral()).json()
    response = caller.post("/meldingen", referral(soort_verzuim="relatief"))
    assert response.status_code == 409
    problem = response.json()
    assert problem["referentie"] == first["referentie"]
    case = Case.objects.get()
    text = response.content.decode()
    assert case.number not in text and "Bakker" not in text
    assert Case.objects.count() == 1


def test_a_duplicate_of_another_organisations_referral_gives_no_reference(
    client, register, referral
):
    from tests.api.conftest import ApiCaller

    ours = ApiCaller(client, register(name="A", organisation="School A").token)
    theirs = ApiCaller(client, register(name="B", organisation="School B").token)
    ours.post("/meldingen", referral())
    response = theirs.post("/meldingen", referral())
    assert response.status_code == 409
    assert "referentie" not in response.json()


@pytest.mark.parametrize(
    ("raw", "body", "status", "field"),
    [
        (b"{not json", None, 400, None),
        (None, {"uren_verzuim": "veel"}, 422, "uren_verzuim"),
        (None, {"geboortedatum": 20120501}, 422, "geboortedatum"),
        (None, {"schoenmaat": "42"}, 422, "schoenmaat"),
        (None, {"bsn": "123456789"}, 422, "bsn"),
        (None, {"brin": "99ZZ"}, 422, "brin"),
        (None, {"achternaam": None}, 422, "achternaam"),
    ],
)
def test_bad_input_is_a_dutch_problem_and_saves_nothing(caller, referral, raw, body, status, field):
    payload = referral(**(body or {}))
    response = caller.post("/meldingen", payload, raw=raw)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    if field:
        assert field in [error["field"] for error in problem["errors"]], problem
    assert Case.objects.count() == Child.objects.count() == 0


def test_a_future_date_is_refused(caller, referral):
    import datetime

    from django.utils import timezone

    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = caller.post("/meldingen", referral(meldingsdatum=tomorrow))
    assert response.status_code == 422
    assert "meldingsdatum" in [error["field"] for error in response.json()["errors"]]
    assert Case.objects.count() == 0


def test_a_body_over_the_limit_is_413_before_it_is_read(caller):
    big = json.dumps({"achternaam": "x" * (10 * 1024 * 1024)}).encode()
    response = caller.post("/meldingen", None, raw=big)
    assert response.status_code == 413
    assert response.json()["title"] == "Verzoek te groot"


def test_a_batch_is_all_or_nothing_with_per_item_errors(caller, referral):
    items = [referral(n=1), referral(n=2, bsn="123456789"), referral(n=3)]
    response = caller.post("/meldingen:batch", {"meldingen": items})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {error["index"] for error in errors} == {1}
    assert Case.objects.count() == 0

    response = caller.post("/meldingen:batch", {"meldingen": [items[0], items[2]]})
    assert response.status_code == 201
    assert len(response.json()["meldingen"]) == 2
    assert Case.objects.count() == 2


def test_a_batch_over_1000_is_refused(caller, referral):
    response = caller.post("/meldingen:batch", {"meldingen": [referral()] * 1001})
    assert response.status_code == 422
    assert Case.objects.count() == 0


def test_the_same_child_twice_in_a_batch_is_refused(caller, referral):
    response = caller.post("/meldingen:batch", {"meldingen": [referral(), referral()]})
    assert response.status_code == 422
    assert [error["index"] for error in response.json()["errors"]] == [1]


def test_idempotency_records_are_per_client(client, register, referral):
    from tests.api.conftest import ApiCaller

    a = ApiCaller(client, register(name="A").token)
    b = ApiCaller(client, register(name="B", organisation="Ander").token)
    a.post("/meldingen", referral(n=1), **{"Idempotency-Key": "same"})
    response = b.post("/meldingen", referral(n=2), **{"Idempotency-Key": "same"})
    assert response.status_code == 201
    assert IdempotencyRecord.objects.count() == 2


def test_a_key_is_free_again_once_its_stored_answer_has_expired(caller, referral):
    import datetime

    from api.services import IDEMPOTENCY_HOURS

    first = caller.post("/meldingen", referral(), **{"Idempotency-Key": "oud"})
    IdempotencyRecord.objects.update(
        created_at=F("created_at") - datetime.timedelta(hours=IDEMPOTENCY_HOURS, seconds=1)
    )
    second = caller.post("/meldingen", referral(n=2), **{"Idempotency-Key": "oud"})
    assert second.status_code == 201, second.content
    assert second.json()["referentie"] != first.json()["referentie"]
    assert Case.objects.count() == 2
    stored = IdempotencyRecord.objects.get()  # the expired answer made way for the new one
    assert stored.body == second.json()
    # Within the hours, the same key with another body is still refused.
    third = caller.post("/meldingen", referral(n=3), **{"Idempotency-Key": "oud"})
    assert third.status_code == 422


def test_a_referral_takes_a_fixed_number_of_statements(
    caller, referral, django_assert_max_num_queries
):
    """Client, service account, key, school, child, household, case number, case, allocation
    (stratum, draw, arm), change history, stage history, reference, stored answer and access
    log: 27 statements in all, savepoints included. The client and its service account (with
    its groups) are two compiled statements, cheaper than compiling one joined query on every
    call; the case number is one UPDATE ... RETURNING."""
    caller.post("/meldingen", referral(n=9))  # the stratum's sequence row exists
    with django_assert_max_num_queries(27):
        response = caller.post("/meldingen", referral(n=1), **{"Idempotency-Key": "q"})
    assert response.status_code == 201
