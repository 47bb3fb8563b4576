"""One access log entry per audited request, written after the response is ready.

Which requests are audited, and how their record is found, is decided by audit.policy from
the resolved URL alone: unaudited pages cost nothing, audited ones one INSERT.

Failing closed: when the entry cannot be written, the response is replaced by the 500 page.
A page of a child's file that cannot be logged is not shown ("every look at a child's file is
logged"). For a write the change has been saved by then, and it is traceable through its own
history row (stage change, assignment, plan change); the user sees an error and reloads.
"""

import logging

from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError
from django.http import QueryDict
from django.http.multipartparser import MultiPartParserError
from django.views.defaults import server_error

from . import policy
from .constants import MASK, Result
from .services import access_log_record

logger = logging.getLogger(__name__)


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        rule = policy.rule_for(match)
        if rule is None:
            return response
        action = rule.action_for(request.method)
        # 405: the view refused the method before reading anything.
        if action is None or response.status_code == 405:
            return response
        try:
            self.record(request, response, rule, action)
        except DatabaseError as error:
            # No personal data in the message: the URL name and the error class only.
            logger.error(
                "Access log entry could not be written for %s (%s); the response is withheld.",
                match.view_name,
                type(error).__name__,
            )
            return server_error(request)
        return response

    def record(self, request, response, rule: policy.Rule, action: str) -> None:
        details = dict(rule.details)
        try:
            params = request.POST if request.method == "POST" else request.GET
        except (SuspiciousOperation, MultiPartParserError):
            # A body the view never read because it refused first (too large, malformed).
            params = QueryDict()
            details["params_unreadable"] = True
        record_id = self.record_id(request, params, rule)
        summary = policy.summarise_params(params, rule.safe_params)
        if summary:
            details["params"] = summary
        user = getattr(request, "user", None)
        logged_in = user is not None and user.is_authenticated
        access_log_record(
            request,
            action=action,
            object_type=rule.object_type,
            object_id=record_id,
            case_id=record_id if rule.subject == policy.Subject.CASE else None,
            child_id=record_id if rule.subject == policy.Subject.CHILD else None,
            # Not logged in: LoginRequiredMiddleware sent them to the login page instead.
            result=None if logged_in else Result.REFUSED,
            http_status=response.status_code,
            details=details,
        )

    @staticmethod
    def record_id(request, params, rule: policy.Rule) -> str | None:
        """The record's id from the URL (or the intake's ?kind=), if it is a plain id.

        Anything else (a nine-digit number, text) is not an id this app hands out, and might
        be a BSN typed into the address bar: it is recorded as "***".
        """
        value = None
        if rule.id_kwarg:
            value = request.resolver_match.kwargs.get(rule.id_kwarg)
        elif rule.id_param:
            value = params.get(rule.id_param) or request.GET.get(rule.id_param)
        if value in (None, ""):
            return None
        value = str(value)
        return value if policy.SMALL_NUMBER.fullmatch(value) else MASK
