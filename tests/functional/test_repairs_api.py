"""POST /api/repairs and GET /api/repairs/{reference} through the handlers, under moto."""
import json

import pytest

from butler.domain.identifiers import hash_token, is_reference
from tests.support.reports import home_report, public_report

JSON = {"Content-Type": "application/json"}


def report(api, body, **headers):
    return api.call("POST", "/api/repairs", json_body=body, headers={**JSON, **headers})


def track(api, reference, token):
    return api.call("GET", f"/api/repairs/{reference}", headers={"Authorization": f"Bearer {token}"})


def items(dynamodb, table):
    return dynamodb.scan(TableName=table)["Items"]


def test_report_creates_one_work_order_with_reference_and_secret_token(api, dynamodb, stack):
    response = report(api, home_report())

    assert response.status == 201
    body = response.json
    assert is_reference(body["reference"])
    assert len(body["token"]) >= 22  # at least 128 bits in URL-safe base64
    assert body["status"] == "reported"
    assert body["emergency"] is False
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Cache-Control"] == "no-store"

    (item,) = items(dynamodb, stack["RepairsTable"])
    assert item["reference"]["S"] == body["reference"]
    assert item["token_hash"]["S"] == hash_token(body["token"])
    assert body["token"] not in json.dumps(item)
    assert item["queue"]["S"] == "reported"
    assert item["unit"]["S"] == "3-2-1201"
    assert item["source"]["S"] == "resident_site"


def test_public_area_report_leaves_the_house_archive_index_alone(api, dynamodb, stack):
    response = report(api, public_report())

    assert response.status == 201
    (item,) = items(dynamodb, stack["RepairsTable"])
    assert "unit" not in item
    assert item["location"]["S"] == "5号楼2单元一楼楼道"


def test_emergency_category_is_flagged_and_answered_within_minutes(api):
    response = report(api, home_report(category="gas_leak", urgency="normal"))

    body = response.json
    assert response.status == 201
    assert body["emergency"] is True
    assert body["urgency"] == "emergency"
    minutes = (_t(body["respond_by"]) - _t(body["created_at"])).total_seconds() / 60
    assert minutes <= 15


def test_retry_with_same_idempotency_key_returns_first_result_and_one_item(api, dynamodb, stack):
    first = report(api, home_report(), **{"Idempotency-Key": "retry-key-0001"})
    second = report(api, home_report(), **{"Idempotency-Key": "retry-key-0001"})

    assert first.status == second.status == 201
    assert second.json == first.json
    assert len(items(dynamodb, stack["RepairsTable"])) == 1
    assert track(api, second.json["reference"], second.json["token"]).status == 200


def test_idempotency_store_never_holds_the_token_in_clear(api, dynamodb, stack):
    created = report(api, home_report(), **{"Idempotency-Key": "seal-check-0001"}).json

    stored = json.dumps(items(dynamodb, stack["IdempotencyTable"]))
    assert created["reference"] in stored
    assert created["token"] not in stored
    assert "seal-check-0001" not in stored


def test_same_key_with_different_content_is_refused(api, dynamodb, stack):
    report(api, home_report(), **{"Idempotency-Key": "reused-key-0001"})
    response = report(api, home_report(description="另一件事：阳台推拉门卡住了。"),
                      **{"Idempotency-Key": "reused-key-0001"})

    assert response.status == 422
    assert response.json["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert len(items(dynamodb, stack["RepairsTable"])) == 1


def test_different_keys_create_different_work_orders(api, dynamodb, stack):
    a = report(api, home_report(), **{"Idempotency-Key": "key-a-000001"}).json
    b = report(api, home_report(), **{"Idempotency-Key": "key-b-000001"}).json

    assert a["reference"] != b["reference"]
    assert len(items(dynamodb, stack["RepairsTable"])) == 2


def test_malformed_idempotency_key_is_refused_before_anything_is_written(api, dynamodb, stack):
    response = report(api, home_report(), **{"Idempotency-Key": "short"})

    assert response.status == 400
    assert response.json["error"]["code"] == "INVALID_IDEMPOTENCY_KEY"
    assert items(dynamodb, stack["RepairsTable"]) == []


def test_tracking_shows_resident_view_without_staff_notes_and_with_masked_phone(api):
    created = report(api, home_report()).json

    response = track(api, created["reference"], created["token"])

    assert response.status == 200
    view = response.json
    assert view["reference"] == created["reference"]
    assert view["status"] == "reported"
    assert view["contact_phone"] == "139****5678"
    assert "13912345678" not in response.text
    assert "staff_notes" not in view and "token_hash" not in view and "contact_name" not in view
    assert [entry["status"] for entry in view["timeline"]] == ["reported"]


def test_tracking_accepts_a_reference_typed_in_lower_case(api):
    created = report(api, home_report()).json

    response = track(api, created["reference"].lower(), created["token"])

    assert response.status == 200


def test_wrong_token_and_unknown_reference_answer_the_same_404(api):
    created = report(api, home_report()).json

    wrong_token = track(api, created["reference"], created["token"][:-2] + "xx")
    unknown = track(api, "R-ZZZZ-ZZZZ", created["token"])
    garbage = track(api, "not-a-reference", created["token"])

    assert wrong_token.status == unknown.status == garbage.status == 404
    assert wrong_token.text == unknown.text == garbage.text
    assert wrong_token.json["error"]["code"] == "NOT_FOUND"


def test_a_reference_too_long_for_any_record_answers_the_same_404(api):
    # Found by the API fuzzer (docs/fuzzing.md): it was a 422 VALIDATION_FAILED, documented
    # with powertools' default shape; the tracking page shows the 404's message.
    created = report(api, home_report()).json
    bearer = {"Authorization": f"Bearer {created['token']}"}

    unknown = track(api, "R-ZZZZ-ZZZZ", created["token"])
    too_long = track(api, "R-" + "Z" * 30, created["token"])
    step = api.call("POST", "/api/repairs/" + "R" * 21 + "/not-fixed", json_body={"reason": "还在漏水"},
                    headers={**JSON, **bearer})

    assert unknown.status == too_long.status == step.status == 404
    assert unknown.text == too_long.text == step.text


def test_tracking_without_a_token_asks_for_one(api):
    created = report(api, home_report()).json

    response = api.call("GET", f"/api/repairs/{created['reference']}")

    assert response.status == 401
    assert response.json["error"]["code"] == "TOKEN_REQUIRED"


@pytest.mark.parametrize("body, content_type, status, code", [
    ('{"category": "plumbing"', "application/json", 400, "INVALID_JSON"),
    ("[1, 2]", "application/json", 400, "INVALID_BODY"),
    ('"text"', "application/json", 400, "INVALID_BODY"),
    ("", "application/json", 400, "BODY_REQUIRED"),
    ("category=plumbing", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("{}", "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("{}", "application/json; charset=latin-1", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ('{"description": "坏'.encode("gbk") + b'"}', "application/json", 400, "INVALID_JSON"),  # not UTF-8
    ("{" + '"description": "' + "长" * 20000 + '"}', "application/json", 413, "PAYLOAD_TOO_LARGE"),
])
def test_unreadable_requests_get_a_clear_error_and_write_nothing(api, dynamodb, stack, body,
                                                                   content_type, status, code):
    response = api.call("POST", "/api/repairs", body=body, headers={"Content-Type": content_type})

    assert response.status == status
    error = response.json["error"]
    assert error["code"] == code
    assert error["message"] and set(error) == {"code", "message", "fields"}
    assert items(dynamodb, stack["RepairsTable"]) == []


def test_missing_content_type_is_refused(api):
    response = api.call("POST", "/api/repairs", body=json.dumps(home_report()))

    assert response.status == 415


@pytest.mark.parametrize("overrides, field", [
    ({"category": None}, "category"),
    ({"category": "spaceship"}, "category"),
    ({"description": None}, "description"),
    ({"description": "漏"}, "description"),
    ({"description": 12345}, "description"),
    ({"contact_phone": None}, "contact_phone"),
    ({"contact_phone": "12345"}, "contact_phone"),
    ({"contact_phone": 13912345678}, "contact_phone"),
    ({"contact_name": ""}, "contact_name"),
    ({"unit": None}, "unit"),
    ({"unit": "三栋二单元"}, "unit"),
    ({"location_type": "roof"}, "location_type"),
    ({"urgency": "emergency"}, "urgency"),
    ({"surprise": "extra"}, "surprise"),
])
def test_invalid_fields_get_a_chinese_message_per_field(api, dynamodb, stack, overrides, field):
    response = report(api, home_report(**overrides))

    assert response.status == 422
    error = response.json["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert field in error["fields"]
    assert _has_chinese(error["fields"][field])
    assert items(dynamodb, stack["RepairsTable"]) == []


def test_public_area_needs_a_location(api):
    response = report(api, public_report(location=""))

    assert response.status == 422
    assert "location" in response.json["error"]["fields"]


def test_unknown_api_path_is_a_json_404(api):
    # Not in template.yaml, so API Gateway would never route it; the resolver still answers cleanly.
    from handlers import repairs_api
    from infra.apigw import FakeLambdaContext, build_event

    result = repairs_api.handler(build_event("GET", "/api/nowhere"), FakeLambdaContext())

    assert result["statusCode"] == 404
    assert json.loads(result["body"])["error"]["code"] == "ROUTE_NOT_FOUND"


def test_storage_outage_is_a_retryable_503_not_a_500(api, dynamodb, stack):
    dynamodb.update_table(TableName=stack["RepairsTable"], DeletionProtectionEnabled=False)
    dynamodb.delete_table(TableName=stack["RepairsTable"])

    response = report(api, home_report(), **{"Idempotency-Key": "outage-key-01"})

    assert response.status == 503
    assert response.json["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_openapi_document_is_generated_from_the_routes(api):
    response = api.call("GET", "/api/openapi.json")

    assert response.status == 200
    document = response.json
    assert document["openapi"].startswith("3.")
    from infra.template import load_template, routes

    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    declared = {(r.method, r.path) for r in routes(load_template()) if r.path != "/api/openapi.json"}
    assert documented == declared
    request_schema = document["paths"]["/api/repairs"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert request_schema["$ref"].endswith("RepairReportIn")
    fields = document["components"]["schemas"]["RepairReportIn"]["properties"]
    assert {"category", "location_type", "unit", "description", "contact_phone"} <= set(fields)
    assert "201" in document["paths"]["/api/repairs"]["post"]["responses"]


def _has_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _t(text):
    from butler.domain.timefmt import parse_iso
    return parse_iso(text)


def test_the_resident_cancels_before_work_starts_and_no_longer_once_it_has(api, stack):
    from butler.repository.work_orders import WorkOrderRepository
    from butler.roster import load_roster
    from butler.services.cases import take_step

    created = report(api, home_report()).json
    later = report(api, home_report(unit="3-2-1202")).json
    assert "cancel" in track(api, created["reference"], created["token"]).json["resident_actions"]

    cancel = api.call("POST", f"/api/repairs/{created['reference']}/cancel", json_body={"reason": "  问题已自行解决  "},
                      headers={"Authorization": f"Bearer {created['token']}"})

    assert cancel.status == 200, cancel.text
    view = cancel.json
    assert (view["status"], view["final"], view["resident_actions"]) == ("cancelled", True, [])
    assert view["details"]["cancel_reason"] == "问题已自行解决"

    repo = WorkOrderRepository(stack["RepairsTable"])
    for action, values in (("dispatch", {"technician": "wx-wang"}),
                           ("survey", {"survey_plan": "更换阀芯", "materials_planned": "阀芯"}), ("start_repair", {})):
        take_step(repo, later["reference"], action, actor="gj-li", role="maintenance_lead", values=values,
                  roster=load_roster())
    too_late = api.call("POST", f"/api/repairs/{later['reference']}/cancel", json_body={"reason": "不修了"},
                        headers={"Authorization": f"Bearer {later['token']}"})
    assert too_late.status == 409 and too_late.json["error"]["code"] == "INVALID_TRANSITION"
    wrong_token = api.call("POST", f"/api/repairs/{later['reference']}/cancel", json_body={"reason": "不修了"},
                           headers={"Authorization": "Bearer " + "x" * 32})
    assert wrong_token.status == 404
