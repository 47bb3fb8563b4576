"""The household plan on the case page: goals, actions, marking an action done.

Each test checks the response, then the plan rows (refresh_from_db), then the PlanChange
history row that every case of the household shows in its timeline.
"""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases.constants import PlanChangeKind, PlanOwner
from cases.models import HouseholdPlan, PlanAction, PlanChange, PlanGoal
from tests.factories import (
    CaseFactory,
    ChildFactory,
    HouseholdPlanFactory,
    PlanActionFactory,
    PlanGoalFactory,
    ProfessionalFactory,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 3, 16)
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)
CONFLICT = "Iemand anders heeft deze zaak gewijzigd"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(NOW, tick=False):
        yield TODAY


@pytest.fixture
def case(professional):
    return CaseFactory(professional=professional)


@pytest.fixture
def plan(case):
    return HouseholdPlanFactory(household=case.child.household)


@pytest.fixture
def action(plan):
    return PlanActionFactory(plan=plan, description="Wekker kopen", owner=PlanOwner.PARENTS)


def field_error(response, name: str) -> str:
    match = re.search(rf'id="id_{name}_error">(.*?)</div>', response.text, re.S)
    return match.group(1) if match else ""


def done_url(case, action) -> str:
    return reverse("cases:plan_action_done", args=[case.pk, action.pk])


HTMX = {"HX-Request": "true"}


# Goals


def test_add_goal(client, professional, case):
    client.force_login(professional.user)
    response = client.post(
        reverse("cases:plan_goal_create", args=[case.pk]),
        {"description": "Elke dag op tijd op school"},
    )
    assert response.status_code == 302
    assert response.url == f"{case.get_absolute_url()}#plan"

    plan = HouseholdPlan.objects.get(household=case.child.household)
    goal = PlanGoal.objects.get(plan=plan)
    assert goal.description == "Elke dag op tijd op school"
    assert goal.position == 1
    assert plan.version == 2
    change = PlanChange.objects.get(plan=plan)
    assert change.kind == PlanChangeKind.GOAL_ADDED
    assert change.description == "Elke dag op tijd op school"
    assert change.actor == professional.user

    page = client.get(case.get_absolute_url())
    assert "Doel toegevoegd aan het gezinsplan." in page.text
    assert "Gezinsplan: doel toegevoegd" in page.text


@pytest.mark.parametrize("description", ["", "   "])
def test_empty_goal_is_refused(client, professional, case, description):
    client.force_login(professional.user)
    response = client.post(
        reverse("cases:plan_goal_create", args=[case.pk]), {"description": description}
    )
    assert response.status_code == 422
    assert "Dit veld is verplicht." in field_error(response, "description")
    assert not PlanGoal.objects.exists()
    assert not PlanChange.objects.exists()


def test_plan_change_shows_in_the_timeline_of_a_siblings_case(client, professional, case):
    """One household, one plan: the sibling's professional sees the change on their case."""
    colleague = ProfessionalFactory(user__username="collega-halt")
    sibling_case = CaseFactory(
        professional=colleague, child=ChildFactory(household=case.child.household)
    )
    client.force_login(professional.user)
    client.post(
        reverse("cases:plan_goal_create", args=[case.pk]),
        {"description": "Huiswerkbegeleiding regelen"},
    )
    change = PlanChange.objects.get()

    client.force_login(colleague.user)
    page = client.get(sibling_case.get_absolute_url())
    assert page.status_code == 200
    timeline = page.text.split('<div id="timeline">')[1].split("</section>")[0]
    assert f'id="plan-{change.pk}"' in timeline
    assert "Gezinsplan: doel toegevoegd" in timeline
    assert "Huiswerkbegeleiding regelen" in timeline


# Actions


def action_data(**overrides) -> dict:
    values = {
        "description": "Gesprek met mentor plannen",
        "goal": "",
        "owner": PlanOwner.PROFESSIONAL,
        "owner_professional": "",
        "due_on": "2026-03-30",
    }
    values.update(overrides)
    return values


def test_add_action_with_a_professional_as_owner(client, professional, case):
    client.force_login(professional.user)
    response = client.post(
        reverse("cases:plan_action_create", args=[case.pk]),
        action_data(owner_professional=professional.pk),
    )
    assert response.status_code == 302
    action = PlanAction.objects.get()
    assert action.owner == PlanOwner.PROFESSIONAL
    assert action.owner_professional == professional
    assert action.due_on == datetime.date(2026, 3, 30)
    assert action.plan.household == case.child.household
    assert PlanChange.objects.get().kind == PlanChangeKind.ACTION_ADDED


def test_action_owned_by_a_professional_needs_that_professional(client, professional, case):
    client.force_login(professional.user)
    response = client.post(reverse("cases:plan_action_create", args=[case.pk]), action_data())
    assert response.status_code == 422
    assert "Kies welke professional de actie uitvoert." in field_error(
        response, "owner_professional"
    )
    assert "Gesprek met mentor plannen" in response.text
    assert not PlanAction.objects.exists()
    assert not PlanChange.objects.exists()


def test_action_owner_must_work_with_the_household(client, professional, case):
    stranger = ProfessionalFactory(user__username="onbekend")
    client.force_login(professional.user)
    response = client.post(
        reverse("cases:plan_action_create", args=[case.pk]),
        action_data(owner_professional=stranger.pk),
    )
    assert response.status_code == 422
    assert field_error(response, "owner_professional")
    assert not PlanAction.objects.exists()


def test_a_deactivated_sibling_professional_is_no_owner(client, professional, case):
    """A professional who no longer works cannot be given an action, even on a sibling's case."""
    sibling = ChildFactory(household=case.child.household)
    gone = ProfessionalFactory(user__username="vertrokken", inactive=True)
    CaseFactory(child=sibling, professional=gone)
    client.force_login(professional.user)

    form_page = client.get(reverse("cases:plan_action_create", args=[case.pk]))
    response = client.post(
        reverse("cases:plan_action_create", args=[case.pk]),
        action_data(owner_professional=gone.pk),
    )

    assert f'value="{gone.pk}"' not in form_page.text
    assert response.status_code == 422
    assert field_error(response, "owner_professional")
    assert not PlanAction.objects.exists()


# Marking an action done


def test_mark_done_with_htmx_returns_the_plan_fragment(client, professional, case, plan, action):
    client.force_login(professional.user)
    response = client.post(
        done_url(case, action), {"done": "on", "version": plan.version}, headers=HTMX
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.startswith('<div id="household-plan">')
    assert "Afgerond op 16 mrt. 2026" in response.text

    version = plan.version
    action.refresh_from_db()
    plan.refresh_from_db()
    assert action.done_on == TODAY
    assert plan.version == version + 1
    assert f'name="version" value="{plan.version}"' in response.text
    change = PlanChange.objects.get(plan=plan)
    assert change.kind == PlanChangeKind.ACTION_DONE
    assert change.description == "Wekker kopen"
    assert change.actor == professional.user


def test_mark_done_with_htmx_updates_the_timeline_and_clears_old_banners(
    client, professional, case, plan, action
):
    """Issue 14, #6: after the swap the whole visible state is consistent."""
    client.force_login(professional.user)
    response = client.post(
        done_url(case, action), {"done": "on", "version": plan.version}, headers=HTMX
    )
    plan_part, _, out_of_band = response.text.partition('<div id="timeline" hx-swap-oob="true">')
    assert out_of_band, "no out-of-band timeline"
    assert 'role="status"' in plan_part
    assert "Actie afgerond." in plan_part
    assert "Wekker kopen" in out_of_band  # the new plan change in the timeline
    assert '<div class="kk-messages" id="messages" hx-swap-oob="true"></div>' in out_of_band

    response = client.post(done_url(case, action), {"version": plan.version + 1}, headers=HTMX)
    assert "Actie heropend." in response.text


def test_mark_done_with_a_stale_version_is_409_and_changes_nothing(
    client, professional, case, plan, action
):
    stale = plan.version
    plan.version += 1  # someone else changed the plan after this page was loaded
    plan.save()
    client.force_login(professional.user)
    response = client.post(done_url(case, action), {"done": "on", "version": stale}, headers=HTMX)
    assert response.status_code == 409
    assert CONFLICT in response.text
    assert "Afgerond op" not in response.text
    assert "hx-swap-oob" not in response.text  # nothing changed elsewhere either
    # The fragment carries the current version, so the user can try again.
    assert f'name="version" value="{stale + 1}"' in response.text

    action.refresh_from_db()
    plan.refresh_from_db()
    assert action.done_on is None
    assert plan.version == stale + 1
    assert not PlanChange.objects.exists()


def test_mark_done_without_htmx_redirects_to_the_plan(client, professional, case, plan, action):
    client.force_login(professional.user)
    response = client.post(done_url(case, action), {"done": "on", "version": plan.version})
    assert response.status_code == 302
    assert response.url == f"{case.get_absolute_url()}#plan"
    action.refresh_from_db()
    assert action.done_on == TODAY
    assert "Gezinsplan bijgewerkt." in client.get(response.url).text


def test_action_of_another_household_is_404(client, professional, case, plan):
    elsewhere = PlanActionFactory()  # another household's plan
    client.force_login(professional.user)
    response = client.post(
        done_url(case, elsewhere),
        {"done": "on", "version": elsewhere.plan.version},
        headers=HTMX,
    )
    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.done_on is None
    assert not PlanChange.objects.exists()


# Changing a goal or an action


def goal_edit_url(case, goal) -> str:
    return reverse("cases:plan_goal_edit", args=[case.pk, goal.pk])


def action_edit_url(case, action) -> str:
    return reverse("cases:plan_action_edit", args=[case.pk, action.pk])


def test_the_plan_links_to_changing_each_goal_and_action(client, professional, case, action):
    goal = PlanGoalFactory(plan=action.plan, description="Op tijd komen")
    client.force_login(professional.user)
    page = client.get(case.get_absolute_url()).text
    assert f'href="{goal_edit_url(case, goal)}"' in page
    assert f'href="{action_edit_url(case, action)}"' in page
    # The link names its goal or action for a screen reader.
    assert 'Wijzigen<span class="kk-visually-hidden">: Op tijd komen</span>' in page


def test_change_goal_form_is_filled_and_saves_the_new_text(client, professional, case, plan):
    goal = PlanGoalFactory(plan=plan, description="Op tijd komen")
    client.force_login(professional.user)

    form = client.get(goal_edit_url(case, goal))
    assert form.status_code == 200
    assert 'value="Op tijd komen"' in form.text
    assert f'name="version" value="{plan.version}"' in form.text

    response = client.post(
        goal_edit_url(case, goal),
        {"description": "Elke dag op tijd komen", "version": plan.version},
    )
    assert response.status_code == 302
    assert response.url == f"{case.get_absolute_url()}#plan"
    goal.refresh_from_db()
    assert goal.description == "Elke dag op tijd komen"
    change = PlanChange.objects.get()
    assert (change.kind, change.actor) == (PlanChangeKind.GOAL_CHANGED, professional.user)
    page = client.get(case.get_absolute_url()).text
    assert "Doel gewijzigd in het gezinsplan." in page
    assert "Gezinsplan: doel gewijzigd" in page


def test_change_goal_on_a_stale_version_keeps_the_input_and_takes_the_new_version(
    client, professional, case, plan
):
    goal = PlanGoalFactory(plan=plan, description="Op tijd komen")
    stale = plan.version
    HouseholdPlan.objects.filter(pk=plan.pk).update(version=stale + 1)  # someone else saved
    client.force_login(professional.user)

    response = client.post(
        goal_edit_url(case, goal), {"description": "Mijn nieuwe tekst", "version": stale}
    )
    assert response.status_code == 422
    assert CONFLICT in response.text
    assert 'value="Mijn nieuwe tekst"' in response.text
    assert f'name="version" value="{stale + 1}"' in response.text
    goal.refresh_from_db()
    assert goal.description == "Op tijd komen"

    again = client.post(
        goal_edit_url(case, goal), {"description": "Mijn nieuwe tekst", "version": stale + 1}
    )
    assert again.status_code == 302
    goal.refresh_from_db()
    assert goal.description == "Mijn nieuwe tekst"


def test_change_goal_to_empty_is_refused(client, professional, case, plan):
    goal = PlanGoalFactory(plan=plan, description="Op tijd komen")
    client.force_login(professional.user)
    response = client.post(goal_edit_url(case, goal), {"description": " ", "version": 1})
    assert response.status_code == 422
    assert "Dit veld is verplicht." in field_error(response, "description")
    goal.refresh_from_db()
    assert goal.description == "Op tijd komen"
    assert not PlanChange.objects.exists()


def test_change_action_form_is_filled_and_saves_every_field(client, professional, case, action):
    goal = PlanGoalFactory(plan=action.plan, description="Op tijd komen")
    client.force_login(professional.user)

    form = client.get(action_edit_url(case, action))
    assert form.status_code == 200
    assert 'value="Wekker kopen"' in form.text
    assert f'value="{action.due_on:%Y-%m-%d}"' in form.text
    assert f'<option value="{PlanOwner.PARENTS}" selected>' in form.text

    response = client.post(
        action_edit_url(case, action),
        action_data(
            description="Mentor belt de ouders",
            goal=goal.pk,
            owner_professional=professional.pk,
            version=action.plan.version,
        ),
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.description == "Mentor belt de ouders"
    assert (action.goal, action.owner, action.owner_professional) == (
        goal,
        PlanOwner.PROFESSIONAL,
        professional,
    )
    assert action.due_on == datetime.date(2026, 3, 30)
    assert PlanChange.objects.get().kind == PlanChangeKind.ACTION_CHANGED


def test_change_action_with_errors_keeps_the_input(client, professional, case, action):
    client.force_login(professional.user)
    response = client.post(
        action_edit_url(case, action),
        action_data(description="Nieuwe tekst", due_on="2026-02-30", version=action.plan.version),
    )
    assert response.status_code == 422
    assert field_error(response, "due_on")
    assert 'value="Nieuwe tekst"' in response.text
    action.refresh_from_db()
    assert action.description == "Wekker kopen"
    assert not PlanChange.objects.exists()


def test_goal_or_action_of_another_household_cannot_be_changed(client, professional, case, plan):
    elsewhere_action = PlanActionFactory(description="Van een ander gezin")
    elsewhere_goal = PlanGoalFactory(plan=elsewhere_action.plan, description="Ander doel")
    client.force_login(professional.user)
    for url, data in (
        (action_edit_url(case, elsewhere_action), action_data(version=1)),
        (goal_edit_url(case, elsewhere_goal), {"description": "x", "version": 1}),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, data).status_code == 404
    elsewhere_action.refresh_from_db()
    elsewhere_goal.refresh_from_db()
    assert (elsewhere_action.description, elsewhere_goal.description) == (
        "Van een ander gezin",
        "Ander doel",
    )
    assert not PlanChange.objects.exists()


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("cases:plan_goal_create", "put"),
        ("cases:plan_goal_create", "delete"),
        ("cases:plan_action_create", "put"),
        ("cases:plan_action_create", "delete"),
        ("cases:plan_action_done", "get"),
        ("cases:plan_action_done", "put"),
    ],
)
def test_wrong_method_is_405(client, professional, case, action, name, method):
    client.force_login(professional.user)
    args = [case.pk, action.pk] if name == "cases:plan_action_done" else [case.pk]
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 405
    assert not PlanChange.objects.exists()
