"""The acts each chain role allows, and their rules, in one place.

Services call `act_violations()` before storing a contact; forms show its messages on the
field they name. A rule lives here once, never in a view or a template.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .constants import WITH_PUPIL, ChainRole, ContactKind

# The age from which the pupil may be heard (MAS 2017: talks with the pupil from age 12).
MIN_AGE_PUPIL_HEARD = 12


@dataclass(frozen=True)
class Act:
    kind: ContactKind
    roles: frozenset[ChainRole]
    requires_sworn: bool = False
    requires_caution: bool = False
    # A formal hearing of the pupil: only from MIN_AGE_PUPIL_HEARD.
    hears_pupil: bool = False


_L, _H, _R = ChainRole.LEERPLICHT, ChainRole.HALT, ChainRole.RVDK
_ALL = frozenset(ChainRole)

ACTS: dict[ContactKind, Act] = {
    act.kind: act
    for act in (
        Act(ContactKind.VERZUIMGESPREK, frozenset({_L}), hears_pupil=True),
        Act(ContactKind.HUISBEZOEK, frozenset({_L, _R})),
        Act(ContactKind.SCHOOLOVERLEG, frozenset({_L, _H, _R})),
        Act(ContactKind.WAARSCHUWING, frozenset({_L})),
        Act(
            ContactKind.VERHOOR,
            frozenset({_L}),
            requires_sworn=True,
            requires_caution=True,
            hears_pupil=True,
        ),
        Act(ContactKind.PROCES_VERBAAL, frozenset({_L}), requires_sworn=True),
        Act(ContactKind.ZORGMELDING, frozenset({_L, _R})),
        Act(ContactKind.VRIJWILLIGE_HULP, frozenset({_L, _R})),
        Act(ContactKind.HALT_INTAKE, frozenset({_H})),
        Act(ContactKind.LEEROPDRACHT, frozenset({_H})),
        Act(ContactKind.HALT_GESPREK, frozenset({_H}), hears_pupil=True),
        Act(ContactKind.WERKOPDRACHT, frozenset({_H})),
        Act(ContactKind.EXCUSES, frozenset({_H})),
        Act(ContactKind.HALT_AFSLUITING, frozenset({_H})),
        Act(ContactKind.RAADSONDERZOEK_GESPREK, frozenset({_R})),
        Act(ContactKind.STRAFADVIES, frozenset({_R})),
        Act(ContactKind.BESCHERMINGSONDERZOEK, frozenset({_R})),
        Act(ContactKind.TELEFONISCH_CONTACT, _ALL),
        Act(ContactKind.KETENOVERLEG, _ALL),
    )
}


def kinds_for_role(role: ChainRole) -> list[ContactKind]:
    """The contact kinds a professional may log while acting in `role`, in display order."""
    return [kind for kind, act in ACTS.items() if role in act.roles]


def act_violations(
    *,
    role: str,
    kind: str,
    sworn: bool,
    caution_given: bool,
    with_whom: str,
    pupil_age: int | None,
) -> dict[str, str]:
    """Check one contact against the rules of its act.

    Returns {field name: readable message}; empty when the contact is allowed.
    `sworn` says whether the professional holds a valid sworn (BOA) Leerplicht qualification.
    """
    errors: dict[str, str] = {}
    act = ACTS.get(ContactKind(kind)) if kind in ContactKind.values else None
    if act is None:
        return {"kind": str(_("Onbekende soort contact."))}
    if role not in act.roles:
        allowed = ", ".join(str(ChainRole(r).label) for r in sorted(act.roles))
        errors["kind"] = str(
            _("Een %(kind)s mag alleen in de rol %(roles)s.")
            % {"kind": str(kind_label(kind)).lower(), "roles": allowed}
        )
        return errors
    if act.requires_sworn and not sworn:
        errors["kind"] = str(
            _(
                "Voor een %(kind)s is een geldige beëdiging als buitengewoon "
                "opsporingsambtenaar (BOA) nodig."
            )
            % {"kind": str(kind_label(kind)).lower()}
        )
    if act.requires_caution and not caution_given:
        errors["caution_given"] = str(
            _("Bij een verhoor moet worden vastgelegd dat de cautie is gegeven.")
        )
    if (
        act.hears_pupil
        and with_whom in WITH_PUPIL
        and pupil_age is not None
        and pupil_age < MIN_AGE_PUPIL_HEARD
    ):
        errors["with_whom"] = str(
            _("De leerling wordt pas vanaf %(age)s jaar gehoord; deze leerling is %(actual)s.")
            % {"age": MIN_AGE_PUPIL_HEARD, "actual": pupil_age}
        )
    return errors


def kind_label(kind: str) -> str:
    return str(ContactKind(kind).label)
