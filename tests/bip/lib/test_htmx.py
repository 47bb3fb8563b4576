import re
from pathlib import Path

from django import forms
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from bip.lib.htmx import full_page_for_form_errors


class NumberForm(forms.Form):
    number = forms.IntegerField(required=False)


def request(query: str, *, htmx: bool):
    headers = {"HX-Request": "true"} if htmx else {}
    made = RequestFactory().get(f"/zaken/?{query}", headers=headers)
    made.htmx = HtmxDetails(made)
    return made


def test_an_htmx_request_with_a_form_error_loads_the_whole_page_of_the_same_url():
    made = request("number=abc&sort=termijn", htmx=True)
    response = full_page_for_form_errors(made, NumberForm(made.GET))
    assert response is not None
    assert response["HX-Redirect"] == "/zaken/?number=abc&sort=termijn"


def test_a_valid_htmx_search_is_swapped_as_usual():
    made = request("number=12", htmx=True)
    assert full_page_for_form_errors(made, NumberForm(made.GET)) is None


def test_without_htmx_the_page_itself_shows_the_error():
    made = request("number=abc", htmx=False)
    assert full_page_for_form_errors(made, NumberForm(made.GET)) is None


def test_an_unbound_form_has_no_errors_to_show():
    made = request("", htmx=True)
    assert full_page_for_form_errors(made, NumberForm(None)) is None


TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
SEARCH_FORM = re.compile(r'<form method="get"[^>]*?hx-get=[^>]*>', re.S)


def test_every_htmx_search_form_drops_htmx_while_its_form_shows_an_error():
    """A GET form that swaps only its results must not do so while it shows an error (the
    error lives in the form, outside the results): its hx-get sits in `{% if not ….errors %}`.
    Its view answers an htmx search with an error with `full_page_for_form_errors`."""
    forms = {
        path.relative_to(TEMPLATES).as_posix(): match.group(0)
        for path in TEMPLATES.rglob("*.html")
        for match in SEARCH_FORM.finditer(path.read_text())
    }
    assert set(forms) >= {"cases/case_list.html", "cases/intake.html", "cases/my_cases.html"}
    for name, tag in forms.items():
        assert re.search(r"\{% if not \w+\.errors %\}\s*hx-get=", tag), name
