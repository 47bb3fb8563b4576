import datetime
import re
import uuid
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cases.constants import AssignmentReason, MeldingType, PlanChangeKind, Stage
from cases.models import Assignment, Document, Melding, PlanChange
from roles.constants import ChainRole
from tests.factories import (
    CaseFactory,
    ChildFactory,
    ContactFactory,
    GuardianFactory,
    HouseholdPlanFactory,
    PlanActionFactory,
    PlanGoalFactory,
    ProfessionalFactory,
    StageChangeFactory,
)


@pytest.fixture
def case(professional):
    return CaseFactory(professional=professional, stage=Stage.HALT)


def test_professional_sees_own_case_with_roles_in_the_timeline(client, professional, case):
    ContactFactory(case=case, role=ChainRole.LEERPLICHT, summary="Eerste gesprek")
    ContactFactory(case=case, halt=True, summary="Halt-gesprek gevoerd")
    StageChangeFactory(case=case, actor=professional.user, reason="Naar Halt verwezen")
    client.force_login(professional.user)
    response = client.get(reverse("cases:case_detail", args=[case.pk]))
    assert response.status_code == 200
    assert "Rol: Leerplicht" in response.text
    assert "Rol: Halt" in response.text
    assert "Naar Halt verwezen" in response.text
    assert case.child.first_name in response.text


def test_other_professional_gets_404(client, other_professional, case):
    client.force_login(other_professional.user)
    assert client.get(reverse("cases:case_detail", args=[case.pk])).status_code == 404


def test_unknown_case_is_404(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("cases:case_detail", args=[999999])).status_code == 404


def test_post_is_405(client, coordinator, case):
    client.force_login(coordinator)
    assert client.post(reverse("cases:case_detail", args=[case.pk])).status_code == 405


def build_case_file(professional, *, size: int):
    """A case file whose every list on the page grows with `size`: contacts (by several
    professionals), stage changes, assignments, meldingen, documents and letters, guardians,
    siblings with their cases, plan goals, actions and plan changes."""
    case = CaseFactory(professional=professional, stage=Stage.LEERPLICHT)
    household = case.child.household
    colleagues = [ProfessionalFactory() for _ in range(min(size, 4))]
    for number in range(size * 20):
        ContactFactory(
            case=case, professional=colleagues[number % len(colleagues)], follow_up_on=None
        )
    for _ in range(size):
        StageChangeFactory(case=case, actor=professional.user, reason="Ketenstap")
        Assignment.objects.create(
            case=case,
            professional=colleagues[0],
            reason=AssignmentReason.WORKLOAD,
            assigned_by=professional.user,
            started_at=timezone.now() - datetime.timedelta(days=2),
            ended_at=timezone.now() - datetime.timedelta(days=1),
        )
        Melding.objects.create(
            case=case,
            date_received=case.date_received,
            melding_type=MeldingType.LRV,
            period_start=case.period_start,
            period_end=case.period_end,
            created_by=professional.user,
        )
        for kind, letter in (("rapport", ""), ("brief", "uitnodiging")):
            Document.objects.create(
                case=case,
                kind=kind,
                letter=letter,
                original_name=f"{kind}.pdf",
                storage_name=f"{uuid.uuid4()}.pdf",
                content_type="application/pdf",
                size=100,
                sha256="0" * 64,
                uploaded_by=professional.user,
            )
        GuardianFactory(child=case.child)
        CaseFactory(child=ChildFactory(household=household), professional=ProfessionalFactory())
    plan = HouseholdPlanFactory(household=household)
    for _ in range(size * 4):
        PlanActionFactory(plan=plan, goal=PlanGoalFactory(plan=plan))
    for _ in range(size):
        PlanChange.objects.create(
            plan=plan, kind=PlanChangeKind.GOAL_ADDED, description="Doel", actor=professional.user
        )
    return case


# The requests of the case page (the professional's, with the contact form), by what they read:
# session, user with groups; the case (with child, school, household, professional); the timeline
# (contacts, stage changes, assignments, plan changes, meldingen, documents: six); the stages
# the case has visited (the chain track); the professional's roles today (chain steps and
# contact form, once); guardians; siblings and their cases (two); plan, goals, actions
# (three); the menu's follow-up count; the access-log row. Nothing per contact, melding,
# document, guardian, sibling or action.
CASE_PAGE_QUERIES = 19


def test_query_count_is_fixed(client, professional, django_assert_num_queries):
    """A small case file and one ten times larger: the same queries, and a fixed number."""
    small = build_case_file(professional, size=1)
    large = build_case_file(professional, size=10)
    client.force_login(professional.user)
    client.get(reverse("cases:case_detail", args=[small.pk]))  # warm the session
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        response = client.get(reverse("cases:case_detail", args=[small.pk]))
    assert response.status_code == 200
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        response = client.get(reverse("cases:case_detail", args=[large.pk]))
    assert response.status_code == 200
    html = response.text
    # The larger file's lists are all on the page, the timeline's newest page of 25 events
    # with the link to the older ones.
    assert html.count('class="kk-timeline__item ') == 25
    assert "Oudere gebeurtenissen tonen" in html
    guardians = GuardianFactory._meta.model.objects.filter(household=large.child.household)
    assert guardians.count() == 10
    for guardian in guardians:  # as the template escapes it ("van 't Erve" has a quote)
        assert escape(guardian.name) in html
    assert html.count("Actie ") >= 40


# The timeline's older pages (detail.case_timeline): `?voor=` is the last event shown.
def older_link(html: str) -> str:
    match = re.search(r'id="timeline-older"><a [^>]*href="([^"]+)"', html)
    assert match, "no link to older events"
    return unescape(match.group(1))


def test_the_case_page_links_to_the_older_events_and_each_page_to_the_next(
    client, professional, django_assert_num_queries
):
    case = CaseFactory(professional=professional)  # its assignment (now) is the newest event
    contacts = [
        ContactFactory(
            case=case,
            summary=f"Gesprek {number:02d}",
            occurred_at=timezone.now() - datetime.timedelta(hours=number),
        )
        for number in range(1, 31)
    ]
    client.force_login(professional.user)
    page = client.get(reverse("cases:case_detail", args=[case.pk])).text
    assert page.count('class="kk-timeline__item ') == 25
    assert "Gesprek 24" in page and "Gesprek 25" not in page

    url = older_link(page)
    assert url.startswith(reverse("cases:case_timeline", args=[case.pk]) + "?voor=")
    # Only the moment, the kind and the record's id in the URL, nothing of the case.
    assert url.endswith(f"-contact-{contacts[23].pk}")
    client.get(url)  # warm the session
    with django_assert_num_queries(TIMELINE_PAGE_QUERIES):
        older = client.get(url)
    assert older.status_code == 200
    html = older.text
    assert f'<h1 class="utrecht-heading-1">Tijdlijn van zaak {case.number}</h1>' in html
    assert "Terug naar zaak" in html
    assert [f"Gesprek {n}" in html for n in (24, 25, 30)] == [False, True, True]
    assert html.count('class="kk-timeline__item ') == 6
    assert 'id="timeline-older"><a' not in html  # the last page


# Session, user with groups; the case; the six kinds of events; the menu's follow-up count;
# the access-log row.
TIMELINE_PAGE_QUERIES = 11


def test_htmx_gets_the_next_events_in_place_of_the_link(client, professional):
    case = CaseFactory(professional=professional)
    for number in range(60):
        ContactFactory(case=case, occurred_at=timezone.now() - datetime.timedelta(hours=number))
    client.force_login(professional.user)
    url = older_link(client.get(reverse("cases:case_detail", args=[case.pk])).text)

    response = client.get(url, headers={"HX-Request": "true"})

    html = response.text
    assert response.status_code == 200
    assert "<html" not in html and "<h1" not in html
    assert html.count('class="kk-timeline__item ') == 25
    # The new events take the focus (static/js/kk.js) and say what they are.
    assert 'tabindex="-1" data-kk-focus-on-load aria-label="Oudere gebeurtenissen"' in html
    assert older_link(html) != url  # and the link to the page after them


@pytest.mark.parametrize("voor", ["gisteren", "1-bericht-2", "9" * 20 + "-contact-1", "1-contact"])
def test_a_broken_cursor_is_a_400_with_the_way_back(client, professional, case, voor):
    client.force_login(professional.user)
    response = client.get(reverse("cases:case_timeline", args=[case.pk]), {"voor": voor})
    assert response.status_code == 400
    assert "Deze link naar oudere gebeurtenissen in de tijdlijn klopt niet" in response.text
    assert f'href="/zaken/{case.pk}/">Terug naar zaak {case.number}</a>' in response.text


def test_without_a_cursor_the_page_starts_at_the_newest_and_an_empty_one_says_so(
    client, professional
):
    client.force_login(professional.user)
    mine = CaseFactory(professional=professional)
    html = client.get(reverse("cases:case_timeline", args=[mine.pk])).text
    assert html.count('class="kk-timeline__item ') == 1  # the assignment
    # Older than a microsecond after 1970: nothing.
    html = client.get(reverse("cases:case_timeline", args=[mine.pk]), {"voor": "1-contact-1"}).text
    assert "Er zijn geen oudere gebeurtenissen." in html


def test_the_timeline_page_is_in_english_too(client, professional, case):
    client.force_login(professional.user)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("cases:case_timeline", args=[case.pk]), {"voor": "x"})
    assert response.status_code == 400
    assert "This link to older events in the timeline is not valid" in response.text
    assert f"Back to case {case.number}</a>" in response.text
