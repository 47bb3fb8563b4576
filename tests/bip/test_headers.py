"""Security and caching headers on every response: pages, htmx partials, static files, the 400
page for a bad Host header, and the 400 for a NUL byte (bip/security/headers.py,
bip/lib/middleware.py, the order of settings.MIDDLEWARE)."""

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.template import engines
from django.urls import path, reverse

from audit.models import AccessLogEntry
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=()",
}
STATIC_FILE = "/static/css/theme.css"


def assert_security_headers(response) -> None:
    for header, expected in SECURITY_HEADERS.items():
        assert expected in response.headers.get(header, ""), (header, response.headers)


@pytest.fixture
def static_files(settings):
    """WhiteNoise serves from the finders, as in development (no collectstatic in tests)."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


def test_a_page_has_the_security_headers_and_is_not_stored(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("cases:dashboard"))
    assert response.status_code == 200
    assert_security_headers(response)
    assert response["Cache-Control"] == "no-store, private"
    assert "HX-Request" in response["Vary"]


def test_a_case_page_and_its_htmx_partial_are_not_stored(client, professional):
    case = CaseFactory(professional=professional)
    client.force_login(professional.user)
    url = reverse("cases:case_detail", args=[case.pk])
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
        assert "HX-Request" in response["Vary"]
        assert_security_headers(response)


def test_a_view_with_its_own_cache_control_keeps_it(client, administrator):
    client.force_login(administrator)
    response = client.get(reverse("audit:log"))  # never_cache
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_the_login_page_and_a_redirect_to_it_are_not_stored(client):
    for url in (reverse("login"), reverse("cases:case_list")):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url
        assert_security_headers(response)


def test_a_static_file_has_the_security_headers_and_its_own_caching(client, static_files):
    response = client.get(STATIC_FILE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert_security_headers(response)
    assert "no-store" not in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    assert "HX-Request" not in response.headers.get("Vary", "")
    assert not AccessLogEntry.objects.exists()


def test_a_bad_host_gets_a_dutch_400_page_with_every_header(client):
    response = client.get(reverse("login"), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "Ongeldig verzoek" in response.text
    assert "evil.example" not in response.text
    assert_security_headers(response)
    assert response["Cache-Control"] == "no-store, private"


def test_a_bad_host_during_the_https_redirect_gets_every_header(client, settings):
    """SecurityMiddleware reads the Host itself to redirect plain HTTP: its 400 is made
    outside it, and only the outer SecurityHeadersMiddleware adds nosniff and the rest."""
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(reverse("login"), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "Ongeldig verzoek" in response.text
    assert_security_headers(response)


@pytest.mark.parametrize(
    "url",
    [
        "/beheer/audit/accesslogentry/?action=%00",
        "/beheer/auth/user/?q=%00",
        "/toegangslog/?gebruiker=%00",
        "/zaken/?q=a%00b",
        "/zaken/?%00=1",
        "/zaken/intake/?zoek=1&bsn=%00",
        "/inloggen/?next=%00",
    ],
)
def test_a_nul_byte_in_the_query_string_is_a_dutch_400(client, url):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    response = client.get(url)
    assert response.status_code == 400
    assert "Het adres bevat een ongeldig teken (een NUL-byte)." in response.text
    assert_security_headers(response)
    assert not AccessLogEntry.objects.exists()


def test_a_nul_byte_in_the_path_is_a_dutch_400(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/beheer/cases/case/%00/change/")
    assert response.status_code == 400
    assert "NUL-byte" in response.text


def test_a_percent_sign_that_is_no_nul_byte_still_works(client, coordinator):
    client.force_login(coordinator)
    assert client.get("/zaken/", {"q": "%00"}).status_code == 200  # sent as %2500


@login_not_required
def page_with_nonce(request):
    template = engines["django"].from_string('<script nonce="{{ csp_nonce }}"></script>')
    return HttpResponse(template.render(request=request))


urlpatterns = [path("nonce/", page_with_nonce)]


def test_the_csp_nonce_of_a_template_is_in_the_header(client, settings):
    settings.ROOT_URLCONF = __name__
    response = client.get("/nonce/")
    nonce = response.text.split('nonce="')[1].split('"')[0]
    assert len(nonce) > 10
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
