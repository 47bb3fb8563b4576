"""Bad input on the intake and the case lists: a 4xx or a form error in Dutch, never a 500.

The input classes of issue 10: huge digit strings (beyond Python's 4,300-digit int limit), NUL
bytes (PostgreSQL refuses them in text), far dates and over-long text. A refused intake leaves
no child, household or case behind.
"""

import pytest
from django.urls import reverse

from cases.models import Case, Child, Household
from tests.factories import CaseFactory, ChildFactory, SchoolFactory, valid_bsn

pytestmark = pytest.mark.django_db

HUGE_DIGITS = "1" * 5000  # int() refuses more than 4,300 digits
BIG_NUMBER = "9" * 30  # past any database integer
NUL = "Zijlweg\x00 245"
LONG_TEXT = "x" * 10_000
BAD_BSN = "Dit is geen geldig BSN"
BAD_ONDERWIJSNUMMER = "Dit is geen geldig onderwijsnummer"


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    # A 500 must show as a status code here, not as an exception in the test.
    client.raise_request_exception = False
    return client


@pytest.fixture(autouse=True)
def school():
    return SchoolFactory(brin="05KD")


def assert_refused_in_the_url(response, form: str, field: str) -> None:
    """A NUL byte in the query string: refused as a whole (400, bip/lib/middleware.py), or, if
    it gets through to the view, a form error on the field. Never a 500."""
    if response.status_code == 400:
        return
    assert response.status_code == 200
    assert response.context[form].errors[field]


def row_counts() -> tuple[int, int, int]:
    return Household.objects.count(), Child.objects.count(), Case.objects.count()


def new_child_post(**overrides) -> dict:
    return {
        "nieuw": "1",
        "first_name": "Fleur",
        "last_name": "Zonneveld",
        "date_of_birth": "2012-05-04",
        "bsn": valid_bsn(800_001),
        "onderwijsnummer": "",
        "school_brin": "05KD",
        "sibling_bsn": "",
        "street": "Zijlweg 245",
        "postcode": "2015 CK",
        "city": "Haarlem",
        "date_received": "2026-03-10",
        "source": "duo",
        "melding_type": "16uur",
        "period_start": "2026-02-09",
        "period_end": "2026-03-06",
        "hours_absent": "18",
        "times_late": "2",
    } | overrides


def post_new_child(client, **overrides):
    return client.post(reverse("cases:intake") + "?nieuw=1", new_child_post(**overrides))


# Huge digit strings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "message"),
    [("bsn", BAD_BSN), ("onderwijsnummer", BAD_ONDERWIJSNUMMER), ("sibling_bsn", BAD_BSN)],
)
def test_intake_refuses_a_huge_digit_string_as_an_identifier(coordinator_client, field, message):
    before = row_counts()

    response = post_new_child(coordinator_client, **{field: HUGE_DIGITS})

    assert response.status_code == 422
    assert message in response.content.decode()
    assert response.context["child_form"].errors[field]
    assert row_counts() == before


def test_intake_search_refuses_a_huge_digit_bsn(coordinator_client):
    response = coordinator_client.get(reverse("cases:intake"), {"zoek": "1", "bsn": HUGE_DIGITS})

    assert response.status_code == 200
    assert BAD_BSN in response.content.decode()
    assert response.context["matches"] == []


@pytest.mark.parametrize("child_param", [HUGE_DIGITS, BIG_NUMBER, "-1", "0", "١٢", "1\x00", "abc"])
def test_intake_treats_a_malformed_child_id_as_no_child(coordinator_client, child_param):
    ChildFactory()
    before = row_counts()

    shown = coordinator_client.get(reverse("cases:intake"), {"child": child_param})
    # The form posts the child's id in its body too (not only in its action's query string).
    posted = coordinator_client.post(
        reverse("cases:intake"),
        {"child": child_param} | {k: v for k, v in new_child_post().items() if k != "nieuw"},
    )

    responses = [posted] if "\x00" in child_param and shown.status_code == 400 else [shown, posted]
    for response in responses:
        assert response.status_code == 200
        assert response.context["child"] is None
        assert response.context["referral_form"] is None
        assert "Zoek eerst het kind" in response.content.decode()
    assert row_counts() == before


def test_intake_still_finds_a_child_by_a_plain_id(coordinator_client):
    child = ChildFactory()

    response = coordinator_client.get(reverse("cases:intake"), {"child": str(child.pk)})

    assert response.status_code == 200
    assert response.context["child"] == child


@pytest.mark.parametrize("value", [HUGE_DIGITS, BIG_NUMBER])
def test_case_list_refuses_a_huge_professional_id(coordinator_client, value):
    CaseFactory(assigned=True)

    response = coordinator_client.get(reverse("cases:case_list"), {"professional": value})

    assert response.status_code == 200
    assert response.context["form"].errors["professional"]


@pytest.mark.parametrize("page", [HUGE_DIGITS, BIG_NUMBER, "-1", "1e400", "²"])
def test_case_list_and_my_cases_survive_a_junk_page_number(coordinator_client, professional, page):
    CaseFactory(professional=professional)

    assert coordinator_client.get(reverse("cases:case_list"), {"pagina": page}).status_code == 200
    coordinator_client.force_login(professional.user)
    mine = coordinator_client.get(reverse("cases:my_cases"), {"pagina": page})
    assert mine.status_code == 200
    assert mine.context["page"].number == 1


# NUL bytes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["street", "postcode", "city", "last_name", "bsn"])
def test_intake_refuses_a_nul_byte(coordinator_client, field):
    before = row_counts()

    response = post_new_child(coordinator_client, **{field: NUL})

    assert response.status_code == 422
    assert "Null-tekens zijn niet toegestaan." in response.content.decode()
    assert response.context["child_form"].errors[field]
    assert row_counts() == before


@pytest.mark.parametrize("param", ["q", "school", "sort", "stage", "professional"])
def test_case_list_refuses_a_nul_byte_in_a_filter(coordinator_client, param):
    CaseFactory()

    response = coordinator_client.get(reverse("cases:case_list"), {param: NUL})

    assert_refused_in_the_url(response, "form", param)


def test_intake_search_refuses_a_nul_byte(coordinator_client):
    response = coordinator_client.get(
        reverse("cases:intake"), {"zoek": "1", "last_name": NUL, "date_of_birth": "2012-05-04"}
    )

    assert_refused_in_the_url(response, "search", "last_name")


# Far dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("field", ["date_of_birth", "date_received", "period_start", "period_end"])
def test_intake_refuses_a_far_date(coordinator_client, field, date):
    before = row_counts()

    response = post_new_child(coordinator_client, **{field: date})

    assert response.status_code == 422
    assert row_counts() == before


@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01", "99999-01-01"])
def test_intake_search_by_a_far_date_of_birth_finds_nothing(coordinator_client, date):
    ChildFactory(last_name="Zonneveld")

    response = coordinator_client.get(
        reverse("cases:intake"), {"zoek": "1", "last_name": "Zonneveld", "date_of_birth": date}
    )

    assert response.status_code == 200
    assert response.context["matches"] == []


# Over-long text and junk choices -----------------------------------------------------------


@pytest.mark.parametrize("field", ["first_name", "last_name", "street", "city", "school_brin"])
def test_intake_refuses_over_long_text(coordinator_client, field):
    before = row_counts()

    response = post_new_child(coordinator_client, **{field: LONG_TEXT})

    assert response.status_code == 422
    assert "Zorg dat deze waarde niet meer dan" in response.content.decode()
    assert response.context["child_form"].errors[field]
    assert row_counts() == before


@pytest.mark.parametrize(
    ("param", "value"),
    [("q", LONG_TEXT), ("school", LONG_TEXT), ("sort", "'; DROP TABLE--"), ("sort", LONG_TEXT)],
)
def test_case_list_refuses_over_long_or_junk_filters(coordinator_client, param, value):
    CaseFactory()

    response = coordinator_client.get(reverse("cases:case_list"), {param: value})

    assert response.status_code == 200
    assert response.context["form"].errors[param]


def test_my_cases_refuses_a_junk_sort(client, professional):
    CaseFactory(professional=professional)
    client.force_login(professional.user)

    response = client.get(reverse("cases:my_cases"), {"sort": LONG_TEXT, "stage": "x" * 500})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"sort", "stage"}
    assert response.context["page"].object_list[0].professional == professional
