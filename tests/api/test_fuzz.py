"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis), over
real HTTP: no server errors, every status code declared, every body in its declared schema.
Valid requests (positive mode) and invalid ones (negative mode) for every operation."""

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


def test_the_api_answers_as_its_document_says(live_server, corpus):
    schema = openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
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
            case.call_and_validate(
                base_url=live_server.url, checks=CHECKS, headers={"User-Agent": BROWSER}
            )

        fuzz()
    assert calls >= len(operations) * 2 * 10  # the run really exercised every operation
