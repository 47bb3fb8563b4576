"""The public survey pages: a one-time link, no login. And, at the end, the professional's
paper invitations (logged in, through evaluation.access).

The link's token sits in the URL path, so every page here:
- sends ``Referrer-Policy: no-referrer`` (the URL never leaves as a Referer, not even to our
  own static files, whose requests land in access logs) and ``Cache-Control: no-store``;
- keeps its 4xx answers out of Django's request log (which would write the path, and so the
  token) and logs a token-free line instead;
- is exempt from CSRF. The token is the capability: a forged post needs the token, and whoever
  has it can submit directly. Besides, under ``no-referrer`` browsers send ``Origin: null`` on a
  post, which Django's CSRF check refuses. For the same reason the layout's language switch is
  a pair of links (``?taal=en``) handled here, not the site-wide POST form to ``set_language``.

The pages show nothing about the case or the child: anyone holding the link sees the same.
"""

import datetime
import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from bip.lib.http import AuthenticatedHttpRequest
from bip.lib.pagination import paginate

from .. import access, surveys
from ..constants import RespondentType
from ..forms import SurveyForm

logger = logging.getLogger(__name__)

STATUS_FOR_PROBLEM = {
    surveys.LinkProblem.UNKNOWN: 404,
    surveys.LinkProblem.USED: 410,
    surveys.LinkProblem.EXPIRED: 410,
}


def _language_redirect(request: HttpRequest, language: str) -> HttpResponseRedirect:
    """Switch the language like set_language does (the same cookie) and show the page again."""
    query = request.GET.copy()
    del query["taal"]
    response = HttpResponseRedirect(
        f"{request.path}?{query.urlencode()}" if query else request.path
    )
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def survey_page(
    *methods: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """A public survey page: see the module docstring."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in methods:
                # Not require_http_methods: it logs the path.
                response: HttpResponseBase = HttpResponseNotAllowed(methods)
            elif request.method == "GET" and request.GET.get("taal") in dict(settings.LANGUAGES):
                response = _language_redirect(request, request.GET["taal"])
            else:
                response = view(request, *args, **kwargs)
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["X-Robots-Tag"] = "noindex, nofollow"
            add_never_cache_headers(response)
            if response.status_code >= 400:
                # Django's request logger would write the path, and with it the token.
                # The private flag django.utils.log.log_response reads; not in django-stubs.
                response._has_been_logged = True  # type: ignore[attr-defined]
            return response

        return login_not_required(csrf_exempt(wrapper))

    return decorate


def _unavailable(request: HttpRequest, problem: surveys.LinkProblem) -> HttpResponse:
    logger.info("Survey link refused: %s", problem.value)
    return render(
        request,
        "evaluation/survey_unavailable.html",
        {"problem": problem.value},
        status=STATUS_FOR_PROBLEM[problem],
    )


@survey_page("GET", "POST")
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The survey of a one-time link. GET shows it; POST stores it and uses the link up."""
    try:
        invitation = surveys.invitation_for_token(token)
    except surveys.SurveyLinkError as error:
        return _unavailable(request, error.problem)
    respondent_type = invitation.respondent_type
    form = SurveyForm(respondent_type, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                surveys.survey_submit(
                    token=token,
                    grade=form.cleaned_data["grade"],
                    scores=form.scores(),
                    comment=form.cleaned_data["comment"],
                )
            except surveys.SurveyLinkError as error:
                return _unavailable(request, error.problem)
            return HttpResponseRedirect(
                f"{reverse('evaluation:survey_thanks')}?voor={respondent_type}"
            )
        status = 422
    return render(
        request,
        "evaluation/survey_form.html",
        {
            "form": form,
            "respondent_type": respondent_type,
            "is_child": respondent_type == RespondentType.CHILD,
            "is_staff_survey": respondent_type == RespondentType.STAFF,
            "invitation": invitation,
            # The link works up to (not including) expires_at: this is its last day.
            "last_day": timezone.localdate(invitation.expires_at - datetime.timedelta(seconds=1)),
        },
        status=status,
    )


@survey_page("GET")
def survey_thanks(request: HttpRequest) -> HttpResponse:
    """The thank-you page after a survey; the respondent type only chooses the wording."""
    respondent_type = request.GET.get("voor", "")
    if respondent_type not in RespondentType.values:
        respondent_type = RespondentType.PARENT
    return render(request, "evaluation/survey_thanks.html", {"respondent_type": respondent_type})


# ------------------------------------------------------------------------------------------
# Paper invitations (logged in): for a household without an e-mail address, the professional
# who holds the case prints the survey links as QR codes and hands them over in person.
# evaluation.surveys explains why the sheet exists only in the response to its POST.


def link_qr_svg(link: str, *, title: str, title_id: str) -> SafeString:
    """`link` as an inline SVG QR code, made here (no image service, no network); no inline
    style (the CSP): its size comes from the `kk-qr` class."""
    import qrcode

    qr = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(link)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    size = len(matrix)
    path = "".join(
        f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    return format_html(
        '<svg class="kk-qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}"><title id="{}">{}</title>'
        '<rect width="100%" height="100%" fill="#fff"/><path d="{}" fill="#000"/></svg>',
        size,
        size,
        title_id,
        title_id,
        title,
        path,
    )


@require_GET
def paper_invitation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The professional's cases whose survey can only be handed over on paper."""
    own = access.paper_invitation_cases_for(request.user)
    return render(
        request,
        "evaluation/paper_invitation_list.html",
        {"page": paginate(request, surveys.paper_invitation_cases(own))},
    )


@require_http_methods(["GET", "POST"])
def paper_invitation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: what a paper invitation is, and the button that makes it (or why it cannot be
    made). POST: make it and answer with the printable sheet, which is never shown again."""
    case = access.get_case_for_paper_invitation(request.user, pk)
    refusal = surveys.paper_invitation_refusal(case)
    if request.method == "POST" and refusal is None:
        try:
            paper = surveys.paper_invitation_create(case=case, actor=request.user)
        except surveys.PaperInvitationRefused as error:
            refusal = str(error)
        else:
            sheets = [
                {
                    "respondent_type": respondent,
                    "link": link,
                    "qr": link_qr_svg(
                        link,
                        title=str(_("QR-code met de link naar de vragenlijst")),
                        title_id=f"qr-{respondent}",
                    ),
                }
                for respondent, link in paper.links.items()
            ]
            response = render(
                request,
                "evaluation/paper_invitation_sheet.html",
                {"case": case, "paper": paper, "sheets": sheets},
            )
            # The links are in this page only: never cached, never shown from history.
            add_never_cache_headers(response)
            response.headers["Referrer-Policy"] = "no-referrer"
            return response
    return render(
        request,
        "evaluation/paper_invitation.html",
        {
            "case": case,
            "refusal": refusal,
            "made_at": surveys.paper_invitation_made_at(case),
        },
        status=422 if request.method == "POST" else 200,
    )
