"""The policy table: every URL is classified, and a logged value can never be a BSN or name."""

import pytest
from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from audit import policy
from audit.constants import MASK, Action


def url_patterns(resolver=None, namespace: str = ""):
    """(name, pattern) of every named URL outside the Django admin."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def test_every_url_is_classified():
    missing = sorted({name for name, _ in url_patterns()} - set(policy.URL_POLICY))
    assert not missing, f"URLs without an access log rule in audit/policy.py: {missing}"


def test_no_rule_for_a_url_that_does_not_exist():
    assert set(policy.URL_POLICY) <= {name for name, _ in url_patterns()}


def test_every_unaudited_url_says_why():
    for name, rule in policy.URL_POLICY.items():
        assert rule.is_audited or rule.reason_not_audited, name


def test_the_id_of_an_audited_url_is_in_its_pattern():
    for name, pattern in url_patterns():
        rule = policy.URL_POLICY[name]
        if rule.id_kwarg:
            assert rule.id_kwarg in pattern.pattern.converters, name


@pytest.mark.parametrize(
    "name",
    ["cases:case_detail", "cases:contact_create", "cases:close", "cases:plan_action_create"],
)
def test_every_case_page_is_read_and_written_with_its_case(name):
    rule = policy.URL_POLICY[name]
    assert rule.get == Action.READ
    assert rule.subject == policy.Subject.CASE and rule.id_kwarg == "pk"


def test_lists_are_searches():
    for name in ("cases:case_list", "cases:my_cases", "cases:queue", "audit:log"):
        assert policy.URL_POLICY[name].get == Action.SEARCH


BSN = "123456782"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": BSN}, {"q": MASK}),
        ({"q": "Jansen"}, {"q": MASK}),
        ({"stage": "halt"}, {"stage": "halt"}),
        ({"stage": "Jansen"}, {"stage": MASK}),  # not one of the stages
        ({"school": "05KD00"}, {"school": "05KD00"}),
        ({"school": BSN}, {"school": MASK}),
        ({"pagina": "3"}, {"pagina": "3"}),
        ({"pagina": BSN}, {"pagina": MASK}),  # nine digits are never an id or page
        ({"unknown": "x"}, {"unknown": MASK}),
        ({"q": "", "stage": ""}, {}),
        ({"csrfmiddlewaretoken": "abc"}, {}),
    ],
)
def test_values_are_kept_only_when_known_and_harmless(params, expected):
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query[name] = value
    assert policy.summarise_params(query, policy.CASE_LIST_PARAMS) == expected


def test_repeated_parameters_become_a_list():
    query = QueryDict("stage=halt&stage=rvdk&q=a&q=b")
    assert policy.summarise_params(query, policy.CASE_LIST_PARAMS) == {
        "stage": ["halt", "rvdk"],
        "q": [MASK, MASK],
    }


@pytest.mark.django_db
def test_admin_pages_of_case_data_are_audited_others_not():
    history = resolve(reverse("admin:cases_stagechange_change", args=[3]))
    rule = policy.rule_for(history)
    assert rule.get == Action.READ and rule.details == {"model": "cases.stagechange"}
    changelist = policy.rule_for(resolve(reverse("admin:audit_accesslogentry_changelist")))
    assert changelist.get == Action.SEARCH
    assert policy.rule_for(resolve(reverse("admin:auth_user_changelist"))) is None
    assert policy.rule_for(resolve(reverse("admin:index"))) is None
