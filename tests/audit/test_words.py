"""Issue 14 item 18 on the beheerder's pages: case numbers instead of internal ids, a child
found by case number, and *je* as on every other page."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from audit.constants import ObjectType
from tests.factories import CaseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]

LOG = reverse("audit:log")
FIND = reverse("audit:find_child")


def test_the_log_shows_case_numbers_not_internal_ids(admin_client, make_entry, professional):
    case = CaseFactory(number="2026-004711")
    make_entry(
        actor=professional.user,
        object_type=ObjectType.CASE,
        object_id=str(case.pk),
        case_id=case.pk,
        child_id=case.child_id,
    )
    html = admin_client.get(LOG).text
    rows = re.findall(r"<tr class=\"utrecht-table__row\">.*?</tr>", html, re.S)
    row = next(r for r in rows if "2026-004711" in r)
    assert "Zaak 2026-004711" in row
    assert f"Zaak {case.pk}<" not in row and f"kind {case.child_id}" not in row
    assert reverse("audit:child_access", args=[case.child_id]) in row
    assert "Kind-id" not in html and "Zaak-id" not in html


def test_a_case_removed_by_retention_says_so(admin_client, make_entry, professional):
    make_entry(actor=professional.user, object_type=ObjectType.CASE, case_id=987654)
    html = admin_client.get(LOG).text
    assert "verwijderd" in html
    assert "987654" not in html.split("<tbody")[1]


def test_log_case_numbers_cost_one_query(
    admin_client, make_entry, professional, django_assert_max_num_queries
):
    for _ in range(3):
        case = CaseFactory()
        make_entry(actor=professional.user, case_id=case.pk, child_id=case.child_id)
    admin_client.get(LOG)
    for _ in range(20):
        case = CaseFactory()
        make_entry(actor=professional.user, case_id=case.pk, child_id=case.child_id)
    with django_assert_max_num_queries(14):
        admin_client.get(LOG)


@pytest.mark.parametrize("target", ["toegang", "inzage"])
def test_find_a_child_by_case_number(admin_client, target):
    case = CaseFactory(number="2026-000123")
    response = admin_client.post(FIND, {"nummer": " 2026-000123 ", "doel": target})
    assert response.status_code == 302
    name = "audit:inzage" if target == "inzage" else "audit:child_access"
    assert response.url == reverse(name, args=[case.child_id])


def test_an_unknown_case_number_is_a_form_error(admin_client):
    response = admin_client.post(FIND, {"nummer": "2026-999999"})
    assert response.status_code == 422
    assert "Er is geen kind met dit BSN, onderwijsnummer of zaaknummer." in response.text
    assert 'value="2026-999999"' in response.text


def test_find_still_works_by_bsn(admin_client):
    case = CaseFactory()
    response = admin_client.post(FIND, {"nummer": case.child.bsn})
    assert response.url == reverse("audit:child_access", args=[case.child_id])


def test_the_child_filter_is_not_typed_but_offered_from_the_child(admin_client, make_entry):
    html = admin_client.get(LOG).text
    assert 'name="kind"' not in html
    html = admin_client.get(LOG, {"kind": 5}).text
    assert 'type="hidden" name="kind" value="5"' in html
    assert "Alleen de logregels van één kind" in html


def test_the_beheerders_pages_say_je_not_u():
    """The rest of the product says *je*; the audit pages and their Python strings too."""
    root = Path(settings.BASE_DIR)
    texts = [p.read_text() for p in (root / "templates" / "audit").glob("*.html")]
    texts += [p.read_text() for p in (root / "audit").glob("*.py")]
    formal = re.compile(r"\b(u|uw|U|Uw)\b(?![-_])")
    for text in texts:
        strings = re.findall(r'(?:translate|_\()\s*"([^"]*)"', text)
        for string in strings:
            assert not formal.search(string), string
