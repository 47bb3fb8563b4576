"""One access log entry per audited request by a logged-in user.

Which requests are audited, and how their record is found, is decided by audit.policy from
the resolved URL alone: unaudited pages cost nothing, audited ones one INSERT.

Not logged in: no entry at all. LoginRequiredMiddleware has sent the request to the login page
before any view ran, so nothing was shown or changed; an entry would only let anyone on the
internet write rows naming a child's case into a log that is kept for seven years. Login
attempts themselves are logged by django-axes, and every request by the web server.

Reads (GET) fail closed: when the entry cannot be written, the response is replaced by the 500
page. A page of a child's file that cannot be logged is not shown ("every look at a child's
file is logged").

Writes (POST) are atomic with their entry: the view and the INSERT run in one transaction. When
the entry cannot be written, or the view fails with a 5xx, the change is rolled back and the
user gets a 500 page saying that nothing was saved, so sending the form again is right and
never duplicates the change. Effects scheduled with transaction.on_commit run after that
transaction, so only for a change that was kept. The views that deliberately commit something
on a failure (the login, the second factor: django-axes' counters) are not audited.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponseBase, HttpResponseServerError, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.template import loader
from django.urls import Resolver404, ResolverMatch, resolve
from django.views.defaults import server_error

from . import policy
from .constants import MASK
from .services import access_log_record

logger = logging.getLogger(__name__)

# Methods the middleware logs without wrapping the view in a transaction: they change nothing.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
NOT_SAVED_TEMPLATE = "audit/500_not_saved.html"


class AccessLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method in READ_METHODS:
            return self.read(request)
        return self.write(request)

    def read(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        audited = self.audited(request, getattr(request, "resolver_match", None))
        if audited is None or response.status_code == 405:
            return response
        rule, action = audited
        try:
            self.record(request, response, rule, action)
        except DatabaseError as error:
            self.log_failure(request, error)
            return server_error(request)
        return response

    def write(self, request: HttpRequest) -> HttpResponseBase:
        """The view and its entry in one transaction: both are saved, or neither."""
        # The rule must be known before the view runs, so resolve the URL here (Django does
        # it again for the view; an in-memory lookup).
        try:
            match = resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        audited = self.audited(request, match)
        if audited is None:
            return self.get_response(request)
        rule, action = audited
        view_failed = False
        try:
            with transaction.atomic():
                response = self.get_response(request)
                view_failed = response.status_code >= 500
                if view_failed:
                    # The view crashed half-way: keep none of it, like the failed INSERT.
                    transaction.set_rollback(True)
                elif response.status_code != 405:
                    self.record(request, response, rule, action)
            if view_failed:
                # The attempt is still logged, outside the transaction that was rolled back.
                self.record(request, response, rule, action)
        except DatabaseError as error:
            self.log_failure(request, error)
            return self.not_saved(request)
        return self.not_saved(request) if view_failed else response

    @staticmethod
    def audited(
        request: HttpRequest, match: ResolverMatch | None
    ) -> tuple[policy.Rule, str] | None:
        """The rule and action for this request, or None when it is not logged."""
        rule = policy.rule_for(match)
        if rule is None:
            return None
        action = rule.action_for(request.method or "")
        user = getattr(request, "user", None)
        if action is None or user is None or not user.is_authenticated:
            return None
        return rule, action

    @staticmethod
    def log_failure(request: HttpRequest, error: Exception) -> None:
        match = getattr(request, "resolver_match", None)
        # No personal data in the message: the URL name and the error class only.
        logger.error(
            "Access log entry could not be written for %s (%s); the response is withheld.",
            match.view_name if match else "?",
            type(error).__name__,
        )

    @staticmethod
    def not_saved(request: HttpRequest) -> HttpResponseServerError:
        """The 500 page for a write that was rolled back: nothing was saved, try again."""
        return HttpResponseServerError(loader.render_to_string(NOT_SAVED_TEMPLATE))

    def record(
        self, request: HttpRequest, response: HttpResponseBase, rule: policy.Rule, action: str
    ) -> None:
        details: dict[str, Any] = dict(rule.details)
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
        access_log_record(
            request,
            action=action,
            object_type=rule.object_type,
            object_id=record_id,
            case_id=record_id if rule.subject == policy.Subject.CASE else None,
            child_id=record_id if rule.subject == policy.Subject.CHILD else None,
            result=None,
            http_status=response.status_code,
            details=details,
        )

    @staticmethod
    def record_id(request: HttpRequest, params: QueryDict, rule: policy.Rule) -> str | None:
        """The record's id from the URL (or the intake's ?kind=), if it is a plain id.

        Anything else (a nine-digit number, text) is not an id this app hands out, and might
        be a BSN typed into the address bar: it is recorded as "***".
        """
        value = None
        match = getattr(request, "resolver_match", None)
        if rule.id_kwarg and match is not None:
            value = match.kwargs.get(rule.id_kwarg)
        elif rule.id_param:
            value = params.get(rule.id_param) or request.GET.get(rule.id_param)
        if value in (None, ""):
            return None
        value = str(value)
        return value if policy.SMALL_NUMBER.fullmatch(value) else MASK
