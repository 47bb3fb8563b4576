"""The functional administrator's pages: the log with its filters, a child's access, finding a
child by BSN without the BSN ever reaching a URL."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from audit.constants import Action, ObjectType
from audit.models import AccessLogEntry
from tests.factories import CaseFactory, ChildFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]

NOW = datetime.datetime(2026, 3, 16, 11, 0, tzinfo=datetime.UTC)
LOG = reverse("audit:log")


def listed(response) -> list[int]:
    return [entry.pk for entry in response.context["page"].object_list]


@pytest.mark.parametrize("role", ["coordinator", "professional", "researcher"])
@pytest.mark.parametrize(
    "url",
    [LOG, reverse("audit:find_child"), reverse("audit:child_access", args=[1])],
)
def test_only_the_functional_administrator(client, request, role, url):
    user = request.getfixturevalue(role)
    client.force_login(getattr(user, "user", user))
    assert client.get(url).status_code == 403


def test_superuser_may_read_the_log(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.get(LOG).status_code == 200


def test_log_lists_newest_first_and_is_logged_itself(admin_client, make_entry, professional):
    with time_machine.travel(NOW - datetime.timedelta(days=1)):
        older = make_entry(actor=professional.user)
    newer = make_entry(actor=professional.user)
    response = admin_client.get(LOG)
    assert response.status_code == 200
    assert listed(response) == [newer.pk, older.pk]
    assert "bip" in response.text
    own = AccessLogEntry.objects.newest_first().first()
    assert (own.action, own.object_type, own.actor_username) == (
        Action.SEARCH,
        ObjectType.ACCESS_LOG,
        "beheer",
    )


def test_filters_by_person_child_case_action_and_period(
    admin_client, make_entry, professional, coordinator
):
    case = CaseFactory()
    with time_machine.travel(datetime.datetime(2026, 1, 10, 9, 0, tzinfo=datetime.UTC)):
        january = make_entry(actor=coordinator, action=Action.SEARCH)
    with time_machine.travel(datetime.datetime(2026, 2, 10, 9, 0, tzinfo=datetime.UTC)):
        by_professional = make_entry(
            actor=professional.user, case_id=case.pk, child_id=case.child_id
        )
        change = make_entry(actor=coordinator, action=Action.CHANGE, child_id=99)

    def only(**params):
        response = admin_client.get(LOG, params)
        assert response.status_code == 200
        return {pk for pk in listed(response) if pk in {january.pk, by_professional.pk, change.pk}}

    assert only(gebruiker="bip") == {by_professional.pk}
    assert only(kind=case.child_id) == {by_professional.pk}
    assert only(zaak=case.number) == {by_professional.pk}
    assert only(actie="change") == {change.pk}
    assert only(van="2026-02-01", tot="2026-02-28") == {by_professional.pk, change.pk}
    assert only(tot="2026-01-10") == {january.pk}  # "tot en met": the whole last day


def test_bad_filters_are_explained_with_a_4xx(admin_client):
    response = admin_client.get(LOG, {"zaak": "abc", "van": "2026-02-10", "tot": "2026-02-01"})
    assert response.status_code == 422
    assert "zaaknummer" in response.text
    assert "De einddatum ligt vóór de begindatum." in response.text
    assert response.context["form"]["zaak"].value() == "abc"


def test_log_query_count_does_not_grow(admin_client, make_entry, django_assert_max_num_queries):
    def build(n):
        for _ in range(n):
            make_entry(actor=UserFactory(), child_id=1, case_id=2)

    build(3)
    admin_client.get(LOG)
    with django_assert_max_num_queries(10) as small:
        admin_client.get(LOG, {"kind": 1, "actie": "read"})
    build(40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = admin_client.get(LOG, {"kind": 1, "actie": "read"})
    assert len(response.context["page"].object_list) == 25


def test_find_child_by_bsn_goes_to_its_page_without_the_bsn_in_the_url(admin_client):
    child = ChildFactory()
    response = admin_client.post(reverse("audit:find_child"), {"nummer": child.bsn})
    assert response.status_code == 302
    assert response.url == reverse("audit:child_access", args=[child.pk])
    assert child.bsn not in response.url
    response = admin_client.post(
        reverse("audit:find_child"),
        {"nummer": f" {child.bsn[:4]} {child.bsn[4:]}", "doel": "inzage"},
    )
    assert response.url == reverse("audit:inzage", args=[child.pk])
    search = AccessLogEntry.objects.filter(url_name="audit:find_child").first()
    assert search.action == Action.SEARCH
    assert search.details["params"]["nummer"] == "***"
    assert child.bsn not in str(search.details)


def test_find_child_by_onderwijsnummer(admin_client):
    child = ChildFactory(bsn=None, onderwijsnummer="101234567")
    response = admin_client.post(reverse("audit:find_child"), {"nummer": "101234567"})
    assert response.url == reverse("audit:child_access", args=[child.pk])


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("123", "Vul negen cijfers in, of een zaaknummer zoals 2025-000123."),
        ("", "Dit veld is verplicht."),
        ("123456782", "Er is geen kind met dit BSN, onderwijsnummer of zaaknummer."),
    ],
)
def test_find_child_explains_what_is_wrong(admin_client, number, message):
    response = admin_client.post(reverse("audit:find_child"), {"nummer": number})
    assert response.status_code == 422
    assert message in response.text
    assert response.context["form"]["nummer"].value() == number


def test_find_child_refuses_other_methods(admin_client):
    assert admin_client.delete(reverse("audit:find_child")).status_code == 405


def test_child_access_shows_who_looked_per_person_and_via_a_sibling(
    admin_client, make_entry, professional, coordinator
):
    child = ChildFactory(first_name="Noor")
    sibling = ChildFactory(household=child.household)
    with time_machine.travel(datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)):
        make_entry(actor=professional.user, child_id=child.pk, household_id=child.household_id)
    with time_machine.travel(datetime.datetime(2026, 2, 5, 9, 0, tzinfo=datetime.UTC)):
        make_entry(actor=professional.user, child_id=child.pk, household_id=child.household_id)
        make_entry(actor=coordinator, child_id=sibling.pk, household_id=child.household_id)
        make_entry(actor=coordinator, child_id=12345)  # another child
    response = admin_client.get(reverse("audit:child_access", args=[child.pk]))
    assert response.status_code == 200
    [row] = response.context["summary"]
    assert row["actor_username"] == "bip" and row["count"] == 2
    assert row["first"].month == 1 and row["last"].month == 2
    [via] = response.context["household_summary"]
    assert via["actor_username"] == "coord"
    assert len(response.context["page"].object_list) == 2
    assert "Noor" in response.text


def test_child_access_of_a_child_no_longer_stored(admin_client, make_entry, professional):
    make_entry(actor=professional.user, child_id=424242, household_id=77)
    response = admin_client.get(reverse("audit:child_access", args=[424242]))
    assert response.status_code == 200
    assert "Niet meer in het systeem" in response.text
    assert admin_client.get(reverse("audit:child_access", args=[515151])).status_code == 404


def test_child_access_query_count_does_not_grow(
    admin_client, make_entry, django_assert_max_num_queries
):
    child = ChildFactory()

    def build(n):
        for _ in range(n):
            make_entry(actor=UserFactory(), child_id=child.pk, household_id=child.household_id)

    build(2)
    url = reverse("audit:child_access", args=[child.pk])
    admin_client.get(url)
    with django_assert_max_num_queries(12) as small:
        admin_client.get(url)
    build(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = admin_client.get(url)
    # 32 people, and the administrator: looking at a child's access log is logged as well.
    people = {row["actor_username"] for row in response.context["summary"]}
    assert len(people) == 33 and "beheer" in people


def test_child_access_shows_only_logged_in_looks(admin_client, make_entry, professional):
    child = ChildFactory()
    sibling = ChildFactory(household=child.household)
    make_entry(actor=professional.user, child_id=child.pk, household_id=child.household_id)
    # Old entries from requests that were not logged in: on the child and via the sibling.
    make_entry(child_id=child.pk, household_id=child.household_id, user_agent="anything")
    make_entry(child_id=sibling.pk, household_id=child.household_id, user_agent="anything")
    response = admin_client.get(reverse("audit:child_access", args=[child.pk]))
    assert response.status_code == 200
    assert [row["actor_username"] for row in response.context["summary"]] == ["bip"]
    assert response.context["household_summary"] == []
    assert [entry.actor for entry in response.context["page"].object_list] == [professional.user]


def test_child_access_with_only_anonymous_entries_is_404(admin_client, make_entry):
    make_entry(child_id=626262, household_id=88)
    response = admin_client.get(reverse("audit:child_access", args=[626262]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"tot": "9999-12-31"},
        {"van": "0001-01-01"},
        {"van": "9999-12-31"},
        {"tot": "0001-01-01"},
        {"van": "0001-01-01", "tot": "9999-12-31"},
        {"van": "1899-12-31"},
        {"tot": "2100-01-01"},
    ],
)
def test_far_dates_are_a_form_error_not_a_500(admin_client, params):
    response = admin_client.get(LOG, params)
    assert response.status_code == 422
    assert "Kies een datum tussen 01-01-2000 en 31-12-2099." in response.text


@pytest.mark.parametrize(
    "params", [{"van": "10000-01-01"}, {"tot": "9" * 5000}, {"kind": "9" * 5000}]
)
def test_unreadable_filters_are_a_form_error(admin_client, params):
    response = admin_client.get(LOG, params)
    assert response.status_code == 422


def test_dates_within_the_bounds_still_filter(admin_client, make_entry, professional):
    with time_machine.travel(datetime.datetime(2099, 12, 31, 12, 0, tzinfo=datetime.UTC)):
        late = make_entry(actor=professional.user)
    with time_machine.travel(datetime.datetime(2000, 1, 1, 12, 0, tzinfo=datetime.UTC)):
        early = make_entry(actor=professional.user)
    response = admin_client.get(LOG, {"van": "2099-12-31", "tot": "2099-12-31"})
    assert response.status_code == 200
    assert late.pk in listed(response) and early.pk not in listed(response)
    response = admin_client.get(LOG, {"van": "2000-01-01", "tot": "2000-01-01"})
    assert early.pk in listed(response) and late.pk not in listed(response)
