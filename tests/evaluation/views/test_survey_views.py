"""The public survey pages: no login, the form and its errors, refused links, headers, logs."""

import datetime
import logging
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation import surveys
from evaluation.constants import CLIENT_ITEMS, STAFF_ITEMS, Arm, RespondentType
from evaluation.models import SurveyInvitation, SurveyResponse
from tests.factories import CaseFactory, ProfessionalFactory, SurveyInvitationFactory

pytestmark = pytest.mark.django_db


def make_link(respondent_type=RespondentType.PARENT, **kwargs) -> tuple[str, SurveyInvitation]:
    token, digest = surveys.new_token()
    if respondent_type == RespondentType.STAFF:
        kwargs.setdefault("case", None)
        kwargs.setdefault("professional", ProfessionalFactory(bip=True))
        kwargs.setdefault("period_start", datetime.date(2026, 1, 1))
        kwargs.setdefault("period_end", datetime.date(2026, 2, 28))
    else:
        kwargs.setdefault("case", CaseFactory(closed=True, control_arm=True))
    invitation = SurveyInvitationFactory(
        token_hash=digest, respondent_type=respondent_type, **kwargs
    )
    return reverse("evaluation:survey", args=[token]), invitation


def answers(respondent_type=RespondentType.PARENT, **overrides) -> dict[str, str]:
    data = dict.fromkeys(surveys.items_for(respondent_type), "4")
    return data | {"grade": "8", "comment": "Duidelijke afspraken."} | overrides


def assert_private_headers(response) -> None:
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    assert "noindex" in response.headers["X-Robots-Tag"]


@pytest.fixture
def link():
    return make_link()


def test_the_survey_is_public(client, link):
    url, _ = link
    response = client.get(url)
    assert response.status_code == 200
    assert_private_headers(response)
    html = response.content.decode()
    assert "Wat vond u van de hulp?" in html
    for item in CLIENT_ITEMS:
        assert str(item.label) in html
    assert 'name="grade"' in html and 'name="comment"' in html
    assert "Uitloggen" not in html and "Hoofdmenu" not in html


def test_a_logged_in_member_of_staff_sees_no_staff_navigation(client, link, coordinator):
    client.force_login(coordinator)
    html = client.get(link[0]).content.decode()
    assert "Werkvoorraad" not in html
    assert "Ingelogd als" not in html


def test_the_child_version_is_in_plain_language(client):
    url, _ = make_link(RespondentType.CHILD)
    html = client.get(url).content.decode()
    assert "Wat vond jij van de hulp?" in html
    for item in CLIENT_ITEMS:
        assert str(surveys.CHILD_ITEM_TEXTS[item]) in html
    assert "Ja, helemaal" in html
    assert "Helemaal mee oneens" not in html


def test_the_staff_version_shows_the_period_and_its_statements(client):
    url, _ = make_link(RespondentType.STAFF)
    html = client.get(url).content.decode()
    assert "1 januari 2026 tot en met 28 februari 2026" in html
    for item in STAFF_ITEMS:
        assert str(item.label) in html
    assert str(CLIENT_ITEMS[0].label) not in html


def test_the_page_shows_nothing_about_the_case(client):
    case = CaseFactory(closed=True, bip_arm=True, child__first_name="Noor")
    url, _ = make_link(case=case)
    html = client.get(url).content.decode()
    assert "Noor" not in html
    assert case.number not in html


def test_submitting_stores_the_answers_and_thanks(client, link):
    url, invitation = link
    response = client.post(url, answers(respondent_type=RespondentType.PARENT, respect="5"))
    assert response.status_code == 302
    assert response.url == reverse("evaluation:survey_thanks") + "?voor=ouder"
    assert_private_headers(response)

    saved = SurveyResponse.objects.get(invitation=invitation)
    assert (saved.grade, saved.comment, saved.arm) == (8, "Duidelijke afspraken.", Arm.CONTROL)
    assert dict(saved.answers.values_list("item", "score"))["respect"] == 5
    invitation.refresh_from_db()
    assert invitation.used_at == saved.submitted_at

    thanks = client.get(response.url)
    assert thanks.status_code == 200
    assert "Uw antwoorden zijn opgeslagen" in thanks.content.decode()
    assert_private_headers(thanks)


def test_the_link_then_says_it_was_used(client, link):
    url, _ = link
    client.post(url, answers())
    response = client.get(url)
    assert response.status_code == 410
    assert "Deze vragenlijst is al ingevuld" in response.content.decode()
    assert_private_headers(response)


def test_a_double_submit_stores_one_response(client, link):
    url, _ = link
    first = client.post(url, answers(grade="9"))
    second = client.post(url, answers(grade="2"))
    assert first.status_code == 302
    assert second.status_code == 410
    assert SurveyResponse.objects.get().grade == 9


def test_missing_answers_are_listed_and_typed_answers_kept(client, link):
    url, invitation = link
    data = answers(comment="Mijn eigen woorden.", respect="2")
    del data["verhaal_een_keer"], data["grade"]

    response = client.post(url, data)

    assert response.status_code == 422
    assert_private_headers(response)
    html = response.content.decode()
    summary = re.search(r'<div class="utrecht-alert utrecht-alert--error.*?</ul>', html, re.S)
    assert summary, "error summary at the top"
    assert 'href="#id_verhaal_een_keer_0"' in summary.group()
    assert 'href="#id_grade_0"' in summary.group()
    assert "Kies een antwoord bij deze stelling." in summary.group()
    assert "Uw rapportcijfer voor de hulp: Kies een cijfer van 1 tot en met 10." in summary.group()
    assert "Mijn eigen woorden." in html
    assert re.search(r'<input[^>]*value="2"[^>]*id="id_respect_1"[^>]*checked', html)
    assert html.index("kk-error-summary") < html.index('name="respect"')
    assert "<title>Fout:" in html
    assert not SurveyResponse.objects.exists()
    invitation.refresh_from_db()
    assert invitation.used_at is None


@pytest.mark.parametrize(
    ("field", "value"), [("grade", "11"), ("grade", "acht"), ("respect", "0"), ("respect", "6")]
)
def test_values_off_the_scale_are_refused(client, link, field, value):
    response = client.post(link[0], answers(**{field: value}))
    assert response.status_code == 422
    assert not SurveyResponse.objects.exists()


def test_a_too_long_comment_is_refused_and_kept(client, link):
    comment = "x" * (surveys.COMMENT_MAX_LENGTH + 1)
    response = client.post(link[0], answers(comment=comment))
    assert response.status_code == 422
    html = response.content.decode()
    assert f"Gebruik maximaal {surveys.COMMENT_MAX_LENGTH} tekens" in html
    assert comment in html


def test_an_unknown_link_is_404(client, link):
    for token in (surveys.new_token()[0], "geen-token", "x" * 300):
        response = client.get(reverse("evaluation:survey", args=[token]))
        assert response.status_code == 404
        assert "Deze link werkt niet" in response.content.decode()
        assert_private_headers(response)
    assert client.post(reverse("evaluation:survey", args=["onzin"]), answers()).status_code == 404


def test_an_expired_link_is_410(client):
    now = timezone.now()
    url, _ = make_link(
        created_at=now - datetime.timedelta(days=31), expires_at=now - datetime.timedelta(days=1)
    )
    response = client.get(url)
    assert response.status_code == 410
    assert "Deze link is verlopen" in response.content.decode()
    assert client.post(url, answers()).status_code == 410
    assert not SurveyResponse.objects.exists()


def test_other_methods_are_405_with_the_same_headers(client, link):
    response = client.put(link[0])
    assert response.status_code == 405
    assert_private_headers(response)


def test_the_token_is_not_written_to_the_log(client, caplog, link):
    caplog.set_level(logging.DEBUG)
    url, _ = link
    token = url.rstrip("/").rsplit("/", 1)[1]
    unknown = surveys.new_token()[0]
    client.get(reverse("evaluation:survey", args=[unknown]))
    client.post(url, {})
    client.put(url)
    client.post(url, answers())
    client.get(url)
    assert token not in caplog.text
    assert unknown not in caplog.text
    assert "Survey link refused: unknown" in caplog.text


def test_the_language_switch_works_on_the_public_page(client, link):
    url, _ = link
    response = client.get(url + "?taal=en")
    assert response.status_code == 302
    assert response.url == url
    assert response.cookies["django_language"].value == "en"
    assert_private_headers(response)
    assert '<html lang="en">' in client.get(url).content.decode()
    client.get(url + "?taal=nl")
    assert '<html lang="nl">' in client.get(url).content.decode()
    # An unknown language is ignored.
    assert client.get(url + "?taal=xx").status_code == 200


def test_the_thanks_page_keeps_its_wording_when_switching_language(client):
    thanks = reverse("evaluation:survey_thanks")
    html = client.get(thanks + "?voor=kind").content.decode()
    assert "Fijn dat je de vragen hebt ingevuld" in html
    assert 'href="?voor=kind&amp;taal=en"' in html
    response = client.get(thanks + "?voor=kind&taal=en")
    assert response.url == thanks + "?voor=kind"
    # The language cookie is now English; an unknown respondent falls back to the parent text.
    assert "Your answers have been saved" in client.get(thanks + "?voor=onzin").content.decode()
