"""cases.timeline: the case timeline a page at a time, and its cursor."""

import datetime
import uuid

import pytest
from django.utils import timezone

from cases.constants import AssignmentReason, DocumentKind, MeldingType, PlanChangeKind, Stage
from cases.models import Assignment, Document, Melding, PlanChange
from cases.timeline import PAGE_SIZE, Cursor, case_timeline, visited_stages
from tests.factories import (
    CaseFactory,
    ChildFactory,
    ContactFactory,
    HouseholdPlanFactory,
    StageChangeFactory,
)

pytestmark = pytest.mark.django_db

MOMENTS = [timezone.now().replace(microsecond=0) - datetime.timedelta(hours=h) for h in range(3)]


def _melding(case, actor, at):
    melding = Melding.objects.create(
        case=case,
        melding_type=MeldingType.LRV,
        date_received=at.date(),
        period_start=at.date(),
        period_end=at.date(),
        hours_absent=4,
        created_by=actor,
    )
    Melding.objects.filter(pk=melding.pk).update(created_at=at)
    return melding


def _document(case, actor, at):
    return Document.objects.create(
        case=case,
        kind=DocumentKind.REPORT,
        original_name="verslag.pdf",
        storage_name=f"{uuid.uuid4()}.pdf",
        content_type="application/pdf",
        size=100,
        sha256="0" * 64,
        uploaded_by=actor,
        uploaded_at=at,
    )


def case_with_ties(professional):
    """A case with every kind of event, three of each kind at each of three moments: so most
    events share their moment with others of their own kind and of the other kinds."""
    case = CaseFactory(professional=professional, stage=Stage.HALT)
    # The factory's assignment of the professional: a day before the rest.
    Assignment.objects.filter(case=case).update(started_at=MOMENTS[-1] - datetime.timedelta(days=1))
    actor = professional.user
    plan = HouseholdPlanFactory(household=case.child.household)
    for at in MOMENTS:
        for _ in range(3):
            ContactFactory(case=case, occurred_at=at)
            StageChangeFactory(case=case, actor=actor, changed_at=at)
            Assignment.objects.create(
                case=case,
                professional=professional,
                reason=AssignmentReason.WORKLOAD,
                assigned_by=actor,
                started_at=at,
                ended_at=at + datetime.timedelta(minutes=1),  # one open assignment per case
            )
            PlanChange.objects.create(
                plan=plan,
                kind=PlanChangeKind.GOAL_ADDED,
                description="Doel",
                actor=actor,
                changed_at=at,
            )
            _melding(case, actor, at)
            _document(case, actor, at)
    return case


def walk(case, size):
    """Every page from the newest on, following each page's cursor."""
    pages, before = [], None
    for _ in range(100):  # a cursor that does not move on would loop forever
        page = case_timeline(case, before=before, size=size)
        pages.append(page)
        if page.older is None:
            return pages
        before = Cursor.parse(str(page.older))  # as the link in the page carries it
    raise AssertionError("the pages do not end")


def keys(entries):
    return [(entry["kind"], entry["item"].pk) for entry in entries]


@pytest.mark.parametrize("size", [1, 4, 7, PAGE_SIZE])
def test_the_pages_hold_every_event_once_in_timeline_order(professional, size):
    case = case_with_ties(professional)
    everything = case_timeline(case, size=1000)
    assert len(everything.entries) == 55 and everything.older is None

    pages = walk(case, size)

    shown = [entry for page in pages for entry in page.entries]
    assert keys(shown) == keys(everything.entries)
    assert len(set(keys(shown))) == 55
    assert all(len(page.entries) == size for page in pages[:-1])
    assert 1 <= len(pages[-1].entries) <= size


def test_at_one_moment_documents_come_first_and_plan_changes_last_newest_id_first(professional):
    case = case_with_ties(professional)
    first_moment = case_timeline(case, size=18).entries
    assert {e["at"] for e in first_moment} == {MOMENTS[0]}
    kinds = [e["kind"] for e in first_moment]
    assert kinds == [
        k
        for k in ("document", "melding", "contact", "stage", "assignment", "plan")
        for _ in range(3)
    ]
    contact_ids = [e["item"].pk for e in first_moment if e["kind"] == "contact"]
    assert contact_ids == sorted(contact_ids, reverse=True)


def test_the_household_plan_changes_show_on_each_case_of_the_household(professional):
    # Cases without a professional: no assignment on their timelines.
    case = CaseFactory()
    sibling_case = CaseFactory(child=ChildFactory(household=case.child.household))
    plan = HouseholdPlanFactory(household=case.child.household)
    change = PlanChange.objects.create(
        plan=plan, kind=PlanChangeKind.GOAL_ADDED, description="Doel", actor=professional.user
    )
    for each in (case, sibling_case):
        assert keys(case_timeline(each).entries) == [("plan", change.pk)]
    assert case_timeline(CaseFactory()).entries == []


def test_an_empty_timeline_is_falsy_and_has_no_older_page():
    page = case_timeline(CaseFactory())
    assert not page and page.older is None


def test_a_full_last_page_has_no_link_to_an_empty_one(professional):
    case = CaseFactory(professional=professional)
    for _ in range(4):
        ContactFactory(case=case)
    # Four contacts and the professional's assignment.
    assert case_timeline(case, size=5).older is None
    assert case_timeline(case, size=4).older is not None


def test_each_page_takes_six_queries(professional, django_assert_num_queries):
    case = case_with_ties(professional)
    first = case_timeline(case, size=5)
    with django_assert_num_queries(6):
        case_timeline(case, before=first.older, size=5)


def test_the_cursor_round_trips_to_the_microsecond():
    at = datetime.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=datetime.UTC)
    cursor = Cursor(at, "melding", 42)
    assert str(cursor) == f"{int(at.timestamp()) * 1_000_000 + 123456}-melding-42"
    assert Cursor.parse(str(cursor)) == cursor


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "1-contact",
        "1-contact-2-3",
        "1-bericht-2",  # not a kind of event
        "-1-contact-2",
        "1.5-contact-2",
        "1-contact-x",
        "9" * 20 + "-contact-1",  # past the last date there is
        "１-contact-2",  # a full-width digit
    ],
)
def test_anything_else_is_not_a_cursor(text):
    with pytest.raises(ValueError):
        Cursor.parse(text)


def test_the_chain_track_sees_every_stage_however_old(professional):
    case = CaseFactory(professional=professional, stage=Stage.RVDK)
    StageChangeFactory(
        case=case,
        from_stage=Stage.LEERPLICHT,
        to_stage=Stage.HALT,
        changed_at=timezone.now() - datetime.timedelta(days=300),
    )
    for _ in range(PAGE_SIZE + 5):  # the stage change is far off the first page
        ContactFactory(case=case)
    assert "stage" not in {e["kind"] for e in case_timeline(case).entries}
    assert visited_stages(case) == {Stage.LEERPLICHT, Stage.HALT}
    assert visited_stages(CaseFactory()) == set()
