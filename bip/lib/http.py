from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class AuthenticatedHttpRequest(HttpRequest):
    """The request type of every view: logged in (LoginRequiredMiddleware), with htmx details."""

    user: User
    htmx: HtmxDetails
