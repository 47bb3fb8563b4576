"""The coordinator's pages: the work queue, intake of a referral, assignment.

The study arm's page (evaluation/views/allocation.py) is tested in
tests/evaluation/views/test_allocation.py.

Each test checks the response, then the database, then the history rows (Assignment,
Allocation). Who may open these pages at all is in tests/bip/test_access_matrix.py.
"""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from cases.constants import (
    AssignmentReason,
    CaseSource,
    CaseStatus,
    MeldingType,
    SchoolLevel,
    Stage,
)
from cases.models import Assignment, Case, CaseNumberCounter, Child, Household
from evaluation.constants import AllocationMethod, Arm
from evaluation.models import Allocation, AllocationSequence
from roles.constants import ChainRole
from tests.factories import (
    CaseFactory,
    ChildFactory,
    HouseholdFactory,
    OrganisationFactory,
    ProfessionalFactory,
    SchoolFactory,
    valid_bsn,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 3, 16)
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)
CONFLICT = "Iemand anders heeft deze zaak gewijzigd"
# Far beyond the factories' sequences, so no factory child ever has these numbers.
NEW_BSN = valid_bsn(700_001)
SIBLING_BSN = valid_bsn(700_002)
# An address no factory produces (HouseholdFactory makes "Kruisstraat <n>", 2011 AB).
STREET, POSTCODE, CITY = "Zijlweg 245", "2015 CK", "Haarlem"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.ALLOCATION_BLOCK_SIZES = (4, 6, 8)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def coordinator_client(client_for, coordinator):
    return client_for(coordinator)


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def section(html: str, heading_id: str) -> str:
    """The HTML of one queue section, from its heading to the next section."""
    start = html.index(f'id="{heading_id}"')
    end = html.find('<section class="kk-section"', start)
    return html[start : end if end != -1 else len(html)]


def numbers_in(html: str) -> list[str]:
    return re.findall(r">(\d{4}-\d{6})</a>", html)


def everything() -> tuple:
    """Row counts a refused intake must leave untouched."""
    return (
        Household.objects.count(),
        Child.objects.count(),
        Case.objects.count(),
        Allocation.objects.count(),
        Assignment.objects.count(),
        sorted(AllocationSequence.objects.values_list("stratum", "next_position")),
        sorted(CaseNumberCounter.objects.values_list("year", "last_number")),
    )


@pytest.mark.parametrize(
    ("method", "name", "needs_case"),
    [
        ("post", "cases:queue", False),
        ("put", "cases:intake", False),
        ("delete", "cases:assign", True),
        ("put", "evaluation_case:allocation", True),
    ],
)
def test_wrong_method_is_refused(coordinator_client, method, name, needs_case):
    case = CaseFactory()
    url = reverse(name, args=[case.pk]) if needs_case else reverse(name)

    response = getattr(coordinator_client, method)(url)

    assert response.status_code == 405
    case.refresh_from_db()
    assert case.version == 1


# The queue ---------------------------------------------------------------------------------


def test_queue_lists_unassigned_referrals_longest_waiting_first(coordinator_client):
    middle = CaseFactory(date_received=days_ago(10))
    oldest = CaseFactory(date_received=days_ago(30))
    newest = CaseFactory(date_received=days_ago(2))
    CaseFactory(date_received=days_ago(40), assigned=True)
    CaseFactory(date_received=days_ago(50), closed=True)

    response = coordinator_client.get(reverse("cases:queue"))

    assert response.status_code == 200
    assert response.context["unassigned"] == [oldest, middle, newest]
    unassigned = section(response.content.decode(), "unassigned-heading")
    assert numbers_in(unassigned) == [oldest.number, middle.number, newest.number]
    assert "30 dagen geleden" in unassigned
    assert reverse("cases:assign", args=[oldest.pk]) in unassigned


def test_queue_lists_deadlines_overdue_and_within_fourteen_days(coordinator_client):
    def due_in(days: int, **kwargs):
        case = CaseFactory(assigned=True, **kwargs)
        Case.objects.filter(pk=case.pk).update(
            three_month_deadline=TODAY + datetime.timedelta(days=days)
        )
        return case

    in_fourteen = due_in(14)
    overdue = due_in(-5)
    today = due_in(0)
    due_in(15)
    due_in(-30, closed=True)

    response = coordinator_client.get(reverse("cases:queue"))

    assert response.status_code == 200
    assert response.context["deadlines"] == [overdue, today, in_fourteen]
    deadlines = section(response.content.decode(), "deadline-heading")
    assert numbers_in(deadlines) == [overdue.number, today.number, in_fourteen.number]
    assert "5 dagen over de termijn" in deadlines
    assert "nog 14 dagen" in deadlines


def test_queue_lists_handovers_waiting_longest_first(coordinator_client):
    recent = CaseFactory(assigned=True, handover_requested_at=NOW - datetime.timedelta(hours=3))
    waiting = CaseFactory(assigned=True, handover_requested_at=NOW - datetime.timedelta(days=4))
    CaseFactory(assigned=True)

    response = coordinator_client.get(reverse("cases:queue"))

    assert response.context["handovers"] == [waiting, recent]
    handovers = section(response.content.decode(), "handover-heading")
    assert numbers_in(handovers) == [waiting.number, recent.number]
    assert "Overdragen" in handovers


def test_queue_empty_states(coordinator_client):
    CaseFactory(assigned=True)  # nothing to do for the coordinator

    response = coordinator_client.get(reverse("cases:queue"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Geen meldingen die op toewijzing wachten." in html
    assert "Geen zaken die op overdracht wachten." in html
    assert "Geen zaken met een (bijna) verlopen termijn." in html


def test_queue_warns_when_the_bip_arm_is_full(coordinator_client):
    ProfessionalFactory(bip=True, max_caseload=1)
    CaseFactory(arm=Arm.BIP)

    response = coordinator_client.get(reverse("cases:queue"))

    assert response.context["capacity"] == {"capacity": 1, "open": 1, "at_capacity": True}
    assert "De BIP-arm zit vol." in response.content.decode()


def test_queue_has_no_warning_with_room_in_the_bip_arm(coordinator_client):
    ProfessionalFactory(bip=True, max_caseload=2)
    CaseFactory(arm=Arm.BIP)

    response = coordinator_client.get(reverse("cases:queue"))

    assert "De BIP-arm zit vol." not in response.content.decode()


def fill_queue(per_list: int) -> None:
    professionals = [ProfessionalFactory(), ProfessionalFactory(bip=True)]
    for n in range(per_list):
        CaseFactory(date_received=days_ago(n + 1))
        due = CaseFactory(professional=professionals[n % 2])
        Case.objects.filter(pk=due.pk).update(
            three_month_deadline=TODAY + datetime.timedelta(n % 15)
        )
        CaseFactory(
            professional=professionals[n % 2],
            handover_requested_at=NOW - datetime.timedelta(hours=n + 1),
        )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_queue_query_count_does_not_grow_with_the_lists(coordinator_client):
    url = reverse("cases:queue")
    fill_queue(3)
    small = count_queries(coordinator_client, url)
    assert small <= 10

    fill_queue(27)
    response = coordinator_client.get(url)
    assert [len(response.context[k]) for k in ("unassigned", "deadlines", "handovers")] == [
        20,
        20,
        20,
    ]
    assert count_queries(coordinator_client, url) == small


# Cases of deactivated professionals (issue 10) ---------------------------------------------


def deactivated(how: str):
    """A professional who no longer works: the record switched off, or the login account."""
    if how == "record":
        return ProfessionalFactory(inactive=True)
    return ProfessionalFactory(user__is_active=False)


@pytest.mark.parametrize("how", ["record", "account"])
def test_queue_lists_cases_needing_a_new_professional_longest_waiting_first(
    coordinator_client, how
):
    gone = deactivated(how)
    newer = CaseFactory(professional=gone, date_received=days_ago(3))
    older = CaseFactory(professional=gone, date_received=days_ago(20))
    CaseFactory(professional=gone, closed=True)
    CaseFactory(assigned=True)  # a working professional's case needs nothing
    CaseFactory()  # unassigned: its own list

    response = coordinator_client.get(reverse("cases:queue"))

    assert response.status_code == 200
    assert response.context["orphaned"] == [older, newer]
    assert response.context["orphaned_more"] is False
    orphaned = section(response.content.decode(), "orphaned-heading")
    assert "Nieuwe professional nodig" in orphaned
    assert numbers_in(orphaned) == [older.number, newer.number]
    assert escape(str(gone)) in orphaned  # Faker's Dutch names hold apostrophes (van 't Riet)
    assert "niet meer actief" in orphaned
    # The reassign link: the assign page, where the case is handed over with a note.
    assert reverse("cases:assign", args=[older.pk]) in orphaned
    assert "Overdragen" in orphaned


def test_queue_has_an_empty_state_for_cases_needing_a_new_professional(coordinator_client):
    CaseFactory(assigned=True)

    response = coordinator_client.get(reverse("cases:queue"))

    assert response.context["orphaned"] == []
    assert "Geen zaken van professionals die niet meer actief zijn." in response.content.decode()


def test_queue_of_cases_needing_a_new_professional_is_capped_in_constant_queries(
    coordinator_client,
):
    url = reverse("cases:queue")
    gone = [deactivated("record"), deactivated("account")]
    for n in range(2):
        CaseFactory(professional=gone[n % 2], date_received=days_ago(n + 1))
    small = count_queries(coordinator_client, url)
    assert "Er zijn nog meer zaken" not in coordinator_client.get(url).content.decode()

    for n in range(2, 25):
        CaseFactory(professional=gone[n % 2], date_received=days_ago(n + 1))
    response = coordinator_client.get(url)

    assert len(response.context["orphaned"]) == 20
    assert response.context["orphaned_more"] is True
    assert "Er zijn nog meer zaken die een nieuwe professional nodig hebben." in (
        response.content.decode()
    )
    # Longest waiting first: the oldest 20 of the 25.
    assert response.context["orphaned"][0].date_received == days_ago(25)
    assert count_queries(coordinator_client, url) == small


def test_reassigning_a_case_of_a_deactivated_professional_takes_it_off_the_queue(
    coordinator_client, leerplicht, mailoutbox, django_capture_on_commit_callbacks
):
    gone = deactivated("record")
    case = CaseFactory(professional=gone, stage=Stage.LEERPLICHT)
    successor = professional_named("Bram", "Mulder", organisation=leerplicht)

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(
            reverse("cases:assign", args=[case.pk]),
            assign_data(
                case,
                successor,
                reason=AssignmentReason.ABSENCE,
                note="Vorige professional is uit dienst.",
            ),
        )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.professional == successor
    handover = Assignment.objects.get(case=case, ended_at__isnull=True)
    assert (handover.professional, handover.is_handover) == (successor, True)
    assert [m.to for m in mailoutbox] == [["bram@example.nl"]]
    assert coordinator_client.get(reverse("cases:queue")).context["orphaned"] == []


@pytest.mark.parametrize("how", ["record", "account"])
def test_assign_page_does_not_offer_a_deactivated_professional(
    coordinator_client, case, leerplicht, how
):
    working = professional_named("Anouk", "Visser", organisation=leerplicht)
    gone = deactivated(how)
    gone.organisation = leerplicht
    gone.save()

    response = coordinator_client.get(reverse("cases:assign", args=[case.pk]))

    assert [p.pk for p in response.context["suggestions"]] == [working.pk]
    assert f'value="{gone.pk}"' not in response.content.decode()


@pytest.mark.parametrize("how", ["record", "account"])
def test_assigning_a_deactivated_professional_is_refused(coordinator_client, case, how):
    gone = deactivated(how)

    response = coordinator_client.post(
        reverse("cases:assign", args=[case.pk]), assign_data(case, gone)
    )

    assert response.status_code == 422
    assert response.context["form"].errors["professional"]
    case.refresh_from_db()
    assert (case.professional, case.version) == (None, 1)
    assert not Assignment.objects.filter(case=case).exists()


# Intake ------------------------------------------------------------------------------------


@pytest.fixture
def school():
    # Q and U are letters tests/factories.valid_brin never uses: no generated school collides.
    return SchoolFactory(brin="05QU", level=SchoolLevel.VO)


def referral_data(**overrides) -> dict:
    return {
        "date_received": "2026-03-10",
        "source": CaseSource.DUO,
        "melding_type": MeldingType.ZESTIEN_UUR,
        "period_start": "2026-02-09",
        "period_end": "2026-03-06",
        "hours_absent": "18",
        "times_late": "2",
    } | overrides


def new_child_data(**overrides) -> dict:
    return (
        {
            "nieuw": "1",
            "first_name": "Fleur",
            "last_name": "Zonneveld",
            "date_of_birth": "2012-05-04",
            "bsn": NEW_BSN,
            "onderwijsnummer": "",
            "school_brin": "05QU",
            "sibling_bsn": "",
            "street": STREET,
            "postcode": POSTCODE,
            "city": CITY,
        }
        | referral_data()
        | overrides
    )


def post_new_child(client, **overrides):
    return client.post(reverse("cases:intake") + "?nieuw=1", new_child_data(**overrides))


def post_for_child(client, child, **overrides):
    # As the form does: ?child= in its action and a hidden field "child".
    return client.post(
        reverse("cases:intake") + f"?child={child.pk}",
        {"child": child.pk} | referral_data(**overrides),
    )


def test_intake_search_by_bsn_finds_the_child(coordinator_client):
    child = ChildFactory(bsn=NEW_BSN)
    ChildFactory()
    spaced = f"{NEW_BSN[:4]}.{NEW_BSN[4:6]}.{NEW_BSN[6:]}"

    response = coordinator_client.get(reverse("cases:intake"), {"zoek": "1", "bsn": spaced})

    assert response.status_code == 200
    assert response.context["matches"] == [child]
    assert f"?child={child.pk}" in response.content.decode()


def test_intake_search_by_last_name_and_date_of_birth(coordinator_client):
    child = ChildFactory(last_name="Zonneveld", date_of_birth=datetime.date(2012, 5, 4))
    CaseFactory(child=child)
    ChildFactory(last_name="Zonneveld", date_of_birth=datetime.date(2013, 5, 4))
    ChildFactory(last_name="Zandvoort", date_of_birth=datetime.date(2012, 5, 4))

    response = coordinator_client.get(
        reverse("cases:intake"),
        {"zoek": "1", "last_name": " zonneveld ", "date_of_birth": "2012-05-04"},
    )

    assert response.status_code == 200
    assert response.context["matches"] == [child]
    assert response.context["matches"][0].open_cases == 1
    # The child has an open case: the melding goes there, not into a second case.
    case = child.cases.get()
    assert reverse("cases:melding_create", args=[case.pk]) in response.content.decode()
    assert f"?child={child.pk}" not in response.content.decode()


def test_intake_search_without_criteria_asks_for_them(coordinator_client):
    response = coordinator_client.get(reverse("cases:intake"), {"zoek": "1", "last_name": "Jansen"})

    assert response.status_code == 200
    assert response.context["matches"] == []
    assert "Vul een BSN in, of een achternaam én een geboortedatum." in response.content.decode()


def test_intake_search_with_no_match_offers_a_new_child(coordinator_client):
    response = coordinator_client.get(reverse("cases:intake"), {"zoek": "1", "bsn": NEW_BSN})

    html = response.content.decode()
    assert "Geen kind gevonden met deze gegevens." in html
    assert "?nieuw=1" in html


def test_intake_for_a_found_child_makes_no_duplicate(coordinator_client, coordinator):
    child = ChildFactory(date_of_birth=datetime.date(2012, 5, 4))
    CaseFactory(child=child, closed=True)
    children = Child.objects.count()

    form = coordinator_client.get(reverse("cases:intake"), {"child": child.pk})
    assert form.status_code == 200
    assert form.context["child"] == child
    response = post_for_child(coordinator_client, child)

    case = Case.objects.get(child=child, status=CaseStatus.OPEN)
    assert response.status_code == 302
    assert response.url == reverse("cases:assign", args=[case.pk])
    assert Child.objects.count() == children
    assert case.date_received == datetime.date(2026, 3, 10)
    assert case.hours_absent == 18
    allocation = Allocation.objects.get(case=case)
    assert allocation.method == AllocationMethod.BLOCK_RANDOM
    assert allocation.actor == coordinator
    assert case.arm == allocation.arm


def test_intake_of_a_new_child_creates_child_household_case_and_allocation(
    coordinator_client, school
):
    households = Household.objects.count()

    response = post_new_child(coordinator_client, postcode="2015ck")

    child = Child.objects.get(bsn=NEW_BSN)
    case = Case.objects.get(child=child)
    assert response.status_code == 302
    assert response.url == reverse("cases:assign", args=[case.pk])
    assert (child.first_name, child.last_name) == ("Fleur", "Zonneveld")
    assert child.date_of_birth == datetime.date(2012, 5, 4)
    assert child.school == school
    assert Household.objects.count() == households + 1
    assert (child.household.street, child.household.postcode, child.household.city) == (
        STREET,
        POSTCODE,
        CITY,
    )
    assert re.fullmatch(r"2026-\d{6}", case.number)
    allocation = Allocation.objects.get(case=case)
    assert allocation.draw.stratum == "16_uur/vo"
    assert case.arm == allocation.arm


def test_intake_of_a_new_child_at_a_known_address_proposes_the_household(
    coordinator_client, school
):
    existing = HouseholdFactory(street=STREET, postcode=POSTCODE, city=CITY)
    ChildFactory(first_name="Daan", household=existing)
    before = everything()

    response = post_new_child(coordinator_client, street=" zijlweg 245 ", postcode="2015ck")

    assert response.status_code == 422
    html = response.content.decode()
    assert "Er woont al een gezin op dit adres" in html
    assert re.search(rf'type="radio" name="household_choice" value="bestaand-{existing.pk}"', html)
    assert re.search(r'type="radio" name="household_choice" value="nieuw"', html)
    assert "met Daan" in html
    for typed in ("Fleur", "Zonneveld", NEW_BSN, "2012-05-04", "05QU", "2026-03-10"):
        assert f'value="{typed}"' in html
    assert everything() == before


def test_intake_joins_the_existing_household_when_chosen(coordinator_client, school):
    existing = HouseholdFactory(street=STREET, postcode=POSTCODE, city=CITY)
    ChildFactory(first_name="Daan", household=existing)
    households = Household.objects.count()

    response = post_new_child(coordinator_client, household_choice=f"bestaand-{existing.pk}")

    assert response.status_code == 302, response.context["child_form"].errors
    child = Child.objects.get(bsn=NEW_BSN)
    assert child.household == existing
    assert Household.objects.count() == households
    assert Case.objects.filter(child=child).count() == 1


def test_intake_makes_a_new_household_at_the_same_address_when_chosen(coordinator_client, school):
    existing = HouseholdFactory(street=STREET, postcode=POSTCODE, city=CITY)
    households = Household.objects.count()

    response = post_new_child(coordinator_client, household_choice="nieuw")

    assert response.status_code == 302, response.context["child_form"].errors
    child = Child.objects.get(bsn=NEW_BSN)
    assert child.household != existing
    assert Household.objects.count() == households + 1


def test_intake_refuses_a_household_that_is_not_at_the_address(coordinator_client, school):
    HouseholdFactory(street=STREET, postcode=POSTCODE, city=CITY)
    elsewhere = HouseholdFactory()
    before = everything()

    response = post_new_child(coordinator_client, household_choice=f"bestaand-{elsewhere.pk}")

    assert response.status_code == 422
    assert response.context["child_form"].errors["household_choice"]
    assert everything() == before


def test_intake_with_a_sibling_bsn_joins_the_siblings_household(coordinator_client, school):
    sibling = ChildFactory(bsn=SIBLING_BSN)
    households = Household.objects.count()

    response = post_new_child(
        coordinator_client, sibling_bsn=SIBLING_BSN, street="", postcode="", city=""
    )

    assert response.status_code == 302
    child = Child.objects.get(bsn=NEW_BSN)
    assert child.household == sibling.household
    assert Household.objects.count() == households
    assert Case.objects.filter(child=child).exists()


def test_intake_refuses_an_unknown_brin(coordinator_client, school):
    before = everything()

    response = post_new_child(coordinator_client, school_brin="99ZZ")

    assert response.status_code == 422
    assert "Er is geen school met BRIN 99ZZ bekend" in response.content.decode()
    assert response.context["child_form"].errors["school_brin"]
    assert everything() == before


def test_intake_refuses_an_invalid_bsn(coordinator_client, school):
    before = everything()

    response = post_new_child(coordinator_client, bsn="123456789")

    assert response.status_code == 422
    assert "Dit is geen geldig BSN" in response.content.decode()
    assert response.context["child_form"].errors["bsn"]
    assert everything() == before


def test_intake_refuses_a_bsn_that_is_already_known(coordinator_client, school):
    ChildFactory(bsn=NEW_BSN)
    before = everything()

    response = post_new_child(coordinator_client)

    assert response.status_code == 422
    assert "Er is al een kind met dit BSN" in response.content.decode()
    assert everything() == before


def test_intake_refuses_a_child_with_an_open_case(coordinator_client):
    case = CaseFactory()
    before = everything()

    response = post_for_child(coordinator_client, case.child)

    assert response.status_code == 422
    assert "Dit kind heeft al een open zaak" in response.content.decode()
    assert list(Case.objects.filter(child=case.child)) == [case]
    assert everything() == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        # Valid forms, refused by the referral service after the child was registered.
        ({"date_of_birth": "2021-06-01"}, "date_of_birth", "Op de meldingsdatum is het kind 4"),
        ({"date_of_birth": "2007-06-01"}, "date_of_birth", "Op de meldingsdatum is het kind 18"),
        ({"period_end": "2026-03-12"}, "period_end", "uiterlijk op de datum van de melding"),
        ({"date_received": "2026-03-17"}, "date_received", "ligt in de toekomst"),
    ],
)
def test_a_refused_referral_leaves_no_child_or_household(
    coordinator_client, school, overrides, field, message
):
    before = everything()

    response = post_new_child(coordinator_client, **overrides)

    assert response.status_code == 422
    assert message in response.content.decode()
    forms = (response.context["child_form"], response.context["referral_form"])
    assert any(field in form.errors for form in forms)
    assert everything() == before
    assert not Child.objects.filter(bsn=NEW_BSN).exists()
    assert not Household.objects.filter(street=STREET).exists()


def test_a_refused_referral_for_a_sibling_leaves_no_child(coordinator_client, school):
    ChildFactory(bsn=SIBLING_BSN)
    before = everything()

    response = post_new_child(
        coordinator_client,
        sibling_bsn=SIBLING_BSN,
        street="",
        postcode="",
        city="",
        date_of_birth="2022-01-01",
    )

    assert response.status_code == 422
    assert everything() == before


# Assign ------------------------------------------------------------------------------------


@pytest.fixture
def leerplicht():
    return OrganisationFactory(kind=ChainRole.LEERPLICHT)


@pytest.fixture
def case():
    """An unassigned control-arm case at Leerplicht, of a child with known personal data."""
    child = ChildFactory(
        first_name="Fleur",
        last_name="Zonneveld",
        bsn=NEW_BSN,
        date_of_birth=datetime.date(2012, 5, 4),
        household=HouseholdFactory(street=STREET, postcode=POSTCODE, city=CITY),
    )
    return CaseFactory(child=child, arm=Arm.CONTROL, stage=Stage.LEERPLICHT)


def professional_named(first_name: str, last_name: str, **kwargs):
    return ProfessionalFactory(
        user__first_name=first_name,
        user__last_name=last_name,
        user__email=f"{first_name.lower()}@example.nl",
        **kwargs,
    )


def assign_data(case, professional, **overrides) -> dict:
    return {
        "professional": professional.pk,
        "reason": AssignmentReason.INTAKE,
        "note": "",
        "version": case.version,
    } | overrides


def test_assign_page_ranks_household_continuity_first_and_preselects_it(
    coordinator_client, case, leerplicht
):
    fit = professional_named("Anouk", "Visser", organisation=leerplicht)
    continuity = professional_named("Bram", "Mulder", bip=True, max_caseload=1)
    CaseFactory(professional=continuity, child=ChildFactory(household=case.child.household))

    response = coordinator_client.get(reverse("cases:assign", args=[case.pk]))

    assert response.status_code == 200
    suggestions = response.context["suggestions"]
    assert [p.pk for p in suggestions] == [continuity.pk, fit.pk]
    assert response.context["chosen"] == str(continuity.pk)
    html = response.content.decode()
    first = re.search(r'<input type="radio"[^>]*id="prof-first"[^>]*>', html).group(0)
    assert f'value="{continuity.pk}"' in first
    assert "checked" in first
    other = re.search(rf'<input type="radio"[^>]*id="prof-{fit.pk}"[^>]*>', html).group(0)
    assert "checked" not in other
    assert "werkt al met dit gezin" in html
    assert html.index("Bram Mulder") < html.index("Anouk Visser")


def test_assign_page_without_continuity_preselects_the_best_fit(
    coordinator_client, case, leerplicht
):
    ProfessionalFactory(bip=True)
    fit = professional_named("Anouk", "Visser", organisation=leerplicht)

    response = coordinator_client.get(reverse("cases:assign", args=[case.pk]))

    assert response.context["suggestions"][0].pk == fit.pk
    assert response.context["chosen"] == str(fit.pk)


def test_assigning_records_the_assignment_and_mails_only_a_link(
    coordinator_client,
    coordinator,
    case,
    leerplicht,
    mailoutbox,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.SITE_URL = "https://ketenkameleon.example.nl"
    chosen = professional_named("Anouk", "Visser", organisation=leerplicht)

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(
            reverse("cases:assign", args=[case.pk]), assign_data(case, chosen)
        )

    assert response.status_code == 302
    assert response.url == reverse("cases:queue")
    case.refresh_from_db()
    assert case.professional == chosen
    assert case.version == 2
    assignment = Assignment.objects.get(case=case)
    assert assignment.professional == chosen
    assert assignment.reason == AssignmentReason.INTAKE
    assert assignment.is_handover is False
    assert assignment.assigned_by == coordinator
    assert assignment.started_at == NOW

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["anouk@example.nl"]
    text = f"{mail.subject}\n{mail.body}"
    assert f"https://ketenkameleon.example.nl{reverse('cases:case_detail', args=[case.pk])}" in (
        mail.body
    )
    child = case.child
    forbidden = [
        child.first_name,
        child.last_name,
        child.bsn,
        "2012-05-04",
        "04-05-2012",
        "4-5-2012",
        "4 mei 2012",
        "Zijlweg",
        POSTCODE,
        POSTCODE.replace(" ", ""),
    ]
    for value in forbidden:
        assert value.lower() not in text.lower(), value


def test_the_assignment_mail_waits_for_the_commit(
    coordinator_client, case, leerplicht, mailoutbox, django_capture_on_commit_callbacks
):
    chosen = professional_named("Anouk", "Visser", organisation=leerplicht)

    with django_capture_on_commit_callbacks() as callbacks:
        response = coordinator_client.post(
            reverse("cases:assign", args=[case.pk]), assign_data(case, chosen)
        )

    assert response.status_code == 302
    assert mailoutbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert [m.to for m in mailoutbox] == [["anouk@example.nl"]]


def test_reassigning_without_a_note_is_refused(
    coordinator_client, case, leerplicht, mailoutbox, django_capture_on_commit_callbacks
):
    first = professional_named("Anouk", "Visser", organisation=leerplicht)
    second = professional_named("Bram", "Mulder", organisation=leerplicht)
    with django_capture_on_commit_callbacks(execute=True):
        coordinator_client.post(reverse("cases:assign", args=[case.pk]), assign_data(case, first))
    case.refresh_from_db()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(
            reverse("cases:assign", args=[case.pk]),
            assign_data(case, second, reason=AssignmentReason.WORKLOAD, note="  "),
        )

    assert response.status_code == 422
    assert "Licht toe waarom de zaak naar een andere professional gaat." in (
        response.content.decode()
    )
    assert response.context["form"].errors["note"]
    version = case.version
    case.refresh_from_db()
    assert (case.professional, case.version) == (first, version)
    assert list(Assignment.objects.filter(case=case).values_list("professional", flat=True)) == [
        first.pk
    ]
    assert mailoutbox == []


def test_reassigning_with_a_note_is_a_handover(
    coordinator_client, case, leerplicht, mailoutbox, django_capture_on_commit_callbacks
):
    first = professional_named("Anouk", "Visser", organisation=leerplicht)
    second = professional_named("Bram", "Mulder", organisation=leerplicht)
    with django_capture_on_commit_callbacks(execute=True):
        coordinator_client.post(reverse("cases:assign", args=[case.pk]), assign_data(case, first))
    case.refresh_from_db()
    mailoutbox.clear()

    get = coordinator_client.get(reverse("cases:assign", args=[case.pk]))
    assert first.pk not in [p.pk for p in get.context["suggestions"]]
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(
            reverse("cases:assign", args=[case.pk]),
            assign_data(
                case, second, reason=AssignmentReason.WORKLOAD, note="Anouk heeft te veel zaken."
            ),
        )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.professional == second
    old, new = Assignment.objects.filter(case=case).order_by("id")
    assert (old.professional, old.ended_at) == (first, NOW)
    assert (new.professional, new.ended_at, new.is_handover) == (second, None, True)
    assert new.note == "Anouk heeft te veel zaken."
    assert new.reason == AssignmentReason.WORKLOAD
    assert [m.to for m in mailoutbox] == [["bram@example.nl"]]
    assert "overgedragen" in mailoutbox[0].subject


def test_assigning_with_a_stale_version_is_refused(
    coordinator_client, case, leerplicht, mailoutbox, django_capture_on_commit_callbacks
):
    chosen = professional_named("Anouk", "Visser", organisation=leerplicht)
    seen = case.version
    # Someone else changes the case after this coordinator opened the page.
    Case.objects.filter(pk=case.pk).update(version=seen + 1)

    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(
            reverse("cases:assign", args=[case.pk]),
            assign_data(case, chosen, version=seen, note="Wat ik had getypt"),
        )

    assert response.status_code == 422
    html = response.content.decode()
    assert CONFLICT in html
    assert "Wat ik had getypt" in html
    assert re.search(rf'name="version" value="{seen + 1}"', html)
    case.refresh_from_db()
    assert (case.professional, case.version) == (None, seen + 1)
    assert not Assignment.objects.filter(case=case).exists()
    assert mailoutbox == []


def test_assigning_without_choosing_a_professional_is_refused(coordinator_client, case):
    response = coordinator_client.post(
        reverse("cases:assign", args=[case.pk]),
        {"reason": AssignmentReason.INTAKE, "version": case.version},
    )

    assert response.status_code == 422
    assert "Kies een professional." in response.content.decode()
    assert not Assignment.objects.filter(case=case).exists()


def test_assign_page_query_count_does_not_grow_with_caseloads(coordinator_client, case):
    professionals = [ProfessionalFactory(), ProfessionalFactory(bip=True), ProfessionalFactory()]
    for professional in professionals:
        CaseFactory(professional=professional)
    CaseFactory(professional=professionals[0], child=ChildFactory(household=case.child.household))
    url = reverse("cases:assign", args=[case.pk])
    small = count_queries(coordinator_client, url)
    assert small <= 9

    for professional in professionals:
        CaseFactory.create_batch(8, professional=professional)
        CaseFactory.create_batch(2, professional=professional, closed=True)
    ProfessionalFactory.create_batch(3)

    response = coordinator_client.get(url)
    assert len(response.context["suggestions"]) == 6
    assert response.context["suggestions"][0].open_cases == 10
    assert count_queries(coordinator_client, url) == small
