"""The API's rendered docs (Swagger UI from django-ninja's package, served by WhiteNoise, no
CDN) load the OpenAPI document and show every operation, within the app's CSP."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_render_every_operation_without_a_csp_violation(page, live_server, page_problems):
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=15_000)
    text = page.inner_text("body")
    for path in (
        "/api/v1/meldingen",
        "/api/v1/meldingen:batch",
        "/api/v1/meldingen/{referentie}/status",
    ):
        assert path in text
    external = [r for r in page_problems.console_errors if "http" in r and "127.0.0.1" not in r]
    assert not external
    page_problems.assert_clean()
