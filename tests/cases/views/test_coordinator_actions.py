"""Issue 14 items 7 and 19: the coordinator's actions on a case and the werkvoorraad's rows."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import access
from cases.constants import Arm, MeldingType
from cases.models import Case
from tests.factories import CaseFactory, ChildFactory

pytestmark = pytest.mark.django_db


def hrefs(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


# Item 7: Toewijzen, Opnieuw toewijzen, Onderzoeksarm on the case page ----------------------


def test_case_page_offers_the_coordinator_assign_and_arm(client, coordinator):
    case = CaseFactory()
    client.force_login(coordinator)
    html = client.get(reverse("cases:case_detail", args=[case.pk])).text
    assert reverse("cases:assign", args=[case.pk]) in hrefs(html)
    assert reverse("evaluation_case:allocation", args=[case.pk]) in hrefs(html)
    assert ">Toewijzen</a>" in html
    assert "Opnieuw toewijzen" not in html
    assert ">Onderzoeksarm</a>" in html


def test_case_page_offers_reassigning_an_assigned_case(client, coordinator):
    case = CaseFactory(assigned=True)
    client.force_login(coordinator)
    html = client.get(reverse("cases:case_detail", args=[case.pk])).text
    assert ">Opnieuw toewijzen</a>" in html
    assert reverse("cases:assign", args=[case.pk]) in hrefs(html)


def test_a_closed_case_offers_no_assignment(client, coordinator):
    case = CaseFactory(assigned=True, closed=True)
    client.force_login(coordinator)
    html = client.get(reverse("cases:case_detail", args=[case.pk])).text
    assert reverse("cases:assign", args=[case.pk]) not in hrefs(html)
    assert access.coordinator_actions(coordinator, case) == []


def test_the_professional_sees_no_coordinator_actions(client, professional):
    case = CaseFactory(professional=professional)
    client.force_login(professional.user)
    html = client.get(reverse("cases:case_detail", args=[case.pk])).text
    assert reverse("cases:assign", args=[case.pk]) not in hrefs(html)
    assert reverse("evaluation_case:allocation", args=[case.pk]) not in hrefs(html)
    assert "Coördinatie" not in html
    assert access.coordinator_actions(professional.user, case) == []


def test_case_list_rows_offer_assign_and_arm(client, coordinator):
    unassigned = CaseFactory()
    assigned = CaseFactory(assigned=True)
    closed = CaseFactory(assigned=True, closed=True)
    client.force_login(coordinator)
    html = client.get(reverse("cases:case_list")).text

    def row(case: Case) -> str:
        start = html.index(f'id="case-{case.pk}"')
        return html[start : html.index("</tr>", start)]

    assert reverse("cases:assign", args=[unassigned.pk]) in row(unassigned)
    assert "Toewijzen<span" in row(unassigned)
    assert "Opnieuw toewijzen<span" in row(assigned)
    assert reverse("evaluation_case:allocation", args=[assigned.pk]) in row(assigned)
    assert reverse("cases:assign", args=[closed.pk]) not in row(closed)


def test_case_list_actions_cost_no_extra_queries(
    client, coordinator, django_assert_max_num_queries
):
    for _ in range(3):
        CaseFactory(assigned=True)
    client.force_login(coordinator)
    client.get(reverse("cases:case_list"))
    for _ in range(20):
        CaseFactory(assigned=True)
    with django_assert_max_num_queries(12):
        client.get(reverse("cases:case_list"))


# Item 19: the werkvoorraad ------------------------------------------------------------------


def queue_section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find('<section class="kk-section"', start)
    return html[start : end if end != -1 else len(html)]


def test_queue_rows_show_child_melding_type_and_arm(client, coordinator):
    CaseFactory(
        child=ChildFactory(first_name="Noor", last_name="Jansen"),
        melding_type=MeldingType.LUXE,
        arm=Arm.CONTROL,
    )
    client.force_login(coordinator)
    unassigned = queue_section(client.get(reverse("cases:queue")).text, "unassigned-heading")
    assert "Noor Jansen" in unassigned
    assert str(MeldingType.LUXE.label) in unassigned
    assert str(Arm.CONTROL.label) in unassigned


def test_queue_has_one_heading_per_list(client, coordinator):
    CaseFactory()
    client.force_login(coordinator)
    html = client.get(reverse("cases:queue")).text
    # The section heading names the table; no caption repeats it.
    assert "<caption" not in html
    assert 'aria-labelledby="unassigned-heading"' in queue_section(html, "unassigned-heading")


def test_deadline_rows_offer_no_handover(client, coordinator):
    case = CaseFactory(assigned=True)
    Case.objects.filter(pk=case.pk).update(
        three_month_deadline=timezone.localdate() + datetime.timedelta(days=3)
    )
    client.force_login(coordinator)
    deadlines = queue_section(client.get(reverse("cases:queue")).text, "deadline-heading")
    assert case.number in deadlines
    assert "Overdragen" not in deadlines
    assert reverse("cases:assign", args=[case.pk]) not in deadlines


def test_handover_rows_still_offer_the_handover(client, coordinator):
    case = CaseFactory(assigned=True, handover_requested_at=timezone.now())
    client.force_login(coordinator)
    handovers = queue_section(client.get(reverse("cases:queue")).text, "handover-heading")
    assert "Overdragen" in handovers
    assert reverse("cases:assign", args=[case.pk]) in handovers


def test_queue_tables_scroll_in_labelled_focusable_regions(client, coordinator):
    CaseFactory()
    client.force_login(coordinator)
    html = client.get(reverse("cases:queue")).text
    wrappers = re.findall(r'<div class="kk-table-wrapper"[^>]*>', html)
    assert wrappers
    for wrapper in wrappers:
        assert 'tabindex="0"' in wrapper and 'role="region"' in wrapper
        assert "aria-labelledby=" in wrapper
