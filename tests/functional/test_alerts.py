"""Emergencies alert staff at once; each missed deadline alerts exactly once."""
import json
from datetime import timedelta

from butler.domain.timefmt import iso, parse_iso
from infra.apigw import FakeLambdaContext
from tests.support.console import console_edit, item
from tests.support.reports import home_report

JSON = {"Content-Type": "application/json"}


def report(api, **overrides):
    return api.call("POST", "/api/repairs", json_body=home_report(**overrides), headers=JSON).json


def sweep(at):
    from handlers import overdue_sweep  # imported once the functions' environment is set

    event = {"source": "aws.events", "detail-type": "Scheduled Event", "time": iso(at), "detail": {}}
    return overdue_sweep.handler(event, FakeLambdaContext())["alerted"]


def test_an_emergency_report_alerts_staff_once_without_personal_data(api, stream, alerts):
    created = report(api, category="elevator_entrapment", contact_phone="13955556666")
    ordinary = report(api)

    stream.drain()
    first = alerts.read()
    records = stream.poll()
    stream.deliver(records)
    stream.drain()

    assert len(first) == 1
    assert created["reference"] in first[0] and "电梯困人" in first[0]
    assert ordinary["reference"] not in first[0]
    assert "13955556666" not in first[0] and "陈女士" not in first[0]
    assert alerts.read() == []


def test_moving_the_clock_past_a_deadline_alerts_once_per_breach(api, dynamodb, stack, stream, alerts):
    table = stack["RepairsTable"]
    late = report(api, category="doors_windows", urgency="urgent")
    on_time = report(api, category="doors_windows", urgency="normal")
    respond_by = parse_iso(late["respond_by"])

    assert sweep(respond_by - timedelta(minutes=1)) == []
    after = respond_by + timedelta(minutes=1)
    first, second, third = sweep(after), sweep(after), sweep(after + timedelta(minutes=5))

    assert len(first) == 1 and late["reference"] in first[0] and "response" in first[0]
    assert second == [] and third == []
    messages = alerts.read()
    assert len(messages) == 1 and "超时" in messages[0] and late["reference"] in messages[0]
    stored = item(dynamodb, table, late["reference"])
    assert stored["overdue"] == "overdue"
    assert "overdue" not in item(dynamodb, table, on_time["reference"])

    # Dispatching answers the response breach; missing the completion deadline is a new breach.
    console_edit(dynamodb, table, late["reference"], status="dispatched", edited_by="gj-li",
                 technician="wx-wang")
    stream.drain()
    assert "overdue" not in item(dynamodb, table, late["reference"])
    later = parse_iso(stored["complete_by"]) + timedelta(minutes=1)
    completion = [a for a in sweep(later) + sweep(later) if a.startswith(late["reference"])]
    assert len(completion) == 1 and "completion" in completion[0]
    assert len([m for m in alerts.read() if late["reference"] in m]) == 1


def test_a_failed_publish_is_retried_by_the_next_run(api, monkeypatch, stream, alerts):
    late = report(api, category="doors_windows", urgency="urgent")
    after = parse_iso(late["respond_by"]) + timedelta(minutes=1)

    from butler import notify

    def down(self, subject, message):
        raise ConnectionError("SNS unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(notify.SnsNotifier, "publish", down)
        try:
            sweep(after)
        except ConnectionError:
            pass
    assert alerts.read() == []

    assert len(sweep(after)) == 1
    assert len(alerts.read()) == 1


def test_each_sweep_reports_open_work_per_status_and_overdue_work_to_the_dashboard(api, stream, capsys):
    from butler.domain.complaints import COMPLAINT_WORKFLOW
    from butler.domain.repairs import REPAIR_WORKFLOW

    late = report(api, category="doors_windows", urgency="urgent")
    report(api, category="doors_windows", urgency="normal")
    stream.drain()
    capsys.readouterr()

    sweep(parse_iso(late["respond_by"]) + timedelta(minutes=1))
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]

    open_work = {(m["Kind"], m["Status"]): m["OpenWork"] for m in emitted if "OpenWork" in m}
    overdue = {m["Kind"]: m["OverdueWork"] for m in emitted if "OverdueWork" in m}
    expected = {("repair", s.code) for s in REPAIR_WORKFLOW.states if not s.final} | {
        ("complaint", s.code) for s in COMPLAINT_WORKFLOW.states if not s.final}
    assert set(open_work) == expected
    assert open_work[("repair", "reported")] == [2.0]
    assert sum(v[0] for v in open_work.values()) == 2
    assert overdue == {"repair": [1.0], "complaint": [0.0]}
    assert {m["_aws"]["CloudWatchMetrics"][0]["Namespace"] for m in emitted} == {"PropertyButler"}


def test_alerts_quote_a_hostile_location_inert_on_every_path(api, dynamodb, stack, stream, alerts):
    """A public area's location is what a resident typed: the emergency alert (stream) and
    the overdue alert (sweep) reach SNS with its escapes shown, on one line."""
    from tests.support.terminal_tricks import TEXT, assert_inert

    table = stack["RepairsTable"]
    emergency = report(api, category="elevator_entrapment", location_type="public", unit=None, location="3号楼电梯")
    late = report(api, category="doors_windows", urgency="urgent", location_type="public", unit=None,
                  location="5号楼单元门")
    for created in (emergency, late):
        console_edit(dynamodb, table, created["reference"], location=TEXT)
        assert TEXT in item(dynamodb, table, created["reference"])["location"]

    stream.drain()
    sweep(parse_iso(late["respond_by"]) + timedelta(minutes=1))
    messages = alerts.read()

    assert any(m.startswith("【紧急报修】") for m in messages) and any(m.startswith("【超时】") for m in messages)
    quoted = {(m[:m.index("】") + 1], reference) for m in messages
              for reference in (emergency["reference"], late["reference"]) if reference in m}
    assert {("【紧急报修】", emergency["reference"]), ("【超时】", late["reference"])} <= quoted
    for message in messages:
        assert_inert(message, message[:30])
        assert "\n" not in message and "楼道漏水\\x1b]0;" in message


def test_the_local_stack_prints_alerts_inert():
    from infra.local import alert_line
    from tests.support.terminal_tricks import TEXT, assert_inert

    line = alert_line(f"【超时】R-7KQ4-M2XP 电梯（{TEXT}）")

    assert line.startswith("ALERT: 【超时】R-7KQ4-M2XP")
    assert_inert(line)
