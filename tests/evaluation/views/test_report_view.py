"""The researcher's report page (evaluation.views.report.home)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluation.constants import Arm
from evaluation.definitions import DEFINITIONS, MeasurementStatus
from evaluation.models import Measurement
from evaluation.report import KaplanMeierCurve
from evaluation.statistics import kaplan_meier
from evaluation.views.report import km_chart
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

URL = reverse("evaluation:home")
D = datetime.date
MARCH = D(2024, 3, 1)


@pytest.fixture(autouse=True)
def study(settings):
    settings.STUDY_START, settings.STUDY_END = "2024-01-01", "2024-12-31"


@pytest.fixture
def logged_in(client, researcher):
    client.force_login(researcher)
    return client


def measured(arm, count, *, received=MARCH, suitable=True):
    for _ in range(count):
        case = CaseFactory(arm=arm, date_received=received)
        Measurement.objects.create(
            case=case,
            arm=arm,
            date_received=received,
            measured_on=case.three_month_deadline,
            status=MeasurementStatus.MEASURED,
            suitable=suitable,
            days_to_outcome=30 if suitable else None,
            days_to_first_contact=4,
            distinct_professionals=1 if arm == Arm.BIP else 3,
            handovers=0,
            contacts=4,
            furthest_stage="leerplicht",
            km_days=30 if suitable else 91,
            km_event=suitable,
            definitions_version=1,
            study_end=D(2024, 12, 31),  # the STUDY_END of the `study` fixture
        )


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# ------------------------------------------------------------------------- access


def test_researcher_sees_both_arms(logged_in):
    measured(Arm.BIP, 6)
    measured(Arm.CONTROL, 5, suitable=False)
    response = logged_in.get(URL)
    assert response.status_code == 200
    bip, control = response.context["report"].arms
    assert (bip.measured.value, control.measured.value) == (6, 5)
    page = text(response)
    assert "BIP-arm" in page and "Controlearm" in page
    assert "100,0&nbsp;%" in page  # BIP suitable, Dutch decimal comma
    assert 'role="img"' in page and 'aria-labelledby="km-chart-title km-chart-desc"' in page
    assert page.count('class="kk-km__line kk-km__line--bip"') == 2  # curve and legend
    assert "{# exports link: added by export helper #}" not in page  # a template comment


@pytest.mark.parametrize("role", ["coordinator", "professional", "administrator"])
def test_other_roles_get_403(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(getattr(user, "user", user))
    assert client.get(URL).status_code == 403


def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_post_is_not_allowed(logged_in):
    assert logged_in.post(URL).status_code == 405


# ------------------------------------------------------------------------- the filter


def test_default_period_is_the_study_period(logged_in):
    measured(Arm.BIP, 5)
    measured(Arm.BIP, 5, received=D(2023, 12, 31))  # before the study
    response = logged_in.get(URL)
    report = response.context["report"]
    assert (report.period.date_from, report.period.date_to) == (D(2024, 1, 1), D(2024, 12, 31))
    assert report.arms[0].measured.value == 5
    assert 'value="2024-01-01"' in text(response) and 'value="2024-12-31"' in text(response)


def test_period_filter(logged_in):
    measured(Arm.BIP, 5, received=D(2024, 3, 1))
    measured(Arm.BIP, 6, received=D(2024, 5, 1))
    response = logged_in.get(URL, {"date_from": "2024-04-01", "date_to": "2024-06-30"})
    assert response.status_code == 200
    assert response.context["report"].arms[0].measured.value == 6
    # Dutch notation is accepted too, and an empty field falls back on the study period.
    response = logged_in.get(URL, {"date_from": "01-03-2024", "date_to": ""})
    report = response.context["report"]
    assert (report.period.date_from, report.period.date_to) == (D(2024, 3, 1), D(2024, 12, 31))
    assert report.arms[0].measured.value == 11


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "31-02-2024"}, "Vul een geldige datum in"),
        ({"date_to": "morgen"}, "Vul een geldige datum in"),
        ({"date_from": "99999999999999999999"}, "Vul een geldige datum in"),
        ({"date_from": "2024-06-01", "date_to": "2024-01-31"}, "De einddatum ligt vóór"),
    ],
)
def test_bad_dates_answer_400_and_keep_what_was_typed(logged_in, params, message):
    response = logged_in.get(URL, params)
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert "Er ging iets mis" in page  # the error summary
    for value in params.values():
        assert f'value="{value}"' in page
    assert "report" not in response.context


def test_empty_state(logged_in):
    response = logged_in.get(URL)
    assert "Er zijn geen meldingen in deze periode" in text(response)
    assert 'role="img"' not in text(response)


def test_definitions_are_quoted(logged_in):
    page = text(logged_in.get(URL))
    assert 'id="definities"' in page
    for key in DEFINITIONS:
        assert f'id="definitie-{key}"' in page
    assert "Alles op of vóór de meetdatum telt mee" in page


# ------------------------------------------------------------------------- suppression


def test_small_cells_show_less_than_five_never_the_number(logged_in):
    measured(Arm.BIP, 4)
    measured(Arm.CONTROL, 7, suitable=False)
    response = logged_in.get(URL)
    page = text(response)
    flow = page[
        page.index('id="flow-caption"') : page.index("</table>", page.index("flow-caption"))
    ]
    allocated = re.search(r"Toegewezen \(n\)</th>(.*?)</tr>", flow).group(1)
    assert "&lt;&nbsp;5" in allocated and ">7<" in allocated
    assert ">4<" not in allocated
    # The BIP curve is not drawn; the control curve is.
    assert 'kk-km__line--bip" d=' not in page
    assert 'kk-km__line--controle" d=' in page
    assert "BIP-arm: niet getekend, minder dan 5 zaken" in page


# ------------------------------------------------------------------------- queries


def test_query_count_does_not_grow_with_the_data(logged_in):
    measured(Arm.BIP, 5)
    measured(Arm.CONTROL, 5)
    with CaptureQueriesContext(connection) as small:
        assert logged_in.get(URL).status_code == 200
    measured(Arm.BIP, 30, received=D(2024, 4, 1))
    measured(Arm.CONTROL, 30, received=D(2024, 5, 1), suitable=False)
    with CaptureQueriesContext(connection) as large:
        assert logged_in.get(URL).status_code == 200
    # 12, plus late entry, the freeze picker and the snapshot's STUDY_END check.
    assert len(small.captured_queries) == len(large.captured_queries) <= 15


# ------------------------------------------------------------------------- the chart


def test_km_chart_paths():
    curve = KaplanMeierCurve(
        arm=Arm.BIP,
        n=10,
        steps=kaplan_meier([(23, True, 5), (46, False, 5)]),
        table=[],
    )
    hidden = KaplanMeierCurve(arm=Arm.CONTROL, n=None, steps=[], table=[])
    chart = km_chart([curve, hidden])
    assert len(chart["lines"]) == 1
    # Day 0 at x = 52; 23 days of 92 = a quarter of 560 units; half reached: y = 16 + 130.
    assert chart["lines"][0]["path"] == "M52.0,276.0H192.0V146.0H332.0"
