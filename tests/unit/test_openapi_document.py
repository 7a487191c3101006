"""The OpenAPI document says what the API answers: the gaps the API fuzzer found
(docs/fuzzing.md) stay closed."""
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from butler.domain.surveys import is_code, normalize_code
from butler.web.routes.docs import openapi_document
from butler.web.schemas import NOT_SPACE, PHONE_PATTERN, UNIT_PATTERN, checked_phone, checked_unit

DOCUMENT = json.loads(openapi_document())
OPERATIONS = [(f"{method.upper()} {path}", operation)
              for path, methods in DOCUMENT["paths"].items() for method, operation in methods.items()]
CREATES = ("POST /api/repairs", "POST /api/complaints", "POST /api/surveys")


def schema(name):
    return DOCUMENT["components"]["schemas"][name]


@pytest.mark.parametrize("label, operation", OPERATIONS, ids=[label for label, _ in OPERATIONS])
def test_every_answer_is_declared_in_the_error_shape_with_its_headers(label, operation):
    responses = operation["responses"]
    for status, response in responses.items():
        ref = response["content"]["application/json"]["schema"]["$ref"]
        if status == "429":  # API Gateway's or the WAF's own answer, before any function runs
            assert ref.endswith("/ThrottledOut") and set(response["headers"]) == {"Retry-After"}
            continue
        assert response["headers"]["Cache-Control"]["schema"] == {"type": "string", "enum": ["no-store"]}
        if status.startswith("4") or status.startswith("5"):
            assert ref.endswith("/ErrorOut"), (label, status)
    assert {"404", "429", "503"} <= set(responses) if "{reference}" in label else {"429", "503"} <= set(responses)


def test_the_429_shape_is_what_api_gateway_and_the_waf_answer():
    from butler.web.schemas import ThrottledOut
    from infra.template import ROOT, load_template

    gateway = load_template()["Resources"]["Api"]["Properties"]["GatewayResponses"]["THROTTLED"]
    waf = load_template(ROOT / "infra" / "waf.yaml")
    (acl,) = [r for r in waf["Resources"].values() if r["Type"] == "AWS::WAFv2::WebACL"]
    bodies = [gateway["ResponseTemplates"]["application/json"],
              acl["Properties"]["CustomResponseBodies"]["too-many-requests"]["Content"]]

    for body in bodies:
        ThrottledOut.model_validate_json(body)
    assert gateway["StatusCode"] == "429"


def test_no_operation_keeps_the_resolver_s_default_validation_shape():
    text = json.dumps(DOCUMENT)

    assert "HTTPValidationError" not in text and "ValidationError\"" not in text
    reads = [operation for label, operation in OPERATIONS if label.startswith("GET")]
    assert reads and all("422" not in operation["responses"] for operation in reads)  # a bad reference is a 404


@pytest.mark.parametrize("label", CREATES)
def test_submissions_declare_the_idempotency_key_header(label):
    (operation,) = [operation for found, operation in OPERATIONS if found == label]
    (parameter,) = [p for p in operation["parameters"] if p["in"] == "header"]

    assert parameter["name"].lower() == "idempotency-key" and parameter["required"] is False
    pattern = re.compile(parameter["schema"]["pattern"])
    assert pattern.match("form-2f6c1e-0001") and not pattern.match("short") and not pattern.match("含中文的键-0001")


def test_request_formats_and_conditions_are_documented():
    repair, complaint = schema("RepairReportIn"), schema("ComplaintIn")

    assert repair["properties"]["contact_phone"]["pattern"] == PHONE_PATTERN
    assert repair["properties"]["unit"]["pattern"] == UNIT_PATTERN
    assert {"if": {"properties": {"location_type": {"const": "home"}}, "required": ["location_type"]},
            "then": {"required": ["unit"], "properties": {"unit": {"type": "string", "minLength": 1,
                                                                   "pattern": NOT_SPACE}}}
            } in repair["allOf"]
    assert len(complaint["allOf"]) == 2  # inquiries and complaints need a name and a phone
    assert re.match(schema("SurveyIn")["properties"]["code"]["pattern"], "K7Q2M-XP9RT")


@settings(max_examples=200, deadline=None)
@given(phone=st.from_regex(PHONE_PATTERN, fullmatch=True), unit=st.from_regex(UNIT_PATTERN, fullmatch=True),
       code=st.from_regex(schema("SurveyIn")["properties"]["code"]["pattern"], fullmatch=True))
def test_whatever_the_documented_formats_allow_is_accepted(phone, unit, code):
    # The patterns say what is accepted (the unit's: its normal form); never stricter the other way.
    assert re.fullmatch(r"1[3-9][0-9]{9}|0[0-9]{2,3}-[1-9][0-9]{6,7}", checked_phone(phone))  # stored form
    assert checked_unit(unit) == unit.upper()
    assert is_code(normalize_code(code))
