"""The printable recommendation report (evaluation.views.report.recommendation)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluation.constants import Arm
from tests.evaluation.views.test_report_view import measured, text
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

URL = reverse("evaluation:recommendation")
D = datetime.date


@pytest.fixture(autouse=True)
def study(settings):
    settings.STUDY_START, settings.STUDY_END = "2024-01-01", "2024-12-31"


@pytest.fixture
def logged_in(client, researcher):
    client.force_login(researcher)
    return client


def test_researcher_gets_every_part_of_the_recommendation(logged_in):
    measured(Arm.BIP, 10)
    measured(Arm.BIP, 5, suitable=False)
    measured(Arm.CONTROL, 5)
    measured(Arm.CONTROL, 10, suitable=False)
    for arm in (Arm.BIP, Arm.CONTROL):
        CaseFactory.create_batch(5, arm=arm, date_received=D(2024, 3, 1))
    response = logged_in.get(URL, {"van": "2024-01", "tot": "2024-12", "freeze": "dagelijks"})
    assert response.status_code == 200
    page = text(response)
    for part in (
        'id="flow-caption"',  # CONSORT flow
        'id="table1"',  # Table 1
        'id="estimates"',  # effect estimates
        'id="forest-table"',  # forest plot data
        'aria-labelledby="forest-chart-title forest-chart-desc"',
        'id="satisfaction-caption-ouder"',  # satisfaction, clients and staff
        'id="satisfaction-caption-medewerker"',
        'id="outcome-caption"',  # the three-month figures
        'aria-labelledby="km-chart-title km-chart-desc"',
        'id="definities"',
    ):
        assert part in page, part
    assert "33,3&nbsp;procentpunt" in page
    assert 'id="recommendation-source">Actuele metingen, geen bevriezing' in page
    # Print-ready: the print style sheet is linked for print only, nothing inline (CSP).
    assert re.search(
        r'<link rel="stylesheet" href="[^"]*css/print-report\.css" media="print">', page
    )
    assert "style=" not in page[page.index('<div class="kk-dashboard') :]
    assert "<script" not in page[page.index('<div class="kk-dashboard') :]


def test_same_suppression_as_the_report(logged_in):
    measured(Arm.BIP, 4)
    measured(Arm.CONTROL, 7, suitable=False)
    response = logged_in.get(URL)
    report = response.context["report"]
    assert report.arms[0].allocated.suppressed and report.arms[1].allocated.suppressed
    flow = text(response)
    flow = flow[
        flow.index('id="flow-caption"') : flow.index("</table>", flow.index("flow-caption"))
    ]
    allocated = re.search(r"Toegewezen \(n\)</th>(.*?)</tr>", flow).group(1)
    assert allocated.count('<span class="kk-suppressed">x</span>') == 2
    assert ">4<" not in allocated and ">7<" not in allocated and "&lt;" not in allocated


def test_the_period_is_widened_as_on_the_report(logged_in):
    measured(Arm.BIP, 5, received=D(2024, 3, 10))
    measured(Arm.BIP, 1, received=D(2024, 4, 2))
    response = logged_in.get(URL, {"van": "2024-04", "tot": "2024-04"})
    assert response.context["widened"]
    assert 'id="period-widened"' in text(response)


@pytest.mark.parametrize("params", [{"van": "2024-13"}, {"van": "2024-06", "tot": "2024-01"}])
def test_bad_input_answers_400_and_keeps_what_was_typed(logged_in, params):
    response = logged_in.get(URL, params)
    assert response.status_code == 400
    page = text(response)
    assert "Er ging iets mis" in page
    assert f'name="van" value="{params["van"]}"' in page
    assert "report" not in response.context


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


def test_query_count_does_not_grow_with_the_data(logged_in):
    measured(Arm.BIP, 5)
    measured(Arm.CONTROL, 5)
    with CaptureQueriesContext(connection) as small:
        assert logged_in.get(URL).status_code == 200
    measured(Arm.BIP, 30, received=D(2024, 4, 1))
    measured(Arm.CONTROL, 30, received=D(2024, 5, 1), suitable=False)
    with CaptureQueriesContext(connection) as large:
        assert logged_in.get(URL).status_code == 200
    # The same queries as the report page (see test_report_view).
    assert len(small.captured_queries) == len(large.captured_queries) <= 21
