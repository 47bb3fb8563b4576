"""Every main page of every role at phone width (390 px): nothing wider than the screen, no
serious axe violation, no CSP violation and no console error.

One test per role. Each visits all of that role's main pages and reports every page that fails,
so one run shows the whole picture.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from evaluation.constants import ExportDataset, ExportFormat, ExportStatus
from evaluation.models import ResearchExport
from tests.factories import CaseFactory, ContactFactory, ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone_page(page):
    page.set_viewport_size(PHONE)
    return page


@pytest.fixture
def busy_chain():
    """Enough cases, contacts and professionals that tables, charts and filters fill up."""
    bip = ProfessionalFactory(
        bip=True, user__username="bip1", user__first_name="Fatima", user__last_name="Yazami"
    )
    regular = ProfessionalFactory(user__username="regular1", user__last_name="Jansen")
    today = timezone.localdate()
    cases = []
    for weeks_ago, arm, professional in [
        (1, "bip", bip),
        (3, "controle", regular),
        (10, "bip", bip),
        (20, "controle", regular),
        (30, "bip", bip),
    ]:
        case = CaseFactory(
            professional=professional,
            arm=arm,
            date_received=today - datetime.timedelta(weeks=weeks_ago),
        )
        ContactFactory(
            case=case,
            occurred_at=timezone.now() - datetime.timedelta(weeks=weeks_ago, days=-2),
        )
        cases.append(case)
    CaseFactory(arm="")  # waiting for allocation: the werkvoorraad has a row
    CaseFactory(arm="bip", date_received=today - datetime.timedelta(days=120), professional=bip)
    return {"bip": bip, "case": cases[0]}


def check_pages(page, live_server, urls, assert_accessible, page_problems) -> None:
    too_wide = []
    for url in urls:
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None
        assert response.status == 200, url
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide.append(f"{url}: {width} px")
        assert_accessible(page)
    assert not too_wide, "Wider than a 390 px phone:\n" + "\n".join(too_wide)
    page_problems.assert_clean()


def test_coordinator_pages_fit_a_phone(
    phone_page, live_server, login, assert_accessible, page_problems, busy_chain
):
    UserFactory(username="coordinator", coordinator=True)
    login("coordinator")
    case = busy_chain["case"]
    urls = [
        reverse("cases:case_list"),
        reverse("cases:dashboard"),
        reverse("cases:queue"),
        reverse("cases:intake"),
        reverse("cases:import_upload"),
        reverse("cases:case_detail", args=[case.pk]),
        reverse("cases:assign", args=[case.pk]),
    ]
    check_pages(phone_page, live_server, urls, assert_accessible, page_problems)


def test_professional_pages_fit_a_phone(
    phone_page, live_server, login, assert_accessible, page_problems, busy_chain
):
    login("bip1")
    case = busy_chain["case"]
    urls = [
        reverse("cases:my_cases"),
        reverse("cases:case_detail", args=[case.pk]),
        reverse("cases:contact_create", args=[case.pk]),
        reverse("cases:refer_to_halt", args=[case.pk]),
        reverse("cases:refer_to_rvdk", args=[case.pk]),
        reverse("cases:close", args=[case.pk]),
    ]
    check_pages(phone_page, live_server, urls, assert_accessible, page_problems)


def test_researcher_pages_fit_a_phone(
    phone_page, live_server, login, assert_accessible, page_problems, busy_chain
):
    researcher = UserFactory(username="researcher", researcher=True)
    # A finished and a queued export: the export list has its table.
    ResearchExport.objects.create(
        requested_by=researcher,
        dataset=ExportDataset.CASES,
        file_format=ExportFormat.CSV,
        status=ExportStatus.DONE,
        progress=100,
        row_count=306,
        finished_at=timezone.now(),
    )
    ResearchExport.objects.create(
        requested_by=researcher, dataset=ExportDataset.CASES, file_format=ExportFormat.SAV
    )
    login("researcher")
    urls = [
        reverse("evaluation:home"),
        reverse("evaluation:export_list"),
        reverse("evaluation:freeze_list"),
    ]
    check_pages(phone_page, live_server, urls, assert_accessible, page_problems)


def test_administrator_pages_fit_a_phone(
    phone_page, live_server, login, assert_accessible, page_problems, busy_chain
):
    UserFactory(username="beheerder", administrator=True)
    login("beheerder")
    case = busy_chain["case"]
    urls = [
        reverse("audit:log"),
        reverse("audit:find_child"),
        reverse("audit:child_access", args=[case.child.pk]),
    ]
    check_pages(phone_page, live_server, urls, assert_accessible, page_problems)
