"""Hypothesis fuzzes every form in the app: no 500s, and nothing invalid is stored.

The forms are discovered, not listed: every page a role may GET (from the access matrix) is
fetched and parsed, and every <form> on it is submitted with generated values for its own
fields. A new form is therefore fuzzed without touching this file. After the run every stored
row of the case and evaluation models must still pass its model validation.
"""

from __future__ import annotations

import datetime
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bip.test_access_matrix import RULES, url_for, world  # noqa: F401 - fixture

# Pages where a form only appears with a query string.
EXTRA_PAGES = {"coordinator": ["/zaken/aanmelden/?nieuw=1"]}
# Forms that end the session or change the language: not interesting and would log us out.
SKIPPED_ACTIONS = {"/uitloggen/", "/taal/"}
MODELS_TO_VALIDATE = ("cases", "evaluation", "professionals")
NASTY_TEXT = [
    "",
    " ",
    "x" * 5000,
    "\x00",
    "<script>alert(1)</script>",
    "'; DROP TABLE cases_case; --",
    "😀" * 50,
    "0",
    "-1",
    "99999999999999999999",
    "2024-02-30",
    "31-12-2024",
    "NaN",
]


class FormParser(HTMLParser):
    """Collects each form's method, action and fields (name -> candidate values)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "method": (a.get("method") or "get").lower(),
                "action": a.get("action"),
                "multipart": a.get("enctype") == "multipart/form-data",
                "fields": {},
            }
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in {"submit", "button", "reset", "image"}:
                return
            field = self._form["fields"].setdefault(a["name"], {"kind": kind, "values": []})
            if a.get("value") is not None:
                field["values"].append(a["value"])
        elif tag == "textarea":
            self._form["fields"].setdefault(a["name"], {"kind": "textarea", "values": []})
        elif tag == "select":
            self._select = a["name"]
            self._form["fields"].setdefault(a["name"], {"kind": "select", "values": []})
        elif tag == "option" and self._select:
            self._form["fields"][self._select]["values"].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def field_strategy(name: str, field: dict) -> st.SearchStrategy:
    known = [v for v in field["values"] if v is not None]
    nasty = st.sampled_from(NASTY_TEXT)
    if field["kind"] == "file":
        return st.binary(max_size=3000)
    if field["kind"] in {"select", "radio", "checkbox", "hidden"} and known:
        return st.one_of(
            st.sampled_from(known), st.sampled_from(known), nasty, st.text(max_size=20)
        )
    if field["kind"] == "date":
        return st.one_of(
            st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)).map(str), nasty
        )
    if field["kind"] == "number":
        return st.one_of(st.integers(-(10**6), 10**6).map(str), nasty)
    return st.one_of(st.text(max_size=300), nasty)


def discover_forms(client, role: str, world) -> dict[str, dict]:  # noqa: F811
    pages = [
        url_for(name, world)
        for name, rules in RULES.items()
        if rules.get(role) == 200 and name != "login"
    ] + EXTRA_PAGES.get(role, [])
    forms: dict[str, dict] = {}
    for page in pages:
        response = client.get(page)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = FormParser()
        parser.feed(response.content.decode())
        for form in parser.forms:
            action = form["action"] or page
            key = f"{form['method']} {urlsplit(action).path}"
            if urlsplit(action).path in SKIPPED_ACTIONS or not form["fields"]:
                continue
            form["action"] = action
            forms.setdefault(key, form)
    return forms


def submit(client, form: dict, data: dict):
    fields = {k: v for k, v in data.items() if v is not None}
    fields.pop("csrfmiddlewaretoken", None)
    if form["method"] == "get":
        query = dict(parse_qsl(urlsplit(form["action"]).query))
        # NUL bytes cannot travel in a query string through the test client's encoder.
        query |= {k: v.replace("\x00", "") for k, v in fields.items() if isinstance(v, str)}
        return client.get(urlsplit(form["action"]).path, query)
    for name, field in form["fields"].items():
        if field["kind"] == "file" and name in fields:
            fields[name] = SimpleUploadedFile("fuzz.csv", fields[name], "text/csv")
    return client.post(form["action"], fields)


def assert_everything_stored_is_valid():
    for label in MODELS_TO_VALIDATE:
        for model in apps.get_app_config(label).get_models():
            for obj in model._default_manager.all()[:500]:
                # Validation against the database's own rules, not "today": stored rows may
                # legitimately be older than rules that depend on the current date.
                obj.clean_fields()


def fuzz_form(client, key: str, form: dict) -> set[int]:
    """Submit generated values; returns the status codes seen."""
    seen: set[int] = set()
    strategies = {
        name: st.one_of(st.none(), field_strategy(name, field))
        for name, field in form["fields"].items()
    }

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries(strategies))
    def fuzz(data):
        response = submit(client, form, data)
        seen.add(response.status_code)
        assert response.status_code < 500, (key, data, response.status_code)

    fuzz()
    return seen


@pytest.mark.parametrize("role", ["coordinator", "professional", "researcher", "administrator"])
def test_fuzz_every_form(client, world, role):  # noqa: F811 - fixture
    client.force_login(world["users"][role])
    forms = discover_forms(client, role, world)
    if role in {"coordinator", "professional"}:
        assert forms, f"no forms found for {role}: discovery is broken"
    for key, form in sorted(forms.items()):
        seen = fuzz_form(client, key, form)
        # A form the role is shown must reach its validation, not bounce off the access check.
        assert seen - {403, 404, 405}, (key, seen)
    assert_everything_stored_is_valid()
