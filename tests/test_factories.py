"""The factories' change history (tests/factories.py ModelFactory) and the rule that keeps the
history tests honest: a module that reads the history marks `factory_history`."""

import re
from pathlib import Path

import pytest
from auditlog.models import LogEntry

from tests.factories import ChildFactory

TESTS = Path(__file__).parent

# What a module that reads the change history mentions: django-auditlog's LogEntry (not the
# access log's AccessLogEntry), auditlog itself, the inzage pages, retention or anonymisation.
READS_HISTORY = re.compile(r"\bLogEntry\b|auditlog|inzage|retention|anonymi", re.IGNORECASE)
MARKER = "pytest.mark.factory_history"


@pytest.mark.django_db
def test_a_factory_row_writes_no_history_entry():
    child = ChildFactory()

    assert not LogEntry.objects.get_for_object(child).exists()


@pytest.mark.django_db
def test_a_save_outside_the_factory_writes_its_history_entry():
    child = ChildFactory(first_name="Fenna")
    child.first_name = "Femke"

    child.save()

    [entry] = LogEntry.objects.get_for_object(child)
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.changes_dict["first_name"] == ["Fenna", "Femke"]


@pytest.mark.django_db
@pytest.mark.factory_history
def test_with_the_marker_a_factory_row_writes_its_history_entry():
    child = ChildFactory(first_name="Fenna")

    [entry] = LogEntry.objects.get_for_object(child)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.changes_dict["first_name"] == ["None", "Fenna"]


def modules_that_read_the_history_without_the_marker(root: Path = TESTS) -> list[str]:
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("test_*.py")
        if path.name != "test_factories.py"
        and READS_HISTORY.search(text := path.read_text())
        and MARKER not in text
    )


def test_every_module_that_reads_the_history_has_the_factories_write_it():
    assert modules_that_read_the_history_without_the_marker() == []


def test_the_rule_finds_a_module_that_reads_the_history(tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "test_reads.py").write_text("from auditlog.models import LogEntry\n")
    (tmp_path / "cases" / "test_marked.py").write_text(f"# inzage\npytestmark = {MARKER}\n")
    (tmp_path / "test_access_log.py").write_text("from audit.models import AccessLogEntry\n")

    assert modules_that_read_the_history_without_the_marker(tmp_path) == ["cases/test_reads.py"]
