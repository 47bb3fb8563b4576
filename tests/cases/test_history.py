"""Change history (django-auditlog): before and after values for every write of case data,
through the real services, with the actor and address of the request, read-only in the admin.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.auth.models import Group
from django.urls import reverse

from cases import history, imports
from cases.constants import AssignmentReason, CaseSource, OutcomeCategory, PlanOwner, Stage
from cases.history import TRACKED_MODELS
from cases.models import (
    Assignment,
    Case,
    Child,
    Contact,
    Guardian,
    Household,
    HouseholdPlan,
    Outcome,
    PlanAction,
    PlanGoal,
)
from cases.services import (
    case_assign,
    case_close,
    case_refer_to_halt,
    case_reopen,
    child_register,
    contact_log,
    household_register,
    plan_action_add,
    plan_action_set_done,
    plan_goal_add,
    referral_register,
)
from evaluation.constants import Arm
from professionals.constants import StaffGroup
from roles.constants import ChainRole, Channel, ContactKind, ContactWith
from tests.cases.test_imports import csv_bytes, melding
from tests.factories import (
    CaseFactory,
    ChildFactory,
    GuardianFactory,
    ProfessionalFactory,
    SchoolFactory,
    UserFactory,
    valid_bsn,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 3, 16)
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)
NOW_UTC_TEXT = "2026-03-16 11:00:00"  # auditlog stores datetimes as naive UTC

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def case(professional):
    """An open BIP-arm Leerplicht case of a 14-year-old, 20 hours absent, held by the BIP."""
    return CaseFactory(
        professional=professional,
        arm=Arm.BIP,
        child=ChildFactory(date_of_birth=datetime.date(2011, 6, 1)),
        date_received=TODAY - datetime.timedelta(days=30),
        hours_absent=20,
    )


def entries(obj, action=None):
    found = LogEntry.objects.get_for_object(obj).order_by("pk")
    return found if action is None else found.filter(action=action)


def last_change(obj) -> dict:
    """The changes of the object's newest history entry, as {field: [before, after]}."""
    return entries(obj).last().changes_dict


def test_every_listed_model_is_tracked_without_the_noisy_fields():
    for model in (
        Case,
        Child,
        Household,
        Guardian,
        Contact,
        HouseholdPlan,
        PlanGoal,
        PlanAction,
        Assignment,
        Outcome,
    ):
        assert auditlog.contains(model), model
    assert set(TRACKED_MODELS) == set(auditlog.get_models()) & set(TRACKED_MODELS)
    case_fields = auditlog.get_model_fields(Case)["include_fields"]
    assert "status" in case_fields
    assert not {"version", "updated_at", "arm"} & set(case_fields)


# --- Each service writes before and after values ---------------------------------------------


def test_registering_a_referral_records_the_new_household_child_and_case(coordinator):
    school = SchoolFactory()
    household = household_register(street="Kruisstraat 1", postcode="2011AB", city="Haarlem")
    bsn = valid_bsn(4242)
    child = child_register(
        first_name="Noor",
        last_name="Bakker",
        date_of_birth=datetime.date(2012, 5, 1),
        bsn=bsn,
        onderwijsnummer=None,
        school=school,
        household=household,
    )
    case = referral_register(
        actor=coordinator,
        child=child,
        date_received=TODAY - datetime.timedelta(days=3),
        source=CaseSource.DUO,
        melding_type="16_uur",
        hours_absent=18,
        times_late=0,
        period_start=TODAY - datetime.timedelta(days=30),
        period_end=TODAY - datetime.timedelta(days=5),
    )
    assert entries(household, LogEntry.Action.CREATE).get().changes_dict["street"] == [
        "None",
        "Kruisstraat 1",
    ]
    child_changes = entries(child, LogEntry.Action.CREATE).get().changes_dict
    assert child_changes["bsn"] == ["None", bsn]
    assert child_changes["last_name"] == ["None", "Bakker"]
    assert child_changes["household"] == ["None", str(household.pk)]
    case_changes = entries(case, LogEntry.Action.CREATE).get().changes_dict
    assert case_changes["number"] == ["None", case.number]
    assert case_changes["status"] == ["None", "open"]
    assert "arm" not in case_changes and "version" not in case_changes
    # The drawn arm is written by evaluation.services._case_arm_write: its own history entry.
    case.refresh_from_db()
    arm_entry = entries(case, LogEntry.Action.UPDATE).get()
    assert arm_entry.changes_dict == {"arm": ["None", case.arm]}
    assert arm_entry.actor == coordinator
    assert entries(case).count() == 2


def test_logging_a_contact_records_it(case, professional):
    contact = contact_log(
        case=case,
        professional=professional,
        role=ChainRole.LEERPLICHT,
        kind=ContactKind.VERZUIMGESPREK,
        with_whom=ContactWith.PUPIL_AND_PARENTS,
        channel=Channel.IN_PERSON,
        occurred_at=NOW - datetime.timedelta(hours=2),
        duration_minutes=45,
        summary="Moeder vertelt dat de bus niet meer rijdt.",
    )
    changes = entries(contact, LogEntry.Action.CREATE).get().changes_dict
    assert changes["summary"] == ["None", "Moeder vertelt dat de bus niet meer rijdt."]
    assert changes["role"] == ["None", ChainRole.LEERPLICHT]
    assert changes["occurred_at"] == ["None", "2026-03-16 09:00:00"]
    assert changes["case"] == ["None", str(case.pk)]


def test_a_handover_records_the_end_of_the_old_assignment_and_the_new_professional(
    case, professional, coordinator
):
    first = Assignment.objects.get(case=case)
    successor = ProfessionalFactory(bip=True)
    new = case_assign(
        case=case,
        professional=successor,
        actor=coordinator,
        reason=AssignmentReason.WORKLOAD,
        note="Collega heeft ruimte.",
        expected_version=case.version,
        notify=False,
    )
    # The old assignment's end: a save(), not a QuerySet.update() that history cannot see.
    assert last_change(first) == {"ended_at": ["None", NOW_UTC_TEXT]}
    new_changes = entries(new, LogEntry.Action.CREATE).get().changes_dict
    assert new_changes["professional"] == ["None", str(successor.pk)]
    assert new_changes["is_handover"] == ["None", "True"]
    assert new_changes["note"] == ["None", "Collega heeft ruimte."]
    assert last_change(case) == {"professional": [str(professional.pk), str(successor.pk)]}


def test_chain_steps_record_the_stage_and_status_before_and_after(case, professional, coordinator):
    actor = professional.user
    case_refer_to_halt(
        case=case,
        actor=actor,
        reason="Leerling wil meewerken.",
        pupil_consent=True,
        parent_consent=True,
        expected_version=case.version,
    )
    assert last_change(case) == {"stage": [Stage.LEERPLICHT, Stage.HALT]}

    case = CaseFactory(professional=professional, date_received=TODAY - datetime.timedelta(days=40))
    case_close(
        case=case,
        actor=actor,
        category=OutcomeCategory.BACK_TO_SCHOOL,
        achieved_on=TODAY - datetime.timedelta(days=1),
        reason="Weer naar school.",
        expected_version=case.version,
    )
    assert last_change(case) == {"status": ["open", "closed"], "closed_on": ["None", "2026-03-16"]}
    outcome = Outcome.objects.get(case=case)
    assert entries(outcome, LogEntry.Action.CREATE).get().changes_dict["category"] == [
        "None",
        OutcomeCategory.BACK_TO_SCHOOL,
    ]

    case.refresh_from_db()
    case_reopen(
        case=case, actor=coordinator, reason="Nieuwe melding.", expected_version=case.version
    )
    assert last_change(case) == {"status": ["closed", "open"], "closed_on": ["2026-03-16", "None"]}


def test_plan_changes_record_goals_and_actions_but_not_version_bumps(case, professional):
    actor = professional.user
    goal = plan_goal_add(case=case, actor=actor, description="Weer elke dag naar school.")
    plan = HouseholdPlan.objects.get(household_id=case.child.household_id)
    assert entries(goal, LogEntry.Action.CREATE).get().changes_dict["description"] == [
        "None",
        "Weer elke dag naar school.",
    ]
    action = plan_action_add(
        case=case,
        actor=actor,
        description="Ouders bellen de mentor.",
        owner=PlanOwner.PARENTS,
        due_on=TODAY + datetime.timedelta(days=7),
        goal=goal,
    )
    created = entries(action, LogEntry.Action.CREATE).get().changes_dict
    assert created["goal"] == ["None", str(goal.pk)]
    assert created["due_on"] == ["None", "2026-03-23"]
    plan.refresh_from_db()
    plan_action_set_done(
        case=case, actor=actor, action=action, done=True, on=TODAY, expected_version=plan.version
    )
    assert last_change(action) == {"done_on": ["None", "2026-03-16"]}
    # The plan itself was created once; its version bumps are not history.
    assert list(entries(plan).values_list("action", flat=True)) == [LogEntry.Action.CREATE]


def test_a_plain_save_records_before_and_after_and_delete_records_the_last_values():
    guardian = GuardianFactory(name="Karin Smit", phone="023-5551234")
    guardian.phone = "06-12345678"
    guardian.save()
    assert last_change(guardian) == {"phone": ["023-5551234", "06-12345678"]}
    pk = guardian.pk
    guardian.delete()
    deleted = LogEntry.objects.get(
        content_type__model="guardian", object_pk=str(pk), action=LogEntry.Action.DELETE
    )
    assert deleted.changes_dict["name"] == ["Karin Smit", "None"]


# PostgreSQL gets many entries by COPY and a few by INSERT: both must write what a save would.
@pytest.mark.parametrize("copy_from_rows", [1, 1000], ids=["copy", "insert"])
def test_the_bulk_import_writes_the_same_created_entries_as_a_save_would(
    coordinator, monkeypatch, copy_from_rows
):
    monkeypatch.setattr(history, "COPY_FROM_ROWS", copy_from_rows)
    SchoolFactory(brin="12KL", level="vo")
    batch = imports.import_preview_create(
        content=csv_bytes([melding(), melding(straat="Kruisstraat 1")]),
        file_name="m.csv",
        actor=coordinator,
    )
    imports.import_confirm(batch=batch, actor=coordinator)

    assert Case.objects.count() == 2
    household = Household.objects.get()
    for obj in (household, *Child.objects.all(), *Case.objects.all()):
        entry = entries(obj, LogEntry.Action.CREATE).get()
        expected = model_instance_diff(None, type(obj).objects.get(pk=obj.pk))
        # auditlog records an empty datetime as "None -> None"; the bulk path leaves that out.
        assert entry.changes_dict == {
            field: list(pair) for field, pair in expected.items() if pair[0] != pair[1]
        }
        assert (entry.actor, entry.actor_email) == (coordinator, coordinator.email)
        assert entry.timestamp == NOW
        assert entry.remote_addr is None  # not in a request
        assert entry.object_id == obj.pk
        assert entry.object_repr == str(obj)
    child = Child.objects.first()
    assert entries(child).get().changes_dict["last_name"] == ["None", "Bakker"]


# --- The request sets the actor and the address ----------------------------------------------


def contact_form() -> dict:
    return {
        "role": ChainRole.LEERPLICHT,
        "kind": ContactKind.VERZUIMGESPREK,
        "with_whom": ContactWith.PUPIL_AND_PARENTS,
        "channel": Channel.IN_PERSON,
        "occurred_on": "2026-03-16",
        "occurred_time": "10:30",
        "duration_minutes": "45",
        "summary": "Vader belt terug.",
        "follow_up_on": "",
    }


def test_a_change_through_a_view_records_who_made_it_and_from_where(client, professional, case):
    client.force_login(professional.user)
    response = client.post(
        reverse("cases:contact_create", args=[case.pk]),
        contact_form(),
        # A client-supplied X-Forwarded-For is not trusted without REVERSE_PROXY_COUNT.
        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Port": "4444"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get(case=case)
    entry = entries(contact).get()
    assert entry.actor == professional.user
    assert entry.remote_addr == "127.0.0.1"
    assert entry.remote_port is None
    assert entry.changes_dict["summary"] == ["None", "Vader belt terug."]


def test_behind_a_trusted_proxy_the_forwarded_address_is_recorded(
    client, professional, case, settings
):
    settings.REVERSE_PROXY_COUNT = 1
    client.force_login(professional.user)
    client.post(
        reverse("cases:contact_create", args=[case.pk]),
        contact_form(),
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
    )
    assert entries(Contact.objects.get(case=case)).get().remote_addr == "203.0.113.9"


def test_an_import_confirmed_through_the_view_records_the_coordinator(
    client, coordinator, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    SchoolFactory(brin="12KL", level="vo")
    batch = imports.import_preview_create(
        content=csv_bytes([melding()]), file_name="m.csv", actor=coordinator
    )
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):  # the confirm task runs
        client.post(reverse("cases:import_confirm", args=[batch.pk]))
    entry = entries(Case.objects.get()).get()
    assert (entry.actor, entry.remote_addr) == (coordinator, "127.0.0.1")


def test_a_finished_request_leaves_no_actor_or_address_behind(
    client, professional, case, coordinator
):
    client.force_login(professional.user)
    client.post(reverse("cases:contact_create", args=[case.pk]), contact_form())
    SchoolFactory(brin="12KL", level="vo")
    batch = imports.import_preview_create(
        content=csv_bytes([melding()]), file_name="m.csv", actor=coordinator
    )
    imports.import_confirm(batch=batch, actor=coordinator)  # outside a request, same thread
    imported = Case.objects.exclude(pk=case.pk).get()
    entry = entries(imported).get()
    assert (entry.actor, entry.remote_addr) == (coordinator, None)


def test_a_change_outside_a_request_has_no_actor(case, professional):
    plan_goal_add(case=case, actor=professional.user, description="Doel")
    assert entries(PlanGoal.objects.get()).get().actor is None


# --- The functional administrator reads it in the admin; nobody changes it ---------------------


@pytest.fixture
def history_entry():
    GuardianFactory(name="Karin Smit")
    return LogEntry.objects.get(content_type__model="guardian")


def test_the_administrator_group_may_view_the_history():
    group = Group.objects.get(name=StaffGroup.ADMINISTRATOR)
    assert group.permissions.filter(
        content_type__app_label="auditlog", codename="view_logentry"
    ).exists()
    assert not group.permissions.filter(
        content_type__app_label="auditlog", codename__in=["change_logentry", "delete_logentry"]
    ).exists()


def test_the_administrator_reads_the_history_in_the_admin(client, administrator, history_entry):
    client.force_login(administrator)
    listing = client.get(reverse("admin:auditlog_logentry_changelist"))
    assert listing.status_code == 200
    assert "Karin Smit" in listing.text
    detail = client.get(reverse("admin:auditlog_logentry_change", args=[history_entry.pk]))
    assert detail.status_code == 200
    assert "Karin Smit" in detail.text


@pytest.mark.parametrize("who", ["administrator", "superuser"])
def test_nobody_adds_changes_or_deletes_history_in_the_admin(client, request, who, history_entry):
    user = (
        request.getfixturevalue("administrator")
        if who == "administrator"
        else UserFactory(is_staff=True, is_superuser=True)
    )
    client.force_login(user)
    change_url = reverse("admin:auditlog_logentry_change", args=[history_entry.pk])
    delete_url = reverse("admin:auditlog_logentry_delete", args=[history_entry.pk])
    assert client.get(reverse("admin:auditlog_logentry_add")).status_code == 403
    assert client.post(change_url, {"object_repr": "gewist"}).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse("admin:auditlog_logentry_changelist"),
        {"action": "delete_selected", "_selected_action": [history_entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302, 403)
    history_entry.refresh_from_db()
    assert history_entry.object_repr == "Karin Smit (Moeder)"
    assert LogEntry.objects.filter(pk=history_entry.pk).exists()


def test_the_professional_does_not_reach_the_history(client, professional, history_entry):
    client.force_login(professional.user)
    response = client.get(reverse("admin:auditlog_logentry_changelist"))
    assert response.status_code in (302, 403)
