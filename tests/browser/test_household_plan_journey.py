"""A professional builds the household plan: a goal, an action, a correction, and done."""

import re

import pytest
from playwright.sync_api import expect

from cases.constants import PlanChangeKind
from cases.models import PlanAction, PlanChange, PlanGoal
from tests.factories import CaseFactory, ProfessionalFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def named(verb: str, item: str) -> re.Pattern:
    """A button or link "Verb: item", whose item part is visually hidden text (Chromium puts a
    space before the colon in the accessible name)."""
    return re.compile(rf"^{verb}\s*:\s*{re.escape(item)}$")


def test_professional_adds_changes_and_completes_the_household_plan(
    page, live_server, login, assert_accessible
):
    bip = ProfessionalFactory(bip=True, user__username="bip1")
    case = CaseFactory(professional=bip)

    login("bip1")
    page.goto(f"{live_server.url}/zaken/{case.pk}/")
    plan = page.locator("#household-plan")
    expect(plan).to_contain_text("Er is nog geen gezinsplan. Begin met een doel.")

    plan.get_by_role("link", name="Doel toevoegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Doel toevoegen aan het gezinsplan")
    page.get_by_label("Doel").fill("Op tijd op school")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Doel toegevoegd aan het gezinsplan.")).to_be_visible()

    # Correct the goal's text: the form comes filled in.
    page.get_by_role("link", name=named("Wijzigen", "Op tijd op school")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Doel wijzigen")
    expect(page.get_by_label("Doel")).to_have_value("Op tijd op school")
    assert_accessible(page)
    page.get_by_label("Doel").fill("")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("alert")).to_contain_text("Dit veld is verplicht.")
    assert_accessible(page)
    page.get_by_label("Doel").fill("Elke schooldag op tijd op school")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Doel gewijzigd in het gezinsplan.")).to_be_visible()
    expect(page.locator("#household-plan")).to_contain_text("Elke schooldag op tijd op school")

    page.locator("#household-plan").get_by_role("link", name="Actie toevoegen").click()
    page.get_by_label("Actie", exact=True).fill("Wekker kopen")
    page.get_by_label("Bij doel").select_option(label="Elke schooldag op tijd op school")
    page.get_by_label("Wie voert de actie uit").select_option("ouders")
    page.get_by_label("Klaar op").fill("2030-01-31")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Actie toegevoegd aan het gezinsplan.")).to_be_visible()

    page.get_by_role("link", name=named("Wijzigen", "Wekker kopen")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Actie wijzigen")
    assert_accessible(page)
    page.get_by_label("Klaar op").fill("2030-02-14")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Actie gewijzigd in het gezinsplan.")).to_be_visible()

    # Marking it done goes through htmx: the plan is swapped in place.
    page.get_by_role("button", name=named("Afronden", "Wekker kopen")).click()
    expect(page.locator("#household-plan")).to_contain_text("Afgerond op")
    expect(page.locator("#timeline")).to_contain_text("Gezinsplan: actie gewijzigd")
    assert_accessible(page)

    assert PlanGoal.objects.get().description == "Elke schooldag op tijd op school"
    action = PlanAction.objects.get()
    assert (action.description, str(action.due_on)) == ("Wekker kopen", "2030-02-14")
    assert action.done_on is not None
    assert list(PlanChange.objects.order_by("id").values_list("kind", flat=True)) == [
        PlanChangeKind.GOAL_ADDED,
        PlanChangeKind.GOAL_CHANGED,
        PlanChangeKind.ACTION_ADDED,
        PlanChangeKind.ACTION_CHANGED,
        PlanChangeKind.ACTION_DONE,
    ]
