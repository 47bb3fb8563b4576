"""Survey invitations on paper (issue 16 §1): a household without any guardian e-mail
address is listed for its professional, who makes the links at the moment of printing."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from cases.models import Case
from evaluation import surveys
from evaluation.constants import Arm, RespondentType
from evaluation.models import SurveyInvitation
from tests.factories import (
    CaseFactory,
    ChildFactory,
    GuardianFactory,
    ProfessionalFactory,
    SurveyInvitationFactory,
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


def paper_case(*, years: int = 14, closed_days_ago: int = 3, email: str = "", **kwargs) -> Case:
    """A case in the BIP arm, closed `closed_days_ago` days ago, whose household's one guardian
    has `email` (none: empty)."""
    born = TODAY.replace(year=TODAY.year - years) - datetime.timedelta(days=30)
    child = ChildFactory(date_of_birth=born)
    GuardianFactory(child=child, email=email)
    kwargs.setdefault("arm", Arm.BIP)
    case = CaseFactory(child=child, closed=True, **kwargs)
    Case.objects.filter(pk=case.pk).update(
        closed_on=TODAY - datetime.timedelta(days=closed_days_ago)
    )
    case.refresh_from_db()
    return case


def _actor():
    return ProfessionalFactory(bip=True).user


def token_of(link: str) -> str:
    found = re.fullmatch(
        r"https://kk\.example\.nl/evaluatie/enquete/([A-Za-z0-9_-]{43})/(\?.*)?", link
    )
    assert found, link
    return found.group(1)


def test_making_it_creates_one_link_per_respondent_and_stores_only_hashes():
    case = paper_case(years=14)

    paper = surveys.paper_invitation_create(case=case, actor=_actor())

    assert set(paper.links) == {RespondentType.PARENT, RespondentType.CHILD}
    stored = SurveyInvitation.objects.filter(case=case)
    assert stored.count() == 2
    for respondent, link in paper.links.items():
        token = token_of(link)
        invitation = surveys.invitation_for_token(token)
        assert invitation.case_id == case.pk
        assert invitation.respondent_type == respondent
        assert invitation.token_hash == surveys.hash_token(token) != token
    assert paper.last_day == TODAY + datetime.timedelta(days=30)
    assert paper.replaced == 0


def test_a_child_under_twelve_gets_no_sheet_of_their_own():
    paper = surveys.paper_invitation_create(case=paper_case(years=10), actor=_actor())
    assert set(paper.links) == {RespondentType.PARENT}


def test_making_it_again_invalidates_the_earlier_sheet():
    case = paper_case()
    first = surveys.paper_invitation_create(case=case, actor=_actor())

    second = surveys.paper_invitation_create(case=case, actor=_actor())

    assert second.replaced == 2
    assert SurveyInvitation.objects.filter(case=case).count() == 2
    for link in first.links.values():
        with pytest.raises(surveys.SurveyLinkError) as refused:
            surveys.invitation_for_token(token_of(link))
        assert refused.value.problem == surveys.LinkProblem.UNKNOWN
    for link in second.links.values():
        assert surveys.invitation_for_token(token_of(link)).case_id == case.pk


def test_a_respondent_who_answered_gets_no_new_link_and_keeps_the_answer():
    case = paper_case()
    first = surveys.paper_invitation_create(case=case, actor=_actor())
    scores = dict.fromkeys(surveys.items_for(RespondentType.PARENT), 4)
    surveys.survey_submit(
        token=token_of(first.links[RespondentType.PARENT]), grade=8, scores=scores
    )

    second = surveys.paper_invitation_create(case=case, actor=_actor())

    assert set(second.links) == {RespondentType.CHILD}
    assert SurveyInvitation.objects.get(case=case, respondent_type="ouder").used_at is not None


def test_when_every_survey_is_answered_it_is_refused():
    case = paper_case(years=10)
    SurveyInvitationFactory(case=case, used_at=NOW)

    with pytest.raises(surveys.PaperInvitationRefused, match="al ingevuld"):
        surveys.paper_invitation_create(case=case, actor=_actor())


@pytest.mark.parametrize(
    ("case_kwargs", "message"),
    [
        ({"arm": ""}, "doet niet mee aan het onderzoek"),
        ({"email": "ouder@example.nl"}, "per e-mail"),
        ({"closed_days_ago": 45}, "langer dan 30 dagen"),
    ],
)
def test_it_is_refused_with_the_reason(case_kwargs, message):
    case = paper_case(**case_kwargs)

    assert message in surveys.paper_invitation_refusal(case)
    with pytest.raises(surveys.PaperInvitationRefused, match=message):
        surveys.paper_invitation_create(case=case, actor=_actor())
    assert not SurveyInvitation.objects.filter(case=case).exists()


def test_an_open_case_before_its_three_month_date_is_not_due_yet():
    child = ChildFactory()
    GuardianFactory(child=child, email="")
    case = CaseFactory(child=child, arm=Arm.BIP)  # received 20 days ago

    assert "niet eerder" in surveys.paper_invitation_refusal(case)


def test_an_email_address_of_a_guardian_recorded_with_a_sibling_counts():
    case = paper_case()
    sibling = ChildFactory(household=case.child.household)
    GuardianFactory(child=sibling, email="vader@example.nl")

    assert "per e-mail" in surveys.paper_invitation_refusal(case)


def test_the_sheet_follows_the_guardians_language_if_the_survey_has_it():
    english = paper_case()
    english.child.household.guardians.update(preferred_language="en")
    turkish = paper_case()
    turkish.child.household.guardians.update(preferred_language="tr")

    in_english = surveys.paper_invitation_create(case=english, actor=_actor())
    in_dutch = surveys.paper_invitation_create(case=turkish, actor=_actor())

    assert in_english.language == "en"
    assert in_english.links[RespondentType.PARENT].endswith("/?taal=en")
    assert in_dutch.language == "nl"
    assert "?" not in in_dutch.links[RespondentType.PARENT]


def test_the_list_holds_due_cases_without_an_address_with_their_state():
    owner = ProfessionalFactory(bip=True)
    waiting = paper_case(professional=owner)
    made = paper_case(professional=owner)
    surveys.paper_invitation_create(case=made, actor=owner.user)
    answered = paper_case(professional=owner, years=10)
    SurveyInvitationFactory(case=answered, used_at=NOW)
    paper_case(professional=owner, email="ouder@example.nl")  # mailed
    paper_case(professional=owner, arm="")  # not in the study
    paper_case(professional=owner, closed_days_ago=60)  # too long ago

    rows = list(surveys.paper_invitation_cases(Case.objects.filter(professional=owner)))

    assert [row.pk for row in rows] == [waiting.pk, made.pk, answered.pk]
    assert rows[0].paper_made_at is None
    assert rows[1].paper_made_at == NOW and not rows[1].answered
    assert rows[2].answered


def test_the_list_takes_the_same_queries_whatever_its_length(django_assert_num_queries):
    owner = ProfessionalFactory(bip=True)
    own = Case.objects.filter(professional=owner)
    paper_case(professional=owner)
    with django_assert_num_queries(1):
        assert len([row.child.full_name for row in surveys.paper_invitation_cases(own)]) == 1
    for _ in range(5):
        surveys.paper_invitation_create(case=paper_case(professional=owner), actor=owner.user)
    with django_assert_num_queries(1):
        assert len([row.child.full_name for row in surveys.paper_invitation_cases(own)]) == 6


def test_the_mailed_invitations_leave_a_paper_case_alone(mailoutbox):
    """The daily command does not mail (or count twice) a case that has a paper invitation."""
    case = paper_case()
    surveys.paper_invitation_create(case=case, actor=_actor())
    GuardianFactory(child=case.child, email="later@example.nl")

    run = surveys.invite_due_cases(today=TODAY)

    assert run.invitations == 0
    assert mailoutbox == []
    assert SurveyInvitation.objects.filter(case=case).count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_making_it_locks_the_case_row(django_assert_max_num_queries):
    case, actor = paper_case(), _actor()
    with django_assert_max_num_queries(12) as captured:
        surveys.paper_invitation_create(case=case, actor=actor)
    assert any("FOR UPDATE" in query["sql"] for query in captured.captured_queries)
