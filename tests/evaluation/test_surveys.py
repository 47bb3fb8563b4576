"""Surveys: one-time links, answers, invitations (at closure, at three months, staff), the
mails, and response rates."""

import base64
import datetime
import hashlib
import io
import re
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import resolve

from cases.constants import OutcomeCategory
from cases.services.stages import case_close, case_reopen
from evaluation import surveys
from evaluation.constants import CLIENT_ITEMS, STAFF_ITEMS, Arm, RespondentType
from evaluation.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from evaluation.surveys import LinkProblem, SurveyLinkError
from tests.factories import (
    CaseFactory,
    ChildFactory,
    GuardianFactory,
    ProfessionalFactory,
    SurveyInvitationFactory,
    UserFactory,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=AMSTERDAM)
TODAY = NOW.date()

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://kk.example.nl"
    settings.SURVEY_LINK_DAYS = 30


def invitation_with_token(**kwargs) -> tuple[str, SurveyInvitation]:
    token, digest = surveys.new_token()
    kwargs.setdefault("case", CaseFactory(closed=True, bip_arm=True))
    return token, SurveyInvitationFactory(token_hash=digest, **kwargs)


def full_scores(respondent_type=RespondentType.PARENT, score=4) -> dict[str, int]:
    return dict.fromkeys(surveys.items_for(respondent_type), score)


def child_aged(years: int, **kwargs):
    born = TODAY.replace(year=TODAY.year - years) - datetime.timedelta(days=30)
    return ChildFactory(date_of_birth=born, **kwargs)


def study_case(*, years: int = 14, email: str = "ouder@example.nl", **kwargs):
    """An open case in the BIP arm whose guardian has `email` (none when empty)."""
    child = child_aged(years)
    if email is not None:
        GuardianFactory(child=child, email=email)
    kwargs.setdefault("arm", Arm.BIP)
    return CaseFactory(child=child, **kwargs)


def tokens_in(mail) -> list[str]:
    return re.findall(r"https://kk\.example\.nl/evaluatie/enquete/([A-Za-z0-9_-]+)/", mail.body)


# ----------------------------------------------------------------------------- tokens


def test_a_token_has_256_random_bits_and_only_its_hash_is_stored():
    tokens = {surveys.new_token()[0] for _ in range(500)}
    assert len(tokens) == 500
    for token in list(tokens)[:20]:
        assert surveys.TOKEN_PATTERN.fullmatch(token)
        assert len(base64.urlsafe_b64decode(token + "=")) == 32

    token, invitation = invitation_with_token()
    row = SurveyInvitation.objects.filter(pk=invitation.pk).values().get()
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for value in row.values())


def test_the_link_finds_its_invitation_by_hash():
    token, invitation = invitation_with_token()
    assert surveys.invitation_for_token(token) == invitation


def test_an_unknown_token_is_refused():
    invitation_with_token()
    with pytest.raises(SurveyLinkError) as error:
        surveys.invitation_for_token(surveys.new_token()[0])
    assert error.value.problem == LinkProblem.UNKNOWN


@pytest.mark.parametrize("token", ["", "kort", "x" * 42, "x" * 44, "a/b" + "c" * 40, "é" * 43])
def test_a_malformed_token_is_refused_without_a_query(token, django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(SurveyLinkError) as error:
        surveys.invitation_for_token(token)
    assert error.value.problem == LinkProblem.UNKNOWN


def test_the_hash_of_a_token_does_not_open_the_survey():
    token, invitation = invitation_with_token()
    with pytest.raises(SurveyLinkError):
        surveys.invitation_for_token(invitation.token_hash)


def test_the_link_expires(frozen):
    token, invitation = invitation_with_token()
    frozen.move_to(invitation.expires_at - datetime.timedelta(seconds=1))
    assert surveys.invitation_for_token(token) == invitation
    frozen.move_to(invitation.expires_at)
    with pytest.raises(SurveyLinkError) as error:
        surveys.invitation_for_token(token)
    assert error.value.problem == LinkProblem.EXPIRED
    with pytest.raises(SurveyLinkError):
        surveys.survey_submit(token=token, grade=8, scores=full_scores())
    assert not SurveyResponse.objects.exists()


# -------------------------------------------------------------------------- responses


def test_submit_stores_the_answers_and_uses_the_link_up():
    token, invitation = invitation_with_token(respondent_type=RespondentType.CHILD)
    scores = dict(zip(CLIENT_ITEMS, [1, 2, 3, 4, 5, 3], strict=True))

    response = surveys.survey_submit(token=token, grade=7, scores=scores, comment="  Fijn.  ")

    invitation.refresh_from_db()
    assert invitation.used_at == response.submitted_at == NOW
    assert response.respondent_type == RespondentType.CHILD
    assert response.arm == Arm.BIP
    assert (response.grade, response.comment) == (7, "Fijn.")
    stored = dict(response.answers.values_list("item", "score"))
    assert stored == {item.value: score for item, score in scores.items()}


def test_the_link_works_once():
    token, _ = invitation_with_token()
    surveys.survey_submit(token=token, grade=8, scores=full_scores())
    with pytest.raises(SurveyLinkError) as error:
        surveys.survey_submit(token=token, grade=3, scores=full_scores(score=1))
    assert error.value.problem == LinkProblem.USED
    with pytest.raises(SurveyLinkError):
        surveys.invitation_for_token(token)
    assert SurveyResponse.objects.get().grade == 8
    assert SurveyAnswer.objects.count() == len(CLIENT_ITEMS)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submits_give_one_response():
    token, _ = invitation_with_token()
    barrier = threading.Barrier(2)
    outcomes = []

    def submit(grade):
        try:
            barrier.wait()
            surveys.survey_submit(token=token, grade=grade, scores=full_scores())
            outcomes.append("stored")
        except SurveyLinkError as error:
            outcomes.append(error.problem)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(grade,)) for grade in (6, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == sorted(["stored", LinkProblem.USED])
    assert SurveyResponse.objects.count() == 1
    assert SurveyAnswer.objects.count() == len(CLIENT_ITEMS)


@pytest.mark.parametrize(
    ("grade", "scores"),
    [
        (8, {CLIENT_ITEMS[0]: 4}),  # statements missing
        (8, full_scores() | {CLIENT_ITEMS[0]: 6}),  # score out of range
        (8, full_scores(RespondentType.STAFF)),  # the staff statements on a client link
        (11, full_scores()),  # grade out of range
    ],
)
def test_answers_the_form_should_refuse_write_nothing(grade, scores):
    token, invitation = invitation_with_token()
    with pytest.raises(ValueError):
        surveys.survey_submit(token=token, grade=grade, scores=scores)
    assert not SurveyResponse.objects.exists()
    invitation.refresh_from_db()
    assert invitation.used_at is None


def test_the_client_arm_is_the_case_arm_at_submission():
    case = CaseFactory(closed=True, control_arm=True)
    token, _ = invitation_with_token(case=case)
    case.arm = Arm.BIP  # a correction of the allocation after the invitation
    case.save()
    assert surveys.survey_submit(token=token, grade=6, scores=full_scores()).arm == Arm.BIP


@pytest.mark.parametrize(("is_bip", "arm"), [(True, Arm.BIP), (False, Arm.CONTROL)])
def test_the_staff_arm_follows_the_professional(is_bip, arm):
    token, _ = invitation_with_token(
        respondent_type=RespondentType.STAFF,
        case=None,
        professional=ProfessionalFactory(is_bip=is_bip),
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 2, 28),
    )
    scores = full_scores(RespondentType.STAFF)
    response = surveys.survey_submit(token=token, grade=7, scores=scores)
    assert response.arm == arm
    assert set(response.answers.values_list("item", flat=True)) == set(STAFF_ITEMS)


def test_every_statement_has_a_plain_child_text():
    assert set(surveys.CHILD_ITEM_TEXTS) == set(CLIENT_ITEMS)
    for item in CLIENT_ITEMS:
        child_text = str(surveys.item_text(item, RespondentType.CHILD))
        assert child_text == str(surveys.CHILD_ITEM_TEXTS[item])
        assert len(child_text.split()) <= 16  # short sentences
        assert str(surveys.item_text(item, RespondentType.PARENT)) == item.label


# ------------------------------------------------------------------- client invitations


def close(case, django_capture_on_commit_callbacks):
    actor = UserFactory(coordinator=True)
    with django_capture_on_commit_callbacks(execute=True):
        case_close(
            case=case,
            actor=actor,
            category=OutcomeCategory.BACK_TO_SCHOOL,
            achieved_on=TODAY,
            reason="Weer op school.",
            expected_version=None,
        )
    return actor


def test_closing_a_case_invites_parent_and_child(mailoutbox, django_capture_on_commit_callbacks):
    case = study_case(years=14, date_received=TODAY - datetime.timedelta(days=30))

    close(case, django_capture_on_commit_callbacks)

    invitations = SurveyInvitation.objects.filter(case=case)
    assert sorted(invitations.values_list("respondent_type", flat=True)) == ["kind", "ouder"]
    for invitation in invitations:
        assert invitation.created_at == NOW
        assert invitation.expires_at == datetime.datetime(2026, 4, 16, tzinfo=AMSTERDAM)
    (mail,) = mailoutbox
    assert mail.to == ["ouder@example.nl"]
    tokens = tokens_in(mail)
    assert len(tokens) == 2
    types = {surveys.invitation_for_token(token).respondent_type for token in tokens}
    assert types == {RespondentType.PARENT, RespondentType.CHILD}
    assert resolve(f"/evaluatie/enquete/{tokens[0]}/").url_name == "survey"
    assert "15 april 2026" in mail.body  # the last day the links work


def test_a_child_under_twelve_gets_no_survey_of_their_own(
    mailoutbox, django_capture_on_commit_callbacks
):
    case = study_case(years=9)
    close(case, django_capture_on_commit_callbacks)
    assert list(case.survey_invitations.values_list("respondent_type", flat=True)) == ["ouder"]
    assert len(tokens_in(mailoutbox[0])) == 1


def test_invitations_are_made_once(mailoutbox, django_capture_on_commit_callbacks):
    case = study_case()
    close(case, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert surveys.survey_invitations_for_case(case) == []
        case_reopen(case=case, actor=UserFactory(coordinator=True), reason="Toch niet.",
                    expected_version=None)  # fmt: skip
    close(case, django_capture_on_commit_callbacks)
    assert case.survey_invitations.count() == 2
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"arm": ""},  # not in the study
        {"email": ""},  # guardian without an address
        {"email": None},  # no guardian at all
    ],
)
def test_no_invitation_without_arm_or_address(
    kwargs, mailoutbox, django_capture_on_commit_callbacks
):
    case = study_case(**kwargs)
    close(case, django_capture_on_commit_callbacks)
    assert not SurveyInvitation.objects.exists()
    assert mailoutbox == []


def test_the_mail_goes_to_a_guardian_with_custody(django_capture_on_commit_callbacks, mailoutbox):
    child = child_aged(14)
    GuardianFactory(child=child, email="stiefouder@example.nl", has_custody=False)
    GuardianFactory(child=child, email="", relation="vader")
    GuardianFactory(child=child, email="moeder@example.nl", has_custody=True)
    with django_capture_on_commit_callbacks(execute=True):
        surveys.survey_invitations_for_case(CaseFactory(child=child, arm=Arm.CONTROL))
    assert mailoutbox[0].to == ["moeder@example.nl"]


def test_the_mail_says_nothing_about_the_child(mailoutbox, django_capture_on_commit_callbacks):
    child = child_aged(
        15,
        first_name="Zoë",
        last_name="Vermeulen-Achterberg",
        bsn="111222333",
        onderwijsnummer=None,
        school__name="Het Kennemer Lyceum",
        household__postcode="2012 XY",
        household__street="Zijlweg 7",
    )
    GuardianFactory(child=child, name="Marieke Achterberg", email="m.achterberg@example.nl")
    case = CaseFactory(child=child, arm=Arm.BIP, number="2026-004711")

    close(case, django_capture_on_commit_callbacks)

    (mail,) = mailoutbox
    # The random tokens could contain anything: look at the text around the links.
    text = re.sub(r"https://\S+", "", f"{mail.subject}\n{mail.body}")
    for secret in [
        "Zoë",
        "Vermeulen",
        "111222333",
        "2026-004711",
        "004711",
        "Kennemer",
        "2012",
        "Zijlweg",
        "Marieke",
        "Achterberg",
        child.date_of_birth.strftime("%d-%m-%Y"),
        child.date_of_birth.isoformat(),
    ]:
        assert secret.lower() not in text.lower(), secret
    assert len(tokens_in(mail)) == 2


def test_a_failed_mail_withdraws_its_invitations(
    monkeypatch, mailoutbox, django_capture_on_commit_callbacks, caplog
):
    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    case = study_case()
    close(case, django_capture_on_commit_callbacks)
    assert not SurveyInvitation.objects.exists()  # so the daily command tries again
    assert "ConnectionRefusedError" in caplog.text
    assert "ouder@example.nl" not in caplog.text

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_survey_invitations", stdout=io.StringIO())
    assert case.survey_invitations.count() == 2
    assert len(mailoutbox) == 1


# ---------------------------------------------------------------- the daily command


def run_command(django_capture_on_commit_callbacks, *args) -> str:
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_survey_invitations", *args, stdout=out)
    return out.getvalue()


def received_months_ago(months: int, days: int = 0) -> datetime.date:
    return TODAY - relativedelta(months=months) - datetime.timedelta(days=days)


def test_the_command_invites_open_cases_at_three_months(
    mailoutbox, django_capture_on_commit_callbacks
):
    due = study_case(date_received=received_months_ago(3))  # three months today
    not_yet = study_case(date_received=received_months_ago(3) + datetime.timedelta(days=1))
    long_ago = study_case(date_received=received_months_ago(3, days=45))
    no_address = study_case(date_received=received_months_ago(3), email="")

    output = run_command(django_capture_on_commit_callbacks)

    assert set(SurveyInvitation.objects.values_list("case_id", flat=True)) == {due.pk}
    assert due.survey_invitations.count() == 2
    assert len(mailoutbox) == 1
    assert "2 uitnodigingen voor 1 zaken" in output
    assert "1 zaken zonder e-mailadres" in output
    del not_yet, long_ago, no_address


def test_the_command_is_idempotent(mailoutbox, django_capture_on_commit_callbacks):
    study_case(date_received=received_months_ago(3, days=2))
    run_command(django_capture_on_commit_callbacks)
    output = run_command(django_capture_on_commit_callbacks)
    assert SurveyInvitation.objects.count() == 2
    assert len(mailoutbox) == 1
    assert output.startswith("0 uitnodigingen")


def test_the_command_works_in_chunks(mailoutbox, django_capture_on_commit_callbacks):
    cases = [study_case(date_received=received_months_ago(3, days=n)) for n in range(5)]
    run_command(django_capture_on_commit_callbacks, "--chunk-size", "2")
    assert {c.pk for c in cases} == set(SurveyInvitation.objects.values_list("case_id", flat=True))
    assert len(mailoutbox) == 5


def test_the_command_retries_a_closed_case_whose_mail_failed(
    mailoutbox, django_capture_on_commit_callbacks
):
    # Closed last week without an e-mail address; the address was added since.
    case = study_case(
        email="", date_received=TODAY - datetime.timedelta(days=40), status="closed",
        closed_on=TODAY - datetime.timedelta(days=7),
    )  # fmt: skip
    GuardianFactory(child=case.child, email="later@example.nl")
    run_command(django_capture_on_commit_callbacks)
    assert case.survey_invitations.count() == 2
    assert mailoutbox[0].to == ["later@example.nl"]


def test_an_invitation_made_at_closure_stops_the_three_month_one(
    mailoutbox, django_capture_on_commit_callbacks, frozen
):
    case = study_case(date_received=TODAY - datetime.timedelta(days=20))
    close(case, django_capture_on_commit_callbacks)
    frozen.move_to(NOW + datetime.timedelta(days=75))  # past the three-month date
    run_command(django_capture_on_commit_callbacks)
    assert case.survey_invitations.count() == 2
    assert len(mailoutbox) == 1


# -------------------------------------------------------------------------- staff survey


def test_the_staff_survey_goes_to_every_active_professional(
    mailoutbox, django_capture_on_commit_callbacks
):
    bip = ProfessionalFactory(bip=True, user__first_name="Fatima")
    regular = ProfessionalFactory()
    ProfessionalFactory(inactive=True)
    ProfessionalFactory(user__email="")
    ProfessionalFactory(user__is_active=False)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "send_staff_survey", "--period-start", "2026-01-01", "--period-end", "2026-02-28",
            stdout=out,
        )  # fmt: skip

    invitations = SurveyInvitation.objects.filter(respondent_type=RespondentType.STAFF)
    assert set(invitations.values_list("professional_id", flat=True)) == {bip.pk, regular.pk}
    assert set(invitations.values_list("period_start", "period_end")) == {
        (datetime.date(2026, 1, 1), datetime.date(2026, 2, 28))
    }
    assert sorted(m.to[0] for m in mailoutbox) == sorted([bip.user.email, regular.user.email])
    mail = next(m for m in mailoutbox if m.to == [bip.user.email])
    assert mail.body.startswith("Beste Fatima,")
    (token,) = tokens_in(mail)
    assert surveys.invitation_for_token(token).professional == bip
    assert "1 zonder e-mailadres" in out.getvalue()

    # Idempotent per period; a new period is a new invitation.
    with django_capture_on_commit_callbacks(execute=True):
        again = surveys.invite_staff(
            period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 2, 28)
        )
        later = surveys.invite_staff(
            period_start=datetime.date(2026, 3, 1), period_end=datetime.date(2026, 4, 30)
        )
    assert (again.invitations, again.already_invited) == (0, 2)
    assert later.invitations == 2
    assert len(mailoutbox) == 4


def test_the_staff_command_refuses_a_reversed_period():
    with pytest.raises(CommandError):
        call_command(
            "send_staff_survey", "--period-start", "2026-03-01", "--period-end", "2026-02-01"
        )
    with pytest.raises(CommandError):
        call_command("send_staff_survey", "--period-start", "maart", "--period-end", "2026-02-01")


# ------------------------------------------------------------------------ response rates


@pytest.mark.parametrize("n_cases", [2, 12])
def test_a_chunk_takes_the_same_queries_whatever_its_size(
    n_cases, django_assert_num_queries, django_capture_on_commit_callbacks
):
    for n in range(n_cases):
        study_case(date_received=received_months_ago(3, days=n))
    # not-sendable count, two id pages (the second empty), savepoint, lock, invited,
    # guardians, insert, release
    with django_assert_num_queries(9), django_capture_on_commit_callbacks(execute=True):
        run = surveys.invite_due_cases(chunk_size=50)
    assert run.cases == n_cases
