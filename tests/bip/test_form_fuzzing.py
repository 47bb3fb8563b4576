"""Hypothesis fuzzes every form in the app: no 500s, and nothing invalid is stored.

The forms are discovered, not listed: every page a role may GET (from the access matrix) is
fetched and parsed, and every <form> on it is submitted with generated values for its own
fields. A new form is therefore fuzzed without touching this file. After the run every stored
row of the case and evaluation models must still pass its model validation.

Each form is first submitted once per hostile input class (tests/bip/hostile_input.py: huge
digit strings, NUL bytes, far dates, over-long text, ...) in every field at once, as explicit
examples that run in every Hypothesis profile; then with generated values, in which those
classes are mixed into every field's strategy (and into the cells of a generated CSV file).
"""

from __future__ import annotations

import datetime
import os
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.bip.hostile_input import FAR_DATES, HOSTILE
from tests.bip.test_access_matrix import RULES

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
    "12\x00",
    "a\x00b",
    *FAR_DATES,
    *HOSTILE.values(),
]
# The hostile classes submitted in every field of every form, as explicit examples (negative
# numbers and NUL inside a number are among the generated values).
FORM_CLASSES = (
    "huge_digits",
    "int64_overflow",
    "nul_byte",
    "far_date_max",
    "far_date_min",
    "five_digit_year",
    "over_long_text",
    "unicode_junk",
)
# Generated examples per form. The explicit hostile examples come on top, so every POST form gets
# every hostile class in every run; the derandomised CI profile runs the same ones every time.
# The default keeps the fast suite fast (every form is still hit); CI's separate fuzz step runs
# the full breadth (`FUZZ_EXAMPLES=50 pytest -m fuzz`), and FUZZ_EXAMPLES=200 hunts longer.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
# More than the 4,300 digits that int() accepts, up to 6,000.
huge_digits = st.integers(4301, 6000).map(lambda n: "9" * n)
over_long_text = st.integers(10_001, 12_000).map(lambda n: "x" * n)


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


def csv_strategy() -> st.SearchStrategy:
    """A DUO import file: the real header and a few rows whose cells may be hostile."""
    from cases.imports import COLUMNS, DELIMITER

    cell = st.one_of(
        st.sampled_from(["", "2024-01-15", "123456782", "12", "00AA"]),
        st.sampled_from(NASTY_TEXT).map(lambda v: v.replace(DELIMITER, "").replace("\n", "")),
        huge_digits,
    )
    row = st.lists(cell, min_size=len(COLUMNS), max_size=len(COLUMNS)).map(DELIMITER.join)
    return st.lists(row, min_size=1, max_size=3).map(
        lambda rows: "\n".join([DELIMITER.join(COLUMNS), *rows]).encode()
    )


def field_strategy(name: str, field: dict) -> st.SearchStrategy:
    known = [v for v in field["values"] if v is not None]
    nasty = st.one_of(st.sampled_from(NASTY_TEXT), huge_digits, over_long_text)
    if field["kind"] == "file":
        return st.one_of(st.binary(max_size=3000), csv_strategy())
    if field["kind"] in {"select", "radio", "checkbox", "hidden"} and known:
        return st.one_of(
            st.sampled_from(known), st.sampled_from(known), nasty, st.text(max_size=20)
        )
    if field["kind"] == "date":
        return st.one_of(
            st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)).map(str),
            st.sampled_from(FAR_DATES),
            nasty,
        )
    if field["kind"] == "month":  # <input type="month">: YYYY-MM, also at the calendar's ends
        return st.one_of(
            st.builds("{:04d}-{:02d}".format, st.integers(1, 9999), st.integers(1, 12)),
            st.sampled_from(["0001-01", "9999-12", "2024-13", "2024-00", "10000-01", "2024-1"]),
            nasty,
        )
    if field["kind"] == "number":
        return st.one_of(st.integers(-(10**6), 10**6).map(str), huge_digits, nasty)
    return st.one_of(st.text(max_size=300), nasty)


def hostile_examples(form: dict) -> list[dict]:
    """One submission per hostile class, with that value in every field of the form.

    Not for GET forms (the filters): tests/bip/test_query_fuzzing.py sends every hostile class
    to each of their fields, one by one and all at once.
    """
    if form["method"] == "get":
        return []
    return [
        {
            name: HOSTILE[value_class].encode() if field["kind"] == "file" else HOSTILE[value_class]
            for name, field in form["fields"].items()
        }
        for value_class in FORM_CLASSES
    ]


def discover_forms(client, role: str, world) -> dict[str, dict]:  # noqa: F811
    pages = [
        reverse(name, args=rule.args(world, role))
        for name, rule in RULES.items()
        if rule.get.get(role) == 200 and name != "login"
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
        query |= {k: v for k, v in fields.items() if isinstance(v, str)}
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


def shortened(data: dict) -> dict:
    """The submitted values for a failure message, long ones cut to their start and length."""
    return {
        name: f"{value[:20]!r}... ({len(value)} long)"
        if isinstance(value, str | bytes) and len(value) > 40
        else value
        for name, value in data.items()
    }


def fuzz_form(client, key: str, form: dict) -> set[int]:
    """Submit generated values; returns the status codes seen."""
    seen: set[int] = set()
    strategies = {
        name: st.one_of(st.none(), field_strategy(name, field))
        for name, field in form["fields"].items()
    }

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries(strategies))
    def fuzz(data):
        response = submit(client, form, data)
        seen.add(response.status_code)
        assert response.status_code < 500, (key, shortened(data), response.status_code)

    for data in hostile_examples(form):
        fuzz = example(data)(fuzz)
    fuzz()
    return seen


@pytest.mark.fuzz
@pytest.mark.parametrize("role", ["coordinator", "professional", "researcher", "administrator"])
def test_fuzz_every_form(client, world, role):
    client.force_login(world["users"][role])
    forms = discover_forms(client, role, world)
    if role in {"coordinator", "professional"}:
        assert forms, f"no forms found for {role}: discovery is broken"
    if role == "researcher":  # the export request form, with its month fields, is fuzzed
        export_form = forms[f"post {reverse('evaluation:export_list')}"]
        assert {"van", "tot", "dataset", "file_format"} <= set(export_form["fields"])
    for key, form in sorted(forms.items()):
        seen = fuzz_form(client, key, form)
        # A form the role is shown must reach its validation, not bounce off the access check.
        assert seen - {403, 404, 405}, (key, seen)
    assert_everything_stored_is_valid()
