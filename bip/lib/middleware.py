from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


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
