"""The upload form of a CSV import (cases/imports/forms.py)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from cases.imports import forms, reader


def _form(content: bytes) -> forms.ImportUploadForm:
    upload = SimpleUploadedFile("meldingen.csv", content, content_type="text/csv")
    return forms.ImportUploadForm(data={}, files={"csv_file": upload})


def test_a_file_within_the_cap_is_accepted():
    form = _form(b"bsn;achternaam\n")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["csv_file"].name == "meldingen.csv"


def test_a_file_over_the_cap_gets_the_dutch_size_message(monkeypatch):
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 10)
    form = _form(b"x" * 11)
    assert not form.is_valid()
    assert form.errors["csv_file"] == [
        "Het bestand is groter dan 0 MB. Splits het in kleinere bestanden."
    ]


def test_no_file_is_required_in_dutch():
    form = forms.ImportUploadForm(data={}, files={})
    assert not form.is_valid()
    assert form.errors["csv_file"] == ["Dit veld is verplicht."]


def test_the_help_text_names_the_caps(monkeypatch):
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 5 * 1024 * 1024)
    monkeypatch.setattr(reader, "MAX_DATA_LINES", 20000)
    help_text = str(forms.ImportUploadForm().fields["csv_file"].help_text)
    assert "Hoogstens 5 MB en 20.000 meldingen." in help_text
