"""Browser journeys in Chromium through Playwright, with axe accessibility checks.

Playwright cannot download its own browser here, so the Debian Chromium is used. Without a
Chromium the journeys skip with a visible reason, except in CI (CI=true), where they fail.
"""

import os
import re
import shutil

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.factories import DEMO_PASSWORD

CHROMIUM = (
    os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
)
BLOCKING_IMPACTS = {"serious", "critical"}
LOGIN_PAGE = re.compile(r"/inloggen/")

# Playwright's sync API runs an event loop in the test thread, and pytest-django's database
# fixtures then refuse the (synchronous, safe) ORM calls. Set for the whole run, before the
# session fixtures start; tests that spawn a deploy check remove it from their environment.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    browser_items = [item for item in items if "browser" in item.keywords]
    if os.environ.get("CI"):
        for item in browser_items:
            item.add_marker(
                pytest.mark.xfail(
                    reason="CI has no Chromium: install the chromium package",
                    strict=True,
                    run=False,
                )
            )
        raise pytest.UsageError("CI=true but no Chromium found: install the chromium package")
    for item in browser_items:
        item.add_marker(
            pytest.mark.skip(reason="No Chromium installed (apt-get install chromium); CI runs it")
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "nl-NL", "timezone_id": "Europe/Amsterdam"}


@pytest.fixture
def csp_errors(page):
    """Console errors during the test, such as Content-Security-Policy violations."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


class PageProblems:
    """What went wrong in the page during a test: console errors, uncaught exceptions and
    Content-Security-Policy violations (the `securitypolicyviolation` event, which also fires
    for violations Chromium does not print, such as a blocked style attribute).

    Chromium prints a console error for every 4xx/5xx response; a journey that provokes one on
    purpose (a form answered with 422) passes its text to `assert_clean(allow=...)`.
    """

    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.csp_violations: list[str] = []

    def assert_clean(self, *, allow: tuple[str, ...] = ()) -> None:
        console = [e for e in self.console_errors if not any(a in e for a in allow)]
        assert not self.csp_violations, "CSP violations:\n" + "\n".join(self.csp_violations)
        assert not self.page_errors, "JavaScript errors:\n" + "\n".join(self.page_errors)
        assert not console, "Console errors:\n" + "\n".join(console)


CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.kkReportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
      `at ${event.sourceFile}:${event.lineNumber} (${event.sample})`
  );
});
"""


@pytest.fixture
def page_problems(page):
    """Collect console errors, JavaScript errors and CSP violations of every page the test
    opens; call `page_problems.assert_clean()` at the end of the journey."""
    problems = PageProblems()
    page.expose_function("kkReportCspViolation", lambda text: problems.csp_violations.append(text))
    page.add_init_script(CSP_LISTENER)
    page.on(
        "console",
        lambda msg: problems.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    return problems


@pytest.fixture
def assert_accessible():
    axe = Axe()

    def check(page) -> None:
        results = axe.run(page)
        blocking = [
            f"{v['id']} ({v['impact']}): {v['help']} – "
            + "; ".join(node["target"][0] for node in v["nodes"][:3])
            for v in results.response["violations"]
            if v["impact"] in BLOCKING_IMPACTS
        ]
        assert not blocking, f"axe on {page.url}:\n" + "\n".join(blocking)

    return check


@pytest.fixture
def login(page, live_server):
    def do_login(username: str, password: str = DEMO_PASSWORD) -> None:
        page.goto(f"{live_server.url}/inloggen/")
        page.get_by_label("Gebruikersnaam").fill(username)
        page.get_by_label("Wachtwoord").fill(password)
        page.get_by_role("button", name="Inloggen").click()
        # Wait until the login has redirected. wait_for_load_state() alone returns at once
        # (the login page is loaded), and the next goto would then race the login's redirect:
        # two requests in flight on the live server at the same time.
        expect(page).not_to_have_url(LOGIN_PAGE)

    return do_login
