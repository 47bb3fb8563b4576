"""Issue 16 §3 for the coordinator, in the browser: from the dashboard's caseload table to an
absent professional's agenda (cover during absence), then all their open cases handed over in
one step, each a recorded handover with its reason. axe on every page, the error state too."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.constants import AssignmentReason
from cases.models import Assignment, Case
from tests.factories import (
    CaseFactory,
    ChildFactory,
    ContactFactory,
    ProfessionalFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


def test_coordinator_covers_an_absent_professional(
    page, live_server, login, assert_accessible, page_problems
):
    page.set_viewport_size(DESKTOP)
    UserFactory(username="coordinator", coordinator=True)
    absent = ProfessionalFactory(bip=True, user__first_name="Fatima", user__last_name="Yazami")
    colleague = ProfessionalFactory(bip=True, user__first_name="Sven", user__last_name="Jansen")
    today = timezone.localdate()
    cases = [
        CaseFactory(
            professional=absent,
            arm="bip",
            date_received=today - datetime.timedelta(days=days),
            child=ChildFactory(first_name=first_name, last_name="Bakker"),
        )
        for days, first_name in ((40, "Noor"), (20, "Daan"))
    ]
    # Noor's follow-up was yesterday: overdue, on top of the agenda.
    ContactFactory(
        case=cases[0],
        professional=absent,
        occurred_at=timezone.now() - datetime.timedelta(days=5),
        follow_up_on=today - datetime.timedelta(days=1),
    )

    login("coordinator")
    page.goto(f"{live_server.url}/zaken/dashboard/")
    page.get_by_role("link", name=f"{absent} – agenda").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Agenda van {absent}")
    overdue = page.get_by_role("region", name="Te laat")
    expect(overdue).to_contain_text(cases[0].number)
    assert_accessible(page)

    page.get_by_role("link", name="Open zaken overdragen bij afwezigheid").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Zaken van {absent} overdragen")
    # The suggestion is chosen already for both cases: the only colleague.
    for case in cases:
        expect(page.get_by_label(f"Nieuwe professional voor zaak {case.number}")).to_have_value(
            str(colleague.pk)
        )
    assert_accessible(page)

    # Keep Daan's case; forget the note: an error summary, nothing handed over, choices kept.
    page.get_by_label(f"Nieuwe professional voor zaak {cases[1].number}").select_option("")
    page.get_by_role("button", name="Gekozen zaken overdragen").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Toelichting")
    expect(page.get_by_label(f"Nieuwe professional voor zaak {cases[1].number}")).to_have_value("")
    assert_accessible(page)
    assert Assignment.objects.filter(is_handover=True).count() == 0

    page.get_by_label("Toelichting").fill("Ziek tot eind van de maand.")
    page.get_by_role("button", name="Gekozen zaken overdragen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Agenda van {absent}")
    expect(page.get_by_text(f"1 zaak van {absent} overgedragen.")).to_be_visible()
    assert_accessible(page)

    moved, kept = (Case.objects.get(pk=case.pk) for case in cases)
    assert moved.professional_id == colleague.pk and kept.professional_id == absent.pk
    handover = Assignment.objects.get(case=moved, is_handover=True)
    assert handover.professional_id == colleague.pk
    assert handover.reason == AssignmentReason.ABSENCE
    assert handover.note == "Ziek tot eind van de maand."
    page_problems.assert_clean(allow=("422",))
