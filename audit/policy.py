"""Which pages the access log records, and how: one explicit table, URL name -> rule.

Every named URL of the app is in URL_POLICY, audited or not (with the reason why not); a test
fails on a URL without a rule, so a new page cannot skip the access log by being forgotten.
Django admin pages are classified by `admin_rule` from the model they show.

How the middleware finds the record: the rule names the URL keyword argument (or, for the
intake, the query parameter) that holds its id, and whether that id is a case or a child. The
case's child and household are filled in by the database inside the log's single INSERT
(see audit.services), so an audited page costs one statement and other pages none.

Parameters of a search or a form are recorded by name. A value is recorded only when the rule
lists the parameter as safe AND the value is one of its known, non-identifying values (a stage,
a page number); every other value is "***". So a BSN, name or birth date never reaches the log,
whatever is typed or crafted into a URL.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from django.contrib.admin.options import ModelAdmin
from django.db.models import Choices
from django.http import QueryDict
from django.urls import ResolverMatch

from .constants import MASK, Action, ObjectType

# A value is safe when it is in a set of known values or matches a pattern.
type SafeValue = frozenset[str] | re.Pattern[str] | Callable[[], frozenset[str]]

# Record ids and page numbers. A BSN or onderwijsnummer has nine digits (an old BSN eight):
# never matched, the same runs audit.services.BSN_LIKE masks in a stored path. The app's ids stay
# far below ten million; the log's own entries could pass it in seven years, and an admin look
# at such an entry is then recorded with "***" as its id (and its model in the details).
SMALL_NUMBER = re.compile(r"\d{1,7}")
BRIN = re.compile(r"\d{2}[A-Za-z]{2}(\d{2})?")
CASE_NUMBER = re.compile(r"\d{4}-\d{6}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TIMELINE_CURSOR = re.compile(r"\d{1,20}-[a-z]{1,12}-\d{1,18}")  # cases.timeline.Cursor
USERNAME = re.compile(r"[\w.@+-]{1,150}")  # a staff account, not a child
ON = frozenset({"on", "1", "true"})

# Never recorded at all: they say nothing about what was looked at.
IGNORED_PARAMS = frozenset({"csrfmiddlewaretoken"})
MAX_PARAMS = 30
MAX_VALUE_LENGTH = 100


class Subject:
    """What the id in the URL denotes, so the log can fill in case, child and household."""

    NONE = ""
    CASE = "case"
    CHILD = "child"


@dataclass(frozen=True)
class Rule:
    """How one URL is logged. `get`/`post`: the action per method; None: not logged."""

    object_type: str = ""
    get: str | None = None
    post: str | None = None
    id_kwarg: str | None = None  # the URL keyword argument holding the record's id
    id_param: str | None = None  # or the query/form parameter holding it
    subject: str = Subject.NONE
    safe_params: Mapping[str, SafeValue] = field(default_factory=dict)
    details: Mapping[str, str] = field(default_factory=dict)
    reason_not_audited: str = ""

    @property
    def is_audited(self) -> bool:
        return self.get is not None or self.post is not None

    def action_for(self, method: str) -> str | None:
        return {"GET": self.get, "POST": self.post}.get(method)


def not_audited(reason: str) -> Rule:
    return Rule(reason_not_audited=reason)


def _choices(*enums: type[Choices] | Iterable[object]) -> Callable[[], frozenset[str]]:
    """The values of TextChoices (or forms' choices), computed at first use."""

    @cache
    def values() -> frozenset[str]:
        found: set[str] = set()
        for enum in enums:
            found.update(str(value) for value in getattr(enum, "values", enum))
        return frozenset(found)

    return values


def _form_choices(form_path: str, field_name: str) -> Callable[[], frozenset[str]]:
    """A form field's choice values, imported at first use (forms import models)."""

    @cache
    def values() -> frozenset[str]:
        from django.utils.module_loading import import_string

        form_class = import_string(form_path)
        return frozenset(str(value) for value, _label in form_class.base_fields[field_name].choices)

    return values


def _enum(path: str) -> Callable[[], frozenset[str]]:
    @cache
    def values() -> frozenset[str]:
        from django.utils.module_loading import import_string

        return frozenset(import_string(path).values)

    return values


STAGE = _enum("cases.constants.Stage")
CASE_STATUS = _enum("cases.constants.CaseStatus")
MELDING_TYPE = _enum("cases.constants.MeldingType")
AUDIT_ACTION = _choices(Action)

CASE_LIST_PARAMS: dict[str, SafeValue] = {
    "stage": STAGE,
    "status": CASE_STATUS,
    "arm": _form_choices("cases.forms.CaseFilterForm", "arm"),
    "melding_type": MELDING_TYPE,
    "professional": SMALL_NUMBER,
    "school": BRIN,
    "deadline": _form_choices("cases.forms.CaseFilterForm", "deadline"),
    "sort": _form_choices("cases.forms.CaseFilterForm", "sort"),
    "pagina": SMALL_NUMBER,
    # "q" (BSN, name or case number) is always masked.
}
MY_CASES_PARAMS: dict[str, SafeValue] = {
    "stage": STAGE,
    "deadline": _form_choices("cases.forms.MyCasesFilterForm", "deadline"),
    "sort": _form_choices("cases.forms.MyCasesFilterForm", "sort"),
    "pagina": SMALL_NUMBER,
}
# Posted forms on a case: the choices are recorded, free text (summaries, reasons) is not.
CASE_FORM_PARAMS: dict[str, SafeValue] = {
    "role": _enum("roles.constants.ChainRole"),
    "kind": _enum("roles.constants.ContactKind"),
    "with_whom": _enum("roles.constants.ContactWith"),
    "channel": _enum("roles.constants.Channel"),
    "duration_minutes": SMALL_NUMBER,
    "caution_given": ON,
    "pupil_consent": ON,
    "parent_consent": ON,
    "result": _enum("cases.constants.HaltResult"),
    "category": _enum("cases.constants.OutcomeCategory"),
    "owner": _enum("cases.constants.PlanOwner"),
    "goal": SMALL_NUMBER,
    "owner_professional": SMALL_NUMBER,
    "professional": SMALL_NUMBER,
    "reason": _enum("cases.constants.AssignmentReason"),
    "action": frozenset({"random", "manual"}),
    "arm": _enum("evaluation.constants.Arm"),
    "done": ON,
    "version": SMALL_NUMBER,
}

CASE_READ_WRITE = Rule(
    ObjectType.CASE,
    get=Action.READ,
    post=Action.CHANGE,
    id_kwarg="pk",
    subject=Subject.CASE,
    safe_params=CASE_FORM_PARAMS,
)

URL_POLICY: dict[str, Rule] = {
    # bip
    "home": not_audited("Stuurt door naar de startpagina van de rol."),
    "no_role": not_audited("Uitleg zonder gegevens."),
    "administrator_home": not_audited("Startpagina van de beheerder: alleen links."),
    "login": not_audited("Inlogpogingen logt django-axes."),
    "logout": not_audited("Uitloggen toont geen gegevens."),
    "set_language": not_audited("Taalkeuze."),
    # Password recovery (bip.security): public pages about the user's own account.
    "password_reset": not_audited("Aanvraag van een wachtwoordlink, geen gegevens."),
    "password_reset_done": not_audited("Bevestiging zonder gegevens."),
    "password_reset_confirm": not_audited("Eigen wachtwoord instellen."),
    "password_reset_complete": not_audited("Bevestiging zonder gegevens."),
    # cases: lists and searches
    "cases:case_list": Rule(ObjectType.CASE_LIST, get=Action.SEARCH, safe_params=CASE_LIST_PARAMS),
    "cases:my_cases": Rule(ObjectType.CASE_LIST, get=Action.SEARCH, safe_params=MY_CASES_PARAMS),
    "cases:queue": Rule(ObjectType.CASE_LIST, get=Action.SEARCH),
    "cases:dashboard": not_audited("Alleen totalen en werklast per professional, geen zaken."),
    # The intake: a search by BSN or name and birth date (masked), then a child (?kind=<id>),
    # then registering the referral.
    "cases:intake": Rule(
        ObjectType.CHILD,
        get=Action.SEARCH,
        post=Action.CHANGE,
        id_param="kind",
        subject=Subject.CHILD,
        safe_params={
            "zoek": ON,
            "nieuw": ON,
            "kind": SMALL_NUMBER,
            "source": _enum("cases.constants.CaseSource"),
            "melding_type": MELDING_TYPE,
            "hours_absent": SMALL_NUMBER,
            "times_late": SMALL_NUMBER,
        },
    ),
    # cases: one case
    "cases:case_detail": Rule(
        ObjectType.CASE, get=Action.READ, id_kwarg="pk", subject=Subject.CASE
    ),
    # Older events of the case's timeline; the cursor is a moment, a kind and a record id.
    "cases:case_timeline": Rule(
        ObjectType.CASE,
        get=Action.READ,
        id_kwarg="pk",
        subject=Subject.CASE,
        safe_params={"voor": TIMELINE_CURSOR},
    ),
    "cases:contact_create": CASE_READ_WRITE,
    "cases:refer_to_halt": CASE_READ_WRITE,
    "cases:refer_to_rvdk": CASE_READ_WRITE,
    "cases:halt_result": CASE_READ_WRITE,
    "cases:close": CASE_READ_WRITE,
    "cases:reopen": CASE_READ_WRITE,
    "cases:plan_goal_create": CASE_READ_WRITE,
    "cases:plan_action_create": CASE_READ_WRITE,
    "cases:plan_action_done": CASE_READ_WRITE,
    "cases:plan_goal_edit": CASE_READ_WRITE,
    "cases:plan_action_edit": CASE_READ_WRITE,
    "cases:assign": CASE_READ_WRITE,
    "cases:melding_create": CASE_READ_WRITE,
    "cases:professional_lookup": not_audited("Namen van professionals (autocomplete), geen zaken."),
    # Issue 16 (casework): guardians, correcting or withdrawing a contact, printing.
    "cases:guardians": CASE_READ_WRITE,
    "cases:guardian_edit": CASE_READ_WRITE,
    "cases:contact_correction": CASE_READ_WRITE,
    "cases:contact_withdrawal": CASE_READ_WRITE,
    "cases:case_print": Rule(
        ObjectType.CASE,
        post=Action.EXPORT,
        id_kwarg="pk",
        subject=Subject.CASE,
        details={"format": "print"},
    ),
    # The search text ("q": name, BSN or case number) is always masked.
    "cases:my_closed_cases": Rule(
        ObjectType.CASE_LIST, get=Action.SEARCH, safe_params={"pagina": SMALL_NUMBER}
    ),
    "cases:school_lookup": not_audited("Scholen zoeken: geen gegevens van kinderen."),
    # Issue 16 (documents): documents, letters, the agenda and bulk reassignment. A download
    # is its own action; the path holds the document's id.
    "cases:documents": Rule(
        ObjectType.CASE,
        get=Action.READ,
        post=Action.CHANGE,
        id_kwarg="pk",
        subject=Subject.CASE,
        safe_params={"kind": _enum("cases.constants.DocumentKind"), "pagina": SMALL_NUMBER},
    ),
    "cases:document_download": Rule(
        ObjectType.CASE,
        get=Action.DOWNLOAD,
        id_kwarg="pk",
        subject=Subject.CASE,
        details={"object": "document"},
    ),
    "cases:letter_create": Rule(
        ObjectType.CASE,
        get=Action.READ,
        post=Action.CHANGE,
        id_kwarg="pk",
        subject=Subject.CASE,
        safe_params={
            "letter": _enum("cases.constants.LetterKind"),
            "role": _enum("roles.constants.ChainRole"),
            "language": frozenset({"nl", "en"}),
            "action": frozenset({"voorbeeld", "maken"}),
            "appointment_on": ISO_DATE,
        },
    ),
    "cases:agenda": Rule(
        ObjectType.CASE_LIST,
        get=Action.SEARCH,
        safe_params={"datum": ISO_DATE, "weergave": frozenset({"week", "dag"})},
    ),
    "cases:agenda_ics": Rule(ObjectType.CASE_LIST, get=Action.EXPORT, details={"format": "ics"}),
    "cases:professional_agenda": Rule(
        ObjectType.CASE_LIST,
        get=Action.SEARCH,
        id_kwarg="professional_pk",
        safe_params={"datum": ISO_DATE, "weergave": frozenset({"week", "dag"})},
        details={"object": "professional_agenda"},
    ),
    "cases:bulk_reassign": Rule(
        ObjectType.CASE_LIST,
        get=Action.SEARCH,
        post=Action.CHANGE,
        id_kwarg="professional_pk",
        safe_params={"reason": _enum("cases.constants.AssignmentReason")},
        details={"object": "bulk_reassign"},
    ),
    "evaluation_case:allocation": CASE_READ_WRITE,
    # Survey invitations on paper (issue 16 §1): the list of the professional's own cases,
    # and making a sheet of survey links for one case (a change of the evaluation's data,
    # whose printed sheet leaves the system).
    "evaluation_case:paper_invitations": Rule(
        ObjectType.CASE_LIST, get=Action.SEARCH, safe_params={"pagina": SMALL_NUMBER}
    ),
    "evaluation_case:paper_invitation": Rule(
        ObjectType.CASE,
        get=Action.READ,
        post=Action.EXPORT,
        id_kwarg="pk",
        subject=Subject.CASE,
        details={"format": "paper_survey_invitation"},
    ),
    # cases: CSV import. The preview shows the rows' names and BSNs.
    "cases:import_upload": Rule(ObjectType.IMPORT_BATCH, post=Action.CHANGE),
    "cases:import_template": not_audited("Leeg CSV-sjabloon: alleen de kolomnamen."),
    "cases:import_preview": Rule(
        ObjectType.IMPORT_BATCH,
        get=Action.READ,
        id_kwarg="batch_pk",
        safe_params={"toon": frozenset({"fouten"}), "pagina": SMALL_NUMBER},
    ),
    "cases:import_confirm": Rule(ObjectType.IMPORT_BATCH, post=Action.CHANGE, id_kwarg="batch_pk"),
    "cases:import_cancel": Rule(ObjectType.IMPORT_BATCH, post=Action.CHANGE, id_kwarg="batch_pk"),
    # bip.security: the user's own second factor.
    "security:mfa_overview": not_audited("Eigen tweestapsverificatie, geen gegevens van kinderen."),
    "security:mfa_enrol": not_audited("Eigen tweestapsverificatie."),
    "security:mfa_verify": not_audited("Eigen tweestapsverificatie."),
    "security:recovery_codes": not_audited("Eigen herstelcodes."),
    "security:recovery_codes_replace": not_audited("Eigen herstelcodes."),
    # evaluation
    "evaluation:home": not_audited("Alleen geaggregeerde, gepseudonimiseerde cijfers."),
    "evaluation:recommendation": not_audited("Alleen geaggregeerde, gepseudonimiseerde cijfers."),
    "evaluation:refresh": not_audited(
        "Zet een herberekening van de geaggregeerde rapportcijfers in de wachtrij; toont niets."
    ),
    "health": not_audited("Gezondheidscontrole voor de load balancer: geen gegevens."),
    # The machine API writes its own entries, with the client as the actor (api/urls.py).
    "api-v1:meldingen": not_audited("API: eigen toegangslog per aanroep (api/urls.py)."),
    "api-v1:meldingen_batch": not_audited("API: eigen toegangslog per aanroep (api/urls.py)."),
    "api-v1:meldingen_list": not_audited("API: eigen toegangslog per aanroep (api/urls.py)."),
    "api-v1:melding_status": not_audited("API: eigen toegangslog per aanroep (api/urls.py)."),
    "api-v1:api-root": not_audited("API: geen gegevens (404)."),
    "api-v1:openapi-json": not_audited("API-beschrijving: geen gegevens."),
    "api-v1:openapi-view": not_audited("API-documentatie: geen gegevens."),
    "evaluation:export_list": not_audited("Lijst van eigen exportaanvragen, geen zaakgegevens."),
    "evaluation:export_detail": not_audited("Status van een exportaanvraag, geen zaakgegevens."),
    # The export itself and its download are logged by the export code through
    # audit.services.access_log_record (action export / download), with the row count.
    "evaluation:export_download": not_audited("Gelogd door de exportservice zelf."),
    "evaluation:freeze_list": not_audited("Lijst van datafreezes: alleen aantallen en hashes."),
    "evaluation:freeze_detail": not_audited("Verschil tussen twee datafreezes, alleen aantallen."),
    "evaluation:survey": not_audited("Openbare enquête met eenmalige link, geen inzage."),
    "evaluation:survey_thanks": not_audited("Bedankpagina zonder gegevens."),
    # audit: reading the log is itself logged.
    "audit:log": Rule(
        ObjectType.ACCESS_LOG,
        get=Action.SEARCH,
        safe_params={
            "gebruiker": USERNAME,
            "kind": SMALL_NUMBER,
            "zaak": CASE_NUMBER,
            "actie": AUDIT_ACTION,
            "van": ISO_DATE,
            "tot": ISO_DATE,
            "pagina": SMALL_NUMBER,
        },
    ),
    "audit:find_child": Rule(
        ObjectType.CHILD,
        post=Action.SEARCH,
        safe_params={"doel": frozenset({"toegang", "inzage"})},
    ),
    "audit:child_access": Rule(
        ObjectType.ACCESS_LOG,
        get=Action.READ,
        id_kwarg="child_pk",
        subject=Subject.CHILD,
        safe_params={"pagina": SMALL_NUMBER},
    ),
    "audit:inzage": Rule(
        ObjectType.CHILD,
        get=Action.INZAGE,
        id_kwarg="child_pk",
        subject=Subject.CHILD,
        details={"format": "html"},
    ),
    "audit:inzage_json": Rule(
        ObjectType.CHILD,
        get=Action.INZAGE,
        id_kwarg="child_pk",
        subject=Subject.CHILD,
        details={"format": "json"},
    ),
}

# Admin pages of these apps show case data or history; the others (users, organisations,
# schools) hold no data about children.
ADMIN_AUDITED_APPS = frozenset({"cases", "evaluation", "auditlog", "audit"})
ADMIN_PARAMS: dict[str, SafeValue] = {"p": SMALL_NUMBER, "o": re.compile(r"[\d.-]{1,20}")}


def admin_rule(match: ResolverMatch) -> Rule | None:
    """A rule for a Django admin page, from the model it shows; None when not audited."""
    model_admin = getattr(match.func, "model_admin", None)
    if not isinstance(model_admin, ModelAdmin):
        return None
    meta = model_admin.model._meta
    if meta.app_label not in ADMIN_AUDITED_APPS:
        return None
    model = f"{meta.app_label}.{meta.model_name}"
    if "object_id" in match.kwargs:
        return Rule(
            ObjectType.ADMIN_RECORD,
            get=Action.READ,
            post=Action.CHANGE,
            id_kwarg="object_id",
            details={"model": model},
            safe_params=ADMIN_PARAMS,
        )
    return Rule(
        ObjectType.ADMIN_RECORD,
        get=Action.SEARCH,
        post=Action.CHANGE,
        details={"model": model},
        safe_params=ADMIN_PARAMS,
    )


def rule_for(match: ResolverMatch | None) -> Rule | None:
    """The rule for a resolved URL, or None when the page is not logged."""
    if match is None:
        return None
    if "admin" in match.namespaces:
        return admin_rule(match)
    rule = URL_POLICY.get(match.view_name)
    return rule if rule is not None and rule.is_audited else None


def _is_safe(value: str, allowed: SafeValue) -> bool:
    if isinstance(allowed, re.Pattern):
        return allowed.fullmatch(value) is not None
    if callable(allowed):
        allowed = allowed()
    return value in allowed


def summarise_params(
    params: QueryDict, safe: Mapping[str, SafeValue]
) -> dict[str, str | list[str]]:
    """The parameters by name; a value only when safe, else "***". Empty ones are left out."""
    summary: dict[str, str | list[str]] = {}
    for name in params:
        if name in IGNORED_PARAMS or len(summary) >= MAX_PARAMS:
            continue
        values = [value for value in params.getlist(name) if value not in ("", None)]
        if not values:
            continue
        key = str(name)[:50]
        recorded = [
            value[:MAX_VALUE_LENGTH]
            if isinstance(value, str) and name in safe and _is_safe(value, safe[name])
            else MASK
            for value in values
        ]
        summary[key] = recorded[0] if len(recorded) == 1 else recorded
    return summary
