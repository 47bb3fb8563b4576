"""The API and the CSV import accept and refuse the same referrals.

Each variant is sent twice: as a one-line DUO CSV file through the import's reader and checks,
and as JSON to POST /api/v1/meldingen. Both must accept it, or both refuse it (a refusal by
the API is a 4xx problem; by the import a line error). The API adds no rule of its own and
drops none.
"""

import datetime
import json

import pytest
from django.utils import timezone

from cases.imports.checks import check_rows
from cases.imports.reader import COLUMNS, DELIMITER, read_rows
from cases.models import Case

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _days(n: int) -> str:
    return (TODAY - datetime.timedelta(days=n)).isoformat()


VARIANTS = {
    "valid": {},
    "bsn fails the 11-proef": {"bsn": "123456789"},
    "onderwijsnummer instead of bsn": {"bsn": None, "onderwijsnummer": "100000004"},
    "neither bsn nor onderwijsnummer": {"bsn": None},
    "unknown brin": {"brin": "99ZZ"},
    "absolute absence without brin": {"brin": None, "soort_verzuim": "absoluut"},
    "relative absence without brin": {"brin": None},
    "unknown kind of absence": {"soort_verzuim": "spijbelen"},
    "referral date in the future": {
        "meldingsdatum": (TODAY + datetime.timedelta(days=1)).isoformat()
    },
    "birth date in the future": {"geboortedatum": (TODAY + datetime.timedelta(days=3)).isoformat()},
    "child too young": {"geboortedatum": _days(365 * 3)},
    "child too old": {"geboortedatum": _days(365 * 19)},
    "period ends after the referral": {"verzuim_tot_en_met": _days(1)},
    "period ends before it starts": {"verzuim_vanaf": _days(4), "verzuim_tot_en_met": _days(30)},
    "too many hours": {"uren_verzuim": 5000},
    "empty last name": {"achternaam": ""},
    "last name too long": {"achternaam": "x" * 151},
    "new child without address": {"straat": None, "postcode": None, "plaats": None},
    "bad postcode": {"postcode": "ABCD 12"},
}


def _csv(body: dict) -> bytes:
    cells = {column: body.get(column) for column in COLUMNS}
    line = DELIMITER.join("" if value is None else str(value) for value in cells.values())
    return (DELIMITER.join(COLUMNS) + "\n" + line + "\n").encode()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_api_and_the_csv_import_agree(caller, referral, variant):
    body = referral(n=7, **VARIANTS[variant])  # None drops the field

    checks = check_rows(read_rows(_csv(body)))
    import_accepts = all(check.is_valid for check in checks)

    response = caller.post("/meldingen", body)
    api_accepts = response.status_code == 201
    assert response.status_code < 500
    assert api_accepts == import_accepts, (variant, response.json(), checks[0].errors)
    assert Case.objects.count() == int(api_accepts)


def test_the_schema_has_exactly_the_import_columns():
    from api.schemas import ReferralIn

    assert sorted(ReferralIn.model_fields) == sorted(COLUMNS)


def test_an_open_case_is_a_duplicate_for_both(caller, referral):
    body = referral(n=8)
    assert caller.post("/meldingen", body).status_code == 201
    checks = check_rows(read_rows(_csv(body)))
    assert not checks[0].is_valid
    assert caller.post("/meldingen", body).status_code == 409
    assert json.loads(caller.post("/meldingen", body).content)["status"] == 409
