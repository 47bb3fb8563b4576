"""Separation: the researcher reaches no case, child, household, queue, import or dashboard page.

The URLs are read from the resolver, not listed: every URL in the `cases` namespace (cases,
children, households, plans, the queue, imports, the dashboard) and in the `audit` namespace
(the access log and a child's inzage) is tried with GET and POST. A new URL there is covered
without touching this file; one with a new kind of parameter fails until it is given a value
in PARAMETERS.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cases.models import ImportBatch
from tests.factories import (
    CaseFactory,
    ContactFactory,
    GuardianFactory,
    PlanActionFactory,
    PlanGoalFactory,
    ProfessionalFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.factory_history]

CASE_DATA_NAMESPACES = ("cases", "audit")
# Refused before or while the record is fetched; 405 is the method check of a GET-only or
# POST-only view, which then must refuse the other method.
REFUSED = {403, 404}


def named_patterns(resolver=None, namespace=""):
    """(full name, URLPattern) for every named URL, with its namespace."""
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.append((f"{namespace}{pattern.name}", pattern))
    return found


CASE_DATA_URLS = sorted(
    (name, sorted(pattern.pattern.converters))
    for name, pattern in named_patterns()
    if name.split(":")[0] in CASE_DATA_NAMESPACES
)


def test_the_case_data_urls_are_found():
    names = {name for name, _ in CASE_DATA_URLS}
    assert {"cases:case_detail", "cases:queue", "cases:import_upload", "cases:dashboard"} <= names
    assert len(names) >= 20


@pytest.fixture
def world():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.services.documents import document_upload
    from tests.cases.document_samples import MINIMAL_PDF

    owner = ProfessionalFactory(bip=True)
    case = CaseFactory(professional=owner, child__last_name="Zwartjeszoon")
    ContactFactory(case=case, summary="Geheime samenvatting")
    coordinator = UserFactory(coordinator=True)
    action = PlanActionFactory(plan__household=case.child.household)
    return {
        "case": case,
        "parameters": {
            "pk": case.pk,
            "child_pk": case.child.pk,
            "batch_pk": ImportBatch.objects.create(uploaded_by=coordinator, file_name="x.csv").pk,
            "action_pk": action.pk,
            "goal_pk": PlanGoalFactory(plan=action.plan).pk,
            "contact_pk": case.contacts.get().pk,
            "guardian_pk": GuardianFactory(child=case.child).pk,
            "professional_pk": owner.pk,
            "document_pk": document_upload(
                case=case,
                kind="rapport",
                file=SimpleUploadedFile("rapport.pdf", MINIMAL_PDF),
                actor=coordinator,
            ).pk,
        },
    }


@pytest.mark.parametrize(("name", "parameters"), CASE_DATA_URLS, ids=[n for n, _ in CASE_DATA_URLS])
def test_researcher_is_refused_every_case_data_url(client, researcher, world, name, parameters):
    unknown = set(parameters) - set(world["parameters"])
    assert not unknown, f"{name}: give the URL parameter(s) {unknown} a value in the world"
    url = reverse(name, kwargs={key: world["parameters"][key] for key in parameters})
    client.force_login(researcher)
    version = world["case"].version

    answers = {method: getattr(client, method)(url) for method in ("get", "post")}

    statuses = {method: response.status_code for method, response in answers.items()}
    assert set(statuses.values()) <= REFUSED | {405}, (name, statuses)
    assert set(statuses.values()) & REFUSED, (name, statuses)  # one method reached the check
    for response in answers.values():
        content = response.content.decode()
        assert world["case"].number not in content
        assert "Zwartjeszoon" not in content and "Geheime samenvatting" not in content
    world["case"].refresh_from_db()
    assert world["case"].version == version


def test_researcher_is_refused_the_case_history_in_the_admin(client, researcher, world):
    client.force_login(researcher)
    for url in (
        reverse("admin:index"),
        reverse("admin:cases_stagechange_changelist"),
        reverse("admin:cases_assignment_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
