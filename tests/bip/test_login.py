import pytest
from django.urls import reverse

from tests.factories import DEMO_PASSWORD, ProfessionalFactory, UserFactory


@pytest.mark.parametrize(
    ("make_user", "landing"),
    [
        (lambda: UserFactory(username="c", coordinator=True), "cases:case_list"),
        (lambda: ProfessionalFactory(user__username="p").user, "cases:my_cases"),
        (lambda: UserFactory(username="r", researcher=True), "evaluation:home"),
        (lambda: UserFactory(username="b", administrator=True), "administrator_home"),
    ],
    ids=["coordinator", "professional", "researcher", "administrator"],
)
def test_each_role_logs_in_and_lands_on_its_home_page(client, db, make_user, landing):
    user = make_user()
    response = client.post(
        reverse("login"), {"username": user.username, "password": DEMO_PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse(landing)
    assert response.wsgi_request.user == user


def test_wrong_password_shows_a_dutch_error_and_keeps_the_username(client, db):
    UserFactory(username="c", coordinator=True)
    response = client.post(reverse("login"), {"username": "c", "password": "fout-wachtwoord"})
    assert response.status_code == 200
    assert "Voer een juiste gebruikersnaam en wachtwoord in" in response.text
    assert 'value="c"' in response.text
    assert not response.wsgi_request.user.is_authenticated


def test_login_page_is_dutch(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'lang="nl"' in response.text
    assert "Gebruikersnaam" in response.text


def test_logout_ends_the_session(client, db):
    user = UserFactory(username="c", coordinator=True)
    client.force_login(user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("cases:case_list")).status_code == 302


def test_a_user_without_a_group_gets_an_explanation(client, db):
    client.force_login(UserFactory(username="nogroup"))
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("no_role")
