"""Issue 14 item 20: the import page's file input, its template CSV, the report's links and
no "alles of niets" when nothing can be imported."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from cases import imports
from cases.models import Case
from tests.cases.test_imports import csv_bytes, melding
from tests.cases.views.test_import_views import (  # noqa: F401 (fixtures)
    confirm_url,
    frozen,
    immediate_tasks,
    make_batch,
    preview_url,
    run_tasks,
    school,
)

pytestmark = pytest.mark.django_db

TEMPLATE = reverse("cases:import_template")


def test_the_template_csv_has_the_importers_columns(client_for, coordinator):
    response = client_for(coordinator).get(TEMPLATE)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "verzuimmeldingen-sjabloon.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert text.splitlines() == [imports.reader.DELIMITER.join(imports.COLUMNS)]


def test_the_template_follows_the_column_definition(client_for, coordinator, monkeypatch):
    monkeypatch.setattr(imports, "COLUMNS", (*imports.COLUMNS, "tussenvoegsel_test"))
    text = client_for(coordinator).get(TEMPLATE).content.decode("utf-8-sig")
    assert text.rstrip().endswith(";tussenvoegsel_test")


def test_the_template_filled_in_is_accepted_by_the_importer(client_for, coordinator):
    header = client_for(coordinator).get(TEMPLATE).content
    row = melding()
    filled = header + (";".join(row.get(c, "") for c in imports.COLUMNS) + "\r\n").encode()
    batch = imports.import_preview_create(content=filled, file_name="s.csv", actor=coordinator)
    assert batch.valid_count == 1, list(batch.rows.values_list("errors", flat=True))


@pytest.mark.parametrize("role", ["professional", "researcher", "administrator"])
def test_only_the_coordinator_downloads_the_template(client_for, request, role):
    user = request.getfixturevalue(role)
    assert client_for(getattr(user, "user", user)).get(TEMPLATE).status_code == 403


def test_the_template_is_get_only(client_for, coordinator):
    assert client_for(coordinator).post(TEMPLATE).status_code == 405


def test_the_upload_page_links_the_template_and_styles_the_file_input(client_for, coordinator):
    html = client_for(coordinator).get(reverse("cases:import_upload")).text
    assert f'href="{TEMPLATE}"' in html
    file_input = re.search(r'<input type="file"[^>]*>', html).group(0)
    assert "kk-file-input" in file_input
    assert "css/import.css" in html
    css = (settings.BASE_DIR / "static" / "css" / "import.css").read_text()
    assert ".kk-file-input::file-selector-button" in css


def test_nothing_to_import_says_so_without_all_or_nothing(client_for, coordinator):
    batch = make_batch(coordinator, [melding(bsn="1"), melding(brin="99ZZ")])
    html = client_for(coordinator).get(preview_url(batch)).text
    assert "alles of niets" not in html
    assert "Geen enkele regel kan worden geïmporteerd" in html
    assert confirm_url(batch) not in html
    assert reverse("cases:import_cancel", args=[batch.pk]) in html


def test_a_batch_with_valid_rows_still_explains_all_or_nothing(client_for, coordinator):
    batch = make_batch(coordinator, [melding(), melding(bsn="1")])
    html = client_for(coordinator).get(preview_url(batch)).text
    assert "alles of niets" in html
    assert "Geen enkele regel" not in html


def test_the_report_links_each_case_number(client_for, coordinator, run_tasks):  # noqa: F811
    client = client_for(coordinator)
    batch = make_batch(coordinator, [melding(), melding()])
    run_tasks(client, confirm_url(batch))
    html = client.get(preview_url(batch)).text
    for case in Case.objects.all():
        link = f'href="{reverse("cases:case_detail", args=[case.pk])}">{case.number}</a>'
        assert link in html


def test_csv_bytes_helper_matches_the_columns():
    assert csv_bytes([]).decode().strip() == ";".join(imports.COLUMNS)
