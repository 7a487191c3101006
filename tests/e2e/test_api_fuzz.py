"""Schemathesis against the local stack, from the OpenAPI document it serves
(docs/fuzzing.md): every operation, a fixed seed and a bounded count. No answer may be a
server error, and every answer must be one the document declares, in its media type,
with its schema and its headers. ``bench/fuzz.py`` runs the same for longer."""
import pytest

from infra.template import load_template, routes
from tests.support import fuzz, hostile, privacy

pytestmark = pytest.mark.e2e

SEED = 20261128
CASES = 1600  # the coverage cases (about 600) and the hostile bodies (14 per operation with a body), then fuzzing
AT_LEAST_PER_OPERATION = 40
PHONE_REPORTS = 4  # of each kind, each with a one-time short code for the phone-code exchange


@pytest.fixture(scope="module")
def report(local_stack):
    residents = fuzz.open_resident_cases(local_stack.url, local_stack.dynamodb_endpoint,
                                         local_stack.repairs_table.removesuffix("-repairs"),
                                         copies=1, survey_codes=20, phone_reports=PHONE_REPORTS)
    for case in [*residents.cases, *residents.phone_reports]:
        privacy.remember_token(case.token)  # the stack's log is searched for them (and the codes)
    for report in residents.phone_reports:
        privacy.remember_code(report.code)
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
    """Not only refusals: real cases, real tokens, short codes of phone reports and
    invitation codes reach the answers residents get, so their schemas are checked too."""
    succeeded = {op for op, statuses in report.statuses.items() if any(200 <= s < 300 for s in statuses)}

    assert set(report.operations) - succeeded == set(), report.summary()


def test_a_short_code_opens_its_case_once_whatever_the_fuzzer_sends(report):
    """Fuzzed again and again with the real codes, each phone report's code gave its token
    at most once (one-time codes: docs/decisions/0007-short-codes-for-phone-reports.md)."""
    exchanges = {op: statuses[200] for op, statuses in report.statuses.items() if op.endswith("/phone-code")}

    assert len(exchanges) == 2 and all(1 <= n <= PHONE_REPORTS for n in exchanges.values()), report.summary()


def test_every_operation_with_a_body_got_every_hostile_body(report):
    """Deep nesting, huge numbers and the rest (tests/support/hostile.py): none may be a 500
    (the first test), and each went to every operation that takes a body."""
    with_body = {f"{r.method} {r.path}" for r in routes(load_template()) if r.method == "POST"}

    assert dict(report.hostile) == {op: len(hostile.BODIES) for op in with_body}, report.summary()
