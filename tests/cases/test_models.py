import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from cases.constants import AssignmentReason, CaseStatus
from cases.models import (
    Assignment,
    Case,
    CaseNumberCounter,
    Child,
    age_on,
    three_month_deadline,
)
from cases.services import case_numbers_reserve
from evaluation.constants import (
    AllocationMethod,
    ExportDataset,
    ExportEventKind,
    ExportFormat,
)
from evaluation.models import Allocation, ExportEvent, ResearchExport
from professionals.constants import StaffGroup
from professionals.groups import is_administrator, is_coordinator, is_researcher
from professionals.models import Qualification
from roles.constants import ChainRole, ContactKind
from tests.factories import (
    AllocationFactory,
    CaseFactory,
    ChildFactory,
    ContactFactory,
    HouseholdFactory,
    ProfessionalFactory,
    SchoolFactory,
    UserFactory,
    valid_bsn,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 3, 16)

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    """Freeze the clock at noon in Amsterdam on TODAY."""
    with time_machine.travel(datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM), tick=False):
        yield TODAY


def messages(exc_info, field):
    return exc_info.value.message_dict[field]


# --- three_month_deadline -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (datetime.date(2026, 1, 15), datetime.date(2026, 4, 15)),
        (datetime.date(2026, 1, 31), datetime.date(2026, 4, 30)),
        (datetime.date(2023, 11, 30), datetime.date(2024, 2, 29)),
        (datetime.date(2022, 11, 30), datetime.date(2023, 2, 28)),
        (datetime.date(2024, 2, 29), datetime.date(2024, 5, 29)),
        (datetime.date(2025, 12, 31), datetime.date(2026, 3, 31)),
    ],
)
def test_three_month_deadline(received, deadline):
    result = three_month_deadline(received)
    assert result == deadline
    # A plain date, not a datetime (a datetime is also an instance of date).
    assert type(result) is datetime.date


def test_case_save_stores_the_deadline(today):
    case = CaseFactory(date_received=datetime.date(2026, 1, 31))
    case.refresh_from_db()
    assert case.three_month_deadline == datetime.date(2026, 4, 30)


def test_case_save_recomputes_the_deadline_when_date_received_changes(today):
    case = CaseFactory(date_received=datetime.date(2026, 1, 31))
    case.date_received = datetime.date(2026, 2, 10)
    case.save()
    case.refresh_from_db()
    assert case.three_month_deadline == datetime.date(2026, 5, 10)
    assert Case.objects.filter(three_month_deadline=datetime.date(2026, 4, 30)).count() == 0


# --- age_on -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (datetime.date(2010, 6, 15), datetime.date(2026, 6, 14), 15),
        (datetime.date(2010, 6, 15), datetime.date(2026, 6, 15), 16),
        (datetime.date(2012, 2, 29), datetime.date(2024, 2, 28), 11),
        (datetime.date(2012, 2, 29), datetime.date(2024, 2, 29), 12),
        (datetime.date(2012, 2, 29), datetime.date(2024, 3, 1), 12),
        # In a non-leap year the leap-day child turns a year older on 1 March, not 28 February.
        (datetime.date(2012, 2, 29), datetime.date(2023, 2, 28), 10),
        (datetime.date(2012, 2, 29), datetime.date(2023, 3, 1), 11),
    ],
)
def test_age_on(born, day, age):
    assert age_on(born, day) == age
    assert Child(date_of_birth=born).age_on(day) == age


# --- Child validation -------------------------------------------------------------------------


def build_child(**kwargs):
    kwargs.setdefault("household", HouseholdFactory())
    kwargs.setdefault("school", None)
    return ChildFactory.build(**kwargs)


def test_child_with_a_valid_bsn_is_accepted(today):
    child = build_child(bsn=valid_bsn(1))
    child.full_clean()
    child.save()
    assert Child.objects.get(pk=child.pk).bsn == valid_bsn(1)


def _fails_eleven_test():
    good = valid_bsn(1)
    # Changing only the check digit by one always breaks the 11-proef.
    return good[:-1] + str((int(good[-1]) + 1) % 10)


@pytest.mark.parametrize(
    "bsn",
    [_fails_eleven_test(), "12345678", "1234567890", "12345678A", "ABCDEFGHI"],
    ids=["elfproef", "8-digits", "10-digits", "letter", "letters"],
)
def test_child_with_an_invalid_bsn_is_rejected(today, bsn):
    child = build_child(bsn=bsn)
    with pytest.raises(ValidationError) as exc:
        child.full_clean()
    assert any("elfproef" in m for m in messages(exc, "bsn"))


@pytest.mark.parametrize("separator", [" ", "."])
def test_child_bsn_is_normalised(today, separator):
    bsn = valid_bsn(2)
    child = build_child(bsn=f"{bsn[:4]}{separator}{bsn[4:6]}{separator}{bsn[6:]}")
    child.full_clean()
    assert child.bsn == bsn


def test_child_blank_bsn_and_onderwijsnummer_become_null(today):
    child = build_child(bsn="", onderwijsnummer="")
    child.full_clean()
    assert child.bsn is None
    assert child.onderwijsnummer is None


def test_child_valid_onderwijsnummer_is_accepted(today):
    child = build_child(bsn=None, onderwijsnummer="101222331")
    child.full_clean()
    assert child.onderwijsnummer == "101222331"


@pytest.mark.parametrize("number", ["101222332", "123456782", "10122233"])
def test_child_invalid_onderwijsnummer_is_rejected(today, number):
    child = build_child(bsn=None, onderwijsnummer=number)
    with pytest.raises(ValidationError) as exc:
        child.full_clean()
    assert any("geen geldig onderwijsnummer" in m for m in messages(exc, "onderwijsnummer"))


def test_child_born_today_is_accepted(today):
    build_child(date_of_birth=today).full_clean()


def test_child_born_in_the_future_is_rejected(today):
    child = build_child(date_of_birth=today + datetime.timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        child.full_clean()
    assert messages(exc, "date_of_birth") == ["De geboortedatum ligt in de toekomst."]


# --- School and Household validation ---------------------------------------------------------


@pytest.mark.parametrize(
    ("brin", "stored"), [("05KD", "05KD"), ("05kd", "05KD"), ("05KD00", "05KD00")]
)
def test_school_valid_brin_is_accepted_and_upper_cased(brin, stored):
    school = SchoolFactory.build(brin=brin)
    school.full_clean()
    assert school.brin == stored


@pytest.mark.parametrize("brin", ["1234", "ABCD", "5KD"])
def test_school_invalid_brin_is_rejected(brin):
    school = SchoolFactory.build(brin=brin)
    with pytest.raises(ValidationError) as exc:
        school.full_clean()
    assert any("geen geldig BRIN-nummer" in m for m in messages(exc, "brin"))


def test_school_brin_is_unique_after_normalising():
    SchoolFactory(brin="05KD")
    school = SchoolFactory.build(brin="05kd")
    with pytest.raises(ValidationError) as exc:
        school.full_clean()
    assert "brin" in exc.value.message_dict


def test_household_postcode_is_normalised():
    household = HouseholdFactory.build(postcode="2011ab")
    household.full_clean()
    assert household.postcode == "2011 AB"


@pytest.mark.parametrize("postcode", ["0123 AB", "ABCD 12"])
def test_household_invalid_postcode_is_rejected(postcode):
    household = HouseholdFactory.build(postcode=postcode)
    with pytest.raises(ValidationError) as exc:
        household.full_clean()
    assert any("geen geldige postcode" in m for m in messages(exc, "postcode"))


# --- Case validation --------------------------------------------------------------------------

RECEIVED = datetime.date(2026, 3, 2)


def case_for_child_born(born):
    return CaseFactory(child=ChildFactory(date_of_birth=born), date_received=RECEIVED)


@pytest.mark.parametrize(
    ("born", "age"),
    [
        # Turns 5 the day after the referral.
        (datetime.date(2021, 3, 3), 4),
        # Turned 18 on the referral date.
        (datetime.date(2008, 3, 2), 18),
    ],
)
def test_case_for_child_outside_school_age_is_rejected(today, born, age):
    case = case_for_child_born(born)
    with pytest.raises(ValidationError) as exc:
        case.full_clean()
    assert set(exc.value.message_dict) == {"child"}
    assert f"het kind {age} jaar" in messages(exc, "child")[0]


@pytest.mark.parametrize(
    "born",
    [
        # Turned 5 on the referral date.
        datetime.date(2021, 3, 2),
        # Turns 18 the day after the referral: still 17.
        datetime.date(2008, 3, 3),
    ],
    ids=["5", "17"],
)
def test_case_for_child_of_school_age_is_accepted(today, born):
    case_for_child_born(born).full_clean()


def test_case_received_today_is_accepted(today):
    CaseFactory(date_received=today).full_clean()


def test_case_received_in_the_future_is_rejected(today):
    case = CaseFactory(date_received=today)
    case.date_received = today + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        case.full_clean()
    assert messages(exc, "date_received") == ["De datum van ontvangst ligt in de toekomst."]


def test_case_today_is_the_amsterdam_date():
    # 00:30 in Amsterdam is still the previous day in UTC.
    moment = datetime.datetime(2026, 3, 16, 0, 30, tzinfo=AMSTERDAM)
    with time_machine.travel(moment, tick=False):
        CaseFactory(date_received=datetime.date(2026, 3, 16)).full_clean()


def test_case_period_end_before_period_start_is_rejected(today):
    case = CaseFactory(date_received=datetime.date(2026, 3, 2))
    case.period_start = datetime.date(2026, 2, 20)
    case.period_end = datetime.date(2026, 2, 19)
    with pytest.raises(ValidationError) as exc:
        case.full_clean()
    assert any("vóór het begin" in m for m in messages(exc, "period_end"))


def test_case_period_end_after_date_received_is_rejected(today):
    case = CaseFactory(date_received=datetime.date(2026, 3, 2))
    case.period_end = datetime.date(2026, 3, 3)
    with pytest.raises(ValidationError) as exc:
        case.full_clean()
    assert any("uiterlijk op de datum van de melding" in m for m in messages(exc, "period_end"))


def test_case_period_ending_on_date_received_is_accepted(today):
    case = CaseFactory(date_received=datetime.date(2026, 3, 2))
    case.period_end = datetime.date(2026, 3, 2)
    case.full_clean()


# --- Database constraints ---------------------------------------------------------------------


def test_duplicate_bsn_is_refused_by_the_database():
    ChildFactory(bsn=valid_bsn(3))
    with pytest.raises(IntegrityError), transaction.atomic():
        ChildFactory(bsn=valid_bsn(3))


def test_duplicate_onderwijsnummer_is_refused_by_the_database():
    ChildFactory(bsn=None, onderwijsnummer="101222331")
    with pytest.raises(IntegrityError), transaction.atomic():
        ChildFactory(bsn=None, onderwijsnummer="101222331")


def test_two_children_without_bsn_are_allowed():
    ChildFactory(bsn=None)
    ChildFactory(bsn=None)
    assert Child.objects.filter(bsn__isnull=True).count() == 2


@pytest.mark.parametrize(
    ("status", "closed_on"),
    [(CaseStatus.CLOSED, None), (CaseStatus.OPEN, datetime.date(2026, 3, 1))],
    ids=["closed-without-date", "open-with-date"],
)
def test_case_status_and_closed_on_must_agree(status, closed_on):
    child = ChildFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(child=child, status=status, closed_on=closed_on)


def test_closed_case_with_closed_on_is_allowed():
    case = CaseFactory(closed=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.closed_on is not None


@pytest.fixture
def assigned_case():
    return CaseFactory(assigned=True)


def test_verhoor_without_caution_is_refused_by_the_database(assigned_case):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(case=assigned_case, kind=ContactKind.VERHOOR, caution_given=False)


def test_verhoor_with_caution_is_stored(assigned_case):
    ContactFactory(case=assigned_case, verhoor=True)
    assert assigned_case.contacts.filter(kind=ContactKind.VERHOOR).count() == 1


@pytest.mark.parametrize("kind", [ContactKind.PROCES_VERBAAL, ContactKind.VERHOOR])
def test_boa_act_in_role_halt_is_refused_by_the_database(assigned_case, kind):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(case=assigned_case, role=ChainRole.HALT, kind=kind, caution_given=True)


@pytest.mark.parametrize("minutes", [0, 481])
def test_contact_duration_out_of_range_is_refused(assigned_case, minutes):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(case=assigned_case, duration_minutes=minutes)


@pytest.mark.parametrize("minutes", [1, 480])
def test_contact_duration_at_the_limits_is_stored(assigned_case, minutes):
    contact = ContactFactory(case=assigned_case, duration_minutes=minutes)
    contact.refresh_from_db()
    assert contact.duration_minutes == minutes


def test_two_current_assignments_for_one_case_are_refused(assigned_case):
    other = ProfessionalFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            case=assigned_case,
            professional=other,
            reason=AssignmentReason.WORKLOAD,
            assigned_by=other.user,
        )


def test_a_new_current_assignment_after_ending_the_old_one_is_allowed(assigned_case):
    assigned_case.assignments.update(ended_at=F("started_at"))
    other = ProfessionalFactory()
    Assignment.objects.create(
        case=assigned_case,
        professional=other,
        reason=AssignmentReason.WORKLOAD,
        assigned_by=other.user,
        is_handover=True,
    )
    assert assigned_case.assignments.current().get().professional == other
    assert assigned_case.assignments.count() == 2


def test_manual_allocation_without_reason_is_refused():
    case = CaseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AllocationFactory(
            case=case,
            method=AllocationMethod.MANUAL,
            reason="",
        )


def test_manual_allocation_with_reason_is_stored():
    allocation = AllocationFactory(
        method=AllocationMethod.MANUAL,
        reason="Broer of zus al in de BIP-arm.",
    )
    assert Allocation.objects.filter(pk=allocation.pk, method=AllocationMethod.MANUAL).exists()


@pytest.fixture
def unqualified_professional():
    return ProfessionalFactory(qualified=False)


def test_sworn_qualification_for_role_halt_is_refused(unqualified_professional):
    with pytest.raises(IntegrityError), transaction.atomic():
        Qualification.objects.create(
            professional=unqualified_professional,
            role=ChainRole.HALT,
            valid_from=datetime.date(2025, 1, 1),
            is_sworn=True,
        )


def test_qualification_ending_before_it_starts_is_refused(unqualified_professional):
    with pytest.raises(IntegrityError), transaction.atomic():
        Qualification.objects.create(
            professional=unqualified_professional,
            role=ChainRole.LEERPLICHT,
            valid_from=datetime.date(2025, 1, 2),
            valid_until=datetime.date(2025, 1, 1),
        )


def test_one_day_qualification_is_allowed(unqualified_professional):
    Qualification.objects.create(
        professional=unqualified_professional,
        role=ChainRole.LEERPLICHT,
        valid_from=datetime.date(2025, 1, 1),
        valid_until=datetime.date(2025, 1, 1),
    )
    assert unqualified_professional.qualifications.count() == 1


# --- CaseQuerySet.visible_to ------------------------------------------------------------------


# The users get their group explicitly: see the note on UserFactory's group traits.
@pytest.fixture
def coordinator_user():
    user = UserFactory(group=StaffGroup.COORDINATOR)
    assert is_coordinator(user)
    return user


@pytest.fixture
def three_cases(professional, other_professional):
    return {
        "mine": CaseFactory(professional=professional),
        "theirs": CaseFactory(professional=other_professional),
        "unassigned": CaseFactory(),
    }


def test_coordinator_sees_all_cases(coordinator_user, three_cases):
    assert set(Case.objects.visible_to(coordinator_user)) == set(three_cases.values())


def test_professional_sees_only_own_cases(professional, three_cases):
    assert list(Case.objects.visible_to(professional.user)) == [three_cases["mine"]]


def test_researcher_and_administrator_see_no_cases(three_cases):
    researcher = UserFactory(group=StaffGroup.RESEARCHER)
    administrator = UserFactory(group=StaffGroup.ADMINISTRATOR, is_staff=True)
    assert is_researcher(researcher)
    assert is_administrator(administrator)
    assert not Case.objects.visible_to(researcher).exists()
    assert not Case.objects.visible_to(administrator).exists()


def test_inactive_user_sees_no_cases(professional, three_cases):
    inactive_coordinator = UserFactory(group=StaffGroup.COORDINATOR, is_active=False)
    assert is_coordinator(inactive_coordinator)
    professional.user.is_active = False
    professional.user.save()
    assert not Case.objects.visible_to(inactive_coordinator).exists()
    assert not Case.objects.visible_to(professional.user).exists()


def test_anonymous_user_sees_no_cases(three_cases):
    assert not Case.objects.visible_to(AnonymousUser()).exists()


def test_deactivated_professional_sees_none_of_their_cases(professional, three_cases):
    # Professional.is_active, not the login account: they can still log in.
    professional.is_active = False
    professional.save()
    assert professional.user.is_active

    assert not Case.objects.visible_to(professional.user).exists()
    assert not Case.objects.assigned_to(professional.user).exists()


def test_reactivated_professional_sees_their_cases_again(professional, three_cases):
    professional.is_active = False
    professional.save()
    professional.is_active = True
    professional.save()

    assert list(Case.objects.visible_to(professional.user)) == [three_cases["mine"]]


def test_assigned_to_is_the_professionals_own_cases_only(
    professional, other_professional, three_cases
):
    assert list(Case.objects.assigned_to(professional.user)) == [three_cases["mine"]]
    assert list(Case.objects.assigned_to(other_professional.user)) == [three_cases["theirs"]]
    # Without the Professional group a user holds no case, whatever the foreign key says.
    professional.user.groups.clear()
    professional.user._kk_groups = None
    assert not Case.objects.assigned_to(professional.user).exists()


def test_cases_needing_a_new_professional_are_the_open_cases_of_inactive_ones():
    left = ProfessionalFactory(inactive=True)
    locked_out = ProfessionalFactory(user__is_active=False)
    working = ProfessionalFactory()
    of_left = CaseFactory(professional=left)
    of_locked_out = CaseFactory(professional=locked_out)
    CaseFactory(professional=left, closed=True)
    CaseFactory(professional=working)
    CaseFactory()  # unassigned: the queue's other list

    assert set(Case.objects.needing_new_professional()) == {of_left, of_locked_out}


# --- case_numbers_reserve ---------------------------------------------------------------------


def test_case_numbers_are_readable_and_consecutive():
    assert case_numbers_reserve(year=2026) == ["2026-000001"]
    assert case_numbers_reserve(year=2026) == ["2026-000002"]
    assert CaseNumberCounter.objects.get(year=2026).last_number == 2


def test_case_numbers_have_a_counter_per_year():
    case_numbers_reserve(year=2026)
    case_numbers_reserve(year=2026)
    assert case_numbers_reserve(year=2027) == ["2027-000001"]
    assert case_numbers_reserve(year=2026) == ["2026-000003"]


def test_case_numbers_reserve_a_consecutive_block():
    case_numbers_reserve(year=2026)
    assert case_numbers_reserve(year=2026, count=3) == [
        "2026-000002",
        "2026-000003",
        "2026-000004",
    ]
    assert case_numbers_reserve(year=2026) == ["2026-000005"]


@pytest.mark.django_db(transaction=True)
def test_case_numbers_drawn_at_once_never_collide():
    """Eight threads, each on its own connection and in its own transaction, reserve numbers
    of the same year at once (the year's first included): every number once, no gaps."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "The in-memory SQLite test database uses a shared cache with table locks: a second "
            "connection fails at once instead of waiting, so the race runs on PostgreSQL."
        )
    barrier = threading.Barrier(8)
    drawn: dict[int, list[str]] = {}

    def draw(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                drawn[index] = case_numbers_reserve(year=2031, count=index + 1)
        finally:
            connection.close()

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    numbers = sorted(number for block in drawn.values() for number in block)
    assert len(drawn) == 8
    assert numbers == [f"2031-{n:06d}" for n in range(1, 37)]  # 1 + 2 + ... + 8 = 36
    for index, block in drawn.items():  # each block consecutive
        first = int(block[0][5:])
        assert block == [f"2031-{n:06d}" for n in range(first, first + index + 1)]


def test_case_numbers_reserve_refuses_a_count_below_one():
    with pytest.raises(ValueError, match="at least 1"):
        case_numbers_reserve(year=2026, count=0)
    assert not CaseNumberCounter.objects.exists()


# --- Append-only records ----------------------------------------------------------------------


def test_allocation_cannot_be_changed_or_deleted():
    allocation = AllocationFactory(reason="origineel")
    allocation.reason = "gewijzigd"
    with pytest.raises(ValidationError):
        allocation.save()
    with pytest.raises(ValidationError):
        allocation.delete()
    allocation.refresh_from_db()
    assert allocation.reason == "origineel"


@pytest.fixture
def export_event(researcher):
    export = ResearchExport.objects.create(
        requested_by=researcher, dataset=ExportDataset.CASES, file_format=ExportFormat.CSV
    )
    return ExportEvent.objects.create(
        export=export, kind=ExportEventKind.REQUESTED, actor=researcher
    )


def test_export_event_cannot_be_changed_or_deleted(export_event):
    export_event.kind = ExportEventKind.DELETED
    with pytest.raises(ValidationError):
        export_event.save()
    with pytest.raises(ValidationError):
        export_event.delete()
    export_event.refresh_from_db()
    assert export_event.kind == ExportEventKind.REQUESTED
    assert ExportEvent.objects.count() == 1
