"""bip/security/middleware.py: the second factor on every URL, and the Permissions-Policy.

The session limits are in test_sessions.py.
"""

import uuid
from urllib.parse import urlencode

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern

from tests.bip.security.conftest import code_for
from tests.factories import CaseFactory, ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.mfa, pytest.mark.django_db]

# Reachable while the second factor is still to come: the MFA steps themselves and logout.
MFA_STEPS = {"security:mfa_enrol", "security:mfa_verify", "logout"}
SAMPLE_VALUES = ["1", "x", str(uuid.uuid4())]


def every_url(resolver=None, namespace: str = "", converters=None):
    """(name, url) for every named URL pattern, the admin included, with sample arguments.

    The MFA check runs before the view, so the arguments need not point at real records.
    """
    resolver = resolver or get_resolver()
    converters = converters or {}
    urls = []
    for pattern in resolver.url_patterns:
        own = (
            getattr(pattern.pattern, "converters", {})
            if isinstance(pattern.pattern, RoutePattern)
            else {}
        )
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            urls += every_url(pattern, inner, converters | own)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}{pattern.name}"
            urls.append((name, _reverse_with_samples(name, pattern, converters | own)))
    return urls


def _reverse_with_samples(name, pattern, converters):
    if isinstance(pattern.pattern, RoutePattern):
        for value in SAMPLE_VALUES:
            try:
                return reverse(name, kwargs=dict.fromkeys(converters, value))
            except NoReverseMatch:
                continue
    # The admin's app index is a regular expression over the app labels.
    return reverse(name, kwargs=dict.fromkeys(pattern.pattern.regex.groupindex, "auth"))


def is_public(url: str) -> bool:
    return not getattr(resolve(url).func, "login_required", True)


@pytest.fixture
def superuser_with_app(enrol):
    """The most powerful account, logged in with its password only."""
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    enrol(user)
    return user


def test_every_url_is_listed():
    names = {name for name, _url in every_url()}
    assert {"home", "cases:case_detail", "admin:index", "admin:auth_user_change"} <= names
    assert names >= MFA_STEPS
    public = {name for name, url in every_url() if is_public(url)}
    assert {"login", "set_language", "admin:login"} <= public


@pytest.mark.slow
def test_every_url_demands_the_second_factor(client, superuser_with_app):
    """A user who passed only the password is sent to the MFA step from every page, admin
    included; only public pages and the MFA steps themselves (and logout) are exempt."""
    client.force_login(superuser_with_app)
    verify = reverse("security:mfa_verify")
    checked = 0
    for name, url in every_url():
        response = client.get(url)
        sent_to_mfa = response.status_code == 302 and response.url == (
            f"{verify}?{urlencode({'next': url})}"
        )
        if name in MFA_STEPS or is_public(url):
            assert not sent_to_mfa, name
        else:
            assert sent_to_mfa, (name, url, response.status_code)
            checked += 1
    assert checked > 50  # the app's pages and the admin's


def test_a_user_without_an_app_is_sent_to_enrolment(client):
    client.force_login(UserFactory(username="c", coordinator=True))
    response = client.get(reverse("cases:case_list"))
    assert response.status_code == 302
    assert response.url == reverse("security:mfa_enrol") + "?next=%2Fzaken%2F"


def test_an_unknown_admin_url_also_demands_the_second_factor(client, superuser_with_app):
    client.force_login(superuser_with_app)
    response = client.get("/beheer/bestaat-niet/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("security:mfa_verify"))


def test_a_write_without_the_second_factor_changes_nothing(client, enrol):
    professional = ProfessionalFactory(bip=True, user__username="p")
    enrol(professional.user)
    case = CaseFactory(professional=professional)
    version = case.version
    client.force_login(professional.user)
    response = client.post(
        reverse("cases:close", args=[case.pk]), {"reason": "x", "version": version}
    )
    assert response.status_code == 302
    assert response.url == reverse("security:mfa_verify")  # no `next` for a POST
    case.refresh_from_db()
    assert case.version == version


def test_an_htmx_request_gets_a_client_redirect(client, enrol):
    user = UserFactory(username="c", coordinator=True)
    enrol(user)
    client.force_login(user)
    response = client.get(reverse("cases:case_list"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("security:mfa_verify")


def test_after_verification_every_page_and_the_admin_open(client, superuser_with_app):
    device = superuser_with_app.totpdevice_set.get()
    client.force_login(superuser_with_app)
    client.post(reverse("security:mfa_verify"), {"code": code_for(device)})
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200
    assert client.get(reverse("security:mfa_overview")).status_code == 200


def test_logout_works_before_the_second_factor(client, superuser_with_app):
    client.force_login(superuser_with_app)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_the_login_page_and_language_switch_stay_public(client, superuser_with_app):
    client.force_login(superuser_with_app)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.url == "/"


def assert_security_headers(response):
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy
    csp = response["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'nonce-" in script_src
    assert "unsafe-inline" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_security_headers_on_the_login_page(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_security_headers(response)


def test_security_headers_on_a_page_and_an_mfa_step(client, coordinator, enrol):
    device, _codes = enrol(coordinator)
    client.force_login(coordinator)
    assert_security_headers(client.get(reverse("security:mfa_verify")))
    client.post(reverse("security:mfa_verify"), {"code": code_for(device)})
    response = client.get(reverse("cases:case_list"))
    assert response.status_code == 200
    assert_security_headers(response)
