"""Staff work orders in the DynamoDB console; the stream function checks every edit."""
import json

import boto3

from tests.support.console import console_edit, item
from tests.support.flow import CANCEL_STEP, PLAN_WALK, sweep_archive, take_resident_step
from tests.support.reports import home_report

JSON = {"Content-Type": "application/json"}


def reported(api):
    created = api.call("POST", "/api/repairs", json_body=home_report(), headers=JSON).json
    return created["reference"], created["token"]


def edited(dynamodb, stream, table, reference, **attributes):
    """Edit the item in the console, let the stream function judge the edit, read the item."""
    console_edit(dynamodb, table, reference, **attributes)
    stream.drain()
    return item(dynamodb, table, reference)


def test_every_step_of_the_plan_as_console_edits(api, dynamodb, stack, stream):
    table = stack["RepairsTable"]
    reference, token = reported(api)
    stream.drain()

    for step in PLAN_WALK:
        if step.role == "resident":
            take_resident_step(api, reference, token, step)
        elif step.role == "system":  # archived by the sweep once rated, never by staff
            assert sweep_archive() == [reference]
        else:
            console_edit(dynamodb, table, reference, status=step.target, edited_by=step.actor,
                         resident_note=f"第{step.action}步", **step.values)
        stream.drain()
        stored = item(dynamodb, table, reference)
        assert stored["status"] == step.target, (step.action, stored.get("guard_message"))
        assert stored["applied_status"] == step.target
        assert "guard_message" not in stored and "edited_by" not in stored
        assert stored["timeline"][-1]["action"] == step.action

    stored = item(dynamodb, table, reference)
    assert [e["action"] for e in stored["timeline"]] == ["report", *[s.action for s in PLAN_WALK]]
    assert stored["rating"] == "4"
    assert any("墙内管道老化" in n["text"] for n in stored["staff_notes"])
    view = api.call("GET", f"/api/repairs/{reference}", headers={"Authorization": f"Bearer {token}"}).json
    assert view["status"] == "archived"
    assert "墙内管道老化" not in json.dumps(view, ensure_ascii=False)
    assert "第dispatch步" in [entry["note"] for entry in view["timeline"]]


def test_cancel_in_the_console_needs_a_reason(api, dynamodb, stack, stream):
    table = stack["RepairsTable"]
    reference, _ = reported(api)

    refused = edited(dynamodb, stream, table, reference, status="cancelled", edited_by=CANCEL_STEP.actor)
    cancelled = edited(dynamodb, stream, table, reference, status="cancelled", edited_by=CANCEL_STEP.actor,
                       **CANCEL_STEP.values)

    assert refused["status"] == "reported" and "取消原因" in refused["guard_message"]
    assert cancelled["status"] == "cancelled"


def test_an_invalid_edit_is_put_back_with_the_reason_in_chinese(api, dynamodb, stack, stream):
    table = stack["RepairsTable"]
    reference, _ = reported(api)
    before = item(dynamodb, table, reference)

    after = edited(dynamodb, stream, table, reference, status="completed", edited_by="wx-wang",
                   work_done="都修好了")

    assert after["status"] == "reported"
    assert "work_done" not in after
    assert "不能从“已报修，待派单”直接改为“已完工，待验收”" in after["guard_message"]
    assert after["timeline"] == before["timeline"]


def test_an_edit_without_a_staff_id_or_by_the_wrong_role_is_refused(api, dynamodb, stack, stream):
    table = stack["RepairsTable"]
    reference, _ = reported(api)

    anonymous = edited(dynamodb, stream, table, reference, status="dispatched", technician="wx-wang")
    technician = edited(dynamodb, stream, table, reference, status="dispatched", technician="wx-wang",
                        edited_by="wx-zhao")

    assert anonymous["status"] == "reported" and "edited_by" in anonymous["guard_message"]
    assert technician["status"] == "reported" and "物业管家" in technician["guard_message"]
    assert "technician" not in technician


def test_history_and_deadlines_cannot_be_rewritten_in_the_console(api, dynamodb, stack, stream):
    table = stack["RepairsTable"]
    reference, _ = reported(api)
    before = item(dynamodb, table, reference)

    dynamodb.update_item(TableName=table, Key={"reference": {"S": reference}},
                         UpdateExpression="SET timeline = :empty, respond_by = :late",
                         ExpressionAttributeValues={":empty": {"L": []}, ":late": {"S": "2099-01-01T00:00:00Z"}})
    stream.drain()

    after = item(dynamodb, table, reference)
    assert after["timeline"] == before["timeline"]
    assert after["respond_by"] == before["respond_by"]
    assert "timeline" in after["guard_message"]


def test_data_corrections_pass_untouched(api, dynamodb, stack, stream):
    table = stack["RepairsTable"]
    reference, _ = reported(api)
    version = item(dynamodb, table, reference)["version"]

    after = edited(dynamodb, stream, table, reference, preferred_time="周六上午")

    assert after["preferred_time"] == "周六上午" and after["version"] == version
    assert "guard_message" not in after


def test_a_staff_note_alone_is_kept_apart_from_the_resident(api, dynamodb, stack, stream):
    table = stack["RepairsTable"]
    reference, token = reported(api)

    after = edited(dynamodb, stream, table, reference, staff_note="业主白天不在家，晚上联系", edited_by="kf-zhang")

    assert after["staff_notes"][-1]["text"] == "业主白天不在家，晚上联系"
    assert "staff_note" not in after
    view = api.call("GET", f"/api/repairs/{reference}", headers={"Authorization": f"Bearer {token}"})
    assert "晚上联系" not in view.text


def test_replayed_and_duplicate_records_change_nothing(api, dynamodb, stack, stream):
    table = stack["RepairsTable"]
    reference, _ = reported(api)
    stream.drain()
    console_edit(dynamodb, table, reference, status="dispatched", edited_by="gj-li", technician="wx-wang")
    records = stream.poll()
    stream.deliver(records)
    stream.drain()
    settled = item(dynamodb, table, reference)

    stream.deliver(records)  # the same records again, after the guard's own write
    stream.deliver(records + records)
    stream.drain()

    assert item(dynamodb, table, reference) == settled
    assert [e["action"] for e in settled["timeline"]] == ["report", "dispatch"]


def test_two_quick_edits_are_judged_from_the_last_accepted_status(api, dynamodb, stack, stream):
    table = stack["RepairsTable"]
    reference, _ = reported(api)
    stream.drain()

    console_edit(dynamodb, table, reference, status="dispatched", edited_by="gj-li", technician="wx-wang")
    console_edit(dynamodb, table, reference, status="surveyed", edited_by="wx-wang",
                 survey_plan="换阀门", materials_planned="阀门")
    stream.drain()

    after = item(dynamodb, table, reference)
    assert after["status"] == after["applied_status"]
    steps = [(e["from_status"], e["to_status"]) for e in after["timeline"][1:]]
    assert all(a == b for (_, a), (b, _) in zip(steps, steps[1:]))


def test_a_record_that_keeps_failing_goes_to_the_failure_queue_and_the_rest_go_on(
        api, dynamodb, stack, stream, provisioned, moto_endpoint, monkeypatch):
    table = stack["RepairsTable"]
    broken, _ = reported(api)
    healthy, _ = reported(api)
    stream.drain()
    console_edit(dynamodb, table, broken, status="dispatched", edited_by="gj-li", technician="wx-wang")
    console_edit(dynamodb, table, healthy, status="dispatched", edited_by="gj-li", technician="wx-zhao")

    from butler.services import console_guard
    real = console_guard.check_console_edit

    def failing(repo, old, new, roster, now):
        if new["reference"]["S"] == broken:
            raise RuntimeError("simulated failure")
        return real(repo, old, new, roster, now)

    monkeypatch.setattr("handlers.staff_edit_guard.check_console_edit", failing)
    result = stream.drain()

    assert len(result.discarded) == 1  # the failing record and those after it in its batch
    assert item(dynamodb, table, healthy)["status"] == "dispatched"
    assert item(dynamodb, table, broken)["applied_status"] == "reported"
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    queue = provisioned.messaging.queues["StreamFailuresQueue"]
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert json.loads(messages[0]["Body"])["DDBStreamBatchInfo"]["startSequenceNumber"] == result.failed[0]
