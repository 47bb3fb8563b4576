"""apply_retention deletes a case's documents with the rest of the file, files included."""

import datetime

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from cases.models import Document
from cases.retention import apply_retention
from tests.cases.document_samples import MINIMAL_PDF
from tests.cases.test_retention import NOW, POLICY, born_aged, closed_case
from tests.factories import CaseFactory, ChildFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.factory_history]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def stored_document(case, actor) -> Document:
    name = default_storage.save(f"documents/test/{case.pk}", ContentFile(MINIMAL_PDF))
    return Document.objects.create(
        case=case,
        kind="rapport",
        original_name="rapport.pdf",
        storage_name=name,
        content_type="application/pdf",
        size=len(MINIMAL_PDF),
        sha256="0" * 64,
        uploaded_by=actor,
    )


def test_documents_of_anonymised_cases_are_deleted_with_their_files():
    actor = UserFactory()
    due = closed_case(
        ChildFactory(date_of_birth=born_aged(20)), closed_on=datetime.date(2020, 3, 1)
    )
    kept = CaseFactory(child=ChildFactory(date_of_birth=born_aged(15)))
    due_document = stored_document(due, actor)
    kept_document = stored_document(kept, actor)

    dry = apply_retention(policy=POLICY, dry_run=True)
    assert dry.counts["documents"] == 1
    assert default_storage.exists(due_document.storage_name)

    report = apply_retention(policy=POLICY)

    assert report.counts["documents"] == 1
    assert not Document.objects.filter(pk=due_document.pk).exists()
    assert not default_storage.exists(due_document.storage_name)
    assert Document.objects.filter(pk=kept_document.pk).exists()
    assert default_storage.exists(kept_document.storage_name)
