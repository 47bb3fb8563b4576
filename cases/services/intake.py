"""The referral intake: one referral for a known child, or for a new child and household."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from ..models import Case, Child, Household, School
from .referrals import child_register, household_register, referral_register


@dataclass(frozen=True, kw_only=True)
class NewChild:
    """A child the intake registers with the referral.

    `household` is an existing household the child joins (a sibling's, or one chosen at the
    address); None registers a new household at `street`, `postcode` and `city`.
    """

    first_name: str
    last_name: str
    date_of_birth: datetime.date
    bsn: str | None
    onderwijsnummer: str | None
    school: School | None
    household: Household | None
    street: str = ""
    postcode: str = ""
    city: str = ""
    tussenvoegsel: str = ""


def referral_intake(
    *,
    actor: User,
    child: Child | None,
    new_child: NewChild | None,
    date_received: datetime.date,
    source: str,
    melding_type: str,
    hours_absent: int,
    times_late: int,
    period_start: datetime.date,
    period_end: datetime.date,
) -> Case:
    """Register a referral for `child`, or for `new_child` (with its household when new), in one
    transaction, and return the new case (allocated to a study arm, see referral_register).

    Exactly one of `child` and `new_child` is given. A refused referral raises a CaseError with
    {field: message} and leaves nothing behind: no child, no household, no case.
    """
    if (child is None) == (new_child is None):
        raise ValueError("Give exactly one of child and new_child.")
    with transaction.atomic():
        if new_child is not None:
            child = _register_child(new_child)
        if child is None:  # excluded by the check above; narrows the type
            raise ValueError("Give exactly one of child and new_child.")
        case = referral_register(
            actor=actor,
            child=child,
            date_received=date_received,
            source=source,
            melding_type=melding_type,
            hours_absent=hours_absent,
            times_late=times_late,
            period_start=period_start,
            period_end=period_end,
        )
    # The allocation wrote the arm (and a new version) on its own locked copy of the case.
    case.refresh_from_db(fields=["arm", "version"])
    return case


def _register_child(new_child: NewChild) -> Child:
    household = new_child.household or household_register(
        street=new_child.street, postcode=new_child.postcode, city=new_child.city
    )
    return child_register(
        first_name=new_child.first_name,
        tussenvoegsel=new_child.tussenvoegsel,
        last_name=new_child.last_name,
        date_of_birth=new_child.date_of_birth,
        bsn=new_child.bsn,
        onderwijsnummer=new_child.onderwijsnummer,
        school=new_child.school,
        household=household,
    )
