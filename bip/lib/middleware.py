import json
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.middleware.locale import LocaleMiddleware
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _


class DutchFirstLocaleMiddleware(LocaleMiddleware):
    """Dutch unless the user chose another language with the switcher (the language cookie).

    The browser's Accept-Language is ignored on purpose: staff of Dutch public bodies get the
    Dutch interface even on an English browser, and switch to English themselves if they want.
    """

    def process_request(self, request) -> None:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class RejectNulBytesMiddleware:
    """Answer 400 with a Dutch page to a request with a NUL byte in its path or query string.

    No view has a use for one, and PostgreSQL cannot store or even compare it: a NUL in an
    admin list filter (?action=%00) or a search field would otherwise end in a 500. Form fields
    refuse it on their own (Django's ProhibitNullCharactersValidator); this covers the URL.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query_string = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in unquote_plus(query_string):
            reason = _("Het adres bevat een ongeldig teken (een NUL-byte).")
            if request.path.startswith("/api/"):
                # The machine API answers in RFC 9457 problem details, also here.
                return HttpResponseBadRequest(
                    json.dumps(
                        {
                            "type": "about:blank",
                            "title": _("Ongeldig verzoek"),
                            "status": 400,
                            "detail": reason,
                            "errors": [],
                        }
                    ),
                    content_type="application/problem+json",
                )
            return HttpResponseBadRequest(
                loader.render_to_string(
                    "400.html",
                    {"reason": _("Het adres bevat een ongeldig teken (een NUL-byte).")},
                )
            )
        return self.get_response(request)
