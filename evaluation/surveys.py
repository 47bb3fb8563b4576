"""Client and staff satisfaction surveys: one-time links, invitations and answers.

The response rates are computed with the rest of the report, in evaluation.report.

Links
- A link carries ``secrets.token_urlsafe(32)``: 32 random bytes (256 bits) as 43 URL-safe
  characters. Only the token's SHA-256 hex digest is stored (``SurveyInvitation.token_hash``).
  The token itself exists only in memory while the invitation is made, and in the e-mail.
- Lookup hashes the presented token and finds the row by its (unique, indexed) hash, then
  compares the digests with ``hmac.compare_digest``. The lookup's timing can at most reveal
  something about a stored *hash*, and a hash does not help anyone construct a token, so this
  is as good as a constant-time comparison of tokens. A string that is not shaped like a token
  is refused without a query.
- A link works once: ``survey_submit`` locks the invitation row (``select_for_update``),
  checks ``used_at`` and ``expires_at``, writes the response and its answers and sets
  ``used_at``, all in one transaction. A second submit waits for the lock and then finds the
  link used; the one-to-one response -> invitation is the backstop.
- A refused link says which of three things is the case: unknown (404), already used (410) or
  expired (410). Telling them apart helps the person holding the link and tells nothing to
  anyone else: only a holder of the token can learn its state, and 256 bits cannot be guessed.

Client invitations
- Created at the case's closure (``cases/services/stages.py: _close`` calls
  ``survey_invitations_for_case`` in its transaction) or at the three-month date
  (``manage.py send_survey_invitations``, daily), whichever comes first. Never twice: a case
  with any client invitation gets no more, checked while the case row is locked.
- Only cases in the study (with an arm). The parent always; the child too when they are at
  least ``CHILD_SURVEY_MIN_AGE`` on the day of the invitation (the same rule as the demo data).
- No child e-mail addresses are held, so both links go to one guardian of the household
  (custody first). A case without any guardian e-mail address gets no mailed invitation: it
  is listed for its professional, who makes the invitation on paper and hands it over in
  person (see "paper invitations" below). An invitation exists only if it could be sent or
  was printed. If the mail fails after the commit, the invitations of that mail are
  deleted again and the daily command retries. Response rates therefore count sent
  invitations only, and the command reports the cases it could not send to.
- The mail holds a generic text and the links: no name, BSN, case number or anything else
  about the child. It is sent on commit, synchronously, and not through the task queue: a
  queued task would store the token in the database.

Staff invitations
- ``manage.py send_staff_survey --period-start --period-end``: one invitation per active
  professional with an e-mail address per period, in both arms, mailed to their own address.

A response's ``arm`` is the arm at submission: the case's arm for clients (as treated, after
any correction), BIP or control by the professional's ``is_bip`` for staff. The report and the
survey export do not count clients in it: they use the case's allocated (intention-to-treat)
arm (`evaluation.report_inputs.response_arm`), so a response always counts in the same arm as its
case in the cases dataset.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case, CaseQuerySet, Guardian
from professionals.models import Professional

from .constants import (
    CLIENT_ITEMS,
    CLIENT_RESPONDENTS,
    STAFF_ITEMS,
    Arm,
    RespondentType,
    SurveyItem,
)
from .models import SurveyAnswer, SurveyInvitation, SurveyResponse

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32  # 256 bits
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")  # what token_urlsafe(32) produces
CHILD_SURVEY_MIN_AGE = 12
COMMENT_MAX_LENGTH = 2000
GRADES = range(1, 11)
SCORES = range(1, 6)
# The daily command looks back this many days for cases that became due (closure or three
# months) and still have no invitation, e.g. because the mail failed or an e-mail address was
# added later. Older cases are not surveyed any more: the help was too long ago.
DUE_LOOKBACK_DAYS = 30
CHUNK_SIZE = 500

# The statements in plain language (B1, "je") for the child's version. The parent and staff
# versions use the SurveyItem labels.
CHILD_ITEM_TEXTS = {
    SurveyItem.STORY_ONCE: gettext_lazy("Ik hoefde mijn verhaal maar één keer te vertellen"),
    SurveyItem.KNEW_CONTACT: gettext_lazy("Ik wist wie mijn vaste contactpersoon was"),
    SurveyItem.RESPECT: gettext_lazy("Ze behandelden mij met respect"),
    SurveyItem.HELP_FITTED: gettext_lazy("De hulp paste bij mij"),
    SurveyItem.ROLE_CLEAR: gettext_lazy(
        "Ik snapte steeds waarom iemand met mij praatte: voor leerplicht, voor Halt of voor de Raad"
    ),
    SurveyItem.LISTENED: gettext_lazy("Ze luisterden naar mij"),
}


def items_for(respondent_type: str) -> tuple[SurveyItem, ...]:
    """The statements a respondent of this type scores."""
    return STAFF_ITEMS if respondent_type == RespondentType.STAFF else CLIENT_ITEMS


def item_text(item: str, respondent_type: str) -> StrOrPromise:
    """The statement as the respondent reads it: plain language for the child."""
    if respondent_type == RespondentType.CHILD:
        return CHILD_ITEM_TEXTS[SurveyItem(item)]
    return SurveyItem(item).label


# --------------------------------------------------------------------------------- tokens


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh link token and the hash to store. The token itself is never stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def survey_link(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("evaluation:survey", args=[token])


class LinkProblem(enum.StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


class SurveyLinkError(Exception):
    """A survey link that cannot be used: unknown, already used or expired."""

    def __init__(self, problem: LinkProblem):
        self.problem = problem
        super().__init__(problem.value)


def _find_invitation(token: str, *, lock: bool) -> SurveyInvitation:
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        raise SurveyLinkError(LinkProblem.UNKNOWN)
    digest = hash_token(token)
    invitations = SurveyInvitation.objects.select_related("case", "professional")
    if lock:
        # Only the invitation row: the case and professional are the nullable side of a join.
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(token_hash=digest).first()
    if invitation is None or not hmac.compare_digest(invitation.token_hash, digest):
        raise SurveyLinkError(LinkProblem.UNKNOWN)
    if invitation.used_at is not None:
        raise SurveyLinkError(LinkProblem.USED)
    if invitation.expires_at <= timezone.now():
        raise SurveyLinkError(LinkProblem.EXPIRED)
    return invitation


def invitation_for_token(token: str) -> SurveyInvitation:
    """The open invitation of a link token. Raises SurveyLinkError (unknown, used, expired)."""
    return _find_invitation(token, lock=False)


# ------------------------------------------------------------------------------ responses


def _arm_at_submission(invitation: SurveyInvitation) -> str:
    # The invitation_respondent check constraint: a staff invitation names its professional,
    # any other names its case.
    if invitation.respondent_type == RespondentType.STAFF:
        assert invitation.professional is not None
        return Arm.BIP if invitation.professional.is_bip else Arm.CONTROL
    assert invitation.case is not None
    return invitation.case.arm


def survey_submit(
    *, token: str, grade: int, scores: dict[str, int], comment: str = ""
) -> SurveyResponse:
    """Store the answers of a survey link and use the link up, in one transaction.

    `scores` maps every statement of the respondent type (items_for) to 1-5; `grade` is 1-10.
    Raises SurveyLinkError when the link is unknown, used (also by a concurrent submit that
    won the lock) or expired, and ValueError for answers the form should have refused.
    """
    comment = (comment or "").strip()
    with transaction.atomic():
        invitation = _find_invitation(token, lock=True)
        expected = set(items_for(invitation.respondent_type))
        if set(scores) != expected or any(score not in SCORES for score in scores.values()):
            raise ValueError("Every statement needs a score of 1 to 5.")
        if grade not in GRADES:
            raise ValueError("The grade lies between 1 and 10.")
        if len(comment) > COMMENT_MAX_LENGTH:
            raise ValueError("The comment is too long.")
        now = timezone.now()
        try:
            with transaction.atomic():
                response = SurveyResponse.objects.create(
                    invitation=invitation,
                    respondent_type=invitation.respondent_type,
                    arm=_arm_at_submission(invitation),
                    grade=grade,
                    comment=comment,
                    submitted_at=now,
                )
        except IntegrityError:  # pragma: no cover - the row lock makes this unreachable
            raise SurveyLinkError(LinkProblem.USED) from None
        SurveyAnswer.objects.bulk_create(
            SurveyAnswer(response=response, item=item, score=score)
            for item, score in sorted(scores.items())
        )
        invitation.used_at = now
        invitation.save(update_fields=["used_at"])
    return response


# ---------------------------------------------------------------------------- invitations


@dataclass
class Delivery:
    """One e-mail with one or more survey links, sent after the invitations are committed."""

    to: str
    subject: str
    body: str
    invitation_ids: list[int]


@dataclass
class InvitationRun:
    """What an invitation run did; the commands print it."""

    cases: int = 0
    invitations: int = 0
    mails_sent: int = 0
    mails_failed: int = 0
    not_sendable: int = 0
    already_invited: int = 0
    created: list[SurveyInvitation] = field(default_factory=list, repr=False)


def _expiry(now: datetime.datetime) -> tuple[datetime.datetime, datetime.date]:
    """The moment a link made `now` expires, and the last day it works (said in the mail)."""
    last_day = timezone.localdate(now) + datetime.timedelta(days=settings.SURVEY_LINK_DAYS)
    first_moment_after = timezone.make_aware(
        datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time())
    )
    return first_moment_after, last_day


def _client_mail(links: dict[str, str], last_day: datetime.date) -> tuple[str, str]:
    """Subject and body of the guardian's mail. Generic on purpose: nothing about the child."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Wat vond u van de hulp? Korte vragenlijst")
        parts = [
            _(
                "Beste ouder of verzorger,\n\nU en uw kind hebben de afgelopen tijd contact gehad "
                "met een van onze professionals. Wij willen graag weten hoe u dat heeft ervaren. "
                "Het invullen duurt ongeveer drie minuten en is vrijwillig."
            ),
            _("Vragenlijst voor u:\n%(link)s") % {"link": links[RespondentType.PARENT]},
        ]
        if RespondentType.CHILD in links:
            parts.append(
                _(
                    "Vragenlijst voor uw kind. Wilt u deze link aan uw kind geven, zodat uw kind "
                    "de vragen zelf kan invullen?\n%(link)s"
                )
                % {"link": links[RespondentType.CHILD]}
            )
        parts.append(
            _(
                "Elke link werkt één keer en is geldig tot en met %(date)s. De professionals "
                "die u hielpen, zien de antwoorden niet. De vragenlijst is ook in het Engels "
                "beschikbaar (English)."
            )
            % {"date": date_format(last_day, "j F Y")}
        )
        parts.append(_("Deze e-mail bevat bewust geen namen of andere gegevens over uw kind."))
    return str(subject), "\n\n".join(str(part) for part in parts)


def _staff_mail(
    professional: Professional,
    link: str,
    last_day: datetime.date,
    start: datetime.date,
    end: datetime.date,
) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Ketenkameleon: korte vragenlijst over je werk")
        body = _(
            "Beste %(name)s,\n\nHoe gaat het met je werk? We vragen alle professionals in de "
            "pilot, in beide onderzoeksarmen, naar werkdruk, werkplezier, leren en de "
            "duidelijkheid van hun rol in de periode %(start)s tot en met %(end)s. Het invullen "
            "duurt ongeveer twee minuten.\n\n%(link)s\n\nDe link werkt één keer en is geldig "
            "tot en met %(date)s. Je antwoorden worden alleen getoond in overzichten van "
            "minstens vijf medewerkers."
        ) % {
            "name": professional.user.first_name or professional.user.get_username(),
            "start": date_format(start, "j F Y"),
            "end": date_format(end, "j F Y"),
            "link": link,
            "date": date_format(last_day, "j F Y"),
        }
    return str(subject), str(body)


def _deliver(deliveries: list[Delivery], run: InvitationRun | None) -> None:
    """Send each mail; when one fails, withdraw its invitations so a later run retries them."""
    for delivery in deliveries:
        try:
            EmailMessage(delivery.subject, delivery.body, None, [delivery.to]).send()
        except Exception as error:  # any mail failure withdraws the invitations
            # Neither the address nor the links go into the log.
            logger.warning(
                "Survey invitation mail failed (%s); invitations %s withdrawn",
                type(error).__name__,
                delivery.invitation_ids,
            )
            SurveyInvitation.objects.filter(
                pk__in=delivery.invitation_ids, used_at__isnull=True
            ).delete()
            if run is not None:
                run.mails_failed += 1
        else:
            if run is not None:
                run.mails_sent += 1


def _send_on_commit(deliveries: list[Delivery], run: InvitationRun | None = None) -> None:
    if deliveries:
        transaction.on_commit(lambda: _deliver(deliveries, run))


def _guardian_addresses(household_ids: Iterable[int]) -> dict[int, str]:
    """Per household, the e-mail address of one guardian: custody first, then the oldest
    record. Guardians are shared by the household (cases.models.Guardian)."""
    rows = (
        Guardian.objects.filter(household_id__in=set(household_ids))
        .exclude(email="")
        .order_by("household_id", "-has_custody", "pk")
        .values_list("household_id", "email")
    )
    addresses: dict[int, str] = {}
    for household_id, email in rows:
        addresses.setdefault(household_id, email)
    return addresses


def _invite_locked_cases(cases: list[Case], run: InvitationRun) -> list[Delivery]:
    """Create the client invitations of `cases` (locked, with `child`) that have none yet.

    Must run inside the transaction that locked the cases. Three queries for any number of
    cases. Returns the mails to send once the transaction commits.
    """
    in_study = [case for case in cases if case.arm]
    if not in_study:
        return []
    invited = set(
        SurveyInvitation.objects.filter(
            case__in=in_study, respondent_type__in=CLIENT_RESPONDENTS
        ).values_list("case_id", flat=True)
    )
    addresses = _guardian_addresses(case.child.household_id for case in in_study)
    now = timezone.now()
    today = timezone.localdate(now)
    expires_at, last_day = _expiry(now)
    pending: list[tuple[str, dict[str, str], list[SurveyInvitation]]] = []
    for case in in_study:
        if case.pk in invited:
            run.already_invited += 1
            continue
        if case.child.household_id not in addresses:
            run.not_sendable += 1
            continue
        respondents = [RespondentType.PARENT]
        if case.child.age_on(today) >= CHILD_SURVEY_MIN_AGE:
            respondents.append(RespondentType.CHILD)
        links: dict[str, str] = {}
        invitations: list[SurveyInvitation] = []
        for respondent in respondents:
            token, digest = new_token()
            links[respondent] = survey_link(token)
            invitations.append(
                SurveyInvitation(
                    respondent_type=respondent,
                    case=case,
                    token_hash=digest,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        pending.append((addresses[case.child.household_id], links, invitations))
        run.cases += 1
    created = SurveyInvitation.objects.bulk_create(
        [invitation for _to, _links, invitations in pending for invitation in invitations]
    )
    run.invitations += len(created)
    run.created += created
    deliveries = []
    for to, links, invitations in pending:
        subject, body = _client_mail(links, last_day)
        deliveries.append(Delivery(to, subject, body, [i.pk for i in invitations]))
    return deliveries


def survey_invitations_for_case(case: Case) -> list[SurveyInvitation]:
    """Create the client invitations of one case if it has none yet; mail them on commit.

    Idempotent: a case that already has a client invitation gets nothing, and neither does a
    case outside the study (no arm) or one without a guardian e-mail address. Locks the case
    row; joins the caller's transaction (the case closure) when there is one. Returns the
    invitations made.
    """
    run = InvitationRun()
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",)).select_related("child").get(pk=case.pk)
        )
        _send_on_commit(_invite_locked_cases([locked], run))
    return run.created


# ---------------------------------------------------------------------- paper invitations
#
# A household without any guardian e-mail address gets no mailed invitation. Its case is
# listed for the professional who holds it (paper_invitation_cases), who makes the
# invitation on paper and hands it over in person: the links as QR codes on a printed sheet.
#
# A token exists only while the invitation is made (only its hash is stored), so the sheet is
# made when the professional confirms it (a POST) and is shown in that one response, never
# again. Making it again for the same case is allowed (the sheet was lost, the printer
# jammed): it makes new links and deletes the case's earlier unused client invitations, so
# an earlier sheet no longer works. A respondent who already answered gets no new link. The
# response rates stay right: a case has at most one invitation per respondent.


class PaperInvitationRefused(Exception):
    """The case cannot get a paper invitation now; the message says why, for the user."""


@dataclass
class PaperInvitation:
    """The links of a paper invitation, for the printed sheet only (never stored)."""

    links: dict[str, str]
    last_day: datetime.date
    language: str
    replaced: int


def _due_window(today: datetime.date, lookback_days: int) -> Q:
    since = today - datetime.timedelta(days=lookback_days)
    return Q(three_month_deadline__gt=since, three_month_deadline__lte=today) | Q(
        closed_on__gt=since, closed_on__lte=today
    )


def _guardian_email_exists() -> Exists:
    return Exists(
        Guardian.objects.filter(household_id=OuterRef("child__household_id")).exclude(email="")
    )


def paper_invitation_cases(
    cases: QuerySet[Case], *, today: datetime.date | None = None
) -> QuerySet[Case]:
    """Of `cases` (a professional's own, from cases.access), those whose survey is due and
    can only go on paper: in the study, closed or at their three-month date in the last
    DUE_LOOKBACK_DAYS days, and no guardian of the household has an e-mail address.

    Annotated with `paper_made_at` (when the current links were made; None: not yet) and
    `answered` (a client survey of the case is filled in). Most urgent first. Fixed queries.
    """
    today = today or timezone.localdate()
    client = SurveyInvitation.objects.filter(
        case=OuterRef("pk"), respondent_type__in=CLIENT_RESPONDENTS
    )
    return (
        cases.exclude(arm="")
        .filter(_due_window(today, DUE_LOOKBACK_DAYS))
        .exclude(_guardian_email_exists())
        .select_related("child")
        .annotate(
            paper_made_at=Subquery(client.order_by("-created_at").values("created_at")[:1]),
            answered=Exists(client.filter(used_at__isnull=False)),
        )
        .order_by(F("paper_made_at").asc(nulls_first=True), "three_month_deadline", "pk")
    )


def _paper_respondents(case: Case, today: datetime.date) -> list[str]:
    respondents: list[str] = [RespondentType.PARENT]
    if case.child.age_on(today) >= CHILD_SURVEY_MIN_AGE:
        respondents.append(RespondentType.CHILD)
    return respondents


def paper_invitation_refusal(case: Case, *, today: datetime.date | None = None) -> str | None:
    """Why `case` (with `child`) cannot get a paper invitation now, for the user; else None.

    Refused: a case outside the study; a survey not due yet or too long ago (the same window
    as the mailed invitations); a household with a guardian e-mail address (the invitation
    goes by mail); a case whose client surveys are all filled in.
    """
    today = today or timezone.localdate()
    if not case.arm:
        return _("Deze zaak doet niet mee aan het onderzoek: er is geen enquête.")
    since = today - datetime.timedelta(days=DUE_LOOKBACK_DAYS)
    due_days = [day for day in (case.three_month_deadline, case.closed_on) if day is not None]
    if not any(since < day <= today for day in due_days):
        if all(day > today for day in due_days):
            return _("De enquête komt bij het sluiten van de zaak of na drie maanden, niet eerder.")
        return _(
            "De zaak is langer dan %(days)s dagen geleden gesloten of drie maanden oud: er "
            "komt geen enquête meer."
        ) % {"days": DUE_LOOKBACK_DAYS}
    if Guardian.objects.filter(household_id=case.child.household_id).exclude(email="").exists():
        return _(
            "Een ouder of verzorger van het huishouden heeft een e-mailadres: de uitnodiging "
            "gaat per e-mail."
        )
    answered = set(
        SurveyInvitation.objects.filter(case=case, used_at__isnull=False).values_list(
            "respondent_type", flat=True
        )
    )
    if not set(_paper_respondents(case, today)) - answered:
        return _("De vragenlijsten van deze zaak zijn al ingevuld.")
    return None


def paper_invitation_made_at(case: Case) -> datetime.datetime | None:
    """When the case's current, unused client links were made (a sheet that making a new one
    would invalidate); None if there are none."""
    return (
        SurveyInvitation.objects.filter(
            case=case, respondent_type__in=CLIENT_RESPONDENTS, used_at__isnull=True
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def _paper_language(case: Case) -> str:
    """The language of the sheet: the first guardian's (custody first) if the survey has it."""
    preferred = (
        Guardian.objects.of_household(case.child.household_id)
        .values_list("preferred_language", flat=True)
        .first()
    )
    return preferred if preferred in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def paper_invitation_create(*, case: Case, actor: User) -> PaperInvitation:
    """Make the client invitations of `case` for a printed sheet, and return their links.

    Locks the case row (as the mailed invitations do, so the two never both invite). Raises
    PaperInvitationRefused with paper_invitation_refusal's reason. Deletes the case's earlier
    unused client invitations (an earlier sheet stops working) and makes one per respondent
    who has not answered yet. The links exist only in the returned value: the caller shows
    them once and stores nothing. `actor` is recorded in the (token-free) log line; the
    access log records the request.
    """
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",)).select_related("child").get(pk=case.pk)
        )
        now = timezone.now()
        today = timezone.localdate(now)
        refusal = paper_invitation_refusal(locked, today=today)
        if refusal is not None:
            raise PaperInvitationRefused(refusal)
        client = SurveyInvitation.objects.filter(
            case=locked, respondent_type__in=CLIENT_RESPONDENTS
        )
        answered = set(
            client.filter(used_at__isnull=False).values_list("respondent_type", flat=True)
        )
        replaced, _per_model = client.filter(used_at__isnull=True).delete()
        expires_at, last_day = _expiry(now)
        links: dict[str, str] = {}
        invitations = []
        language = _paper_language(locked)
        for respondent in _paper_respondents(locked, today):
            if respondent in answered:
                continue
            token, digest = new_token()
            link = survey_link(token)
            if language != settings.LANGUAGE_CODE:
                link += f"?taal={language}"  # the survey page switches its language
            links[respondent] = link
            invitations.append(
                SurveyInvitation(
                    respondent_type=respondent,
                    case=locked,
                    token_hash=digest,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        SurveyInvitation.objects.bulk_create(invitations)
    logger.info(
        "Paper survey invitation made for case %s by user %s (%s links, %s replaced)",
        locked.pk,
        actor.pk,
        len(links),
        replaced,
    )
    return PaperInvitation(links=links, last_day=last_day, language=language, replaced=replaced)


def cases_due_for_survey(
    *, today: datetime.date, lookback_days: int = DUE_LOOKBACK_DAYS
) -> CaseQuerySet:
    """Cases in the study that were closed or reached their three-month date in the last
    `lookback_days` days (up to and including `today`) and have no client invitation."""
    since = today - datetime.timedelta(days=lookback_days)
    invited = SurveyInvitation.objects.filter(
        case=OuterRef("pk"), respondent_type__in=CLIENT_RESPONDENTS
    )
    return (
        Case.objects.exclude(arm="")
        .filter(
            Q(three_month_deadline__gt=since, three_month_deadline__lte=today)
            | Q(closed_on__gt=since, closed_on__lte=today)
        )
        .exclude(Exists(invited))
    )


def invite_due_cases(
    *,
    today: datetime.date | None = None,
    lookback_days: int = DUE_LOOKBACK_DAYS,
    chunk_size: int = CHUNK_SIZE,
) -> InvitationRun:
    """Invite every case that is due (cases_due_for_survey), in chunks of `chunk_size` cases,
    one transaction per chunk; each chunk's mails go out when it commits. Idempotent."""
    today = today or timezone.localdate()
    due = cases_due_for_survey(today=today, lookback_days=lookback_days)
    sendable = Exists(
        Guardian.objects.filter(household_id=OuterRef("child__household_id")).exclude(email="")
    )
    run = InvitationRun(not_sendable=due.exclude(sendable).count())
    due_ids = due.filter(sendable).order_by("pk").values_list("pk", flat=True)
    last_id = 0
    while ids := list(due_ids.filter(pk__gt=last_id)[:chunk_size]):
        last_id = ids[-1]
        with transaction.atomic():
            cases = list(
                Case.objects.select_for_update(of=("self",))
                .select_related("child")
                .filter(pk__in=ids)
                .order_by("pk")
            )
            _send_on_commit(_invite_locked_cases(cases, run), run)
    return run


def invite_staff(
    *, period_start: datetime.date, period_end: datetime.date, chunk_size: int = CHUNK_SIZE
) -> InvitationRun:
    """One staff-survey invitation per active professional for the period, mailed to them.

    Both arms. Idempotent per professional and period. A professional without an e-mail
    address is counted as not sendable and gets no invitation.
    """
    if period_end < period_start:
        raise ValueError("The period ends before it starts.")
    run = InvitationRun()
    professional_ids = (
        Professional.objects.filter(is_active=True, user__is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    last_id = 0
    while ids := list(professional_ids.filter(pk__gt=last_id)[:chunk_size]):
        last_id = ids[-1]
        with transaction.atomic():
            professionals = list(
                Professional.objects.select_for_update(of=("self",))
                .select_related("user")
                .filter(pk__in=ids)
                .order_by("pk")
            )
            invited = set(
                SurveyInvitation.objects.filter(
                    respondent_type=RespondentType.STAFF,
                    professional__in=professionals,
                    period_start=period_start,
                    period_end=period_end,
                ).values_list("professional_id", flat=True)
            )
            now = timezone.now()
            expires_at, last_day = _expiry(now)
            pending = []
            for professional in professionals:
                if professional.pk in invited:
                    run.already_invited += 1
                    continue
                if not professional.user.email:
                    run.not_sendable += 1
                    continue
                token, digest = new_token()
                invitation = SurveyInvitation(
                    respondent_type=RespondentType.STAFF,
                    professional=professional,
                    period_start=period_start,
                    period_end=period_end,
                    token_hash=digest,
                    created_at=now,
                    expires_at=expires_at,
                )
                pending.append((professional, survey_link(token), invitation))
            created = SurveyInvitation.objects.bulk_create([row[2] for row in pending])
            run.invitations += len(created)
            run.created += created
            deliveries = []
            for professional, link, invitation in pending:
                subject, body = _staff_mail(professional, link, last_day, period_start, period_end)
                deliveries.append(Delivery(professional.user.email, subject, body, [invitation.pk]))
            _send_on_commit(deliveries, run)
    return run
