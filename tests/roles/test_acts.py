import pytest

from roles.acts import ACTS, MIN_AGE_PUPIL_HEARD, act_violations, kinds_for_role
from roles.constants import ChainRole, ContactKind, ContactWith

K = ContactKind


def check(**overrides):
    """act_violations for an ordinary, allowed Leerplicht talk with the parents of a 14-year-old."""
    arguments = {
        "role": ChainRole.LEERPLICHT.value,
        "kind": K.VERZUIMGESPREK.value,
        "sworn": False,
        "caution_given": False,
        "with_whom": ContactWith.PARENTS.value,
        "pupil_age": 14,
    }
    arguments.update(overrides)
    return act_violations(**arguments)


def test_every_contact_kind_has_an_act():
    assert set(ACTS) == set(ContactKind)
    for kind, act in ACTS.items():
        assert act.kind == kind
        assert act.roles, kind


def test_every_contact_kind_is_available_in_some_role():
    available = {kind for role in ChainRole for kind in kinds_for_role(role)}
    assert available == set(ContactKind)


def test_kinds_for_role_halt_in_display_order():
    assert kinds_for_role(ChainRole.HALT) == [
        K.SCHOOLOVERLEG,
        K.HALT_INTAKE,
        K.LEEROPDRACHT,
        K.HALT_GESPREK,
        K.WERKOPDRACHT,
        K.EXCUSES,
        K.HALT_AFSLUITING,
        K.TELEFONISCH_CONTACT,
        K.KETENOVERLEG,
    ]


def test_kinds_for_role_rvdk():
    assert kinds_for_role(ChainRole.RVDK) == [
        K.HUISBEZOEK,
        K.SCHOOLOVERLEG,
        K.ZORGMELDING,
        K.VRIJWILLIGE_HULP,
        K.RAADSONDERZOEK_GESPREK,
        K.STRAFADVIES,
        K.BESCHERMINGSONDERZOEK,
        K.TELEFONISCH_CONTACT,
        K.KETENOVERLEG,
    ]


def test_boa_acts_only_for_leerplicht():
    leerplicht = kinds_for_role(ChainRole.LEERPLICHT)
    assert K.VERHOOR in leerplicht
    assert K.PROCES_VERBAAL in leerplicht
    assert K.HALT_INTAKE not in leerplicht
    for role in (ChainRole.HALT, ChainRole.RVDK):
        assert K.VERHOOR not in kinds_for_role(role)
        assert K.PROCES_VERBAAL not in kinds_for_role(role)


def test_kinds_for_role_accepts_the_stored_string():
    assert kinds_for_role("halt") == kinds_for_role(ChainRole.HALT)


def test_clean_allowed_contact_has_no_violations():
    assert check() == {}


def test_verhoor_in_role_halt_is_refused_on_kind():
    errors = check(role="halt", kind="verhoor", sworn=True, caution_given=True)
    assert set(errors) == {"kind"}
    assert "Leerplicht" in errors["kind"]


def test_verhoor_by_non_sworn_professional_is_refused_on_kind():
    errors = check(kind="verhoor", sworn=False, caution_given=True)
    assert set(errors) == {"kind"}
    assert "BOA" in errors["kind"]


def test_verhoor_without_caution_is_refused_on_caution_given():
    errors = check(kind="verhoor", sworn=True, caution_given=False)
    assert set(errors) == {"caution_given"}
    assert "cautie" in errors["caution_given"]


def test_verhoor_by_sworn_professional_with_caution_is_allowed():
    assert check(kind="verhoor", sworn=True, caution_given=True) == {}


@pytest.mark.parametrize("role", ["halt", "rvdk"])
def test_proces_verbaal_outside_leerplicht_is_refused(role):
    errors = check(role=role, kind="proces_verbaal", sworn=True)
    assert set(errors) == {"kind"}
    assert "Leerplicht" in errors["kind"]


def test_proces_verbaal_by_non_sworn_professional_is_refused():
    errors = check(kind="proces_verbaal", sworn=False)
    assert set(errors) == {"kind"}
    assert "BOA" in errors["kind"]


def test_proces_verbaal_by_sworn_leerplicht_is_allowed_without_caution():
    assert check(kind="proces_verbaal", sworn=True, caution_given=False) == {}


@pytest.mark.parametrize(
    ("role", "kind"),
    [("leerplicht", "verzuimgesprek"), ("halt", "halt_gesprek"), ("leerplicht", "verhoor")],
)
@pytest.mark.parametrize("with_whom", [ContactWith.PUPIL, ContactWith.PUPIL_AND_PARENTS])
def test_pupil_heard_at_eleven_is_refused_on_with_whom(role, kind, with_whom):
    errors = check(
        role=role, kind=kind, sworn=True, caution_given=True, with_whom=with_whom, pupil_age=11
    )
    assert set(errors) == {"with_whom"}
    assert str(MIN_AGE_PUPIL_HEARD) in errors["with_whom"]
    assert "11" in errors["with_whom"]


@pytest.mark.parametrize(
    ("role", "kind"),
    [("leerplicht", "verzuimgesprek"), ("halt", "halt_gesprek"), ("leerplicht", "verhoor")],
)
def test_pupil_heard_at_twelve_is_allowed(role, kind):
    errors = check(
        role=role,
        kind=kind,
        sworn=True,
        caution_given=True,
        with_whom=ContactWith.PUPIL,
        pupil_age=12,
    )
    assert errors == {}


@pytest.mark.parametrize("with_whom", [ContactWith.PARENTS, ContactWith.SCHOOL])
def test_age_rule_does_not_apply_without_the_pupil(with_whom):
    assert check(kind="verzuimgesprek", with_whom=with_whom, pupil_age=8) == {}


def test_age_rule_does_not_apply_to_acts_that_do_not_hear_the_pupil():
    assert check(kind="huisbezoek", with_whom=ContactWith.PUPIL, pupil_age=8) == {}


def test_unknown_kind_is_refused():
    assert set(check(kind="telepathie")) == {"kind"}
