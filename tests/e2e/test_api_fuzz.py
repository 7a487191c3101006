"""Schemathesis against the local stack, from the OpenAPI document it serves
(docs/fuzzing.md): every operation, a fixed seed and a bounded count. No answer may be a
server error, and every answer must be one the document declares, in its media type,
with its schema and its headers. ``bench/fuzz.py`` runs the same for longer."""
import pytest

from infra.template import load_template, routes
from tests.support import fuzz, hostile, privacy

pytestmark = pytest.mark.e2e

SEED = 20261128
CASES = 1500  # the coverage cases (about 600) and the hostile bodies (14 per operation with a body), then fuzzing
AT_LEAST_PER_OPERATION = 40


@pytest.fixture(scope="module")
def report(local_stack):
    residents = fuzz.open_resident_cases(local_stack.url, local_stack.dynamodb_endpoint,
                                         local_stack.repairs_table.removesuffix("-repairs"),
                                         copies=1, survey_codes=20)
    for case in residents.cases:
        privacy.remember_token(case.token)
    report = fuzz.run(local_stack.url, cases=CASES, seed=SEED, residents=residents)
    print(report.summary())  # shown with -s, or -rA
    return report


def test_no_server_error_and_every_answer_as_the_document_says(report):
    assert report.failures == {}, report.summary()


def test_every_operation_of_the_document_was_fuzzed(report):
    declared = {f"{r.method} {r.path}" for r in routes(load_template()) if r.path != "/api/openapi.json"}

    assert set(report.operations) == declared  # a route that drops out of the document fails here
    assert report.total >= 1000, report.summary()
    assert {op: n for op, n in report.cases.items() if n < AT_LEAST_PER_OPERATION} == {}, report.summary()


def test_the_fuzzer_got_past_the_front_door(report):
    """Not only refusals: real cases, real tokens and invitation codes reach the answers
    residents get, so their schemas are checked too."""
    succeeded = {op for op, statuses in report.statuses.items() if any(200 <= s < 300 for s in statuses)}

    assert set(report.operations) - succeeded == set(), report.summary()


def test_every_operation_with_a_body_got_every_hostile_body(report):
    """Deep nesting, huge numbers and the rest (tests/support/hostile.py): none may be a 500
    (the first test), and each went to every operation that takes a body."""
    with_body = {f"{r.method} {r.path}" for r in routes(load_template()) if r.method == "POST"}

    assert dict(report.hostile) == {op: len(hostile.BODIES) for op in with_body}, report.summary()
