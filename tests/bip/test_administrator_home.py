"""Issue 14 item 9: the beheerder's start page, and an admin in Dutch."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import camel_case_to_spaces, capfirst

from bip.admin_site import APP_NAMES, MODEL_NAMES

pytestmark = pytest.mark.factory_history

# The packages' own English names, which must not reach the beheerder.
ENGLISH_LABELS = [
    "Axes",
    "Access attempts",
    "Access failures",
    "Access logs",
    "Otp_Totp",
    "OTP_TOTP",
    "TOTP devices",
    "Otp_Static",
    "Static devices",
    "Audit log",
    "Log entries",
    "Tasks Database Backend",
    "Task Results",
    "Authentication and Authorization",
    "Site administration",
]


@pytest.fixture
def superuser(db):
    from tests.factories import UserFactory

    return UserFactory(username="super", is_staff=True, is_superuser=True)


def test_the_beheerder_lands_on_the_start_page(client, administrator):
    client.force_login(administrator)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("administrator_home")


def test_the_start_page_links_every_daily_task(client, administrator):
    client.force_login(administrator)
    response = client.get(reverse("administrator_home"))
    assert response.status_code == 200
    html = response.text
    for name in (
        "admin:auth_user_changelist",
        "audit:log",
        "audit:find_child",
        "admin:cases_retentionrun_changelist",
        "admin:index",
    ):
        assert f'href="{reverse(name)}"' in html, name
    assert "Tweestapsverificatie herstellen" in html
    assert "Toegangslog" in html and "Inzage" in html


@pytest.mark.parametrize("role", ["coordinator", "researcher"])
def test_the_start_page_is_the_beheerders_only(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("administrator_home")).status_code == 403


def test_the_start_page_only_reads(client, administrator):
    client.force_login(administrator)
    assert client.post(reverse("administrator_home")).status_code == 405


def labels_on(html: str) -> list[str]:
    """The app captions and model link texts of the admin index."""
    captions = re.findall(r"<caption>\s*<a[^>]*>([^<]+)</a>", html)
    models = re.findall(r'<th scope="row"[^>]*>\s*(?:<a[^>]*>)?([^<]+)', html)
    return [text.strip() for text in captions + models]


def test_the_admin_index_has_no_english_labels(client, superuser):
    """Rendered as a superuser, who sees every registered model, in Dutch."""
    client.force_login(superuser)
    response = client.get(reverse("admin:index"), headers={"accept-language": "nl"})
    assert response.status_code == 200
    html = response.text
    labels = labels_on(html)
    assert len(labels) > 20
    for english in ENGLISH_LABELS:
        assert english not in html, english
    for name in [*APP_NAMES.values(), *(plural for _singular, plural in MODEL_NAMES.values())]:
        assert capfirst(str(name)) in labels, name


def test_the_admin_index_as_beheerder_is_dutch(client, administrator):
    client.force_login(administrator)
    html = client.get(reverse("admin:index")).text
    for english in ENGLISH_LABELS:
        assert english not in html, english


def test_every_package_app_is_named(settings):
    from django.apps import apps

    for label in APP_NAMES:
        assert label in apps.app_configs, label
    registered = {(model._meta.app_label, model._meta.model_name) for model in admin.site._registry}
    assert set(MODEL_NAMES) <= registered


def test_the_app_page_uses_the_dutch_model_names(client, superuser):
    client.force_login(superuser)
    html = client.get(reverse("admin:app_list", args=["axes"])).text
    assert "Blokkades na mislukte inlogpogingen" in html
    assert "Access attempts" not in html


def test_the_english_admin_still_has_names(client, superuser):
    """The English page names the same apps (through the English catalogue)."""
    client.force_login(superuser)
    with translation.override("en"):
        html = client.get(reverse("admin:index"), headers={"accept-language": "en"}).text
    assert len(labels_on(html)) > 20


def test_select_boxes_offer_a_dutch_empty_choice():
    from django.db.models import fields

    with translation.override("nl"):
        assert str(fields.BLANK_CHOICE_LABEL) == "- Kies een optie -"


# Every admin page title in Dutch (issue 14, item 9): the changelist, add, change, history and
# delete pages of every registered model. The packages' English model names ("Select access
# attempt to change") must not reach a title; their Dutch names must.


def english_name(model) -> str:
    """The name the package gives the model, in English."""
    declared = model._meta.original_attrs.get("verbose_name")
    with translation.override("en"):
        return str(declared) if declared else camel_case_to_spaces(model.__name__)


def one_of_each_package_model(user) -> None:
    """A row for every package model, so its change, history and delete pages exist."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_tasks_db.models import DBTaskResult

    request = {"user_agent": "test", "ip_address": "127.0.0.1", "username": "iemand"}
    request |= {"http_accept": "text/html", "path_info": "/inloggen/"}
    AccessAttempt.objects.create(**request, get_data="", post_data="", failures_since_start=3)
    AccessFailureLog.objects.create(**request)
    AccessLog.objects.create(**request)
    TOTPDevice.objects.create(user=user, name="telefoon")
    StaticDevice.objects.create(user=user, name="herstelcodes")
    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="evaluation.tasks.export_run_task",
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )


def page_title(html: str) -> str:
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title, "no <title>"
    return " ".join(title.group(1).split())


def admin_pages(model) -> list[tuple[str, str]]:
    """(page, url) for the model's admin pages; those on an object use its first row."""
    info = (model._meta.app_label, model._meta.model_name)
    pages = [
        ("changelist", reverse("admin:{}_{}_changelist".format(*info))),
        ("add", reverse("admin:{}_{}_add".format(*info))),
    ]
    row = model._default_manager.order_by("pk").first()
    if row is not None:
        pages += [
            (page, reverse(f"admin:{info[0]}_{info[1]}_{page}", args=[row.pk]))
            for page in ("change", "history", "delete")
        ]
    return pages


@pytest.mark.slow
@pytest.mark.parametrize("who", ["superuser", "administrator"])
def test_every_admin_page_title_is_dutch(client, request, who):
    user = request.getfixturevalue(who)
    one_of_each_package_model(user)
    client.force_login(user)
    checked = 0
    for model in admin.site._registry:
        key = (model._meta.app_label, model._meta.model_name)
        english = english_name(model)
        for page, url in admin_pages(model):
            response = client.get(url, headers={"accept-language": "nl"})
            if response.status_code != 200:
                continue  # not this user's page (403), or a page the model does not offer
            title = page_title(response.text)
            checked += 1
            if key in MODEL_NAMES:
                assert english.lower() not in title.lower(), (url, title)
            # These pages name the model (history and delete name the object instead).
            if key in MODEL_NAMES and page in ("changelist", "add", "change"):
                singular, plural = (str(name).lower() for name in MODEL_NAMES[key])
                assert singular in title.lower() or plural in title.lower(), (url, title)
            for english_word in ("Select ", " to change", " to view", "Add ", "Change ", "Delete"):
                assert english_word not in title, (url, title)
    # Every page of every package model for the superuser; the beheerder's share of them.
    assert checked >= (5 * len(MODEL_NAMES) if who == "superuser" else len(MODEL_NAMES)), checked


def test_the_package_titles_name_the_model_in_dutch(client, superuser):
    client.force_login(superuser)
    html = client.get(reverse("admin:axes_accessattempt_changelist")).text
    assert page_title(html).startswith("Selecteer blokkade na mislukte inlogpogingen om te")
    assert "access attempt" not in html.lower()
    # No /favicon.ico request (a 404 in the browser's console): templates/admin/base_site.html.
    assert '<link rel="icon" href="data:,">' in html


def test_dutch_model_names_ask_for_no_migration_in_the_packages(db):
    from io import StringIO

    from django.core.management import call_command

    labels = sorted({label for label, _model in MODEL_NAMES})
    out = StringIO()
    call_command("makemigrations", *labels, check=True, dry_run=True, stdout=out)
    assert "No changes detected" in out.getvalue()
