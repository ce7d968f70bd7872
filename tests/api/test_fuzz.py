"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis), over
the site's WSGI application inside the test's transaction (so nothing it writes outlives the
test, and the session's shared corpus is left as it was): no server errors, every status code declared, every body in its declared schema.
Valid requests (positive mode) and invalid ones (negative mode) for every operation."""

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import openapi
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.engagement.conftest import BROWSER

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 30


@pytest.fixture
def app():
    """The WSGI application, keeping the test's database connection open across requests (as
    Django's own test client does), so every request runs inside the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_api_answers_as_its_document_says(home, app):
    schema = openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    calls = 0
    for operation, mode in [(o, m) for o in operations for m in GenerationMode]:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            nonlocal calls
            calls += 1
            case.call_and_validate(checks=CHECKS, headers={"User-Agent": BROWSER})

        fuzz()
    assert calls >= len(operations) * 2 * 10  # the run really exercised every operation
