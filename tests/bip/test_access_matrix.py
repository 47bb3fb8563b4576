"""The access matrix: every URL of the app × every role × the record's relation to the user.

One table, RULES: one Rule per URL name holds the statuses of a GET and of an empty POST for
every subject, and how the URL is built. A URL without a rule fails the test, so a new view
cannot ship without an explicit access decision; adding one is one entry here.

Subjects are the roles, plus the relations a role can have to the world's records:
- "professional" owns case A; "professional_other" owns case B (another household) and asks
  for A; "researcher" asked for the world's export, "researcher_other" asks for it too;
- "<role>_foreign_item" asks, through case A, for a goal or action of B's household plan.

Every response is checked for its status AND its content: no identifying string (case number,
child's name, plan goal or action) of a record the subject may not see may appear in it. After
every POST, no case, plan, goal or action has changed.

The mutation check (test_the_matrix_catches_each_leak) applies each deliberate leak of issue 11
and shows that matrix entries fail under it. To run the WHOLE matrix under one leak, which must
then fail:

    ACCESS_MATRIX_MUTATION=<name> .venv/bin/pytest tests/bip/test_access_matrix.py -q -x

with <name> one of the keys of MUTATIONS below.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.factory_history

ROLES = ["anonymous", "coordinator", "professional", "researcher", "administrator"]


# ---------------------------------------------------------------------------------------------
# How a URL is built for a subject. Each takes the world and the subject; the record in the URL
# is always the world's (case A, its child, the researcher's export), so the subject's relation
# to it decides the answer.


def no_args(world, subject) -> list:
    return []


def case_a(world, subject) -> list:
    return [world["a"]["case"].pk]


def _plan_item(kind: str):
    def args(world, subject) -> list:
        household = "b" if subject.endswith("_foreign_item") else "a"
        return [world["a"]["case"].pk, world[household][kind].pk]

    return args


case_a_goal = _plan_item("goal")
case_a_action = _plan_item("action")


def case_a_guardian(world, subject) -> list:
    """Case A and a guardian of A's household (of B's for a "_foreign_item" subject)."""
    from tests.factories import GuardianFactory

    household = "b" if subject.endswith("_foreign_item") else "a"
    return [world["a"]["case"].pk, GuardianFactory(child=world[household]["case"].child).pk]


def _case_a_contact(**traits) -> Callable:
    def args(world, subject) -> list:
        """Case A and a contact on it, logged by A's professional."""
        from tests.factories import ContactFactory

        case = world["a"]["case"]
        return [case.pk, ContactFactory(case=case, **traits).pk]

    return args


case_a_contact = _case_a_contact()
case_a_pv = _case_a_contact(kind="proces_verbaal")


def case_a_document(world, subject) -> list:
    """Case A and a PDF uploaded to it by the coordinator."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.services.documents import document_upload
    from tests.cases.document_samples import MINIMAL_PDF

    case = world["a"]["case"]
    document = document_upload(
        case=case,
        kind="rapport",
        file=SimpleUploadedFile("rapport.pdf", MINIMAL_PDF),
        actor=world["users"]["coordinator"],
    )
    return [case.pk, document.pk]


def professional_a(world, subject) -> list:
    """The professional who holds case A (the coordinator covers their agenda)."""
    return [world["a"]["case"].professional_id]


def child_a(world, subject) -> list:
    return [world["a"]["case"].child_id]


def import_batch(world, subject) -> list:
    return [world["batch"].pk]


def finished_export(world, subject) -> list:
    """A finished export of "researcher": its owner downloads it (200), nobody else (404)."""
    from evaluation.exports import services

    export = services.export_create(
        user=world["users"]["researcher"], dataset="zaken", file_format="csv"
    )
    return [services.export_run(export_id=export.pk).pk]


def data_freeze(world, subject) -> list:
    """The world's one data freeze (made the first time it is asked for)."""
    from evaluation.freezes import freeze_create
    from evaluation.models import DataFreeze

    freeze = DataFreeze.objects.filter(label="T1").first()
    return [(freeze or freeze_create(label="T1", actor=None, study_end=None)).pk]


def survey_token(world, subject) -> list:
    from evaluation.surveys import new_token
    from tests.factories import SurveyInvitationFactory

    token, token_hash = new_token()
    # Invitations exist only for cases in the study (with an arm).
    SurveyInvitationFactory(token_hash=token_hash, case__bip_arm=True)
    return [token]


def bad_reset_link(world, subject) -> list:
    return ["MQ", "bad-token"]


# ---------------------------------------------------------------------------------------------
# The statuses, by the shape of the answer.


def everyone(status: int, *, anonymous: int = 302) -> dict[str, int]:
    return dict.fromkeys(ROLES, status) | {"anonymous": anonymous}


def only(role: str, status: int = 200) -> dict[str, int]:
    """A page for one role; the other roles get 403, anonymous the login page."""
    return everyone(403) | {role: status}


def not_allowed() -> dict[str, int]:
    """The method is not allowed (405); anonymous is sent to the login page first."""
    return everyone(405)


def case_rule(
    *, coordinator: int = 200, professional: int = 200, other: int = 404, items: bool = False
) -> dict[str, int]:
    """A page on case A: the others do not see it (404, as if it did not exist). With `items`,
    a goal or action of another household's plan is not found either."""
    statuses = {
        "anonymous": 302,
        "coordinator": coordinator,
        "professional": professional,
        "professional_other": other,
        "researcher": 404,
        "administrator": 404,
    }
    if items:
        statuses |= {"coordinator_foreign_item": 404, "professional_foreign_item": 404}
    return statuses


def coordinator_case_rule(status: int = 200) -> dict[str, int]:
    """The coordinator's pages on a case: others are refused before the case is fetched."""
    return only("coordinator", status) | {"professional_other": 403}


def export_rule(researcher: int) -> dict[str, int]:
    return only("researcher", researcher) | {"researcher_other": 404}


@dataclass(frozen=True)
class Rule:
    """Everything the matrix knows about one URL name.

    `get` and `post`: subject -> status of a GET and of a POST with an empty form. `post` None:
    a page that only reads (not posted to). `shows`: subject -> the world's records ("a", "b")
    the page may show them beyond what they may see anyway (the audit pages show the child
    they are about to the functional administrator).
    """

    get: dict[str, int]
    post: dict[str, int] | None
    args: Callable = no_args
    public: bool = False
    shows: dict[str, set[str]] = field(default_factory=dict)


AUDIT_CHILD = {"administrator": {"a"}}

RULES: dict[str, Rule] = {
    "home": Rule(get=everyone(302), post=None),
    "no_role": Rule(get=everyone(200), post=None),
    "administrator_home": Rule(get=only("administrator"), post=None),
    "login": Rule(get=everyone(302, anonymous=200), post=None, public=True),
    # Logout and language switch only take POST.
    "logout": Rule(get=not_allowed(), post=None),
    "set_language": Rule(get=dict.fromkeys(ROLES, 302), post=None, public=True),
    # The load balancer's health check (bip/health.py): no login, no data, 200 for everyone.
    "health": Rule(get=dict.fromkeys(ROLES, 200), post=None, public=True),
    # Cases (cases/views/).
    "cases:case_list": Rule(get=only("coordinator"), post=None),
    "cases:professional_lookup": Rule(get=only("coordinator"), post=None),
    "cases:my_cases": Rule(get=only("professional"), post=None),
    "cases:case_detail": Rule(get=case_rule(), post=None, args=case_a),
    "cases:case_timeline": Rule(get=case_rule(), post=None, args=case_a),
    "cases:queue": Rule(get=only("coordinator"), post=None),
    "cases:dashboard": Rule(get=only("coordinator"), post=None),
    # With no child chosen the intake form has nothing to save: it shows the search again.
    "cases:intake": Rule(get=only("coordinator"), post=only("coordinator")),
    # The coordinator may change the case but logs no contacts.
    "cases:contact_create": Rule(
        get=case_rule(coordinator=403),
        post=case_rule(coordinator=403, professional=422),
        args=case_a,
    ),
    # A new melding joins the open case: the coordinator and the case's professional.
    "cases:melding_create": Rule(
        get=case_rule(), post=case_rule(coordinator=422, professional=422), args=case_a
    ),
    **{
        name: Rule(get=case_rule(), post=case_rule(coordinator=422, professional=422), args=case_a)
        for name in (
            "cases:refer_to_halt",
            "cases:refer_to_rvdk",
            "cases:close",
            # The Halt result only exists for a case in the Halt step; the form is shown to
            # whoever may change the case (the service refuses the step for a Leerplicht case).
            "cases:halt_result",
            "cases:plan_goal_create",
            "cases:plan_action_create",
        )
    },
    "cases:reopen": Rule(
        get=case_rule(professional=403),
        post=case_rule(coordinator=422, professional=403),
        args=case_a,
    ),
    "cases:plan_goal_edit": Rule(
        get=case_rule(items=True),
        post=case_rule(coordinator=422, professional=422, items=True),
        args=case_a_goal,
    ),
    "cases:plan_action_edit": Rule(
        get=case_rule(items=True),
        post=case_rule(coordinator=422, professional=422, items=True),
        args=case_a_action,
    ),
    # POST only; an invalid post is answered with a message and a redirect back to the case.
    "cases:plan_action_done": Rule(
        get=not_allowed(),
        post=case_rule(coordinator=302, professional=302, items=True),
        args=case_a_action,
    ),
    "cases:assign": Rule(get=coordinator_case_rule(), post=coordinator_case_rule(422), args=case_a),
    # Issue 16 (casework). Guardians: whoever may change the case; a guardian of another
    # household is not found through case A.
    "cases:guardians": Rule(
        get=case_rule(), post=case_rule(coordinator=422, professional=422), args=case_a
    ),
    "cases:guardian_edit": Rule(
        get=case_rule(items=True),
        post=case_rule(coordinator=422, professional=422, items=True),
        args=case_a_guardian,
    ),
    # Only the professional who logged the contact corrects it (the coordinator: 403 with
    # the reason); only a PV or verhoor is withdrawn.
    "cases:contact_correction": Rule(
        get=case_rule(coordinator=403),
        post=case_rule(coordinator=403, professional=422),
        args=case_a_contact,
    ),
    "cases:contact_withdrawal": Rule(
        get=case_rule(coordinator=403),
        post=case_rule(coordinator=403, professional=422),
        args=case_a_pv,
    ),
    # Printing is read access, logged as an export; without script it redirects to the case.
    "cases:case_print": Rule(
        get=not_allowed(), post=case_rule(coordinator=302, professional=302), args=case_a
    ),
    "cases:my_closed_cases": Rule(get=only("professional"), post=None),
    "cases:school_lookup": Rule(get=only("coordinator") | {"professional": 200}, post=None),
    "evaluation_case:allocation": Rule(
        get=coordinator_case_rule(), post=coordinator_case_rule(422), args=case_a
    ),
    # Survey invitations on paper: each professional their own cases; only the one who holds
    # the case makes the sheet (the coordinator: 403). Case A is not in the study, so making
    # one is refused with the reason (422).
    "evaluation_case:paper_invitations": Rule(get=only("professional"), post=None),
    "evaluation_case:paper_invitation": Rule(
        get=case_rule(coordinator=403),
        post=case_rule(coordinator=403, professional=422),
        args=case_a,
    ),
    # CSV import (cases/views/imports.py). Confirming or cancelling an (empty) preview batch
    # redirects to its report.
    "cases:import_upload": Rule(get=only("coordinator"), post=only("coordinator", 422)),
    "cases:import_template": Rule(get=only("coordinator"), post=not_allowed()),
    "cases:import_preview": Rule(get=only("coordinator"), post=not_allowed(), args=import_batch),
    "cases:import_confirm": Rule(
        get=not_allowed(), post=only("coordinator", 302), args=import_batch
    ),
    "cases:import_cancel": Rule(
        get=not_allowed(), post=only("coordinator", 302), args=import_batch
    ),
    # Documents and letters (cases/views/documents.py, letters.py). An empty upload or letter
    # form is refused with its errors; letters are written only by the case's professional.
    "cases:documents": Rule(
        get=case_rule(), post=case_rule(coordinator=422, professional=422), args=case_a
    ),
    "cases:document_download": Rule(get=case_rule(), post=not_allowed(), args=case_a_document),
    "cases:letter_create": Rule(
        get=case_rule(coordinator=403),
        post=case_rule(coordinator=403, professional=422),
        args=case_a,
    ),
    # Mijn agenda (cases/views/agenda.py): each professional their own; the coordinator sees
    # a professional's agenda and reassigns their cases (an empty form: 422).
    "cases:agenda": Rule(get=only("professional"), post=None),
    "cases:agenda_ics": Rule(get=only("professional"), post=None),
    "cases:professional_agenda": Rule(
        get=coordinator_case_rule(), post=not_allowed(), args=professional_a
    ),
    "cases:bulk_reassign": Rule(
        get=coordinator_case_rule(), post=coordinator_case_rule(422), args=professional_a
    ),
    # Evaluation (evaluation/views/).
    "evaluation:home": Rule(get=only("researcher"), post=None),
    # The printable recommendation report: the same access as the report page.
    "evaluation:recommendation": Rule(get=only("researcher"), post=None),
    # Queues a new computation of the report's figures and goes back to the report.
    "evaluation:refresh": Rule(get=not_allowed(), post=only("researcher", 302)),
    # Research exports: researchers only, each their own. An empty request form is refused
    # with its errors (422); the export's page and its download take GET only.
    "evaluation:export_list": Rule(get=only("researcher"), post=only("researcher", 422)),
    "evaluation:export_detail": Rule(
        get=export_rule(200), post=not_allowed(), args=finished_export
    ),
    "evaluation:export_download": Rule(
        get=export_rule(200), post=not_allowed(), args=finished_export
    ),
    # Data freezes: researchers only; an empty label is refused with its error (422).
    "evaluation:freeze_list": Rule(get=only("researcher"), post=only("researcher", 422)),
    "evaluation:freeze_detail": Rule(get=only("researcher"), post=not_allowed(), args=data_freeze),
    # Surveys: public pages reached with a one-time link; every role, logged in or not, gets
    # the same form, and an empty answer is refused with its errors.
    "evaluation:survey": Rule(
        get=dict.fromkeys(ROLES, 200),
        post=dict.fromkeys(ROLES, 422),
        args=survey_token,
        public=True,
    ),
    "evaluation:survey_thanks": Rule(get=dict.fromkeys(ROLES, 200), post=None, public=True),
    # Two-factor authentication (bip/security). MFA_REQUIRED is off here (tests/conftest.py)
    # and nobody has a device yet: everyone may open their overview and the enrolment page (an
    # empty code is a form error); the verification page and new recovery codes send a user
    # without a device to the enrolment; the recovery codes are shown only right after they
    # were made.
    "security:mfa_overview": Rule(get=everyone(200), post=None),
    "security:mfa_enrol": Rule(get=everyone(200), post=everyone(422)),
    "security:mfa_verify": Rule(get=dict.fromkeys(ROLES, 302), post=dict.fromkeys(ROLES, 302)),
    "security:recovery_codes": Rule(get=dict.fromkeys(ROLES, 302), post=None),
    "security:recovery_codes_replace": Rule(get=not_allowed(), post=dict.fromkeys(ROLES, 302)),
    # Password recovery: public pages; the confirm page with a bad link says it does not work.
    **{
        name: Rule(get=dict.fromkeys(ROLES, 200), post=None, public=True)
        for name in ("password_reset", "password_reset_done", "password_reset_complete")
    },
    "password_reset_confirm": Rule(
        get=dict.fromkeys(ROLES, 200), post=None, args=bad_reset_link, public=True
    ),
    # Access log and inzage (audit/): the functional administrator only; the others are
    # refused with 403 (there is no record of theirs to hide). Finding a child takes a BSN by
    # POST (empty: the form's errors); the other pages only read. The child pages are about
    # case A's child, whose file the administrator may see there.
    "audit:log": Rule(get=only("administrator"), post=not_allowed()),
    "audit:find_child": Rule(get=only("administrator"), post=only("administrator", 422)),
    **{
        name: Rule(get=only("administrator"), post=not_allowed(), args=child_a, shows=AUDIT_CHILD)
        for name in ("audit:child_access", "audit:inzage", "audit:inzage_json")
    },
}

# Who may see which of the world's records anywhere: the coordinator all cases, a professional
# their own. (A "_foreign_item" subject is its role.)
SEES = {"coordinator": {"a", "b"}, "professional": {"a"}, "professional_other": {"b"}}


def app_url_names(resolver=None, namespace: str = "") -> list[str]:
    """All named URLs, except the Django admin (it has its own permission system) and the
    machine API (client tokens, not logins: its own matrix is tests/api/test_access_matrix.py,
    which fails on an API route without rows)."""
    resolver = resolver or get_resolver()
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "api-v1"):
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += app_url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}{pattern.name}")
    return names


def test_every_url_has_exactly_one_access_rule():
    names = app_url_names()
    assert sorted(set(names) - set(RULES)) == [], "URLs without an access rule"
    assert sorted(set(RULES) - set(names)) == [], "rules for URLs that no longer exist"


def test_every_case_url_that_changes_something_has_a_post_rule():
    """A cases URL either only reads (GET, no POST rule) or is posted to; none is forgotten."""
    for name in app_url_names():
        rule = RULES.get(name)  # a missing rule fails test_every_url_has_exactly_one_access_rule
        if rule and name.startswith("cases:") and rule.get.get("coordinator") == 405:
            assert rule.post is not None, name


# ---------------------------------------------------------------------------------------------
# The world (tests/bip/conftest.py): two households, each with a case, a child and a plan, held
# by two professionals.


def identifying_strings(records: dict) -> list[str]:
    case = records["case"]
    return [
        case.number,
        case.child.first_name,
        case.child.last_name,
        records["goal"].description,
        records["action"].description,
    ]


def role_of(subject: str) -> str:
    return subject.removesuffix("_foreign_item")


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def _state_queries():
    """The three reads of state(), compiled once (bip/lib/statements.py): the matrix reads the
    state twice per cell, and building these querysets was a fifth of its time."""
    from bip.lib.statements import CompiledQuery
    from cases.models import Case, PlanAction, PlanGoal

    def of(model, *fields):
        return CompiledQuery(
            lambda a, b: model.objects.filter(pk__in=[a, b]).order_by("pk").values_list(*fields),
            a=-710_001,
            b=-820_002,
        )

    return (
        of(Case, "pk", "version", "professional_id", "status"),
        of(PlanGoal, "pk", "description", "plan__version"),
        of(PlanAction, "pk", "description", "done_on"),
    )


STATE_QUERIES = _state_queries()


def state(world) -> list:
    """What a refused or invalid POST must leave as it was, read in three queries: per
    household its case (version, professional, status), plan goal (text, plan version) and
    plan action (text, done)."""
    rows = []
    for query, key in zip(STATE_QUERIES, ("case", "goal", "action"), strict=True):
        ids = {"a": world["a"][key].pk, "b": world["b"][key].pk}
        found = query.fetchall(**ids)
        assert [row[0] for row in found] == sorted(ids.values()), (key, "a record is gone")
        rows += found
    return rows


def log_in(client, world, key: str) -> None:
    """The client as one of the world's users: their module-wide session (tests/bip/conftest)."""
    client.cookies[settings.SESSION_COOKIE_NAME] = world["sessions"][key]


def check(client, world, name: str, subject: str, method: str) -> None:
    """One cell of the matrix: the status, no foreign record in the answer, nothing changed."""
    rule = RULES[name]
    expected = (rule.get if method == "get" else rule.post)[subject]
    role = role_of(subject)
    if role != "anonymous":
        log_in(client, world, subject if subject in world["users"] else role)
    url = reverse(name, args=rule.args(world, subject))
    before = state(world)

    response = getattr(client, method)(url, {})

    assert response.status_code == expected, (name, subject, method, response.status_code)
    if response.status_code == 302 and role == "anonymous" and not rule.public:
        assert response.url.startswith(reverse("login"))
    visible = SEES.get(subject if subject in SEES else role, set()) | rule.shows.get(role, set())
    html = body(response)
    for household in {"a", "b"} - visible:
        for text in identifying_strings(world[household]):
            assert text not in html, (name, subject, method, f"shows {text!r} of {household}")
    assert state(world) == before, (name, subject, method, "changed a record")


MATRIX = [
    (name, subject, method)
    for name, rule in RULES.items()
    for method, statuses in (("get", rule.get), ("post", rule.post))
    if statuses
    for subject in statuses
]


@pytest.mark.parametrize(("name", "subject", "method"), MATRIX)
def test_access_matrix(client, world, name, subject, method):
    check(client, world, name, subject, method)


@pytest.mark.parametrize("role", ["coordinator", "professional", "researcher"])
def test_admin_closed_to_non_staff(client, world, role):
    log_in(client, world, role)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/login/" in response.url


def test_admin_open_to_administrator(client, world):
    log_in(client, world, "administrator")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:cases_school_changelist")).status_code == 200
    # History tables are read-only for everyone.
    assert client.get(reverse("admin:cases_stagechange_add")).status_code == 403


# A deactivated professional (issue 10): case A stays assigned to its owner, who is then
# switched off. With the Professional record off they still log in, and get what a
# professional without the case gets: 404 for the case and every write on it (403 for the
# coordinator's pages, refused before any case is fetched), and no case in any list. With the
# login account off the session no longer counts: they are answered as anonymous.
DEACTIVATED_CASE_URLS = sorted(
    name for name, rule in RULES.items() if "professional_other" in rule.get
)
DEACTIVATED_LIST_URLS = ["cases:case_list", "cases:my_cases", "cases:queue", "cases:dashboard"]
DEACTIVATED_WRITE_URLS = sorted(
    name for name, rule in RULES.items() if rule.post and "professional_other" in rule.post
)


def deactivate_owner(world, how: str):
    owner = world["a"]["case"].professional
    if how == "record":
        owner.is_active = False
        owner.save()
    else:
        owner.user.is_active = False
        owner.user.save()
    return owner.user


def _deactivated_check(client, world, name, how, method):
    deactivate_owner(world, how)
    log_in(client, world, "professional")  # a session from before the deactivation
    rule = RULES[name]
    statuses = rule.get if method == "get" else rule.post
    before = state(world)

    response = getattr(client, method)(reverse(name, args=rule.args(world, "professional")), {})

    expected = statuses["anonymous"] if how == "account" else statuses.get("professional_other")
    assert response.status_code == (expected or 403), (name, how)
    html = body(response)
    for household in ("a", "b"):
        for text in identifying_strings(world[household]):
            assert text not in html, (name, how, text)
    assert state(world) == before


@pytest.mark.parametrize("how", ["record", "account"])
@pytest.mark.parametrize("name", DEACTIVATED_CASE_URLS + DEACTIVATED_LIST_URLS)
def test_deactivated_professional_reads_nothing(client, world, name, how):
    _deactivated_check(client, world, name, how, "get")


@pytest.mark.parametrize("how", ["record", "account"])
@pytest.mark.parametrize("name", DEACTIVATED_WRITE_URLS)
def test_deactivated_professional_writes_nothing(client, world, name, how):
    _deactivated_check(client, world, name, how, "post")


# A professional who handed case A over (issue 14, item 10): the case page tells them to whom
# and when, and shows nothing of the case (no number, child, plan); every other URL on the
# case answers them as it answers a professional who never had it.
FORMER_OWNER = {"cases:case_detail": 200}


def _former_owner_check(client, world, name, method):
    from cases import services
    from cases.constants import AssignmentReason
    from tests.factories import ProfessionalFactory

    case = world["a"]["case"]
    services.case_assign(
        case=case,
        professional=ProfessionalFactory(bip=True, user__username="opvolger"),
        actor=world["users"]["coordinator"],
        reason=AssignmentReason.WORKLOAD,
        note="Overdracht",
        expected_version=case.version,
        notify=False,
    )
    log_in(client, world, "professional")
    rule = RULES[name]
    statuses = rule.get if method == "get" else rule.post
    before = state(world)

    response = getattr(client, method)(reverse(name, args=rule.args(world, "professional")), {})

    expected = FORMER_OWNER.get(name) if method == "get" else None
    assert response.status_code == (expected or statuses.get("professional_other") or 403), name
    html = body(response)
    for household in ("a", "b"):
        for text in identifying_strings(world[household]):
            assert text not in html, (name, text)
    assert state(world) == before


@pytest.mark.parametrize("name", DEACTIVATED_CASE_URLS)
def test_former_owner_reads_only_the_handover_line(client, world, name):
    _former_owner_check(client, world, name, "get")


@pytest.mark.parametrize("name", DEACTIVATED_WRITE_URLS)
def test_former_owner_writes_nothing(client, world, name):
    _former_owner_check(client, world, name, "post")


# A closed case (issue 16 §6): its professional keeps read access, read-only, until retention
# or a handover; only the coordinator reopens it. Case A is closed; its owner gets these
# answers, and 403 (they may see the case, not change it) on every other URL and method on it.
CLOSED_CASE_READS = {
    ("cases:case_detail", "get"): 200,
    ("cases:case_timeline", "get"): 200,
    ("cases:guardians", "get"): 200,  # the list, without the form
    ("cases:documents", "get"): 200,
    ("cases:document_download", "get"): 200,
    ("cases:case_print", "post"): 302,  # printing is reading (logged as an export)
    # The paper survey invitation is the evaluation's, not a change of the case file: a
    # closed case is when it is made. Case A is not in the study, so it is refused (422).
    ("evaluation_case:paper_invitation", "get"): 200,
    ("evaluation_case:paper_invitation", "post"): 422,
}
CLOSED_CASE_CELLS = sorted(
    (name, method)
    for name, rule in RULES.items()
    for method, statuses in (("get", rule.get), ("post", rule.post))
    if statuses and "professional_other" in statuses
)


def test_the_closed_case_reads_are_urls_on_the_case():
    assert set(CLOSED_CASE_READS) <= set(CLOSED_CASE_CELLS)


@pytest.mark.parametrize(("name", "method"), CLOSED_CASE_CELLS)
def test_the_owner_reads_a_closed_case_and_writes_nothing(client, world, name, method):
    from cases.constants import CaseStatus
    from cases.models import Case

    rule = RULES[name]
    # Built first: a document cannot be added to a closed case.
    url = reverse(name, args=rule.args(world, "professional"))
    case = world["a"]["case"]
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closed_on=case.date_received)
    log_in(client, world, "professional")
    before = state(world)

    response = getattr(client, method)(url, {})

    assert response.status_code == CLOSED_CASE_READS.get((name, method), 403), name
    html = body(response)
    for text in identifying_strings(world["b"]):
        assert text not in html, (name, text)
    assert state(world) == before


# A control-arm professional whose case A waits for a handover to another organisation's stage
# (issue 14, item 10): they still read the case, but every chain step refuses them (403 with
# the reason), by GET and by a direct POST, and nothing changes. The button being hidden is
# not the guard (cases.access.chain_step_refusal is).
WAITING_FOR_HANDOVER = {
    "cases:case_detail": {"get": 200},
    **{
        name: {"get": 403, "post": 403}
        for name in (
            "cases:halt_result",
            "cases:close",
            "cases:refer_to_halt",
            "cases:refer_to_rvdk",
        )
    },
}
WAITING_CELLS = [
    (name, method) for name, statuses in WAITING_FOR_HANDOVER.items() for method in statuses
]


def _waiting_for_handover(world):
    """Case A held by a Leerplicht-only professional in the control arm, referred to Halt."""
    from cases import services
    from cases.constants import Arm, AssignmentReason
    from cases.models import Case
    from roles.constants import ChainRole
    from tests.factories import OrganisationFactory, ProfessionalFactory

    officer = ProfessionalFactory(
        user__username="leerplicht-wacht",
        organisation=OrganisationFactory(kind=ChainRole.LEERPLICHT),
    )
    case = world["a"]["case"]
    Case.objects.filter(pk=case.pk).update(arm=Arm.CONTROL)
    case.refresh_from_db()
    services.case_assign(
        case=case,
        professional=officer,
        actor=world["users"]["coordinator"],
        reason=AssignmentReason.WORKLOAD,
        note="Controlearm",
        expected_version=case.version,
        notify=False,
    )
    case.refresh_from_db()
    services.case_refer_to_halt(
        case=case,
        actor=officer.user,
        reason="Past bij de Halt-aanpak",
        pupil_consent=True,
        parent_consent=True,
        override_reason="Niet van belang in deze test",
        expected_version=case.version,
    )
    case.refresh_from_db()
    assert case.handover_requested_at is not None
    return officer.user


@pytest.mark.parametrize(("name", "method"), WAITING_CELLS)
def test_professional_waiting_for_a_handover_takes_no_chain_step(client, world, name, method):
    client.force_login(_waiting_for_handover(world))
    before = state(world)
    data = {"result": "positief", "reason": "Direct gepost", "version": world["a"]["case"].version}

    response = getattr(client, method)(reverse(name, args=case_a(world, "professional")), data)

    assert response.status_code == WAITING_FOR_HANDOVER[name][method], (name, method)
    html = body(response)
    if response.status_code == 403:
        assert "wacht op overdracht" in html
    else:
        assert reverse("cases:halt_result", args=case_a(world, "professional")) not in html
    for text in identifying_strings(world["b"]):
        assert text not in html, (name, method, text)
    assert state(world) == before, (name, method, "changed a record")


# ---------------------------------------------------------------------------------------------
# The mutation check: each deliberate leak makes matrix cells fail.
#
# Not among them: removing the `write=True` -> 403 branch of cases.access.get_case_for_user.
# No role may see a case it may not change (the coordinator changes every case, a professional
# sees only their own), so that branch cannot run and its removal changes no answer: an
# equivalent mutant, which no behavioural test can catch. Its contract is unit-tested in
# tests/cases/test_access.py.


def leak_my_cases_lists_every_case(monkeypatch):
    """Mijn zaken lists every case, not only the professional's own."""
    from cases import selectors
    from cases.models import Case

    rows = selectors.my_cases_rows
    monkeypatch.setattr(
        selectors,
        "my_cases_rows",
        lambda queryset, *, ordering: rows(Case.objects.all(), ordering=ordering),
    )


def leak_plan_items_of_any_household(monkeypatch):
    """Plan edits find a goal or action by its id alone, in any household's plan."""
    from cases import access
    from cases.models import PlanAction, PlanGoal

    monkeypatch.setattr(
        access,
        "get_plan_goal_for_case",
        lambda user, case, pk: PlanGoal.objects.select_related("plan").get(pk=pk),
    )
    monkeypatch.setattr(
        access,
        "get_plan_action_for_case",
        lambda user, case, pk: PlanAction.objects.select_related("plan").get(pk=pk),
    )


def leak_exports_of_every_researcher(monkeypatch):
    """A researcher may open and download every researcher's export."""
    from evaluation import access
    from evaluation.models import ResearchExport
    from professionals.groups import is_researcher

    monkeypatch.setattr(
        access,
        "exports_visible_to",
        lambda user: (
            ResearchExport.objects.all() if is_researcher(user) else ResearchExport.objects.none()
        ),
    )


def leak_every_case_to_every_professional(monkeypatch):
    """The ownership rule loosened: every working professional holds every case."""
    from cases.models import CaseQuerySet
    from professionals.groups import is_professional

    monkeypatch.setattr(
        CaseQuerySet,
        "assigned_to",
        lambda self, user: self.all() if user.is_active and is_professional(user) else self.none(),
    )


def leak_other_households_on_the_case_page(monkeypatch):
    """The case page's household panel shows the children of every household."""
    from cases import selectors
    from cases.models import Child

    panel = selectors.household_panel

    def every_household(case):
        return panel(case) | {"siblings": list(Child.objects.exclude(pk=case.child_id))}

    monkeypatch.setattr(selectors, "household_panel", every_household)


def leak_case_list_to_professionals(monkeypatch):
    """The coordinator's case list (every case) opened to professionals."""
    from cases import access

    monkeypatch.setattr(access, "can_view_case_lists", lambda user: user.is_authenticated)


# Each leak, with matrix cells it must fail.
MUTATIONS = {
    "my_cases_lists_every_case": (
        leak_my_cases_lists_every_case,
        [("cases:my_cases", "professional", "get")],
    ),
    "plan_items_of_any_household": (
        leak_plan_items_of_any_household,
        [
            ("cases:plan_goal_edit", "professional_foreign_item", "get"),
            ("cases:plan_action_edit", "professional_foreign_item", "post"),
            ("cases:plan_action_done", "professional_foreign_item", "post"),
        ],
    ),
    "exports_of_every_researcher": (
        leak_exports_of_every_researcher,
        [
            ("evaluation:export_download", "researcher_other", "get"),
            ("evaluation:export_detail", "researcher_other", "get"),
        ],
    ),
    "every_case_to_every_professional": (
        leak_every_case_to_every_professional,
        [
            ("cases:case_detail", "professional_other", "get"),
            ("cases:close", "professional_other", "post"),
            ("cases:my_cases", "professional", "get"),
        ],
    ),
    "other_households_on_the_case_page": (
        leak_other_households_on_the_case_page,
        [("cases:case_detail", "professional", "get")],
    ),
    "case_list_to_professionals": (
        leak_case_list_to_professionals,
        [("cases:case_list", "professional", "get")],
    ),
}


@pytest.fixture(autouse=True)
def _mutation_from_environment(monkeypatch):
    """ACCESS_MATRIX_MUTATION=<name> runs this whole module under one leak (see above)."""
    name = os.environ.get("ACCESS_MATRIX_MUTATION")
    if name:
        MUTATIONS[name][0](monkeypatch)


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_the_matrix_catches_each_leak(client, world, monkeypatch, mutation):
    leak, cells = MUTATIONS[mutation]
    assert set(cells) <= set(MATRIX)
    leak(monkeypatch)
    for name, subject, method in cells:
        client.cookies.clear()
        with pytest.raises(AssertionError) as failure:
            check(client, world, name, subject, method)
        # The cell fails on its own check (status, a foreign record shown, a record changed),
        # not on something else.
        assert str(failure.value).startswith(repr((name, subject, method))[:-1])
