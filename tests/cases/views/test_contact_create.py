"""Logging a contact on the case page: full-page and htmx, and every refusal the user can meet.

Each test checks the response, then the database, then what the next page shows. The access
matrix (tests/bip/test_access_matrix.py) covers who may GET and POST at all.
"""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases.models import Contact
from evaluation.constants import Arm
from professionals.models import Qualification
from roles.acts import kinds_for_role
from roles.constants import ChainRole, Channel, ContactKind, ContactWith
from tests.factories import CaseFactory, ChildFactory, ProfessionalFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 3, 16)
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)
TYPED_SUMMARY = "Moeder vertelt dat de bus niet meer rijdt."

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    """Noon in Amsterdam on TODAY; a test moves the clock with clock.move_to()."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def case(professional):
    """A BIP-arm Leerplicht case of a 14-year-old, received 20 days ago, held by the BIP."""
    return CaseFactory(
        professional=professional,
        arm=Arm.BIP,
        child=ChildFactory(date_of_birth=datetime.date(2012, 1, 10)),
        date_received=TODAY - datetime.timedelta(days=20),
    )


@pytest.fixture
def leerplicht_professional(db):
    """A control-arm Leerplicht officer: only a (sworn) Leerplicht qualification."""
    return ProfessionalFactory(user__username="leerplichtambtenaar")


@pytest.fixture
def control_case(leerplicht_professional):
    return CaseFactory(
        professional=leerplicht_professional,
        arm=Arm.CONTROL,
        child=ChildFactory(date_of_birth=datetime.date(2012, 1, 10)),
        date_received=TODAY - datetime.timedelta(days=20),
    )


def url(case) -> str:
    return reverse("cases:contact_create", args=[case.pk])


def contact_data(**overrides) -> dict:
    values = {
        "role": ChainRole.LEERPLICHT,
        "kind": ContactKind.VERZUIMGESPREK,
        "with_whom": ContactWith.PUPIL_AND_PARENTS,
        "channel": Channel.IN_PERSON,
        "occurred_on": "2026-03-16",
        "occurred_time": "10:30",
        "duration_minutes": "45",
        "summary": TYPED_SUMMARY,
        "follow_up_on": "",
    }
    values.update(overrides)
    return values


def field_error(response, name: str) -> str:
    """The error text shown under field `name`, or '' when there is none."""
    match = re.search(rf'id="id_{name}_error">(.*?)</div>', response.text, re.S)
    return match.group(1) if match else ""


def role_options(response) -> list[str]:
    select = re.search(r'<select name="role".*?</select>', response.text, re.S)
    assert select, "no role select on the page"
    return re.findall(r'<option value="([^"]+)"', select.group(0))


# Saving


def test_full_page_post_logs_the_contact_and_redirects_to_the_case(client, professional, case):
    client.force_login(professional.user)
    response = client.post(
        url(case), contact_data(role=ChainRole.HALT, kind=ContactKind.HALT_GESPREK)
    )
    assert response.status_code == 302
    assert response.url == reverse("cases:case_detail", args=[case.pk])

    contact = Contact.objects.get(case=case)
    assert contact.role == ChainRole.HALT
    assert contact.kind == ContactKind.HALT_GESPREK
    assert contact.professional == professional
    assert contact.created_by == professional.user
    assert contact.occurred_at == datetime.datetime(2026, 3, 16, 10, 30, tzinfo=AMSTERDAM)
    assert contact.duration_minutes == 45
    assert contact.summary == TYPED_SUMMARY

    page = client.get(response.url)
    assert "Contact vastgelegd in de rol Halt." in page.text
    assert f'id="contact-{contact.pk}"' in page.text
    assert "Rol: Halt" in page.text


def test_htmx_post_returns_a_fresh_form_and_the_timeline_out_of_band(client, professional, case):
    client.force_login(professional.user)
    response = client.post(url(case), contact_data(), headers={"HX-Request": "true"})
    assert response.status_code == 200

    contact = Contact.objects.get(case=case)
    assert contact.role == ChainRole.LEERPLICHT
    assert contact.kind == ContactKind.VERZUIMGESPREK

    assert "<html" not in response.text  # a fragment, not a page
    form_part, _, timeline_part = response.text.partition('<div id="timeline" hx-swap-oob="true">')
    assert timeline_part, "no out-of-band timeline in the response"
    assert "Contact vastgelegd in de rol Leerplicht." in form_part
    # The form is fresh: unbound, no errors, the typed summary is not in it any more.
    assert response.context["contact_form"].is_bound is False
    assert "kk-error-summary" not in form_part
    assert TYPED_SUMMARY not in form_part
    # The timeline holds the new contact.
    assert f'id="contact-{contact.pk}"' in timeline_part
    assert TYPED_SUMMARY in timeline_part
    assert "Rol: Leerplicht" in timeline_part


def test_htmx_post_with_errors_returns_the_form_fragment_with_422(client, professional, case):
    client.force_login(professional.user)
    response = client.post(
        url(case), contact_data(duration_minutes="0"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "<html" not in response.text
    assert 'id="contact-form"' in response.text
    assert field_error(response, "duration_minutes")
    assert 'hx-swap-oob="true"' not in response.text
    assert TYPED_SUMMARY in response.text
    assert not Contact.objects.exists()


# Forged or invalid input


@pytest.mark.parametrize("role", [ChainRole.RVDK, "admin"])
def test_forged_role_is_refused_on_the_role_field(
    client, leerplicht_professional, control_case, role
):
    client.force_login(leerplicht_professional.user)
    response = client.post(url(control_case), contact_data(role=role))
    assert response.status_code == 422
    assert response.context["contact_form"].errors["role"]
    assert "geldige keuze" in field_error(response, "role")
    assert TYPED_SUMMARY in response.text
    assert not Contact.objects.exists()


def test_role_not_valid_on_the_contact_date_is_refused_by_the_service(client, case, professional):
    """The form offers today's roles; the service checks the role on the contact's own date."""
    Qualification.objects.filter(professional=professional, role=ChainRole.HALT).update(
        valid_from=TODAY
    )
    client.force_login(professional.user)
    response = client.post(
        url(case),
        contact_data(role=ChainRole.HALT, kind=ContactKind.HALT_GESPREK, occurred_on="2026-03-13"),
    )
    assert response.status_code == 422
    assert "geen geldige kwalificatie" in field_error(response, "role")
    assert TYPED_SUMMARY in response.text
    assert not Contact.objects.exists()


def test_kind_of_another_role_is_refused_on_the_kind_field(client, professional, case):
    """A BIP is offered halt_intake (under Halt); with role Leerplicht the service refuses it."""
    client.force_login(professional.user)
    response = client.post(
        url(case), contact_data(role=ChainRole.LEERPLICHT, kind=ContactKind.HALT_INTAKE)
    )
    assert response.status_code == 422
    assert "hoort niet bij de gekozen rol" in field_error(response, "kind")
    assert not field_error(response, "role")
    assert TYPED_SUMMARY in response.text
    assert not Contact.objects.exists()


def test_kind_not_offered_to_the_professional_is_refused_on_the_kind_field(
    client, leerplicht_professional, control_case
):
    client.force_login(leerplicht_professional.user)
    response = client.post(url(control_case), contact_data(kind=ContactKind.HALT_INTAKE))
    assert response.status_code == 422
    assert "hoort niet bij de gekozen rol" in field_error(response, "kind")
    assert not Contact.objects.exists()


def test_verhoor_without_caution_is_refused(client, professional, case):
    client.force_login(professional.user)
    response = client.post(
        url(case),
        contact_data(kind=ContactKind.VERHOOR, with_whom=ContactWith.PUPIL),
    )
    assert response.status_code == 422
    assert "cautie is gegeven" in field_error(response, "caution_given")
    assert not Contact.objects.exists()

    response = client.post(
        url(case),
        contact_data(kind=ContactKind.VERHOOR, with_whom=ContactWith.PUPIL, caution_given="on"),
    )
    assert response.status_code == 302
    assert Contact.objects.get(case=case).caution_given is True


@pytest.mark.parametrize(
    ("occurred_on", "message"),
    [
        ("2026-03-17", "Het contact ligt in de toekomst."),
        ("2026-02-23", "Het contact ligt vóór de datum van de melding (24-02-2026)."),
    ],
)
def test_contact_date_outside_the_case_is_shown_on_the_date_field(
    client, professional, case, occurred_on, message
):
    client.force_login(professional.user)
    response = client.post(url(case), contact_data(occurred_on=occurred_on))
    assert response.status_code == 422
    form = response.context["contact_form"]
    assert form.errors["occurred_on"] == [message]
    assert not form.non_field_errors()
    assert message in field_error(response, "occurred_on")
    # The error summary links to the date control.
    assert 'href="#id_occurred_on"' in response.text
    assert TYPED_SUMMARY in response.text
    assert not Contact.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_wrong_method_is_405(client, professional, case, method):
    client.force_login(professional.user)
    response = getattr(client, method)(url(case))
    assert response.status_code == 405
    assert not Contact.objects.exists()


# The role select


def test_bip_is_offered_all_three_roles(client, professional, case):
    client.force_login(professional.user)
    response = client.get(url(case))
    assert response.status_code == 200
    assert role_options(response) == [ChainRole.LEERPLICHT, ChainRole.HALT, ChainRole.RVDK]


def test_control_leerplicht_professional_is_offered_only_leerplicht(
    client, leerplicht_professional, control_case
):
    client.force_login(leerplicht_professional.user)
    response = client.get(url(control_case))
    assert role_options(response) == [ChainRole.LEERPLICHT]
    # The case page's own form offers the same.
    page = client.get(reverse("cases:case_detail", args=[control_case.pk]))
    assert role_options(page) == [ChainRole.LEERPLICHT]


def test_expired_qualification_is_not_offered_and_not_accepted(client, professional, case):
    Qualification.objects.filter(professional=professional, role=ChainRole.RVDK).update(
        valid_until=TODAY - datetime.timedelta(days=1)
    )
    client.force_login(professional.user)
    assert role_options(client.get(url(case))) == [ChainRole.LEERPLICHT, ChainRole.HALT]

    response = client.post(
        url(case),
        contact_data(role=ChainRole.RVDK, kind=ContactKind.RAADSONDERZOEK_GESPREK),
    )
    assert response.status_code == 422
    assert field_error(response, "role")
    assert not Contact.objects.exists()


# Follow-up on Mijn zaken


def test_follow_up_shows_on_my_cases_once_it_is_due(client, clock, professional, case):
    client.force_login(professional.user)
    response = client.post(url(case), contact_data(follow_up_on="2026-03-19"))
    assert response.status_code == 302
    assert Contact.objects.get(case=case).follow_up_on == datetime.date(2026, 3, 19)

    my_cases = reverse("cases:my_cases")
    response = client.get(my_cases)
    assert response.context["follow_ups"] == []
    assert "Geen vervolgafspraken" in response.text

    clock.move_to(datetime.datetime(2026, 3, 19, 9, 0, tzinfo=AMSTERDAM))
    client.force_login(professional.user)  # the session of three days ago has expired
    response = client.get(my_cases)
    assert [c.pk for c in response.context["follow_ups"]] == [case.pk]
    follow_ups = response.text.split('id="follow-ups-heading"')[1].split("</section>")[0]
    assert case.number in follow_ups
    assert "vandaag" in follow_ups

    clock.move_to(datetime.datetime(2026, 3, 21, 9, 0, tzinfo=AMSTERDAM))
    client.force_login(professional.user)
    response = client.get(my_cases)
    follow_ups = response.text.split('id="follow-ups-heading"')[1].split("</section>")[0]
    assert "verlopen sinds 19 mrt. 2026" in follow_ups


# The kind select follows the role (issue 14, #13)


def kind_options(response) -> list[str]:
    select = re.search(r'<select name="kind".*?</select>', response.text, re.S)
    assert select, "no kind select on the page"
    return re.findall(r'<option value="([^"]+)"', select.group(0))


def selected_role(response) -> str:
    select = re.search(r'<select name="role".*?</select>', response.text, re.S)
    assert select, "no role select on the page"
    selected = re.findall(r'<option value="([^"]+)"[^>]* selected', select.group(0))
    assert len(selected) == 1, selected
    return selected[0]


@pytest.mark.parametrize(
    ("stage", "role"),
    [("leerplicht", ChainRole.LEERPLICHT), ("halt", ChainRole.HALT), ("rvdk", ChainRole.RVDK)],
)
def test_the_default_role_is_the_cases_stage_and_only_its_kinds_are_offered(
    client, professional, stage, role
):
    case = CaseFactory(professional=professional, stage=stage)
    client.force_login(professional.user)
    for response in (
        client.get(url(case)),
        client.get(reverse("cases:case_detail", args=[case.pk])),
    ):
        assert selected_role(response) == role
        assert kind_options(response) == list(kinds_for_role(role))


def test_a_bip_on_a_leerplicht_case_sees_13_kinds_not_28(client, professional, case):
    client.force_login(professional.user)
    options = kind_options(client.get(url(case)))
    assert ContactKind.VERZUIMGESPREK in options
    assert ContactKind.HALT_INTAKE not in options
    assert ContactKind.STRAFADVIES not in options
    assert len(options) == len(kinds_for_role(ChainRole.LEERPLICHT)) < len(ContactKind)


def test_changing_the_role_fetches_that_roles_kinds_with_htmx(client, professional, case):
    client.force_login(professional.user)
    page = client.get(reverse("cases:case_detail", args=[case.pk]))
    role_select = re.search(r'<select name="role"[^>]*>', page.text).group(0)
    assert f'hx-get="{url(case)}"' in role_select
    assert 'hx-target="#contact-kind-field"' in role_select
    assert 'id="contact-kind-field"' in page.text

    response = client.get(url(case), {"role": "halt"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="contact-kind-field"' in response.text
    assert kind_options(response) == list(kinds_for_role(ChainRole.HALT))
    assert "HX-Request" in response["Vary"]


def test_an_unknown_role_in_the_url_falls_back_to_the_stage(client, professional, case):
    client.force_login(professional.user)
    response = client.get(url(case), {"role": "admin"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert kind_options(response) == list(kinds_for_role(ChainRole.LEERPLICHT))


def test_without_javascript_a_button_shows_the_kinds_and_keeps_the_input(
    client, professional, case
):
    client.force_login(professional.user)
    page = client.get(url(case))
    assert '<noscript><button type="submit" name="toon_soorten"' in page.text

    response = client.post(
        url(case),
        contact_data(role=ChainRole.RVDK, kind=ContactKind.VERZUIMGESPREK, toon_soorten="1"),
    )
    assert response.status_code == 200
    assert "<html" in response.text  # the full page
    assert selected_role(response) == ChainRole.RVDK
    assert kind_options(response) == list(kinds_for_role(ChainRole.RVDK))
    assert TYPED_SUMMARY in response.text
    assert "kk-error-summary" not in response.text
    assert 'aria-invalid="true"' not in response.text
    assert not Contact.objects.exists()
