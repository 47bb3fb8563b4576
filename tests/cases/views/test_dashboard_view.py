import datetime
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluation.constants import Arm
from tests.factories import CaseFactory, ContactFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db

URL = reverse("cases:dashboard")
AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def logged_in(client, coordinator):
    client.force_login(coordinator)
    return client


def case_with_contact_after(days: int, *, professional, arm=Arm.BIP):
    received = timezone.localdate() - datetime.timedelta(days=20)
    case = CaseFactory(date_received=received, professional=professional, arm=arm)
    contact_day = received + datetime.timedelta(days=days)
    ContactFactory(
        case=case,
        occurred_at=datetime.datetime.combine(contact_day, datetime.time(10), tzinfo=AMSTERDAM),
    )
    return case


# ------------------------------------------------------------------------- access


def test_coordinator_sees_the_dashboard(logged_in):
    response = logged_in.get(URL)
    assert response.status_code == 200
    assert "cases/dashboard.html" in [t.name for t in response.templates]
    assert len(response.context["weeks"]) == 52


@pytest.mark.parametrize("role", ["professional", "researcher", "administrator"])
def test_other_roles_get_403(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(getattr(user, "user", user))
    assert client.get(URL).status_code == 403


def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={URL}"


def test_post_is_not_allowed(logged_in):
    assert logged_in.post(URL).status_code == 405


def test_navigation_marks_the_dashboard_as_current(logged_in):
    response = logged_in.get(URL)
    assert re.search(rf'href="{URL}"\s+aria-current="page">Dashboard</a>', response.text)


def test_the_case_list_shows_the_dashboard_link_to_the_coordinator_only(
    logged_in, client_for, professional
):
    assert f'href="{URL}"' in logged_in.get(reverse("cases:case_list")).text
    own = client_for(professional.user).get(reverse("cases:my_cases"))
    assert f'href="{URL}"' not in own.text


# ---------------------------------------------------------------------- content


def test_chart_and_data_table_are_accessible_and_mark_autumn(logged_in):
    response = logged_in.get(URL)
    html = response.text
    svg = re.search(r"<svg class=\"kk-chart\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg
    assert 'aria-labelledby="inflow-chart-title inflow-chart-desc"' in svg
    assert '<title id="inflow-chart-title">' in svg and '<desc id="inflow-chart-desc">' in svg
    assert svg.count('<g class="kk-chart__bar">') == 52
    assert svg.count("<title>") == 52  # one per bar, besides the chart's own title
    # 52 weeks always span the peak: marked with a band and its months, not colour alone.
    # Not "Herfst": the peak runs to December, which is winter.
    assert 'class="kk-chart__autumn"' in svg and ">sep.–dec.</text>" in svg
    assert "piekweek (sep.–dec.)" in svg
    assert "herfst" not in html.lower()
    assert "style=" not in html
    # SVG coordinates keep a decimal point in Dutch, where numbers get a decimal comma.
    assert not re.findall(r'\s(?:x|y|width|height|x1|x2|y1|y2)="[^"]*,', svg)

    table = re.search(
        r'<table[^>]*>\s*<caption[^>]*id="inflow-table-caption".*?</table>', html, re.S
    )
    assert table
    assert table.group(0).count('<th scope="row"') == 52
    assert 'class="utrecht-data-badge kk-autumn-badge">sep.–dec.</span>' in table.group(0)


def test_figures_are_shown_with_dutch_number_formatting(logged_in):
    professional = ProfessionalFactory(bip=True, max_caseload=1)
    case_with_contact_after(2, professional=professional)
    case_with_contact_after(3, professional=professional)
    CaseFactory(professional=professional, arm=Arm.BIP)  # no contact yet

    response = logged_in.get(URL)

    bip = response.context["waiting_times"][0]
    assert (bip.referrals, bip.with_contact, bip.without_contact) == (3, 2, 1)
    assert bip.median_days == pytest.approx(2.5)
    assert bip.p90_days == pytest.approx(2.9)
    html = response.text
    assert ">2,5</td>" in html and ">2,9</td>" in html
    # Three open cases against a maximum of one: over capacity, said in words.
    assert "Boven capaciteit: 2 zaken te veel" in html
    assert "300%" in html
    assert "1 van de 1 actieve professionals zit boven de maximale caseload" in html


# ------------------------------------------------------------------- performance


def test_query_count_does_not_grow_with_the_data(logged_in):
    def build(n: int) -> None:
        for index in range(n):
            professional = ProfessionalFactory(bip=index % 2 == 0)
            for arm in (Arm.BIP, Arm.CONTROL, ""):
                case_with_contact_after(index % 5, professional=professional, arm=arm)
                CaseFactory(
                    professional=professional,
                    arm=arm,
                    date_received=timezone.localdate() - datetime.timedelta(weeks=index * 3),
                )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = logged_in.get(URL)
        assert response.status_code == 200
        return len(captured.captured_queries)

    build(2)
    small = queries()
    build(15)
    assert queries() == small
    # Session, the user with the user's groups; then inflow, open per stage, waiting times,
    # caseload rows and caseload totals. On SQLite the waiting-time percentiles add two small
    # reads per arm.
    assert small == (7 if connection.vendor == "postgresql" else 13)
