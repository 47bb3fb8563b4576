"""contact_log: the role per contact, the acts each role allows, and the date and duration rules."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from cases.exceptions import RuleViolation
from cases.models import Contact
from cases.services import contact_log
from professionals.models import Qualification
from roles.constants import ChainRole, Channel, ContactKind, ContactWith
from tests.factories import CaseFactory, ChildFactory, ProfessionalFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 3, 16)
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)
YESTERDAY_MORNING = datetime.datetime(2026, 3, 15, 10, 0, tzinfo=AMSTERDAM)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today():
    """Freeze the clock at noon in Amsterdam on TODAY (a Monday)."""
    with time_machine.travel(NOW, tick=False):
        yield TODAY


@pytest.fixture
def case(professional):
    """An open Leerplicht case of a 14-year-old, received 20 days ago, held by the BIP."""
    return CaseFactory(professional=professional, date_received=TODAY - datetime.timedelta(days=20))


def log(case, professional, **overrides):
    values = {
        "case": case,
        "professional": professional,
        "role": ChainRole.LEERPLICHT,
        "kind": ContactKind.VERZUIMGESPREK,
        "with_whom": ContactWith.PUPIL_AND_PARENTS,
        "channel": Channel.IN_PERSON,
        "occurred_at": YESTERDAY_MORNING,
        "duration_minutes": 45,
        "summary": "Gesprek over het verzuim.",
    } | overrides
    return contact_log(**values)


def refused(case, professional, **overrides) -> dict:
    """Call contact_log expecting a RuleViolation; check nothing was stored; return the errors."""
    before = Contact.objects.count()
    with pytest.raises(RuleViolation) as exc_info:
        log(case, professional, **overrides)
    assert Contact.objects.count() == before
    return exc_info.value.errors


def qualified_professional(*qualifications) -> object:
    """A Leerplicht-organisation professional with exactly the given (role, from, until, sworn)."""
    pro = ProfessionalFactory(qualified=False)
    for role, valid_from, valid_until, is_sworn in qualifications:
        Qualification.objects.create(
            professional=pro,
            role=role,
            valid_from=valid_from,
            valid_until=valid_until,
            is_sworn=is_sworn,
        )
    return pro


# --- Allowed contacts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        (ChainRole.LEERPLICHT, ContactKind.VERZUIMGESPREK),
        (ChainRole.HALT, ContactKind.HALT_INTAKE),
        (ChainRole.RVDK, ContactKind.RAADSONDERZOEK_GESPREK),
        (ChainRole.RVDK, ContactKind.TELEFONISCH_CONTACT),
    ],
)
def test_a_bip_logs_a_contact_in_each_role_and_the_role_is_stored(case, professional, role, kind):
    contact = log(
        case,
        professional,
        role=role,
        kind=kind,
        follow_up_on=TODAY + datetime.timedelta(days=7),
    )

    stored = Contact.objects.get()
    assert stored.pk == contact.pk
    assert stored.case == case
    assert stored.professional == professional
    assert stored.role == role
    assert stored.kind == kind
    assert stored.with_whom == ContactWith.PUPIL_AND_PARENTS
    assert stored.channel == Channel.IN_PERSON
    assert stored.occurred_at == YESTERDAY_MORNING
    assert stored.duration_minutes == 45
    assert stored.follow_up_on == TODAY + datetime.timedelta(days=7)
    assert stored.created_by == professional.user


def test_a_control_arm_professional_logs_in_their_own_role():
    pro = ProfessionalFactory()  # Leerplicht organisation, Leerplicht qualification only
    case = CaseFactory(professional=pro)

    contact = log(case, pro, role=ChainRole.LEERPLICHT, kind=ContactKind.HUISBEZOEK)

    assert Contact.objects.get().pk == contact.pk
    assert contact.role == ChainRole.LEERPLICHT


def test_a_sworn_professional_holds_a_verhoor_with_caution(case, professional):
    log(case, professional, kind=ContactKind.VERHOOR, caution_given=True)

    stored = Contact.objects.get()
    assert stored.kind == ContactKind.VERHOOR
    assert stored.caution_given is True


def test_a_sworn_professional_writes_a_proces_verbaal(case, professional):
    log(case, professional, kind=ContactKind.PROCES_VERBAAL, with_whom=ContactWith.PARTNER)

    assert Contact.objects.get().kind == ContactKind.PROCES_VERBAAL


# --- The role: a valid qualification on the contact's date ------------------------------------


def test_expired_qualification_is_refused_from_the_day_after_it_ends():
    pro = qualified_professional(
        (ChainRole.LEERPLICHT, datetime.date(2018, 8, 1), datetime.date(2025, 12, 31), True)
    )
    case = CaseFactory(professional=pro, date_received=datetime.date(2025, 12, 1))
    # 00:30 on 1 January in Amsterdam is still 31 December in UTC: the local day counts,
    # however the datetime arrives.
    new_year = datetime.datetime(2026, 1, 1, 0, 30, tzinfo=AMSTERDAM).astimezone(datetime.UTC)

    errors = refused(case, pro, occurred_at=new_year)

    assert set(errors) == {"role"}
    assert "01-01-2026" in errors["role"]


def test_qualification_still_valid_on_its_last_day():
    pro = qualified_professional(
        (ChainRole.LEERPLICHT, datetime.date(2018, 8, 1), datetime.date(2025, 12, 31), True)
    )
    case = CaseFactory(professional=pro, date_received=datetime.date(2025, 12, 1))

    log(case, pro, occurred_at=datetime.datetime(2025, 12, 31, 23, 30, tzinfo=AMSTERDAM))

    assert Contact.objects.filter(case=case).count() == 1


def test_qualification_not_yet_valid_is_refused():
    pro = qualified_professional(
        (ChainRole.LEERPLICHT, datetime.date(2018, 8, 1), None, True),
        (ChainRole.HALT, datetime.date(2026, 4, 1), None, False),
    )
    case = CaseFactory(professional=pro)

    errors = refused(case, pro, role=ChainRole.HALT, kind=ContactKind.HALT_INTAKE)

    assert set(errors) == {"role"}


def test_control_arm_professional_cannot_choose_the_halt_role():
    pro = ProfessionalFactory()  # Leerplicht organisation: Leerplicht qualification only
    case = CaseFactory(professional=pro)

    errors = refused(case, pro, role=ChainRole.HALT, kind=ContactKind.HALT_INTAKE)

    assert set(errors) == {"role"}


@pytest.mark.parametrize("forged", ["admin", "", "LEERPLICHT"])
def test_a_forged_role_value_is_refused(case, professional, forged):
    errors = refused(case, professional, role=forged)

    assert set(errors) == {"role"}


# --- The kind: acts the role allows ----------------------------------------------------------


def test_a_kind_the_role_does_not_allow_is_refused(case, professional):
    errors = refused(case, professional, role=ChainRole.LEERPLICHT, kind=ContactKind.HALT_INTAKE)

    assert set(errors) == {"kind"}


def test_an_unknown_kind_is_refused(case, professional):
    errors = refused(case, professional, kind="rechtszitting")

    assert set(errors) == {"kind"}


def test_verhoor_needs_a_sworn_leerplicht_qualification():
    pro = qualified_professional((ChainRole.LEERPLICHT, datetime.date(2018, 8, 1), None, False))
    case = CaseFactory(professional=pro)

    errors = refused(case, pro, kind=ContactKind.VERHOOR, caution_given=True)

    assert set(errors) == {"kind"}
    assert "BOA" in errors["kind"]


def test_an_expired_sworn_qualification_no_longer_counts():
    pro = qualified_professional(
        (ChainRole.LEERPLICHT, datetime.date(2018, 8, 1), datetime.date(2025, 12, 31), True),
        (ChainRole.LEERPLICHT, datetime.date(2026, 1, 1), None, False),
    )
    case = CaseFactory(professional=pro)

    errors = refused(case, pro, kind=ContactKind.PROCES_VERBAAL)

    assert set(errors) == {"kind"}


def test_verhoor_without_caution_is_refused(case, professional):
    errors = refused(case, professional, kind=ContactKind.VERHOOR, caution_given=False)

    assert set(errors) == {"caution_given"}


@pytest.mark.parametrize("role", [ChainRole.HALT, ChainRole.RVDK])
def test_proces_verbaal_outside_the_leerplicht_role_is_refused(case, professional, role):
    errors = refused(case, professional, role=role, kind=ContactKind.PROCES_VERBAAL)

    assert set(errors) == {"kind"}


# --- Hearing the pupil: from age 12 -------------------------------------------------------------


@pytest.mark.parametrize("with_whom", [ContactWith.PUPIL, ContactWith.PUPIL_AND_PARENTS])
def test_a_pupil_of_11_is_not_heard(professional, with_whom):
    # Turns 12 on 16 March 2026, the day after the contact.
    child = ChildFactory(date_of_birth=datetime.date(2014, 3, 16))
    case = CaseFactory(child=child, professional=professional)

    errors = refused(case, professional, with_whom=with_whom)

    assert set(errors) == {"with_whom"}


def test_the_parents_of_a_pupil_of_11_may_be_spoken_to(professional):
    child = ChildFactory(date_of_birth=datetime.date(2014, 3, 16))
    case = CaseFactory(child=child, professional=professional)

    log(case, professional, with_whom=ContactWith.PARENTS)

    assert Contact.objects.filter(case=case).count() == 1


def test_a_pupil_heard_on_their_twelfth_birthday(professional):
    child = ChildFactory(date_of_birth=datetime.date(2014, 3, 15))
    case = CaseFactory(child=child, professional=professional)

    log(case, professional, with_whom=ContactWith.PUPIL)

    assert Contact.objects.get(case=case).with_whom == ContactWith.PUPIL


# --- Dates and duration ------------------------------------------------------------------------


def test_a_contact_more_than_five_minutes_ahead_is_refused(case, professional):
    errors = refused(case, professional, occurred_at=NOW + datetime.timedelta(minutes=6))

    assert set(errors) == {"occurred_at"}


def test_a_contact_a_few_minutes_ahead_is_accepted_for_clock_skew(case, professional):
    log(case, professional, occurred_at=NOW + datetime.timedelta(minutes=4))

    assert Contact.objects.count() == 1


def test_a_contact_before_the_referral_date_is_refused(case, professional):
    day_before = datetime.datetime.combine(
        case.date_received - datetime.timedelta(days=1),
        datetime.time(23, 30),
        tzinfo=AMSTERDAM,
    )

    errors = refused(case, professional, occurred_at=day_before)

    assert set(errors) == {"occurred_at"}


def test_a_contact_early_on_the_referral_date_is_accepted(case, professional):
    # 00:30 local time is still the previous day in UTC.
    early = datetime.datetime.combine(case.date_received, datetime.time(0, 30), tzinfo=AMSTERDAM)

    log(case, professional, occurred_at=early.astimezone(datetime.UTC))

    assert Contact.objects.count() == 1


@pytest.mark.parametrize("minutes", [0, 481])
def test_duration_out_of_range_is_refused(case, professional, minutes):
    errors = refused(case, professional, duration_minutes=minutes)

    assert set(errors) == {"duration_minutes"}


@pytest.mark.parametrize("minutes", [1, 480])
def test_duration_at_the_limits_is_accepted(case, professional, minutes):
    log(case, professional, duration_minutes=minutes)

    assert Contact.objects.get().duration_minutes == minutes


def test_follow_up_before_the_contact_is_refused(case, professional):
    errors = refused(
        case,
        professional,
        occurred_at=YESTERDAY_MORNING,
        follow_up_on=YESTERDAY_MORNING.date() - datetime.timedelta(days=1),
    )

    assert set(errors) == {"follow_up_on"}


def test_follow_up_on_the_day_of_the_contact_is_accepted(case, professional):
    log(case, professional, follow_up_on=YESTERDAY_MORNING.date())

    assert Contact.objects.get().follow_up_on == YESTERDAY_MORNING.date()


def test_every_broken_rule_is_reported_at_once(case, professional):
    errors = refused(
        case,
        professional,
        kind=ContactKind.VERHOOR,
        caution_given=False,
        duration_minutes=0,
        follow_up_on=datetime.date(2026, 1, 1),
    )

    assert set(errors) == {"caution_given", "duration_minutes", "follow_up_on"}


# --- The case ----------------------------------------------------------------------------------


def test_a_closed_case_takes_no_contacts(professional):
    case = CaseFactory(professional=professional, closed=True)

    errors = refused(case, professional)

    assert set(errors) == {None}


def test_only_the_professional_holding_the_case_logs_contacts(case, other_professional):
    errors = refused(case, other_professional)

    assert set(errors) == {None}


def test_an_unassigned_case_takes_no_contacts(professional):
    case = CaseFactory()

    errors = refused(case, professional)

    assert set(errors) == {None}


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [("with_whom", "buurman"), ("channel", "duif")])
def test_a_forged_with_whom_or_channel_is_refused(field, value):
    professional = ProfessionalFactory(bip=True)
    case = CaseFactory(professional=professional)
    arguments = {
        "case": case,
        "professional": professional,
        "role": "leerplicht",
        "kind": "verzuimgesprek",
        "with_whom": "leerling",
        "channel": "telefoon",
        "occurred_at": timezone.now() - datetime.timedelta(hours=1),
        "duration_minutes": 30,
    } | {field: value}
    with pytest.raises(RuleViolation) as refused:
        contact_log(**arguments)
    assert field in refused.value.errors
    assert not Contact.objects.filter(case=case).exists()
