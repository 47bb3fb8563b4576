"""pk_url gives reverse()'s URL, reversing each name only once."""

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import clear_script_prefix, path, reverse, set_script_prefix

from bip.lib import urls
from bip.lib.urls import pk_url

NAMES = ["cases:case_detail", "cases:assign", "evaluation_case:allocation"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("pk", [1, 42, 1_000_000, 918273645])
def test_the_same_url_as_reverse(name, pk):
    assert pk_url(name, pk) == reverse(name, args=[pk])


def test_the_name_is_reversed_once(monkeypatch):
    urls._parts.cache_clear()
    calls = []
    real = urls.reverse
    monkeypatch.setattr(urls, "reverse", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert [pk_url("cases:case_detail", pk) for pk in (1, 2, 3)] == [
        reverse("cases:case_detail", args=[pk]) for pk in (1, 2, 3)
    ]
    assert len(calls) == 1


def test_the_script_prefix_is_followed():
    try:
        set_script_prefix("/keten/")
        assert pk_url("cases:case_detail", 7) == reverse("cases:case_detail", args=[7])
        assert pk_url("cases:case_detail", 7).startswith("/keten/")
    finally:
        clear_script_prefix()
    assert not pk_url("cases:case_detail", 7).startswith("/keten/")


def test_the_id_is_always_a_number():
    with pytest.raises(ValueError):
        pk_url("cases:case_detail", "1/../../beheer")


def page(pk):
    return None


urlpatterns = [
    path("a/<int:first>/b/<int:second>/", page, name="two"),
    path("x/", page, name="none"),
]


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize("name", ["two", "none"])
def test_a_pattern_without_exactly_one_number_is_refused(name):
    with pytest.raises(Exception):  # noqa: B017,PT011 - NoReverseMatch or ValueError
        pk_url(name, 1)


def test_the_template_tag_escapes_like_the_url_tag():
    template = Template(
        "{% load kk %}{% pk_url 'cases:case_detail' pk %}|{% url 'cases:case_detail' pk %}"
    )
    first, second = template.render(Context({"pk": 12})).split("|")
    assert first == second == "/zaken/12/"
