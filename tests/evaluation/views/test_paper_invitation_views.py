"""The paper survey invitation pages (issue 16 §1): the list on Mijn zaken, the confirm page
and the printable sheet made by its POST."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessLogEntry
from cases.models import Case
from evaluation import surveys
from evaluation.constants import Arm
from evaluation.models import SurveyInvitation
from tests.factories import CaseFactory, ChildFactory, GuardianFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://kk\.example\.nl/evaluatie/enquete/([A-Za-z0-9_-]{43})/")


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://kk.example.nl"


def paper_case(professional, *, email: str = "", arm: str = Arm.BIP) -> Case:
    """A case of `professional` closed yesterday, in the study, whose guardian has no address."""
    child = ChildFactory(date_of_birth=timezone.localdate().replace(year=2012))
    GuardianFactory(child=child, email=email, name="Karin Smit")
    case = CaseFactory(child=child, professional=professional, closed=True, arm=arm)
    Case.objects.filter(pk=case.pk).update(
        closed_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    return case


def page_url(case) -> str:
    return reverse("evaluation_case:paper_invitation", args=[case.pk])


def test_the_list_shows_own_cases_that_need_paper(client_for, professional, other_professional):
    own = paper_case(professional)
    mailed = paper_case(professional, email="ouder@example.nl")
    foreign = paper_case(other_professional)

    response = client_for(professional.user).get(reverse("evaluation_case:paper_invitations"))

    html = response.content.decode()
    assert response.status_code == 200
    assert own.number in html and own.child.first_name in html
    assert mailed.number not in html
    assert foreign.number not in html
    assert 'aria-current="page">Enquêtes op papier' in html
    assert page_url(own) in html


def test_the_list_is_a_tab_of_mijn_zaken(client_for, professional):
    html = client_for(professional.user).get(reverse("cases:my_cases")).content.decode()
    assert reverse("evaluation_case:paper_invitations") in html


def test_the_list_query_count_does_not_grow(
    client_for, professional, django_assert_max_num_queries
):
    client = client_for(professional.user)
    paper_case(professional)
    url = reverse("evaluation_case:paper_invitations")
    client.get(url)  # warm the session and permission caches
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for _ in range(6):
        paper_case(professional)
    with django_assert_max_num_queries(len(few)):
        assert client.get(url).status_code == 200


def test_the_page_offers_the_button_and_warns_about_an_earlier_sheet(client_for, professional):
    case = paper_case(professional)
    client = client_for(professional.user)

    first = client.get(page_url(case)).content.decode()
    surveys.paper_invitation_create(case=case, actor=professional.user)
    again = client.get(page_url(case)).content.decode()

    assert "Maak papieren uitnodiging" in first and "al een papieren uitnodiging" not in first
    assert "al een papieren uitnodiging gemaakt" in again and "ongeldig" in again


def test_posting_makes_the_sheet_with_qr_codes_once(client_for, professional):
    case = paper_case(professional)
    client = client_for(professional.user)

    response = client.post(page_url(case))

    assert response.status_code == 200
    html = response.content.decode()
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert html.count('<svg class="kk-qr"') == 2  # parent and child (14 years old)
    assert ' style="' not in html  # the CSP allows no inline styles
    tokens = LINK.findall(html)
    assert len(set(tokens)) == 2
    for token in set(tokens):
        assert surveys.invitation_for_token(token).case_id == case.pk
    # The sheet itself says nothing about the child or the case.
    sheets = html[html.index('class="kk-paper-invitation"') :]
    for secret in (case.number, case.child.first_name, case.child.last_name, "Karin Smit"):
        assert secret not in sheets
    # Opening the page again shows no links: they exist only in that one response.
    assert not LINK.search(client.get(page_url(case)).content.decode())


def test_making_it_again_invalidates_the_first_sheet(client_for, professional):
    case = paper_case(professional)
    client = client_for(professional.user)
    first = set(LINK.findall(client.post(page_url(case)).content.decode()))

    second_page = client.post(page_url(case)).content.decode()

    assert "werken niet meer" in second_page
    for token in first:
        with pytest.raises(surveys.SurveyLinkError):
            surveys.invitation_for_token(token)
    assert SurveyInvitation.objects.filter(case=case).count() == 2


def test_making_it_is_logged_as_an_export_without_the_links(client_for, professional):
    case = paper_case(professional)
    html = client_for(professional.user).post(page_url(case)).content.decode()

    entry = AccessLogEntry.objects.get(action="export")
    assert entry.object_id == str(case.pk)
    assert entry.case_id == case.pk
    assert entry.details.get("format") == "paper_survey_invitation"
    stored = str(entry.__dict__)
    for token in LINK.findall(html):
        assert token not in stored


def test_a_refused_post_says_why_and_makes_nothing(client_for, professional):
    case = paper_case(professional, email="ouder@example.nl")

    response = client_for(professional.user).post(page_url(case))

    assert response.status_code == 422
    assert "per e-mail" in response.content.decode()
    assert "Maak papieren uitnodiging" not in response.content.decode()
    assert not SurveyInvitation.objects.filter(case=case).exists()


def test_the_sheet_is_printed_in_english_for_an_english_speaking_guardian(client_for, professional):
    case = paper_case(professional)
    case.child.household.guardians.update(preferred_language="en")

    html = client_for(professional.user).post(page_url(case)).content.decode()

    assert 'lang="en"' in html
    assert "?taal=en" in html


def test_only_the_professional_who_holds_the_case(
    client_for, professional, other_professional, coordinator
):
    case = paper_case(professional)
    assert client_for(coordinator).post(page_url(case)).status_code == 403
    assert client_for(other_professional.user).post(page_url(case)).status_code == 404
    assert (
        client_for(coordinator).get(reverse("evaluation_case:paper_invitations")).status_code == 403
    )
    assert not SurveyInvitation.objects.filter(case=case).exists()


def test_other_methods_are_not_allowed(client_for, professional):
    case = paper_case(professional)
    client = client_for(professional.user)
    assert client.put(page_url(case)).status_code == 405
    assert client.post(reverse("evaluation_case:paper_invitations")).status_code == 405
