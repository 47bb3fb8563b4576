"""A parent opens the survey link from the mail on a phone, fills it in and sends it."""

import pytest
from playwright.sync_api import expect

from evaluation.constants import CLIENT_ITEMS
from evaluation.models import SurveyResponse
from evaluation.surveys import new_token
from tests.factories import CaseFactory, SurveyInvitationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 320, "height": 640}


def assert_fits_the_screen(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_parent_fills_in_the_survey_on_a_phone(page, live_server, assert_accessible, csp_errors):
    token, token_hash = new_token()
    invitation = SurveyInvitationFactory(
        token_hash=token_hash, case=CaseFactory(closed=True, bip_arm=True)
    )
    link = f"{live_server.url}/evaluatie/enquete/{token}/"
    page.set_viewport_size(PHONE)

    response = page.goto(link)
    assert response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(page.get_by_role("heading", level=1)).to_have_text("Wat vond u van de hulp?")
    expect(page.get_by_role("link", name="Uitloggen")).to_have_count(0)
    assert_fits_the_screen(page)
    assert_accessible(page)

    # The language switch works on the public page, and back.
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Nederlands")).to_be_visible()
    page.get_by_role("link", name="Nederlands").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")

    # Sending with only one answer: the error summary lists the rest and keeps the answer.
    first = page.get_by_role("group", name=str(CLIENT_ITEMS[0].label))
    first.get_by_role("radio", name="Mee eens", exact=True).check()
    page.get_by_role("button", name="Versturen").click()
    summary = page.locator(".kk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(len(CLIENT_ITEMS) - 1 + 1)  # + the grade
    expect(first.get_by_role("radio", name="Mee eens", exact=True)).to_be_checked()
    assert_fits_the_screen(page)
    assert_accessible(page)

    # A link in the summary leads to its question.
    summary.get_by_role("link").first.click()
    expect(page.locator(f"#id_{CLIENT_ITEMS[1].value}_0")).to_be_in_viewport()

    # The second statement by keyboard: focus the group, arrow to "Mee eens", the rest by mouse.
    second = page.get_by_role("group", name=str(CLIENT_ITEMS[1].label))
    second.get_by_role("radio").first.focus()
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(second.get_by_role("radio", name="Mee eens", exact=True)).to_be_checked()
    for item in CLIENT_ITEMS[2:]:
        group = page.get_by_role("group", name=str(item.label))
        group.get_by_text("Helemaal mee eens", exact=True).click()  # the label is the target
    grade = page.get_by_role("group", name="Uw rapportcijfer voor de hulp")
    grade.get_by_role("radio", name="8", exact=True).check()
    page.get_by_label("Uw opmerking").fill("Eindelijk één aanspreekpunt.")
    page.get_by_role("button", name="Versturen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Bedankt!")
    expect(page.get_by_text("Uw antwoorden zijn opgeslagen.")).to_be_visible()
    assert_accessible(page)

    saved = SurveyResponse.objects.get(invitation=invitation)
    assert saved.grade == 8
    assert saved.comment == "Eindelijk één aanspreekpunt."
    scores = dict(saved.answers.values_list("item", "score"))
    assert scores[CLIENT_ITEMS[0].value] == scores[CLIENT_ITEMS[1].value] == 4
    assert {scores[item.value] for item in CLIENT_ITEMS[2:]} == {5}

    # The link works once.
    response = page.goto(link)
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("Deze vragenlijst is al ingevuld")
    assert_accessible(page)
    assert not [e for e in csp_errors if "Content Security Policy" in e], csp_errors
