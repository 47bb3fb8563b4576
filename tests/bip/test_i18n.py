"""Dutch first, with a complete English translation."""

import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"


def test_the_english_catalogue_is_complete_and_compiled():
    po = (LOCALE / "django.po").read_text()
    entries = po.split("\n\n")[1:]
    untranslated = [
        entry
        for entry in entries
        if entry.rstrip().endswith('msgstr ""') and "msgid_plural" not in entry
    ]
    assert not untranslated, untranslated[:3]
    assert "#, fuzzy" not in "\n\n".join(entries)
    assert (LOCALE / "django.mo").stat().st_mtime >= (LOCALE / "django.po").stat().st_mtime - 1


@pytest.mark.skipif(
    subprocess.run(["which", "msgfmt"], capture_output=True).returncode != 0,  # noqa: S607
    reason="msgfmt (gettext) is not installed",
)
def test_the_compiled_catalogue_matches_the_po_file(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(  # noqa: S603
        ["msgfmt", "--check-format", "-o", str(compiled), str(LOCALE / "django.po")],  # noqa: S607
        check=True,
    )
    assert compiled.read_bytes() == (LOCALE / "django.mo").read_bytes()


def test_pages_are_dutch_by_default_and_english_on_request(client, db):
    dutch = client.get(reverse("login"))
    assert 'lang="nl"' in dutch.text
    assert "Naar de hoofdinhoud" in dutch.text
    response = client.post(reverse("set_language"), {"language": "en", "next": "/inloggen/"})
    assert response.status_code == 302
    english = client.get(reverse("login"))
    assert 'lang="en"' in english.text
    assert "Skip to main content" in english.text


def test_an_english_browser_still_gets_dutch_until_the_user_switches(client, db):
    response = client.get(reverse("login"), headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert 'lang="nl"' in response.text
    assert "Naar de hoofdinhoud" in response.text
