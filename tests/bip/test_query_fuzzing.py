"""Every GET view × every role × every query parameter it reads × hostile values: no 500s.

The URLs are discovered, not listed: every named URL of the project (the app's own and the
Django admin's) is walked from the URL resolver and filled with a real id from a small seeded
world. The parameters are discovered too: the fields of every GET form on the page and the
parameters of every link back to the same page (the admin's filters, sorting and date
hierarchy), plus a fixed list of names that views read outside forms.

Everything is a fixed table (no randomness, so a failure is reproducible), sized to run in
seconds. Each view is swept once, by the first role that may open it:
- a page that names parameters of its own (a filter form, sorting or paging links) gets one
  request per hostile value class with every candidate parameter set to it, and one request
  per (own parameter, sharp value class) with only that parameter, so an early refusal of one
  parameter cannot hide a crash on another;
- a page that names none gets a few requests in which the generic parameters take every value
  class in turn (a rotation);
- a page a role is refused (the login redirect, 403, 404) gets one rotation as anonymous: the
  middleware reads the query string before any access check.
The admin is swept as superuser (every model, its filters, search, sorting, paging, actions
and date hierarchy, and the change, history and delete pages of a real object); the filter
parameters are deduplicated by their lookup, since one lookup runs the same code on every
model.

A failure names the URL, the parameter, the value class and the innermost project frame of
the exception, and the sweep goes on: one run lists every crash.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.bip.hostile_input import HOSTILE
from tests.bip.test_access_matrix import RULES
from tests.factories import UserFactory

pytestmark = pytest.mark.slow

# The classes swept one parameter at a time (the rest only run all at once).
SHARP = (
    "huge_digits",
    "nul_byte",
    "far_date_max",
    "over_long_text",
    "int64_overflow",
    "far_date_min",
)

# An app page's own parameters go through its form, which cleans each field by itself: the
# all-at-once requests already reach every field, so one by one only the classes whose valid
# values drive a view further (far dates, long numbers and text).
PAGE_CLASSES = ("huge_digits", "far_date_max", "far_date_min", "over_long_text")
# A search box: text and numbers, not dates.
SEARCH_CLASSES = ("huge_digits", "nul_byte", "over_long_text", "int64_overflow")

# Names that views read outside their forms (pagination, the intake's steps, the survey's
# language and respondent, the export's poll, the import's filter, redirects) and generic
# names a crawler or attacker would try.
GENERIC_PARAMS = [
    "pagina",
    "page",
    "sort",
    "q",
    "kind",
    "zoek",
    "nieuw",
    "bsn",
    "last_name",
    "date_of_birth",
    "van",
    "tot",
    "actie",
    "action",
    "toon",
    "gezien",
    "voor",
    "taal",
    "next",
    "professional",
    "status",
    "stage",
    "deadline",
]
# Parameters a view reads that its page does not (always) name in a form or link: swept one
# by one like the page's own. Pagination runs the same code everywhere: swept on one list.
READ_OUTSIDE_FORMS = {
    "cases:intake": ["kind", "nieuw"],
    "cases:import_preview": ["toon", "pagina"],
    "cases:case_list": ["pagina"],
    "evaluation:export_detail": ["gezien"],
    "evaluation:survey": ["taal", "voor"],
    "evaluation:survey_thanks": ["voor"],
    "login": ["next"],
}
# The Django admin's own changelist parameters: actions, search, sorting, paging, "show all",
# the error flag, popups and the to-field; and those of its other pages.
CHANGELIST_PARAMS = ["action", "q", "o", "p", "all", "e", "_popup", "_to_field"]
ADMIN_PARAMS = [
    *CHANGELIST_PARAMS,
    "_changelist_filters",
    "term",
    "app_label",
    "model_name",
    "field_name",
]
# Sent to every changelist: a NUL in a field lookup (`action` is a field of the access log),
# sorting by junk, a huge page number.
CHANGELIST_PROBES = [
    {"action": HOSTILE["nul_byte"]},
    {"action__exact": HOSTILE["nul_byte"]},
    {"o": "junk.-1.99999999999999999999"},
    {"p": HOSTILE["huge_digits"]},
]
# The changelist that takes the parameters every changelist shares (a cheap one).
GENERIC_CHANGELIST = "admin:auth_group_changelist"
# Admin URLs left out, with the reason. Every other admin URL is fuzzed.
ADMIN_URLS_NOT_FUZZED = {
    "admin:logout": "POST only.",
    "admin:view_on_site": "Only redirects to the object's own page, which is fuzzed itself.",
}
# App URLs that answer GET only with 405: nothing reads a query string there.
POST_ONLY = {name for name, rule in RULES.items() if rule.get.get("coordinator") == 405}

PROJECT_ROOT = Path(settings.BASE_DIR).resolve()


class ParamParser(HTMLParser):
    """The parameter names a page offers for itself: GET form fields and same-page links."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.names: set[str] = set()
        self._in_get_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action_path = urlsplit(a.get("action") or self.path).path
            self._in_get_form = (a.get("method") or "get").lower() == "get" and action_path in {
                self.path,
                "",
            }
        elif tag in {"input", "select", "textarea"} and self._in_get_form and a.get("name"):
            if (a.get("type") or "").lower() not in {"submit", "button", "reset", "image"}:
                self.names.add(a["name"])
        elif tag == "a" and a.get("href"):
            href = urlsplit(a["href"])
            if href.path in {"", self.path} and href.query:
                self.names |= {name for name, _ in parse_qsl(href.query, keep_blank_values=True)}

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_get_form = False


def url_patterns(resolver=None, namespace: str = ""):
    """(name, pattern) of every named URL pattern of the project, the admin's included."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def url_names() -> list[str]:
    return [name for name, _ in url_patterns()]


def admin_url(name: str) -> str | None:
    """A concrete admin URL for `name`, with the id of a real object; None if there is none."""
    short = name.removeprefix("admin:")
    if short in {"index", "login", "password_change", "password_change_done", "jsi18n"}:
        return reverse(name)
    if short == "autocomplete":
        return reverse(name)
    if short == "app_list":
        return None  # one per app label: see admin_app_urls()
    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if not short.startswith(prefix):
            continue
        view = short.removeprefix(prefix)
        if view in {"changelist", "add"}:
            return reverse(name)
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            return None
        if view == "password_change":
            return reverse(name, kwargs={"id": obj.pk})
        if view in {"config", "qrcode"}:
            return reverse(name, kwargs={"pk": obj.pk})
        return reverse(name, kwargs={"object_id": obj.pk})
    raise AssertionError(f"admin URL {name} is not understood by the fuzzer")


def admin_app_urls() -> list[str]:
    labels = sorted({model._meta.app_label for model in admin.site._registry})
    return [reverse("admin:app_list", kwargs={"app_label": label}) for label in labels]


def seed_admin_objects(user) -> None:
    """One row for each admin model that the world does not create by itself."""
    from axes.models import AccessAttempt, AccessFailureLog
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=user, name="fuzz", confirmed=False)
    StaticDevice.objects.create(user=user, name="fuzz")
    AccessAttempt.objects.create(
        username="fuzz", ip_address="127.0.0.1", user_agent="fuzz", failures_since_start=1
    )
    AccessFailureLog.objects.create(username="fuzz", ip_address="127.0.0.1", user_agent="fuzz")


def crash_summary(error: BaseException) -> str:
    """The exception, where it was raised, and the innermost frame of the project's own code."""

    def place(frame) -> str:
        path = Path(frame.filename).resolve()
        shown = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
        return f"{shown}:{frame.lineno}"

    frames = traceback.extract_tb(error.__traceback__)
    own = [
        frame
        for frame in frames
        if Path(frame.filename).resolve().is_relative_to(PROJECT_ROOT)
        and not {".venv", "tests"} & set(Path(frame.filename).resolve().parts)
    ]
    where = place(frames[-1]) + (f" (project: {place(own[-1])})" if own else "")
    return f"{type(error).__name__}: {str(error)[:100]!r} at {where}"


class Sweep:
    """Sends the fixed table of hostile requests and collects every response ≥ 500."""

    def __init__(self, client: Client, role: str):
        self.client = client
        self.role = role
        self.failures: list[str] = []
        self.requests = 0

    def get(self, url: str, params: dict[str, str], label: str):
        path, _, query = url.partition("?")
        data = dict(parse_qsl(query)) | params
        self.requests += 1
        try:
            response = self.client.get(path, data)
        except Exception as error:  # noqa: BLE001 - every crash is collected, then reported
            self.failures.append(f"{self.role} GET {path} {label}: {crash_summary(error)}")
            return None
        if response.status_code >= 500:
            self.failures.append(f"{self.role} GET {path} {label}: {response.status_code}")
        return response

    def offered_params(self, url: str) -> set[str]:
        """GET the page plainly; the parameters it names for itself."""
        response = self.get(url, {}, "(no parameters)")
        if response is None or "text/html" not in response.get("Content-Type", ""):
            return set()
        parser = ParamParser(urlsplit(url).path)
        parser.feed(response.content.decode(errors="replace"))
        return parser.names - {"csrfmiddlewaretoken"}

    def all_at_once(self, url: str, names, classes=tuple(HOSTILE)) -> None:
        for value_class in classes:
            self.get(url, dict.fromkeys(names, HOSTILE[value_class]), f"all = {value_class}")

    def one_by_one(self, url: str, names, classes=SHARP) -> None:
        for name in sorted(names):
            for value_class in classes:
                self.get(url, {name: HOSTILE[value_class]}, f"?{name}= {value_class}")

    def rotation(self, url: str, names, rounds: int) -> None:
        """`rounds` requests; parameter i gets value class i + 4 × round (mod the classes)."""
        classes = list(HOSTILE)
        names = sorted(names)
        for offset in range(rounds):
            params = {
                name: HOSTILE[classes[(i + offset * 4) % len(classes)]]
                for i, name in enumerate(names)
            }
            self.get(url, params, f"rotation {offset} over {names}")

    def page(self, url: str, generic: list[str], own: Iterable[str] = ()) -> None:
        offered = self.offered_params(url) | set(own)
        if offered:
            self.all_at_once(url, offered | set(generic))
            self.one_by_one(url, offered, classes=PAGE_CLASSES)
        else:
            self.rotation(url, generic, rounds=3)

    def assert_no_crash(self) -> None:
        assert not self.failures, (
            f"{len(self.failures)} of {self.requests} requests crashed:\n"
            + "\n".join(self.failures)
        )


APP_ROLES = ["coordinator", "professional", "researcher", "administrator", "anonymous"]


def fill_path(name: str) -> str:
    """A URL for a pattern without an access rule (yet): a number or a word for each argument."""
    pattern = dict(url_patterns())[name]
    kwargs = {
        key: 1 if type(converter).__name__ == "IntConverter" else "MQ"
        for key, converter in pattern.pattern.converters.items()
    }
    return reverse(name, kwargs=kwargs)


def url_for(name: str, world, role: str) -> str:
    """The access matrix's URL for `name`, with the world's record in it."""
    return reverse(name, args=RULES[name].args(world, role))


def app_pages(world) -> dict[str, list[tuple[str, str]]]:
    """role -> [(name, url)]: each app URL once, for the first role that may open it."""
    pages: dict[str, list[tuple[str, str]]] = {role: [] for role in APP_ROLES}
    for name in sorted(n for n in set(url_names()) if not n.startswith("admin:")):
        if name in POST_ONLY or name == "logout":
            continue
        if name not in RULES:
            # Not in the access matrix yet (that test says so): fuzzed as anonymous.
            pages["anonymous"].append((name, fill_path(name)))
            continue
        rule = RULES[name]
        role = next((r for r in APP_ROLES if rule.get.get(r) == 200), "anonymous")
        if rule.public:
            role = "anonymous"
        pages[role].append((name, url_for(name, world, role)))
    return pages


@pytest.mark.parametrize("role", APP_ROLES)
def test_query_fuzz_app_views(client, world, role):
    """The pages each role opens survive every hostile value in every parameter they read."""
    if role != "anonymous":
        client.force_login(world["users"][role])
    sweep = Sweep(client, role)
    for name, url in app_pages(world)[role]:
        sweep.page(url, GENERIC_PARAMS, READ_OUTSIDE_FORMS.get(name, []))
    if role == "anonymous":
        # Pages that send the anonymous to the login page still run the middleware.
        for name in sorted(set(RULES) - POST_ONLY):
            if not RULES[name].public:
                sweep.rotation(url_for(name, world, role), GENERIC_PARAMS, rounds=1)
    sweep.assert_no_crash()


def admin_urls() -> list[tuple[str, bool]]:
    """(url, is_changelist) of every admin page that can be filled with a real object."""
    urls = [(url, False) for url in admin_app_urls()]
    for name in sorted(set(url_names())):
        if name.startswith("admin:") and name not in ADMIN_URLS_NOT_FUZZED:
            url = admin_url(name)
            if url is not None:
                urls.append((url, name.endswith("_changelist")))
    return urls


def lookup_of(param: str) -> str:
    """The lookup a changelist parameter runs: the same code whatever the field's name."""
    return param if "__" not in param else "__" + param.split("__", 1)[1]


def test_query_fuzz_admin(client, world):
    """The admin as superuser: every changelist, its filters, search, sorting, paging and
    actions; every other admin page (add, change, history, delete of a real object)."""
    user = UserFactory(username="super", is_superuser=True, is_staff=True)
    seed_admin_objects(user)
    client.force_login(user)
    sweep = Sweep(client, "superuser")
    # The parameters every changelist shares run the same code for every model: swept one by
    # one on a single changelist.
    sweep.one_by_one(reverse(GENERIC_CHANGELIST), CHANGELIST_PARAMS)
    seen_lookups = {lookup_of(name) for name in CHANGELIST_PARAMS}
    for url, is_changelist in admin_urls():
        if not is_changelist:
            # Without _to_field: a bad one is refused (400) before anything else is read.
            sweep.rotation(url, [p for p in ADMIN_PARAMS if p != "_to_field"], rounds=1)
            continue
        offered = sweep.offered_params(url)
        # The values that crashed before (issue 10), on each model's own fields and filters.
        for params in CHANGELIST_PROBES:
            sweep.get(url, params, urlencode(params)[:60])
        # Search runs each admin's own search fields; a filter lookup runs the same code on
        # every model, so each lookup is swept once, on the first changelist that offers it.
        new = {name for name in offered if lookup_of(name) not in seen_lookups}
        seen_lookups |= {lookup_of(name) for name in new}
        sweep.one_by_one(url, new)
        sweep.one_by_one(url, ["q"], classes=SEARCH_CLASSES)
    sweep.assert_no_crash()


def test_query_fuzz_admin_as_functional_administrator(client, world):
    """The beheerder's own view of the admin (fewer models, other permissions)."""
    user = world["users"]["administrator"]
    seed_admin_objects(user)
    client.force_login(user)
    sweep = Sweep(client, "administrator")
    for url, is_changelist in admin_urls():
        if is_changelist:
            offered = sweep.offered_params(url)
            sweep.rotation(url, offered | set(ADMIN_PARAMS), rounds=2)
    sweep.assert_no_crash()


def test_admin_date_hierarchy_far_dates(client, db):
    """The date hierarchy of each changelist with the last and first years, months and days."""
    user = UserFactory(username="super", is_superuser=True, is_staff=True)
    client.force_login(user)
    sweep = Sweep(client, "superuser")
    for model, model_admin in admin.site._registry.items():
        field = model_admin.date_hierarchy
        if not field:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for params in (
            {f"{field}__year": "9999"},
            {f"{field}__year": "9999", f"{field}__month": "12"},
            {f"{field}__year": "9999", f"{field}__month": "12", f"{field}__day": "31"},
            {f"{field}__year": "1", f"{field}__month": "1", f"{field}__day": "1"},
            {f"{field}__year": "0"},
            {f"{field}__year": "2024", f"{field}__month": "13"},
            {f"{field}__year": "2024", f"{field}__month": "2", f"{field}__day": "30"},
        ):
            sweep.get(url, params, urlencode(params))
    sweep.assert_no_crash()


def test_every_admin_url_is_fuzzed_or_says_why(db):
    """A new admin URL is fuzzed without touching this file, or is listed here with a reason."""
    for name in url_names():
        if name.startswith("admin:") and name not in ADMIN_URLS_NOT_FUZZED:
            admin_url(name)  # raises for an admin URL the fuzzer does not understand
