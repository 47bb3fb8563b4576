"""The access matrix: every URL of the app × every role × own record or someone else's.

Generated from the URL configuration: a URL without a rule in RULES fails the test, so a new
view cannot ship without an explicit access decision.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cases.models import ImportBatch
from tests.factories import (
    CaseFactory,
    PlanActionFactory,
    PlanGoalFactory,
    ProfessionalFactory,
    UserFactory,
)

# Reachable without login.
PUBLIC_URLS = {"login", "set_language"}
ROLES = ["anonymous", "coordinator", "professional", "researcher", "administrator"]

# url name -> {role: expected status}. For URLs with a case, "professional" sees their own
# case; "professional_other" is a professional asking for a case of someone else.
RULES: dict[str, dict[str, int]] = {
    "home": {
        "anonymous": 302,
        "coordinator": 302,
        "professional": 302,
        "researcher": 302,
        "administrator": 302,
    },
    "no_role": {
        "anonymous": 302,
        "coordinator": 200,
        "professional": 200,
        "researcher": 200,
        "administrator": 200,
    },
    "login": dict.fromkeys(ROLES, 302) | {"anonymous": 200},
    # Logout and language switch only take POST.
    "logout": dict.fromkeys(ROLES, 405) | {"anonymous": 302},
    "set_language": dict.fromkeys(ROLES, 302),
    "cases:case_list": {
        "anonymous": 302,
        "coordinator": 200,
        "professional": 403,
        "researcher": 403,
        "administrator": 403,
    },
    "cases:my_cases": {
        "anonymous": 302,
        "coordinator": 403,
        "professional": 200,
        "researcher": 403,
        "administrator": 403,
    },
    "cases:case_detail": {
        "anonymous": 302,
        "coordinator": 200,
        "professional": 200,
        "professional_other": 404,
        "researcher": 404,
        "administrator": 404,
    },
    "cases:contact_create": {
        "anonymous": 302,
        "coordinator": 403,  # the coordinator may change the case but logs no contacts
        "professional": 200,
        "professional_other": 404,
        "researcher": 404,
        "administrator": 404,
    },
    **{
        name: {
            "anonymous": 302,
            "coordinator": 200,
            "professional": 200,
            "professional_other": 404,
            "researcher": 404,
            "administrator": 404,
        }
        for name in (
            "cases:refer_to_halt",
            "cases:refer_to_rvdk",
            "cases:close",
            "cases:plan_goal_create",
            "cases:plan_action_create",
            "cases:plan_goal_edit",
            "cases:plan_action_edit",
        )
    },
    # The Halt result only exists for a case in the Halt step; the form itself is shown to
    # whoever may change the case (the service refuses the step for a Leerplicht case).
    "cases:halt_result": {
        "anonymous": 302,
        "coordinator": 200,
        "professional": 200,
        "professional_other": 404,
        "researcher": 404,
        "administrator": 404,
    },
    "cases:reopen": {
        "anonymous": 302,
        "coordinator": 200,
        "professional": 403,
        "professional_other": 404,
        "researcher": 404,
        "administrator": 404,
    },
    "cases:plan_action_done": dict.fromkeys(ROLES, 405) | {"anonymous": 302},
    **{
        name: {
            "anonymous": 302,
            "coordinator": 200,
            "professional": 403,
            "researcher": 403,
            "administrator": 403,
        }
        for name in ("cases:queue", "cases:intake")
    },
    # The coordinator's pages on one case: others are refused before the case is fetched.
    **{
        name: {
            "anonymous": 302,
            "coordinator": 200,
            "professional": 403,
            "professional_other": 403,
            "researcher": 403,
            "administrator": 403,
        }
        for name in ("cases:assign", "cases:allocation")
    },
    "cases:import_upload": {
        "anonymous": 302,
        "coordinator": 200,
        "professional": 403,
        "researcher": 403,
        "administrator": 403,
    },
    "cases:import_preview": {
        "anonymous": 302,
        "coordinator": 200,
        "professional": 403,
        "researcher": 403,
        "administrator": 403,
    },
    "cases:dashboard": {
        "anonymous": 302,
        "coordinator": 200,
        "professional": 403,
        "researcher": 403,
        "administrator": 403,
    },
    "cases:import_confirm": dict.fromkeys(ROLES, 405) | {"anonymous": 302},
    "cases:import_cancel": dict.fromkeys(ROLES, 405) | {"anonymous": 302},
    "evaluation:home": {
        "anonymous": 302,
        "coordinator": 403,
        "professional": 403,
        "researcher": 200,
        "administrator": 403,
    },
}


# Two-factor authentication (bip/security). MFA_REQUIRED is off here (tests/conftest.py) and
# nobody has a device yet: everyone may open their overview and the enrolment page; the
# verification page sends a user without a device to the enrolment; the recovery codes are
# shown only right after they were made; new codes are made by POST only.
RULES |= {
    "security:mfa_overview": dict.fromkeys(ROLES, 200) | {"anonymous": 302},
    "security:mfa_enrol": dict.fromkeys(ROLES, 200) | {"anonymous": 302},
    "security:mfa_verify": dict.fromkeys(ROLES, 302),
    "security:recovery_codes": dict.fromkeys(ROLES, 302),
    "security:recovery_codes_replace": dict.fromkeys(ROLES, 405) | {"anonymous": 302},
}


# Surveys (evaluation/views/surveys.py): public pages reached with a one-time link; every
# role, logged in or not, gets the same form. url_for makes a fresh link for each request.
PUBLIC_URLS |= {"evaluation:survey", "evaluation:survey_thanks"}
RULES |= {
    "evaluation:survey": dict.fromkeys(ROLES, 200),
    "evaluation:survey_thanks": dict.fromkeys(ROLES, 200),
}


# Password recovery (bip/security/views.py): public pages; the confirm page with a bad link
# says the link does not work.
PASSWORD_RESET_URLS = {
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
PUBLIC_URLS |= PASSWORD_RESET_URLS
RULES |= {name: dict.fromkeys(ROLES, 200) for name in PASSWORD_RESET_URLS}


# Research exports (evaluation/views/exports.py): researchers only. url_for gives the export of
# "researcher"; "researcher_other" asks for it too and gets 404, like a missing export. That
# export is still queued, so its download answers 404 ("not ready") even to its owner; the
# view tests download finished ones.
RULES |= {
    "evaluation:export_list": {
        "anonymous": 302,
        "coordinator": 403,
        "professional": 403,
        "researcher": 200,
        "administrator": 403,
    },
    **{
        name: {
            "anonymous": 302,
            "coordinator": 403,
            "professional": 403,
            "researcher": status,
            "researcher_other": 404,
            "administrator": 403,
        }
        for name, status in (
            ("evaluation:export_detail", 200),
            ("evaluation:export_download", 404),
        )
    },
}


# Access log and inzage (audit/): the functional administrator only; the others are refused
# with 403 (there is no record of theirs to hide). The child pages use the world case's child.
RULES |= {
    name: {
        "anonymous": 302,
        "coordinator": 403,
        "professional": 403,
        "researcher": 403,
        "administrator": 200,
    }
    for name in (
        "audit:log",
        "audit:find_child",
        "audit:child_access",
        "audit:inzage",
        "audit:inzage_json",
    )
}


def app_url_names(resolver=None, namespace: str = "") -> list[str]:
    """All named URLs, except the Django admin (it has its own permission system)."""
    resolver = resolver or get_resolver()
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += app_url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}{pattern.name}")
    return names


def test_every_url_has_an_access_rule():
    missing = sorted(set(app_url_names()) - set(RULES))
    assert not missing, f"URLs without an access rule: {missing}"


@pytest.fixture
def world(db):
    owner = ProfessionalFactory(bip=True, user__username="eigenaar")
    other = ProfessionalFactory(user__username="ander")
    case = CaseFactory(professional=owner)
    coordinator = UserFactory(username="coord", coordinator=True)
    action = PlanActionFactory(plan__household=case.child.household)
    return {
        "batch": ImportBatch.objects.create(uploaded_by=coordinator, file_name="leeg.csv"),
        "case": case,
        "action": action,
        "goal": PlanGoalFactory(plan=action.plan),
        "users": {
            "coordinator": coordinator,
            "professional": owner.user,
            "professional_other": other.user,
            "researcher": UserFactory(username="onderzoeker", researcher=True),
            "researcher_other": UserFactory(username="andere-onderzoeker", researcher=True),
            "administrator": UserFactory(username="beheer", administrator=True),
        },
    }


# Pages that only read (GET); every other case URL changes something and needs a write rule.
READ_ONLY_URLS = {
    "cases:case_list",
    "cases:my_cases",
    "cases:case_detail",
    "cases:queue",
    "cases:dashboard",
}

# POST with an empty form: who gets through the access check (422: the form's errors), and
# who is stopped before (403, 404, or 302 to the login page).
WRITE_RULES: dict[str, dict[str, int]] = {
    name: {
        "anonymous": 302,
        "coordinator": 422,
        "professional": 422,
        "professional_other": 404,
        "researcher": 404,
        "administrator": 404,
    }
    for name in (
        "cases:refer_to_halt",
        "cases:refer_to_rvdk",
        "cases:close",
        "cases:halt_result",
        "cases:plan_goal_create",
        "cases:plan_action_create",
        "cases:plan_goal_edit",
        "cases:plan_action_edit",
    )
} | {
    "cases:contact_create": {
        "anonymous": 302,
        "coordinator": 403,
        "professional": 422,
        "professional_other": 404,
        "researcher": 404,
        "administrator": 404,
    },
    "cases:reopen": {
        "anonymous": 302,
        "coordinator": 422,
        "professional": 403,
        "professional_other": 404,
        "researcher": 404,
        "administrator": 404,
    },
    **{
        name: {
            "anonymous": 302,
            "coordinator": 422,
            "professional": 403,
            "professional_other": 403,
            "researcher": 403,
            "administrator": 403,
        }
        for name in ("cases:assign", "cases:allocation")
    },
    # With no child chosen the intake form has nothing to save: it shows the search again.
    "cases:intake": {
        "anonymous": 302,
        "coordinator": 200,
        "professional": 403,
        "researcher": 403,
        "administrator": 403,
    },
    "cases:import_upload": {
        "anonymous": 302,
        "coordinator": 422,
        "professional": 403,
        "researcher": 403,
        "administrator": 403,
    },
    "cases:import_preview": dict.fromkeys(ROLES, 405) | {"anonymous": 302},
    # Confirming or cancelling an (empty) preview batch redirects to its report.
    **{
        name: {
            "anonymous": 302,
            "coordinator": 302,
            "professional": 403,
            "researcher": 403,
            "administrator": 403,
        }
        for name in ("cases:import_confirm", "cases:import_cancel")
    },
    # An invalid post is answered with a message and a redirect back to the case.
    "cases:plan_action_done": {
        "anonymous": 302,
        "coordinator": 302,
        "professional": 302,
        "professional_other": 404,
        "researcher": 404,
        "administrator": 404,
    },
}


# MFA: an empty enrolment code is a form error; without a device the verification page and
# new recovery codes both send the user to the enrolment first.
WRITE_RULES |= {
    "security:mfa_enrol": dict.fromkeys(ROLES, 422) | {"anonymous": 302},
    "security:mfa_verify": dict.fromkeys(ROLES, 302),
    "security:recovery_codes_replace": dict.fromkeys(ROLES, 302),
}


# Surveys: an empty answer form is refused with its errors (422), for everyone alike.
WRITE_RULES |= {"evaluation:survey": dict.fromkeys(ROLES, 422)}


# Exports: an empty request form is refused with its errors (422); the export's page and its
# download take GET only.
WRITE_RULES |= {
    "evaluation:export_list": {
        "anonymous": 302,
        "coordinator": 403,
        "professional": 403,
        "researcher": 422,
        "administrator": 403,
    },
    "evaluation:export_detail": dict.fromkeys(ROLES, 405) | {"anonymous": 302},
    "evaluation:export_download": dict.fromkeys(ROLES, 405) | {"anonymous": 302},
}


# Access log: finding a child takes a BSN by POST (empty: the form's errors); the other pages
# only read.
WRITE_RULES |= {
    "audit:find_child": {
        "anonymous": 302,
        "coordinator": 403,
        "professional": 403,
        "researcher": 403,
        "administrator": 422,
    },
    **{
        name: dict.fromkeys(ROLES, 405) | {"anonymous": 302}
        for name in ("audit:log", "audit:child_access", "audit:inzage", "audit:inzage_json")
    },
}


def url_for(name: str, world) -> str:
    case = world["case"]
    if name in {"audit:child_access", "audit:inzage", "audit:inzage_json"}:
        return reverse(name, args=[case.child_id])
    if name in {"evaluation:export_detail", "evaluation:export_download"}:
        from evaluation.models import ResearchExport

        export = ResearchExport.objects.create(
            requested_by=world["users"]["researcher"], dataset="zaken", file_format="csv"
        )
        return reverse(name, args=[export.pk])
    if name == "evaluation:survey":
        from evaluation.surveys import new_token
        from tests.factories import SurveyInvitationFactory

        token, token_hash = new_token()
        # Invitations exist only for cases in the study (with an arm).
        SurveyInvitationFactory(token_hash=token_hash, case__bip_arm=True)
        return reverse(name, args=[token])
    if name in {"cases:import_preview", "cases:import_confirm", "cases:import_cancel"}:
        return reverse(name, args=[world["batch"].pk])
    if name in {"cases:plan_action_done", "cases:plan_action_edit"}:
        return reverse(name, args=[case.pk, world["action"].pk])
    if name == "cases:plan_goal_edit":
        return reverse(name, args=[case.pk, world["goal"].pk])
    if name.startswith("cases:") and name not in {
        "cases:case_list",
        "cases:my_cases",
        "cases:queue",
        "cases:intake",
        "cases:import_upload",
        "cases:dashboard",
    }:
        return reverse(name, args=[case.pk])
    if name == "password_reset_confirm":
        return reverse(name, args=["MQ", "bad-token"])
    return reverse(name)


@pytest.mark.parametrize(
    ("name", "role"),
    [(name, role) for name, rules in RULES.items() for role in rules],
)
def test_access_matrix(client, world, name, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    response = client.get(url_for(name, world))
    assert response.status_code == RULES[name][role], (name, role)
    if response.status_code == 302 and role == "anonymous" and name not in PUBLIC_URLS:
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("name", "role"),
    [(name, role) for name, rules in WRITE_RULES.items() for role in rules],
)
def test_write_access_matrix(client, world, name, role):
    if role != "anonymous":
        client.force_login(world["users"][role])
    version = world["case"].version
    response = client.post(url_for(name, world), {})
    assert response.status_code == WRITE_RULES[name][role], (name, role)
    world["case"].refresh_from_db()
    assert world["case"].version == version  # nothing changed


def test_every_write_url_has_a_write_rule():
    posts_only = {name for name, rules in RULES.items() if rules.get("coordinator") == 405}
    writes = {
        name for name in app_url_names() if name.startswith("cases:") and name not in READ_ONLY_URLS
    }
    assert writes - posts_only <= set(WRITE_RULES)
    assert writes <= set(WRITE_RULES)


@pytest.mark.parametrize("role", ["coordinator", "professional", "researcher"])
def test_admin_closed_to_non_staff(client, world, role):
    client.force_login(world["users"][role])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/login/" in response.url


def test_admin_open_to_administrator(client, world):
    client.force_login(world["users"]["administrator"])
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:cases_school_changelist")).status_code == 200
    # History tables are read-only for everyone.
    assert client.get(reverse("admin:cases_stagechange_add")).status_code == 403


# A deactivated professional (issue 10): the world's case stays assigned to its owner, who is
# then switched off. With the Professional record off they still log in, and get what a
# professional without the case gets: 404 for the case and every write on it (403 for the
# coordinator's pages, refused before any case is fetched), and no case in any list. With the
# login account off the session no longer counts: they are answered as anonymous.
DEACTIVATED_CASE_URLS = sorted(
    name
    for name, rules in RULES.items()
    if name.startswith("cases:") and "professional_other" in rules
)
DEACTIVATED_LIST_URLS = ["cases:case_list", "cases:my_cases", "cases:queue", "cases:dashboard"]
DEACTIVATED_WRITE_URLS = sorted(
    name for name, rules in WRITE_RULES.items() if "professional_other" in rules
)


def deactivate_owner(world, how: str):
    owner = world["case"].professional
    if how == "record":
        owner.is_active = False
        owner.save()
    else:
        owner.user.is_active = False
        owner.user.save()
    return owner.user


@pytest.mark.parametrize("how", ["record", "account"])
@pytest.mark.parametrize("name", DEACTIVATED_CASE_URLS + DEACTIVATED_LIST_URLS)
def test_deactivated_professional_reads_nothing(client, world, name, how):
    client.force_login(deactivate_owner(world, how))

    response = client.get(url_for(name, world))

    rules = RULES[name]
    expected = rules["anonymous"] if how == "account" else rules.get("professional_other", 403)
    assert response.status_code == expected, (name, how)
    assert world["case"].number not in response.content.decode()


@pytest.mark.parametrize("how", ["record", "account"])
@pytest.mark.parametrize("name", DEACTIVATED_WRITE_URLS)
def test_deactivated_professional_writes_nothing(client, world, name, how):
    client.force_login(deactivate_owner(world, how))
    version = world["case"].version

    response = client.post(url_for(name, world), {})

    rules = WRITE_RULES[name]
    expected = rules["anonymous"] if how == "account" else rules["professional_other"]
    assert response.status_code == expected, (name, how)
    world["case"].refresh_from_db()
    assert world["case"].version == version
