"""Inquiries, complaints and suggestions: filing, tracking, the console path through the
stream function, and escalation of a missed promised reply."""
import json
from datetime import timedelta

import pytest

from butler.domain.complaints import COMPLAINT_WORKFLOW, PROMISED_REPLY
from butler.domain.identifiers import is_reference
from butler.domain.timefmt import iso, parse_iso
from infra.apigw import FakeLambdaContext
from tests.support.console import console_edit, item

JSON = {"Content-Type": "application/json"}


def filing(**changes):
    body = {"kind": "complaint", "topic": "cleaning", "description": "5号楼垃圾桶三天没清运，味道很大。",
            "contact_name": "钱女士", "contact_phone": "13933334444"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def file(api, **changes):
    response = api.call("POST", "/api/complaints", json_body=filing(**changes), headers=JSON)
    assert response.status == 201, response.text
    return response.json


def view(api, created):
    return api.call("GET", f"/api/complaints/{created['reference']}",
                    headers={"Authorization": f"Bearer {created['token']}"})


def resident(api, created, path, body):
    response = api.call("POST", f"/api/complaints/{created['reference']}/{path}", json_body=body,
                        headers={**JSON, "Authorization": f"Bearer {created['token']}"})
    assert response.status == 200, response.text
    return response.json


def edit(dynamodb, stack, stream, created, **attributes):
    console_edit(dynamodb, stack["ComplaintsTable"], created["reference"], **attributes)
    stream.drain()
    return item(dynamodb, stack["ComplaintsTable"], created["reference"])


def test_filing_answers_with_a_reference_and_tracking_shows_the_case(api, dynamodb, stack):
    created = file(api)

    assert created["reference"].startswith("C-") and is_reference(created["reference"])
    assert created["status"] == "submitted"
    shown = view(api, created).json
    assert shown["kind_label"] == "投诉" and shown["department_label"] == "环境卫生部"
    assert shown["contact_phone"] == "139****4444"
    stored = item(dynamodb, stack["ComplaintsTable"], created["reference"])
    assert stored["queue"] == "submitted" and created["token"] not in json.dumps(stored)


def test_a_suggestion_may_be_anonymous_but_a_complaint_needs_a_way_back(api):
    assert file(api, kind="suggestion", contact_name=None, contact_phone=None)["status"] == "submitted"

    refused = api.call("POST", "/api/complaints", json_body=filing(contact_phone=None), headers=JSON)

    assert refused.status == 422 and "contact_phone" in refused.json["error"]["fields"]


def test_retries_with_the_same_key_file_one_case(api, dynamodb, stack):
    headers = {**JSON, "Idempotency-Key": "complaint-retry-01"}
    first = api.call("POST", "/api/complaints", json_body=filing(), headers=headers).json
    second = api.call("POST", "/api/complaints", json_body=filing(), headers=headers).json

    assert first == second
    assert len(dynamodb.scan(TableName=stack["ComplaintsTable"])["Items"]) == 1


def test_unknown_reference_and_wrong_token_answer_the_same_404(api):
    created = file(api)

    wrong = view(api, {**created, "token": "x" * 32})
    unknown = view(api, {**created, "reference": "C-0000-0000"})

    assert wrong.status == unknown.status == 404 and wrong.text == unknown.text


def test_the_long_path_in_the_console_until_the_resident_is_satisfied(api, dynamodb, stack, complaint_stream):
    created = file(api)
    stream = complaint_stream

    def step(target, editor, **values):
        stored = edit(dynamodb, stack, stream, created, status=target, edited_by=editor, **values)
        assert stored["status"] == target, stored.get("guard_message")
        return stored

    step("received", "kf-zhang", owner="kf-zhang")
    step("transferred", "kf-zhang", department="environment", owner="kf-he")  # tries to hand it over
    step("investigating", "bj-zhou", findings="清运车故障")
    step("solution_proposed", "bj-zhou", solution="今天下午加派车辆")
    step("replied", "kf-zhang", reply="今天下午清运并消毒。")
    assert view(api, created).json["resident_actions"] == ["confirm_satisfied", "not_satisfied"]
    resident(api, created, "not-satisfied", {"reason": "还是没有人来"})
    stream.drain()
    step("transferred", "kf-zhang", department="environment", promised_hours="4")
    step("investigating", "bj-zhou")
    step("solution_proposed", "bj-zhou", solution="主管带队")
    step("replied", "kf-zhang", reply="已清运完毕。")
    shown = resident(api, created, "satisfied", {"rating": 5})
    stream.drain()

    stored = item(dynamodb, stack["ComplaintsTable"], created["reference"])
    assert stored["status"] == "closed" and stored["owner"] == "kf-zhang"
    assert stored["reopen_count"] == 1
    assert shown["owner_name"] == "张客服" and shown["final"] is True
    assert [e["to_status"] for e in stored["timeline"]] == [
        "submitted", "received", "transferred", "investigating", "solution_proposed", "replied",
        "received", "transferred", "investigating", "solution_proposed", "replied", "closed"]
    assert "清运车故障" not in json.dumps(shown, ensure_ascii=False)


def test_only_the_owner_replies_and_the_owner_cannot_be_edited(api, dynamodb, stack, complaint_stream):
    created = file(api)
    edit(dynamodb, stack, complaint_stream, created, status="received", edited_by="kf-zhang", owner="kf-zhang")

    by_other = edit(dynamodb, stack, complaint_stream, created, status="answered", edited_by="kf-he", reply="好的")
    takeover = edit(dynamodb, stack, complaint_stream, created, owner="kf-he", edited_by="kf-he")

    assert by_other["status"] == "received" and "首问负责人" in by_other["guard_message"]
    assert takeover["owner"] == "kf-zhang" and "guard_message" in takeover


def test_a_missed_promised_reply_is_escalated_exactly_once(api, dynamodb, stack, complaint_stream, alerts):
    from handlers import overdue_sweep

    created = file(api, kind="inquiry")
    edit(dynamodb, stack, complaint_stream, created, status="received", edited_by="kf-zhang", owner="kf-zhang")
    stored = edit(dynamodb, stack, complaint_stream, created, status="transferred", edited_by="kf-zhang",
                  department="security")
    reply_by = parse_iso(stored["reply_by"])
    assert reply_by - parse_iso(stored["timeline"][-1]["at"]) == PROMISED_REPLY["inquiry"]

    def sweep(at):
        event = {"source": "aws.events", "time": iso(at), "detail": {}}
        return overdue_sweep.handler(event, FakeLambdaContext())["alerted"]

    assert sweep(reply_by - timedelta(minutes=1)) == []
    late = reply_by + timedelta(minutes=1)
    alerted = sweep(late) + sweep(late) + sweep(late + timedelta(hours=1))

    assert len(alerted) == 1 and "promised_reply" in alerted[0]
    (message,) = [m for m in alerts.read() if created["reference"] in m]
    assert "安全秩序部" in message and "部门负责人" in message and "13933334444" not in message
    assert item(dynamodb, stack["ComplaintsTable"], created["reference"])["overdue"] == "overdue"


@pytest.mark.parametrize("state", [s.code for s in COMPLAINT_WORKFLOW.states])
def test_every_complaint_state_has_resident_wording(state):
    assert COMPLAINT_WORKFLOW.state(state).resident_label


def test_the_simple_path_in_the_console(api, dynamodb, stack, complaint_stream):
    created = file(api, kind="inquiry")

    edit(dynamodb, stack, complaint_stream, created, status="received", edited_by="kf-he", owner="kf-he")
    answered = edit(dynamodb, stack, complaint_stream, created, status="answered", edited_by="kf-he",
                    reply="每周二、五上午清运大件垃圾。")
    shown = resident(api, created, "satisfied", {})

    assert answered["status"] == "answered" and "guard_message" not in answered
    assert shown["status"] == "closed" and shown["details"]["reply"].startswith("每周二")
