"""The case list's professional filter: a typed name with suggestions, not a list of thousands.

Without script the submitted name is resolved by the form (one match filters, several are
listed as buttons); with htmx the same buttons come from cases:professional_lookup while typing.
"""

import pytest
from django.urls import reverse

from tests.factories import CaseFactory, ProfessionalFactory

URL = reverse("cases:case_list")
LOOKUP = reverse("cases:professional_lookup")


@pytest.fixture
def logged_in(client, coordinator):
    client.force_login(coordinator)
    return client


def numbers(response) -> list[str]:
    return [case.number for case in response.context["page"].object_list]


def named(first: str, last: str, **kwargs):
    return ProfessionalFactory(user__first_name=first, user__last_name=last, **kwargs)


def test_the_page_lists_no_professionals(logged_in):
    for n in range(15):
        named("Vera", f"Achternaam{n}")
    response = logged_in.get(URL)
    assert response.status_code == 200
    assert "Achternaam" not in response.text
    assert 'name="professional_name"' in response.text
    assert f'hx-get="{LOOKUP}"' in response.text


def test_a_name_with_one_match_filters_on_that_professional(logged_in):
    zwaan = named("Ilse", "Zwaan")
    other = named("Ilse", "Bakker")
    mine = CaseFactory(professional=zwaan)
    CaseFactory(professional=other)
    response = logged_in.get(URL, {"professional_name": "zwa"})
    assert numbers(response) == [mine.number]
    # The choice is kept for the next search: the full name and the id are in the form.
    assert 'value="Ilse Zwaan"' in response.text
    assert f'name="professional" value="{zwaan.pk}"' in response.text
    assert not response.context["form"].errors


def test_a_name_with_several_matches_lists_them_as_buttons(logged_in):
    first = named("Jan", "Jansen")
    second = named("Janneke", "Smit")
    named("Piet", "Pietersen")
    named("Jan", "Oud", inactive=True)
    CaseFactory(professional=first)
    CaseFactory(professional=second)
    response = logged_in.get(URL, {"professional_name": "jan"})
    form = response.context["form"]
    assert "professional_name" in form.errors
    assert {p.pk for p in form.professional_matches} == {first.pk, second.pk}
    assert f'name="choose_professional" value="{first.pk}"' in response.text
    assert f'name="choose_professional" value="{second.pk}"' in response.text
    assert "Pietersen" not in response.text
    # Ambiguous: no professional filter, the typed text stays.
    assert len(numbers(response)) == 2
    assert 'value="jan"' in response.text


def test_a_suggestion_button_chooses_that_professional(logged_in):
    first = named("Jan", "Jansen")
    second = named("Janneke", "Smit")
    CaseFactory(professional=first)
    chosen = CaseFactory(professional=second)
    response = logged_in.get(
        URL, {"professional_name": "jan", "choose_professional": second.pk, "stage": ""}
    )
    assert numbers(response) == [chosen.number]
    assert 'value="Janneke Smit"' in response.text


def test_an_unknown_name_is_an_error_and_filters_nothing(logged_in):
    CaseFactory()
    response = logged_in.get(URL, {"professional_name": "niemand"})
    assert response.status_code == 200
    assert "Geen professional gevonden" in response.text
    assert len(numbers(response)) == 1


def test_the_chosen_professional_stays_until_the_name_changes(logged_in):
    zwaan = named("Ilse", "Zwaan")
    bakker = named("Piet", "Bakker")
    own = CaseFactory(professional=zwaan)
    bakkers = CaseFactory(professional=bakker)
    kept = logged_in.get(URL, {"professional": zwaan.pk, "professional_name": "Ilse Zwaan"})
    assert numbers(kept) == [own.number]
    changed = logged_in.get(URL, {"professional": zwaan.pk, "professional_name": "bakker"})
    assert numbers(changed) == [bakkers.number]
    cleared = logged_in.get(URL, {"professional": zwaan.pk, "professional_name": ""})
    assert sorted(numbers(cleared)) == sorted([own.number, bakkers.number])


def test_an_id_alone_still_filters_and_shows_the_name(logged_in):
    """Bookmarks from before the name field: ?professional=<id>."""
    zwaan = named("Ilse", "Zwaan")
    own = CaseFactory(professional=zwaan)
    CaseFactory()
    response = logged_in.get(URL, {"professional": zwaan.pk})
    assert numbers(response) == [own.number]
    assert 'value="Ilse Zwaan"' in response.text


def test_the_lookup_suggests_at_most_ten_active_professionals(logged_in):
    for n in range(12):
        named("Kees", f"de Boer{n:02d}")
    named("Kees", "Gestopt", inactive=True)
    response = logged_in.get(LOOKUP, {"professional_name": "kees"})
    assert response.status_code == 200
    assert response.text.count('name="choose_professional"') == 10
    assert "Gestopt" not in response.text
    assert 'id="professional-suggestions"' in response.text


def test_the_lookup_needs_two_letters(logged_in):
    named("Kees", "Boer")
    response = logged_in.get(LOOKUP, {"professional_name": "k"})
    assert 'name="choose_professional"' not in response.text


def test_the_lookup_is_one_query_whatever_the_number_of_matches(
    logged_in, django_assert_max_num_queries
):
    for n in range(3):
        named("Kees", f"Boer{n}")
    logged_in.get(LOOKUP, {"professional_name": "kees"})  # the session is warm now
    with django_assert_max_num_queries(10) as few:
        logged_in.get(LOOKUP, {"professional_name": "kees"})
    for n in range(8):
        named("Kees", f"Visser{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = logged_in.get(LOOKUP, {"professional_name": "kees"})
    assert response.text.count('name="choose_professional"') == 10


def test_the_lookup_is_for_the_coordinator_only(client, professional):
    client.force_login(professional.user)
    assert client.get(LOOKUP, {"professional_name": "kees"}).status_code == 403


def test_the_page_costs_a_fixed_number_of_queries(logged_in, django_assert_num_queries):
    """Session, user with groups, count, rows and the access-log INSERT; a typed name adds one
    lookup of at most 11 professionals. Not one per professional, not one per row."""
    for n in range(30):
        CaseFactory(professional=named("Vera", f"Achternaam{n}"))
    logged_in.get(URL)
    with django_assert_num_queries(5):
        logged_in.get(URL)
    with django_assert_num_queries(6):
        response = logged_in.get(URL, {"professional_name": "vera"})
    assert len(response.context["form"].professional_matches) == 10


def test_an_htmx_search_sends_the_professional_field_out_of_band(logged_in):
    zwaan = named("Ilse", "Zwaan")
    mine = CaseFactory(professional=zwaan)
    CaseFactory()
    response = logged_in.get(URL, {"professional_name": "zwa"}, headers={"HX-Request": "true"})
    assert numbers(response) == [mine.number]
    assert "<html" not in response.text
    assert 'id="professional-filter" hx-swap-oob="true"' in response.text
    assert f'name="professional" value="{zwaan.pk}"' in response.text
    assert 'value="Ilse Zwaan"' in response.text
