"""Response headers that every response needs, whichever middleware or view produced it.

Order in settings.MIDDLEWARE matters: a middleware only sees the responses of the middlewares
after it. WhiteNoise answers static files itself, and the 400 page for a bad Host header is
made where the Host is first read (CommonMiddleware, or SecurityMiddleware's HTTPS redirect).
So the header middlewares come first:

1. SecurityHeadersMiddleware (this module): nosniff, Referrer-Policy, Cross-Origin-Opener-Policy
   and HSTS, also on a response that SecurityMiddleware's own request phase failed to make.
2. Django's ContentSecurityPolicyMiddleware, XFrameOptionsMiddleware and our
   PermissionsPolicyMiddleware. The CSP nonce still works in templates: the CSP middleware
   sets it on the request before any view runs, wherever it sits.
3. Django's SecurityMiddleware (the HTTPS redirect), then WhiteNoise.
4. PrivateResponseMiddleware (this module), right after WhiteNoise, so static files keep
   their own long-lived caching.
"""

from django.middleware.security import SecurityMiddleware
from django.utils.cache import patch_vary_headers

PRIVATE_CACHE_CONTROL = "no-store, private"


class SecurityHeadersMiddleware:
    """Apply SecurityMiddleware's response headers to every response, as the outermost layer.

    SecurityMiddleware adds them itself, except to a response made when its own request phase
    raised (a bad Host header while redirecting plain HTTP to HTTPS): then Django turns the
    error into the 400 page outside it. Adding a header that is present already is a no-op.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.security = SecurityMiddleware(get_response)

    def __call__(self, request):
        response = self.get_response(request)
        return self.security.process_response(request, response)


class PrivateResponseMiddleware:
    """Keep pages out of shared and browser caches, and vary them on htmx.

    Every page of this app is about a child, a professional or a login, or is an error page:
    none is worth caching, and a browser's disk cache or history must not keep a case page or
    an htmx partial. So a response without its own Cache-Control gets "no-store, private"
    (views that set one, such as never_cache, keep theirs). Static files never reach this
    middleware: WhiteNoise, before it, answers them with its own Cache-Control.

    Vary: HX-Request, because many views answer the same URL with a full page or with an htmx
    partial; a cache must never hand one out for the other (django-htmx's advice).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = PRIVATE_CACHE_CONTROL
        patch_vary_headers(response, ("HX-Request",))
        return response
