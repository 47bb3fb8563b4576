"""The researcher's report page (evaluation.views.report.home)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluation.aggregates import latest_aggregate
from evaluation.constants import Arm
from evaluation.definitions import DEFINITIONS, MeasurementStatus
from evaluation.freezes import freeze_create
from evaluation.models import Measurement
from tests.evaluation.exports.conftest import IMMEDIATE_TASKS
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
    assert control.measured.value == 5
    # 6 of 6 suitable would say that every BIP child had a suitable outcome: hidden, and
    # with it (secondary suppression) the measured count it would be derived from.
    assert bip.suitable.suppressed and bip.measured.suppressed
    page = text(response)
    assert "BIP-arm" in page and "Controlearm" in page
    assert "100,0&nbsp;%" not in page
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
    page = text(response)
    assert 'type="month" name="van" value="2024-01"' in page
    assert 'type="month" name="tot" value="2024-12"' in page
    assert 'id="period-widened"' not in page


def test_period_filter_takes_whole_months(logged_in):
    measured(Arm.BIP, 5, received=D(2024, 3, 1))
    measured(Arm.BIP, 6, received=D(2024, 5, 31))
    response = logged_in.get(URL, {"van": "2024-05", "tot": "2024-06"})
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.period.date_from, report.period.date_to) == (D(2024, 5, 1), D(2024, 6, 30))
    assert report.arms[0].measured.value == 6
    assert not response.context["widened"]
    # An empty field falls back on the study's bound.
    response = logged_in.get(URL, {"van": "2024-03", "tot": ""})
    report = response.context["report"]
    assert (report.period.date_from, report.period.date_to) == (D(2024, 3, 1), D(2024, 12, 31))
    assert report.arms[0].measured.value == 11


def test_a_month_with_too_few_referrals_is_widened_to_its_block(logged_in):
    measured(Arm.BIP, 5, received=D(2024, 3, 10))
    measured(Arm.CONTROL, 5, received=D(2024, 3, 11))
    measured(Arm.BIP, 1, received=D(2024, 4, 2))  # one BIP referral in April
    measured(Arm.BIP, 5, received=D(2024, 6, 2))
    april = logged_in.get(URL, {"van": "2024-04", "tot": "2024-04"})
    assert april.status_code == 200
    assert april.context["widened"]
    months = april.context["months"]
    # March closes a block (5 and 5); April's single BIP referral stays open until June's
    # referrals close the next block: April alone cannot be asked.
    assert (months.first_month, months.last_month) == (D(2024, 4, 1), D(2024, 6, 1))
    page = text(april)
    assert 'id="period-widened"' in page
    assert f"U vroeg om {april.context['requested_period'].label()}" in page
    assert f"het rapport toont {months.label()}" in page
    # The period-differencing attack: March-April minus March would isolate April's single
    # referral. March-April is widened to March-June, so the difference is a whole block.
    march = logged_in.get(URL, {"van": "2024-03", "tot": "2024-03"})
    assert not march.context["widened"]
    both = logged_in.get(URL, {"van": "2024-03", "tot": "2024-04"})
    assert both.context["months"].last_month == D(2024, 6, 1)
    difference = both.context["report"].referred.value - march.context["report"].referred.value
    assert difference == 6
    # The typed months stay in the form, the shown period is named in the text.
    assert 'name="van" value="2024-04"' in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"van": "2024-13"}, "Vul een maand in als jaar-maand"),
        ({"tot": "morgen"}, "Vul een maand in als jaar-maand"),
        ({"van": "99999999999999999999"}, "Vul een maand in als jaar-maand"),
        ({"van": "2024-03-01"}, "Vul een maand in als jaar-maand"),
        ({"van": "2024-06", "tot": "2024-01"}, "De laatste maand ligt vóór de eerste"),
        ({"van": "2023-06"}, "De studie begon in"),
        ({"tot": "2999-01"}, "latere maanden hebben nog geen gegevens"),
        ({"freeze": "999"}, "Kies een van de datafreezes"),
    ],
)
def test_bad_input_answers_400_and_keeps_what_was_typed(logged_in, params, message):
    response = logged_in.get(URL, params)
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert "Er ging iets mis" in page  # the error summary
    for name, value in params.items():
        if name != "freeze":
            assert f'name="{name}" value="{value}"' in page
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


# A hidden count or figure: "x" and, for a screen reader, "(niet getoond)". Never "< 5": a
# cell hidden to protect another may be large.
HIDDEN = '<span class="kk-suppressed">x</span><span class="kk-visually-hidden"> (niet getoond)'


def test_hidden_cells_show_an_x_never_the_number_nor_a_size(logged_in):
    measured(Arm.BIP, 4)
    measured(Arm.CONTROL, 7, suitable=False)
    response = logged_in.get(URL)
    page = text(response)
    flow = page[
        page.index('id="flow-caption"') : page.index("</table>", page.index("flow-caption"))
    ]
    allocated = re.search(r"Toegewezen \(n\)</th>(.*?)</tr>", flow).group(1)
    # BIP 4 is hidden; with 0 not allocated the control arm would give it back as
    # referred - 7 - 0, so the control arm (7) is hidden too.
    assert allocated.count(HIDDEN) == 2
    assert ">4<" not in allocated and ">7<" not in allocated
    assert "&lt;" not in allocated  # the hidden 7 is not "fewer than 5"
    # The BIP curve is not drawn; the control curve is.
    assert 'kk-km__line--bip" d=' not in page
    assert 'kk-km__line--controle" d=' in page
    assert "BIP-arm: niet getekend, minder dan 5 zaken" in page


def test_the_legend_says_a_hidden_cell_may_hide_more_than_five(logged_in):
    """The control arm's 7 is hidden as a secondary partner: the legend must say that a cell
    from which a small one could be derived is hidden too, and that an x says nothing about
    the size."""
    measured(Arm.BIP, 4)
    measured(Arm.CONTROL, 7, suitable=False)
    page = text(logged_in.get(URL))
    assert "elke cel waaruit zo’n cel is af te leiden" in page
    assert "Een ‘x’ zegt dus niets over de grootte" in page
    logged_in.cookies["django_language"] = "en"
    page = text(logged_in.get(URL))
    assert "every cell from which such a cell could be derived" in page
    assert "An ‘x’ therefore says nothing about the size" in page
    assert " (not shown)" in page


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
    # 12, plus late entry, the freeze picker and the snapshot's STUDY_END check, plus 3 for
    # the effect estimates and 1 for Table 1, plus 2 for the disclosure blocks of months (the
    # data stamp of their cache key and the referrals per month and arm).
    assert len(small.captured_queries) == len(large.captured_queries) <= 21


# ------------------------------------------------------------------------- effect estimates


def _between(page: str, start: str, end: str = "</table>") -> str:
    index = page.index(start)
    return page[index : page.index(end, index)]


def test_estimates_table1_and_forest_plot_are_shown_with_itt_and_source(logged_in):
    measured(Arm.BIP, 10)
    measured(Arm.BIP, 5, suitable=False)
    measured(Arm.CONTROL, 5)
    measured(Arm.CONTROL, 10, suitable=False)
    # Cases not yet measured: without them, allocated = measured + 0 pending + 0 censored
    # would let the hidden zeros be derived, and the measured counts would be hidden too.
    for arm in (Arm.BIP, Arm.CONTROL):
        CaseFactory.create_batch(5, arm=arm, date_received=MARCH)
    response = logged_in.get(URL)
    assert response.context["risk_shown"]
    page = text(response)
    estimates = _between(page, 'id="estimates"')
    # 10/15 - 5/15 = 33.3 percentage points.
    risk = re.search(r'id="estimate-risk-difference">(.*?)</tr>', estimates).group(1)
    assert "33,3&nbsp;procentpunt" in risk
    assert re.search(r"\(-?\d+,\d tot -?\d+,\d\)", risk)  # the Newcombe interval
    assert "2,00" in re.search(r'id="estimate-risk-ratio">(.*?)</tr>', estimates).group(1)
    assert "Cox, gestratificeerd naar lotingsstratum" in estimates
    assert "p = " in re.search(r'id="estimate-logrank">(.*?)</tr>', estimates).group(1)
    assert "Mediaan aantal dagen tot eerste contact, BIP-arm" in estimates
    # Every figure names ITT and its source: no freeze here.
    assert page.count("ITT (naar toegewezen arm), metingen: actuele metingen, geen bevriezing") >= 4
    # Table 1 by arm: the school level categories add up to the 15 cases of each arm.
    table1 = _between(page, 'id="table1"')
    assert "Tabel 1: kenmerken bij de melding per toegewezen arm (ITT)" in table1
    # The forest plot: an SVG with a title and description, and its data table.
    assert 'aria-labelledby="forest-chart-title forest-chart-desc"' in page
    assert "Forest plot: risicoverschil BIP min controle per lotingsstratum" in page
    forest = _between(page, 'id="forest-table"')
    assert "Alle strata samen" in forest and "33,3&nbsp;procentpunt" in forest
    assert 'class="kk-forest__diamond"' in page
    assert "style=" not in _between(page, 'id="forest-heading"', "</section>")


def test_estimates_hide_what_the_disclosure_control_hides(logged_in):
    # 6 of 6 BIP suitable: the BIP rate is hidden, so the risk difference and ratio are too
    # (they would give it back); the hazard ratio with a 4-case arm cannot be computed.
    measured(Arm.BIP, 6)
    measured(Arm.CONTROL, 5, suitable=False)
    response = logged_in.get(URL)
    assert not response.context["risk_shown"]
    page = text(response)
    estimates = _between(page, 'id="estimates"')
    risk = re.search(r'id="estimate-risk-difference">(.*?)</tr>', estimates).group(1)
    assert HIDDEN in risk and "procentpunt" not in risk
    assert "procentpunt" not in re.search(r'id="estimate-risk-ratio">(.*?)</tr>', estimates).group(
        1
    )
    # Means of the arms are hidden with the measured count: so are their differences.
    assert HIDDEN in re.search(r'id="estimate-contacts">(.*?)</tr>', estimates).group(1)
    assert "100,0&nbsp;%" not in page


def test_an_estimate_that_cannot_be_computed_shows_its_reason(logged_in):
    measured(Arm.BIP, 4)
    measured(Arm.CONTROL, 7, suitable=False)
    estimates = _between(text(logged_in.get(URL)), 'id="estimates"')
    hazard = re.search(r'id="estimate-hazard-ratio">(.*?)</tr>', estimates).group(1)
    assert "niet te berekenen: minder dan 5 zaken in een arm" in hazard


def test_the_report_names_the_freeze(logged_in, researcher):
    from evaluation.freezes import freeze_create

    measured(Arm.BIP, 5)
    measured(Arm.CONTROL, 5)
    freeze = freeze_create(label="T1", actor=researcher, study_end=D(2024, 12, 31))
    page = text(logged_in.get(URL))
    assert "ITT (naar toegewezen arm), metingen: datafreeze T1." in page
    link = re.search(r'id="recommendation-link" href="([^"]+)"', page).group(1)
    assert link == (
        f"{reverse('evaluation:recommendation')}?van=2024-01&amp;tot=2024-12&amp;freeze={freeze.pk}"
    )


# ---------------------------------------------------------------------------- computing again

REFRESH = reverse("evaluation:refresh")


def test_a_researcher_has_the_figures_computed_again(
    logged_in, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = IMMEDIATE_TASKS  # the worker's part, in the request
    measured(Arm.BIP, 6)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = logged_in.post(REFRESH, {"van": "2024-02", "tot": "2024-05"})
    assert len(queued) == 1  # the task, queued once the request's transaction committed
    assert response["Location"] == f"{URL}?freeze=dagelijks&van=2024-02&tot=2024-05"
    aggregate = latest_aggregate()
    assert aggregate is not None  # the immediate backend ran the task
    response = logged_in.get(response["Location"])
    html = response.content.decode()
    assert "De cijfers worden opnieuw berekend." in html
    assert response.context["report"].as_of == aggregate.computed_at
    assert "Stand van de cijfers:" in html and "of nu met de knop hieronder" in html

    # A second request within the guard queues nothing and says a computation is on its way.
    with django_capture_on_commit_callbacks(execute=True) as again:
        response = logged_in.post(REFRESH, {"van": "2024-02", "tot": "2024-05"}, follow=True)
    assert again == []
    assert "De cijfers worden al opnieuw berekend." in response.content.decode()


def test_a_bad_month_in_the_refresh_goes_back_to_the_default_period(
    logged_in, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(REFRESH, {"van": "maart", "tot": "<script>"})
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?freeze=dagelijks"


def test_only_a_researcher_computes_the_figures_again(client_for, coordinator, logged_in):
    assert client_for(coordinator).post(REFRESH).status_code == 403
    assert logged_in.get(REFRESH).status_code == 405
    assert latest_aggregate() is None


def test_the_button_is_offered_for_the_daily_snapshot_not_for_a_freeze(logged_in, researcher):
    measured(Arm.BIP, 6)
    assert REFRESH in logged_in.get(URL + "?freeze=dagelijks").content.decode()
    freeze = freeze_create(label="T1", actor=researcher, study_end=None)
    html = logged_in.get(URL + f"?freeze={freeze.pk}").content.decode()
    assert REFRESH not in html
    assert "toen de datafreeze werd vastgelegd" in html
