"""contact_correct / contact_withdraw: who, until when, the role rules, and the history row."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from cases.exceptions import RuleViolation
from cases.models import ContactCorrection
from cases.services.contacts import contact_correct, contact_withdraw
from roles.constants import ContactKind, ContactWith
from tests.factories import CaseFactory, ContactFactory, ProfessionalFactory, UserFactory

# In UTC, so that "14 days later" is 14 * 24 hours also across the change to summer time.
LOGGED = datetime.datetime(2026, 3, 16, 11, 0, tzinfo=datetime.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    with time_machine.travel(LOGGED, tick=False):
        professional = ProfessionalFactory(bip=True)
        case = CaseFactory(professional=professional, date_received=datetime.date(2026, 2, 20))
        return ContactFactory(
            case=case, occurred_at=LOGGED - datetime.timedelta(hours=2), duration_minutes=45
        )


def correct(contact, actor=None, **overrides):
    values = {
        "kind": contact.kind,
        "with_whom": contact.with_whom,
        "occurred_at": contact.occurred_at,
        "duration_minutes": contact.duration_minutes,
        "summary": contact.summary,
        "caution_given": contact.caution_given,
    } | overrides
    return contact_correct(contact=contact, actor=actor or contact.created_by, **values)


def test_a_correction_keeps_the_original_in_the_history(contact):
    with time_machine.travel(LOGGED + datetime.timedelta(days=13), tick=False):
        corrected = correct(contact, duration_minutes=60, summary="Gesprek van een uur.")
    corrected.refresh_from_db()
    assert corrected.duration_minutes == 60
    assert corrected.corrected_at == LOGGED + datetime.timedelta(days=13)
    row = ContactCorrection.objects.get(contact=contact)
    assert row.before == {"duration_minutes": 45, "summary": "Gesprek over het verzuim."}
    assert row.after == {"duration_minutes": 60, "summary": "Gesprek van een uur."}
    assert row.corrected_by == contact.created_by


def test_after_14_days_a_contact_cannot_be_corrected(contact):
    later = LOGGED + datetime.timedelta(days=14, minutes=1)
    with (
        time_machine.travel(later, tick=False),
        pytest.raises(RuleViolation, match="14 dagen"),
    ):
        correct(contact, duration_minutes=60)
    contact.refresh_from_db()
    assert contact.duration_minutes == 45
    assert not ContactCorrection.objects.exists()


def test_only_the_professional_who_logged_it_corrects_it(contact):
    with time_machine.travel(LOGGED, tick=False), pytest.raises(RuleViolation):
        correct(contact, actor=UserFactory(), duration_minutes=60)
    assert not ContactCorrection.objects.exists()


def test_the_role_rules_apply_to_the_corrected_kind(contact):
    # A Halt intake is not an act of the Leerplicht role the contact was logged in.
    with time_machine.travel(LOGGED, tick=False), pytest.raises(RuleViolation) as refused:
        correct(contact, kind=ContactKind.HALT_INTAKE)
    assert "kind" in refused.value.errors


def test_a_pupil_under_12_cannot_be_heard_after_a_correction_either(contact):
    child = contact.case.child
    child.date_of_birth = datetime.date(2016, 1, 1)
    child.save()
    with time_machine.travel(LOGGED, tick=False), pytest.raises(RuleViolation) as refused:
        correct(contact, with_whom=ContactWith.PUPIL)
    assert "with_whom" in refused.value.errors


def test_nothing_changed_is_refused(contact):
    with time_machine.travel(LOGGED, tick=False), pytest.raises(RuleViolation):
        correct(contact)


def test_a_pv_is_corrected_on_the_first_day_and_after_that_only_withdrawn(contact):
    contact.kind = ContactKind.PROCES_VERBAAL
    contact.save()
    with time_machine.travel(LOGGED + datetime.timedelta(hours=23), tick=False):
        correct(contact, duration_minutes=50)
    with time_machine.travel(LOGGED + datetime.timedelta(hours=25), tick=False):
        with pytest.raises(RuleViolation, match="24 uur"):
            correct(contact, duration_minutes=55)
        with pytest.raises(RuleViolation):
            contact_withdraw(contact=contact, actor=contact.created_by, reason="  ")
        withdrawn = contact_withdraw(
            contact=contact, actor=contact.created_by, reason="Verkeerde leerling."
        )
    assert withdrawn.withdrawn_at == LOGGED + datetime.timedelta(hours=25)
    assert withdrawn.withdrawal_reason == "Verkeerde leerling."
    assert ContactCorrection.objects.filter(contact=contact).count() == 2
    with pytest.raises(RuleViolation):
        contact_withdraw(contact=contact, actor=contact.created_by, reason="Nog eens.")


def test_an_ordinary_contact_is_not_withdrawn(contact):
    with pytest.raises(RuleViolation):
        contact_withdraw(contact=contact, actor=contact.created_by, reason="Weg ermee.")
    contact.refresh_from_db()
    assert contact.withdrawn_at is None


def test_a_contact_on_a_closed_case_is_not_corrected(contact):
    contact.case.status = "closed"
    contact.case.closed_on = timezone.localdate()
    contact.case.save()
    with time_machine.travel(LOGGED, tick=False), pytest.raises(RuleViolation, match="gesloten"):
        correct(contact, duration_minutes=60)
