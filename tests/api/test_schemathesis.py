"""schemathesis against the OpenAPI document: generated requests (valid and invalid) for every
operation, with a real client token. No answer may be a server error, and every answer must
conform to the document: its status codes, content types, headers and body schemas.

The fast suite runs a few examples per operation; CI's fuzz step runs FUZZ_EXAMPLES=50 on
SQLite and PostgreSQL. positive_data_acceptance is left out on purpose: a referral can be
valid JSON and still be refused by the referral rules (a BSN failing the 11-proef, an unknown
BRIN), which the schema cannot express.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.generation.modes import GenerationMode

from bip.wsgi import application

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=False)]

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    ignored_auth,
]


@pytest.fixture
def api_schema(db):
    # In-process WSGI calls, as Django's test client makes them: the request signals must not
    # close the test's database connection (the test client disconnects them the same way).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


OPERATIONS = [
    ("POST", "/api/v1/meldingen"),
    ("POST", "/api/v1/meldingen:batch"),
    ("GET", "/api/v1/meldingen"),
    ("GET", "/api/v1/meldingen/{referentie}/status"),
]


def test_the_document_has_exactly_these_operations(api_schema):
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert set(OPERATIONS) == found


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_answer_conforms_and_none_is_a_server_error(
    api_schema, register, school, method, path, mode
):
    token = register().token
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    run()
