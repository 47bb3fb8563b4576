"""Children's names: the tussenvoegsel, the display name, and the name search (issue 14 #2).

The search key is a generated column (cases/names.py), so these tests run the real database:
SQLite here, PostgreSQL in CI (where the trigram index serves it, see
test_name_search_indexes.py).
"""

import datetime

import pytest
from django.db import connection

from cases.models import Case, Child
from cases.names import fold, search_words, split_tussenvoegsel
from cases.selectors import case_search, children_matching, estimated_rows
from tests.factories import CaseFactory, ChildFactory

pytestmark = pytest.mark.factory_history

BORN = datetime.date(2012, 5, 4)


def test_fold_lowercases_and_folds_accents_and_separators():
    assert fold("Öztürk") == "ozturk"
    assert fold("Yılmaz") == "yilmaz"
    assert fold("Jansen-de Vries") == "jansen de vries"
    assert fold("'t Hart") == "t hart"
    assert fold("Ærø ßen") == "aero ssen"


def test_search_words_are_folded_and_capped():
    assert search_words("  Eva DE-Vries ") == ["eva", "de", "vries"]
    assert search_words("a b c d e f") == ["a", "b", "c", "d"]
    assert search_words(" \t ") == []


@pytest.mark.parametrize(
    ("surname", "parts"),
    [
        ("de Vries", ("de", "Vries")),
        ("van der Meer", ("van der", "Meer")),
        ("Jansen", ("", "Jansen")),
        ("El Amrani", ("", "El Amrani")),  # capitalised: one name, as in the BRP
        ("van", ("", "van")),  # the last word is always the last name
    ],
)
def test_split_tussenvoegsel(surname, parts):
    assert split_tussenvoegsel(surname) == parts


@pytest.mark.django_db
class TestChildName:
    def test_display_name_includes_the_tussenvoegsel(self):
        child = ChildFactory(first_name="Eva", tussenvoegsel="de", last_name="Vries")
        assert child.full_name == "Eva de Vries"
        assert child.surname == "de Vries"
        assert str(child) == "Eva de Vries"

    def test_without_tussenvoegsel_no_double_space(self):
        child = ChildFactory(first_name="Noor", tussenvoegsel="", last_name="Bakker")
        assert str(child) == "Noor Bakker"

    def test_the_database_computes_the_search_key(self):
        child = ChildFactory(first_name="Émile", tussenvoegsel="van", last_name="Öztürk")
        child.refresh_from_db()
        assert child.search_key == " emile van ozturk"

    def test_the_key_follows_a_bulk_update_and_is_blank_once_anonymised(self):
        child = ChildFactory(first_name="Eva", tussenvoegsel="de", last_name="Vries")
        Child.objects.filter(pk=child.pk).update(first_name="", tussenvoegsel="", last_name="")
        child.refresh_from_db()
        assert child.search_key.strip() == ""

    def test_a_bulk_created_child_has_its_key(self):
        template = ChildFactory.build(first_name="Sem", tussenvoegsel="van der", last_name="Meer")
        template.household.save()
        template.school.save()
        template.household_id = template.household.pk
        template.school_id = template.school.pk
        Child.objects.bulk_create([template])
        assert Child.objects.filter(search_key=" sem van der meer").exists()


@pytest.fixture
def names(db):
    """Cases of Eva de Vries, Daan van Beek, Elif Öztürk and two children who must not match."""
    cases = {
        "eva": CaseFactory(
            child=ChildFactory(first_name="Eva", tussenvoegsel="de", last_name="Vries")
        ),
        "daan": CaseFactory(
            child=ChildFactory(first_name="Daan", tussenvoegsel="van", last_name="Beek")
        ),
        "elif": CaseFactory(child=ChildFactory(first_name="Elif", last_name="Öztürk")),
        # A whole surname in the last-name field, as old records and files have it.
        "sem": CaseFactory(child=ChildFactory(first_name="Sem", last_name="de Vriesland")),
        "noor": CaseFactory(child=ChildFactory(first_name="Noor", last_name="Beekman-Overvries")),
    }
    return cases


def found(text: str) -> set[str]:
    names_by_pk = {
        case.pk: case.child.first_name.lower()
        for case in Case.objects.select_related("child").all()
    }
    return {
        names_by_pk[pk] for pk in case_search(Case.objects.all(), text).values_list("pk", flat=True)
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vries", {"eva", "sem"}),
        ("vries", {"eva", "sem"}),
        ("de Vries", {"eva", "sem"}),
        ("DE VRIES", {"eva", "sem"}),
        ("eva de vries", {"eva"}),
        ("Beek", {"daan", "noor"}),
        ("van Beek", {"daan"}),
        ("van beek", {"daan"}),
        ("ozturk", {"elif"}),
        ("Öztürk", {"elif"}),
        ("OZTÜRK", {"elif"}),
        ("overvries", {"noor"}),  # the second part of a double surname
        ("eva", {"eva"}),
        ("vriesx", set()),
        ("ries", set()),  # a word matches from its start, not in the middle
    ],
)
def test_case_search_by_name(names, text, expected):
    assert found(text) == expected


def test_case_search_by_bsn_and_number_still_works(names):
    eva = names["eva"]
    assert list(case_search(Case.objects.all(), eva.child.bsn)) == [eva]
    assert list(case_search(Case.objects.all(), eva.number)) == [eva]


def test_a_common_name_beyond_the_child_limit_is_searched_in_the_join(names, monkeypatch):
    # Beyond NAME_SEARCH_CHILD_LIMIT matching children the search joins instead of listing
    # ids: the same answer.
    monkeypatch.setattr("cases.selectors.NAME_SEARCH_CHILD_LIMIT", 1)
    assert found("de vries") == {"eva", "sem"}
    assert found("ozturk") == {"elif"}


def test_case_search_is_one_query_for_ids_and_lazy_cases(names, django_assert_num_queries):
    # PostgreSQL asks the planner's estimate first (EXPLAIN, not executed).
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 1):
        cases = case_search(Case.objects.all(), "van beek")
    with django_assert_num_queries(1):
        assert [case.child.first_name for case in cases.select_related("child")] == ["Daan"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate (EXPLAIN)")
def test_a_name_the_planner_expects_to_be_common_skips_the_probe(
    names, monkeypatch, django_assert_num_queries
):
    """Estimated at or above NAME_SEARCH_ESTIMATE_COMMON children, the search goes straight
    to the join: no query lists the children's ids. Below it, the probe runs."""
    # A primary-key look-up: the planner knows it finds one row. (No ANALYZE here: its
    # statistics would outlive the test's rollback and change other tests' plans.)
    assert estimated_rows(Child.objects.filter(pk=Child.objects.first().pk)) == 1
    monkeypatch.setattr("cases.selectors.NAME_SEARCH_ESTIMATE_COMMON", 0)
    with django_assert_num_queries(1) as captured:  # the EXPLAIN only
        cases = case_search(Case.objects.all(), "de vries")
    assert captured.captured_queries[0]["sql"].startswith("EXPLAIN")
    assert "search_key" in str(cases.query) and "cases_child" in str(cases.query)
    assert found("de vries") == {"eva", "sem"}

    monkeypatch.setattr("cases.selectors.NAME_SEARCH_ESTIMATE_COMMON", 10**9)
    with django_assert_num_queries(2):  # the EXPLAIN and the probe
        cases = case_search(Case.objects.all(), "de vries")
    assert "search_key" not in str(cases.query)
    assert found("de vries") == {"eva", "sem"}


class TestDuplicateCheck:
    """Intake's duplicate check (children_matching) normalises as the search does."""

    @pytest.fixture
    def eva(self, db):
        child = ChildFactory(
            first_name="Eva", tussenvoegsel="de", last_name="Vries", date_of_birth=BORN
        )
        case = CaseFactory(child=child)
        ChildFactory(
            first_name="Eva",
            tussenvoegsel="de",
            last_name="Vries",
            date_of_birth=BORN.replace(year=2013),
        )
        return child, case

    @pytest.mark.parametrize("typed", ["de Vries", "Vries", "DE VRIES", "de-vries", " vries "])
    def test_finds_the_child_with_or_without_prefix(self, eva, typed):
        child, case = eva
        matches = children_matching(last_name=typed, date_of_birth=BORN)
        assert matches == [child]
        assert matches[0].open_cases == 1
        assert matches[0].open_case_pk == case.pk
        assert matches[0].open_case_number == case.number

    def test_accents_are_folded(self, db):
        child = ChildFactory(first_name="Elif", last_name="Öztürk", date_of_birth=BORN)
        assert children_matching(last_name="Ozturk", date_of_birth=BORN) == [child]
        assert children_matching(last_name="ozturk", date_of_birth=BORN)[0].open_case_pk is None

    def test_no_name_words_no_matches(self, eva):
        assert children_matching(last_name=" - ", date_of_birth=BORN) == []
