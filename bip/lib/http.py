"""The request types of the views and middleware, for the type checker.

Django types `request.user` as `User | AnonymousUser`, and knows nothing of the attributes that
middleware adds. OTPMiddleware gives every user, anonymous or not, `otp_device` and
`is_verified()`; HtmxMiddleware adds `request.htmx` (django-htmx's documented pattern of an
HttpRequest subclass that exists for the annotations only). Behind LoginRequiredMiddleware
every view, except the `login_not_required` ones (which take a plain HttpRequest), sees a
logged-in User.
"""

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    # For the type checker only: at run time OTPMiddleware sets these attributes on the
    # instance, and a subclass of User would be a new model.
    class OTPUser(User):
        """A logged-in user as django-otp's OTPMiddleware leaves it on the request."""

        otp_device: Any  # django_otp.models.Device or None; django-otp ships no types

        def is_verified(self) -> bool:
            """Whether this session passed the second factor."""
            ...

    class OTPAnonymousUser(AnonymousUser):
        """A visitor as OTPMiddleware leaves it: never verified."""

        otp_device: None

        def is_verified(self) -> bool: ...

else:
    OTPUser = User
    OTPAnonymousUser = AnonymousUser


class OTPHttpRequest(HttpRequest):
    """A request after OTPMiddleware, logged in or not: for middleware and public pages."""

    user: OTPUser | OTPAnonymousUser


class AuthenticatedHttpRequest(HttpRequest):
    """The request type of every view: logged in (LoginRequiredMiddleware), with htmx details."""

    user: OTPUser
    htmx: HtmxDetails
