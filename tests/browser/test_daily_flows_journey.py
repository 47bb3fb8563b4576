"""Issue 14's daily paths in Chromium, at desktop and phone width, with axe, and with no
console error and no CSP violation:

- item 7: the coordinator reaches *Toewijzen* / *Opnieuw toewijzen* and *Onderzoeksarm* from
  the case page and from the case list;
- item 10: a control-arm handover, seen by the Leerplicht officer who refers to Halt and by the
  Halt professional who takes the case over;
- item 17: the werkvoorraad fits a 390 px phone, its tables scroll inside labelled, focusable
  regions.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from cases.constants import Arm
from cases.models import Case
from roles.constants import ChainRole
from tests.factories import (
    CaseFactory,
    ChildFactory,
    OrganisationFactory,
    ProfessionalFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
DAY = datetime.timedelta(days=1)
WIDTHS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def page_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def check_page(page, assert_accessible, viewport) -> None:
    """Axe finds nothing serious, and the page is no wider than the screen."""
    assert_accessible(page)
    assert page_width(page) <= viewport["width"], (page.url, page_width(page))


def heading(page):
    return page.get_by_role("heading", level=1)


def fourteen_year_old(**kwargs):
    born = timezone.localdate().replace(month=1, day=1) - datetime.timedelta(days=15 * 365)
    return ChildFactory(date_of_birth=born, **kwargs)


# ---------------------------------------------------------------------------------------------
# Item 7: the coordinator's actions on the case page and in the case list.


@WIDTHS
def test_coordinator_assigns_and_sets_the_arm_from_the_case_page_and_the_list(
    page, live_server, login, assert_accessible, page_problems, viewport
):
    page.set_viewport_size(viewport)
    UserFactory(username="coordinator", coordinator=True)
    bip = ProfessionalFactory(bip=True, user__first_name="Fatima", user__last_name="Yazami")
    assigned = CaseFactory(professional=bip, arm=Arm.BIP, child=ChildFactory(first_name="Noor"))
    waiting = CaseFactory(child=ChildFactory(first_name="Daan"))

    login("coordinator")
    page.goto(live_server.url + reverse("cases:case_list"))
    expect(heading(page)).to_have_text("Zaken")
    row = page.locator(f"#case-{assigned.pk}")
    expect(row.get_by_role("link", name=f"Opnieuw toewijzen {assigned.number}")).to_be_visible()
    expect(
        page.locator(f"#case-{waiting.pk}").get_by_role("link", name="Toewijzen")
    ).to_be_visible()
    check_page(page, assert_accessible, viewport)

    row.get_by_role("link", name=f"Onderzoeksarm {assigned.number}").click()
    expect(heading(page)).to_have_text(f"Onderzoeksarm van zaak {assigned.number}")
    check_page(page, assert_accessible, viewport)

    page.goto(live_server.url + reverse("cases:case_detail", args=[assigned.pk]))
    coordination = page.get_by_role("region", name="Coördinatie")
    expect(coordination.get_by_role("link")).to_have_text(["Opnieuw toewijzen", "Onderzoeksarm"])
    check_page(page, assert_accessible, viewport)
    coordination.get_by_role("link", name="Opnieuw toewijzen").click()
    expect(heading(page)).to_have_text(f"Zaak {assigned.number} toewijzen")
    check_page(page, assert_accessible, viewport)

    page.go_back()
    page.get_by_role("region", name="Coördinatie").get_by_role("link", name="Onderzoeksarm").click()
    expect(heading(page)).to_have_text(f"Onderzoeksarm van zaak {assigned.number}")

    page.goto(live_server.url + reverse("cases:case_detail", args=[waiting.pk]))
    coordination = page.get_by_role("region", name="Coördinatie")
    expect(coordination.get_by_role("link")).to_have_text(["Toewijzen", "Onderzoeksarm"])
    coordination.get_by_role("link", name="Toewijzen").click()
    expect(heading(page)).to_have_text(f"Zaak {waiting.number} toewijzen")
    check_page(page, assert_accessible, viewport)

    page_problems.assert_clean()


# ---------------------------------------------------------------------------------------------
# Item 10: the control-arm handover.


@WIDTHS
def test_control_arm_handover_from_leerplicht_to_halt(
    page, live_server, login, assert_accessible, page_problems, viewport
):
    page.set_viewport_size(viewport)
    UserFactory(username="coordinator", coordinator=True)
    officer = ProfessionalFactory(
        user__username="lotte",
        user__first_name="Lotte",
        user__last_name="Leerplicht",
        organisation=OrganisationFactory(kind=ChainRole.LEERPLICHT),
    )
    ProfessionalFactory(
        user__username="hamid",
        user__first_name="Hamid",
        user__last_name="Halt",
        organisation=OrganisationFactory(kind=ChainRole.HALT),
    )
    case = CaseFactory(
        professional=officer, arm=Arm.CONTROL, child=fourteen_year_old(first_name="Vera")
    )
    case_url = live_server.url + reverse("cases:case_detail", args=[case.pk])

    # The Leerplicht officer refers the pupil to Halt.
    login("lotte")
    page.goto(case_url)
    page.get_by_role("link", name="Doorverwijzen naar Halt").click()
    expect(heading(page)).to_have_text("Doorverwijzen naar Halt")
    page.get_by_label("De leerling geeft toestemming").check()
    page.get_by_label("De ouders geven toestemming").check()
    page.get_by_label("Reden", exact=True).fill("Leerling en ouders willen meewerken.")
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_text("De zaak is doorverwezen naar Halt.")).to_be_visible()

    # The Halt step is not theirs: no button, and the step's address refuses them.
    expect(page.get_by_text("op overdracht aan een professional")).to_be_visible()
    expect(page.get_by_role("link", name="Halt-uitkomst vastleggen")).to_have_count(0)
    check_page(page, assert_accessible, viewport)
    page.goto(live_server.url + reverse("cases:halt_result", args=[case.pk]))
    expect(heading(page)).to_have_text("Geen toegang")
    expect(page.get_by_text("Deze zaak wacht op overdracht aan Halt.")).to_be_visible()
    check_page(page, assert_accessible, viewport)

    page.goto(live_server.url + reverse("cases:my_cases"))
    expect(page.locator(f"#case-{case.pk}")).to_contain_text("wacht op overdracht")
    check_page(page, assert_accessible, viewport)

    # The coordinator hands the case over from the werkvoorraad.
    page.context.clear_cookies()
    login("coordinator")
    page.goto(live_server.url + reverse("cases:queue"))
    handovers = page.get_by_role("region", name="Wachten op overdracht")
    handovers.get_by_role("link", name=f"Overdragen {case.number}").click()
    expect(heading(page)).to_have_text(f"Zaak {case.number} toewijzen")
    page.get_by_label("Hamid Halt").check()
    page.get_by_label("Reden", exact=True).select_option(label="Overdracht bij ketenstap")
    page.get_by_label("Toelichting").fill("Naar Halt voor de leeropdracht.")
    page.get_by_role("button", name="Toewijzen").click()
    expect(heading(page)).not_to_have_text(f"Zaak {case.number} toewijzen")
    case.refresh_from_db()
    assert str(case.professional) == "Hamid Halt"

    # The officer's old link says only to whom and when.
    page.context.clear_cookies()
    login("lotte")
    page.goto(case_url)
    expect(heading(page)).to_have_text("Zaak overgedragen")
    with translation.override("nl"):
        today = formats.date_format(timezone.localdate())
    expect(page.get_by_role("status")).to_contain_text(
        f"Deze zaak is overgedragen aan Hamid Halt op {today}."
    )
    expect(page.locator("#main")).not_to_contain_text("Vera")
    expect(page.locator("#main")).not_to_contain_text(case.number)
    check_page(page, assert_accessible, viewport)

    # The Halt professional now holds the Halt step.
    page.context.clear_cookies()
    login("hamid")
    page.goto(case_url)
    expect(page.get_by_role("link", name="Halt-uitkomst vastleggen")).to_be_visible()
    check_page(page, assert_accessible, viewport)

    # The one 403 above was asked for on purpose.
    page_problems.assert_clean(allow=("status of 403",))


# ---------------------------------------------------------------------------------------------
# Item 17: the werkvoorraad at phone width.


@pytest.fixture
def full_queue():
    """Rows in every part of the werkvoorraad, with long names and numbers."""
    today = timezone.localdate()
    long_name = {"first_name": "Maria-Esperanza", "last_name": "Vandenberghe-Oosterhuis"}
    for days in (3, 10, 25):
        CaseFactory(child=ChildFactory(**long_name), date_received=today - days * DAY)
    gone = ProfessionalFactory(user__first_name="Cornelis", user__last_name="Uitdienst")
    CaseFactory(professional=gone, child=ChildFactory(**long_name))
    gone.is_active = False
    gone.save()
    officer = ProfessionalFactory(organisation=OrganisationFactory(kind=ChainRole.LEERPLICHT))
    waiting = CaseFactory(
        professional=officer, arm=Arm.CONTROL, halt=True, child=ChildFactory(**long_name)
    )
    Case.objects.filter(pk=waiting.pk).update(handover_requested_at=timezone.now())
    CaseFactory(
        professional=officer,
        arm=Arm.BIP,
        date_received=today - 100 * DAY,
        child=ChildFactory(**long_name),
    )


def test_the_werkvoorraad_fits_a_phone(
    page, live_server, login, assert_accessible, page_problems, full_queue
):
    page.set_viewport_size(PHONE)
    UserFactory(username="coordinator", coordinator=True)
    login("coordinator")
    page.goto(live_server.url + reverse("cases:queue"))
    expect(heading(page)).to_have_text("Werkvoorraad")

    assert page_width(page) <= PHONE["width"], page_width(page)
    tables = page.locator("#main table")
    expect(tables).to_have_count(4)
    for index in range(4):
        table = tables.nth(index)
        wrapper = table.locator("xpath=..")
        # Each table scrolls inside its own region, which a keyboard user can focus and a
        # screen reader names; the region itself stays within the screen.
        expect(wrapper).to_have_class("kk-table-wrapper")
        expect(wrapper).to_have_attribute("tabindex", "0")
        expect(wrapper).to_have_attribute("role", "region")
        name = wrapper.evaluate(
            "el => el.getAttribute('aria-label') || "
            "document.getElementById(el.getAttribute('aria-labelledby'))?.textContent || ''"
        )
        assert name.strip(), f"table {index} has an unnamed scroll region"
        box = wrapper.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        wrapper.focus()
        expect(wrapper).to_be_focused()
    # No heading, caption or paragraph is cut off or pushed beyond the screen.
    cut_off = page.evaluate(
        """() => [...document.querySelectorAll('#main h1, #main h2, #main caption, #main p')]
            .filter(el => el.scrollWidth > el.clientWidth + 1
                       || el.getBoundingClientRect().right > window.innerWidth + 1)
            .map(el => el.textContent.trim().slice(0, 60))"""
    )
    assert cut_off == []
    assert_accessible(page)
    page_problems.assert_clean()
