"""AnonymiseContactsFunction under moto: closed cases older than the retention period lose
the resident's contact details and photos; everything statistics and the house archive
read stays; open and younger cases are left alone; a case that moves on meanwhile is not
touched; a second run changes nothing; no Scan."""
import copy
from datetime import timedelta

import boto3
import pytest

from butler.domain.repairs import CONTACT_REMOVED
from butler.domain import identifiers
from butler.domain.complaints import ComplaintFiling, new_case
from butler.domain.repairs import RepairReport, new_work_order
from butler.domain.retention import PHONE_REMOVED
from butler.domain.service_levels import RATING_WINDOW
from butler.domain.timefmt import iso, parse_iso, utc_now
from butler.repository.complaints import ComplaintRepository
from butler.repository.work_orders import WorkOrderRepository
from butler.roster import load_roster
from butler.services.cases import take_step
from infra import moto_server
from infra.apigw import FakeLambdaContext
from infra.demo_cases import generate
from infra.template import functions, load_template
from tests.functional import test_staff_cli
from tests.support.flow import ARCHIVED_REPAIR
from tests.support.console import console_edit, item
from tests.support.flow import PLAN_WALK, link_step, sweep_archive
from tests.support.reports import home_report, public_report

cli = test_staff_cli.cli  # butler-staff in this process, output captured

ROSTER = load_roster()
(TIMEOUT,) = [s.timeout for s in functions(load_template()) if s.logical_id == "AnonymiseContactsFunction"]
NOW = utc_now().replace(microsecond=0)
JSON = {"Content-Type": "application/json"}
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 200 + b"\xff\xd9"
REPAIRED = list(ARCHIVED_REPAIR)  # reported → … → rated (a phone number in the comment) → archived
CANCELLED = [("cancel", "customer_service", "kf-zhang", {"cancel_reason": "业主已自行修好"})]
ANSWERED = [("claim", "customer_service", "kf-zhang", {"owner": "kf-zhang"}),
            ("answer", "customer_service", "kf-zhang", {"reply": "每周二、五上午清运大件垃圾。"})]
CONFIRMED = [*ANSWERED, ("confirm_satisfied", "resident", "resident", {"rating": 4})]
# What anonymising a repair may change in its item; everything else must stay as it was.
REPAIR_CHANGES = {"contact_name", "contact_phone", "photos", "description", "rating_comment",
                  "anonymised_at", "contact_held", "version"}
COMPLAINT_CHANGES = {"contact_name", "contact_phone", "unit", "anonymised_at", "contact_held", "version"}


def run(at=NOW, context=None):
    from handlers import (
        anonymise_contacts,  # imported once the functions' environment is set
    )

    event = {"source": "aws.events", "detail-type": "Scheduled Event", "time": iso(at), "detail": {}}
    return anonymise_contacts.handler(event, context or FakeLambdaContext(timeout_ms=TIMEOUT * 1000))


class Cases:
    """Cases stored as the application stores them, taken through their steps at given times."""

    def __init__(self, stack, provisioned):
        self.repairs = WorkOrderRepository(stack["RepairsTable"])
        self.complaints = ComplaintRepository(stack["ComplaintsTable"])
        self.bucket = provisioned.messaging.buckets["PhotosBucket"]
        self.s3 = boto3.client("s3")
        self.tokens = {}

    def repair(self, steps, *, days_ago, photos=0, **changes):
        values = dict(category="plumbing", description="厨房下水堵塞，来前请打13912345678", location_type="home",
                      unit="3-2-1201", location="厨房", contact_name="陈女士", contact_phone="13912345678",
                      preferred_time="工作日晚上")
        values.update(changes)
        order = self._stored(self.repairs, new_work_order, RepairReport(**values), steps, days_ago,
                             photos=photos)
        return order.reference

    def complaint(self, steps, *, days_ago):
        filing = ComplaintFiling("complaint", "cleaning", "5号楼垃圾桶三天没清运。", "钱女士", "13933334444",
                                 unit="5-1-101")
        return self._stored(self.complaints, new_case, filing, steps, days_ago).reference

    def _stored(self, repo, build, filing, steps, days_ago, photos=0):
        token = identifiers.new_token()
        at = NOW - timedelta(days=days_ago)
        case = build(filing, reference=identifiers.new_reference(repo.kind.prefix),
                     token_hash=identifiers.hash_token(token), now=at)
        for number, (action, role, actor, values) in enumerate(steps, start=1):
            repo.kind.advance(case, action, role=role, actor=actor, values=values, roster=ROSTER,
                              now=at + timedelta(hours=number))
        for number in range(photos):
            kind = ("resident", "before", "after")[number % 3]
            key = f"photo-uploads/{case.reference}/{kind}-{number:04d}.jpg"
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=JPEG, ContentType="image/jpeg")
            case.photos.append({"id": f"{number:04d}", "kind": kind, "key": key, "content_type": "image/jpeg",
                                "size": len(JPEG), "at": iso(at), "by": "resident"})
        repo.add(case)
        self.tokens[case.reference] = token
        return case

    def photo_files(self, reference):
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=f"photo-uploads/{reference}/")
        return [o["Key"] for o in listed.get("Contents", [])]


@pytest.fixture
def cases(stack, provisioned):
    return Cases(stack, provisioned)


@pytest.fixture
def requests():
    seen = []
    moto_server.listen(seen.append)
    yield seen
    moto_server.unlisten(seen.append)


def changed(before, after):
    return {name for name in set(before) | set(after) if before.get(name) != after.get(name)}


def test_old_closed_cases_lose_contact_and_photos_and_keep_what_statistics_read(
        api, dynamodb, stack, cases, requests):
    repairs, complaints = stack["RepairsTable"], stack["ComplaintsTable"]
    archived = cases.repair(REPAIRED, days_ago=400, photos=3)
    cancelled = cases.repair(CANCELLED, days_ago=380, unit=None, location_type="public", location="5号楼大堂")
    closed = cases.complaint(CONFIRMED, days_ago=400)
    before = {r: item(dynamodb, repairs, r) for r in (archived, cancelled)}
    before[closed] = item(dynamodb, complaints, closed)
    assert cases.photo_files(archived) and before[archived]["contact_held"] == "closed"
    requests.clear()

    result = run()

    assert sorted(result["anonymised"]) == sorted([archived, cancelled, closed]) and result["more"] is False
    assert set(requests) <= {"Query", "GetItem", "UpdateItem"} and "Scan" not in requests, requests
    after = {r: item(dynamodb, repairs, r) for r in (archived, cancelled)}
    after[closed] = item(dynamodb, complaints, closed)
    assert changed(before[archived], after[archived]) == REPAIR_CHANGES
    assert changed(before[cancelled], after[cancelled]) <= REPAIR_CHANGES
    assert changed(before[closed], after[closed]) == COMPLAINT_CHANGES
    for reference, stored in after.items():
        assert (stored["contact_name"], stored["contact_phone"]) == ("", ""), reference
        assert "contact_held" not in stored and stored["closed_at"] == before[reference]["closed_at"]
        assert parse_iso(stored["anonymised_at"]) == NOW
    assert cases.photo_files(archived) == [] and after[archived]["photos"] == []
    assert after[archived]["description"] == f"厨房下水堵塞，来前请打{PHONE_REMOVED}"
    assert "unit" not in after[closed]
    # The house archive still lists the repair under its unit, with its work record.
    history = WorkOrderRepository(repairs).unit_history("3-2-1201")
    assert [o.reference for o in history] == [archived] and history[0].details["work_done"]

    # The tracking pages still work and say the contact details were removed.
    shown = api.call("GET", f"/api/repairs/{archived}",
                     headers={"Authorization": f"Bearer {cases.tokens[archived]}"})
    assert shown.status == 200 and shown.json["status"] == "archived"
    assert shown.json["contact_phone"] == CONTACT_REMOVED and "photos" not in shown.json
    assert shown.json["details"]["rating"] == 4 and len(shown.json["timeline"]) == len(REPAIRED) + 1
    answer = api.call("GET", f"/api/complaints/{closed}", headers={"Authorization": f"Bearer {cases.tokens[closed]}"})
    assert answer.status == 200 and answer.json["status"] == "closed" and answer.json["contact_phone"] == CONTACT_REMOVED
    assert "13912345678" not in shown.text + answer.text and "13933334444" not in answer.text


def test_open_and_younger_closed_cases_are_left_alone(dynamodb, stack, cases):
    repairs, complaints = stack["RepairsTable"], stack["ComplaintsTable"]
    young = cases.repair(REPAIRED, days_ago=300, photos=1)
    just_in_time = cases.repair(REPAIRED, days_ago=365)  # closed 365 days less the hours its steps took
    open_old = cases.repair(REPAIRED[:4], days_ago=700, photos=1)  # in repair for two years
    rated = cases.repair(REPAIRED[:-1], days_ago=700)  # rated, never archived: not closed
    answered = cases.complaint(ANSWERED, days_ago=700)  # waiting for the resident
    young_complaint = cases.complaint(CONFIRMED, days_ago=100)
    before = {r: item(dynamodb, repairs, r) for r in (young, just_in_time, open_old, rated)}
    before.update({r: item(dynamodb, complaints, r) for r in (answered, young_complaint)})

    assert run()["anonymised"] == []

    for reference, stored in before.items():
        table = complaints if reference.startswith("C-") else repairs
        assert item(dynamodb, table, reference) == stored, reference
    assert cases.photo_files(young) and cases.photo_files(open_old)
    assert "contact_held" not in before[open_old] and "closed_at" not in before[rated]
    assert "contact_held" not in before[answered]
    # The day it is due, it goes.
    closed = parse_iso(before[just_in_time]["closed_at"])
    assert run(closed + timedelta(days=365))["anonymised"] == [just_in_time]


def test_a_second_run_changes_nothing(dynamodb, stack, cases, requests):
    references = [cases.repair(REPAIRED, days_ago=400, photos=2), cases.complaint(CONFIRMED, days_ago=500)]
    assert len(run()["anonymised"]) == 2
    first = [item(dynamodb, stack["RepairsTable"], references[0]), item(dynamodb, stack["ComplaintsTable"], references[1])]
    requests.clear()

    again = run(NOW + timedelta(days=1))

    assert again == {"anonymised": [], "more": False}
    assert requests == ["Query", "Query"]  # nothing left in either index
    assert [item(dynamodb, stack["RepairsTable"], references[0]),
            item(dynamodb, stack["ComplaintsTable"], references[1])] == first


def _reopen(dynamodb, table, reference):
    """An application write that takes the case out of its final state (no workflow step
    does that today; a future 'reopen' would): status back, version bumped."""
    dynamodb.update_item(
        TableName=table, Key={"reference": {"S": reference}},
        UpdateExpression="SET #s = :s, applied_status = :s, #q = :s, version = version + :one",
        ExpressionAttributeNames={"#s": "status", "#q": "queue"},
        ExpressionAttributeValues={":s": {"S": "in_repair"}, ":one": {"N": "1"}})


@pytest.mark.parametrize("moment", ["after the query", "after the read"])
def test_a_case_reopened_meanwhile_is_not_touched(monkeypatch, dynamodb, stack, cases, moment):
    table = stack["RepairsTable"]
    reopened = cases.repair(REPAIRED, days_ago=400, photos=1)
    other = cases.repair(REPAIRED, days_ago=400)
    if moment == "after the query":  # the index page was read; the case changes before it is read
        query = WorkOrderRepository.closed_with_contact

        def lagging(self, closed_by, page_size=100):
            for reference in query(self, closed_by, page_size):
                if reference == reopened:
                    _reopen(dynamodb, table, reference)
                yield reference
        monkeypatch.setattr(WorkOrderRepository, "closed_with_contact", lagging)
    else:  # read as closed; changed before the conditional write
        get = WorkOrderRepository.get

        def racing(self, reference):
            case = get(self, reference)
            if reference == reopened:
                _reopen(dynamodb, table, reference)
            return case
        monkeypatch.setattr(WorkOrderRepository, "get", racing)
    before = item(dynamodb, table, reopened)

    result = run()

    assert result["anonymised"] == [other]
    stored = item(dynamodb, table, reopened)
    assert changed(before, stored) == {"status", "applied_status", "queue", "version"}  # only the reopening
    assert stored["contact_phone"] == "13912345678" and "anonymised_at" not in stored
    assert cases.photo_files(reopened)


def test_every_way_a_case_closes_puts_it_in_the_index_and_open_cases_stay_out(api, dynamodb, stack, stream):
    table = stack["RepairsTable"]
    repo = WorkOrderRepository(table)

    def reported(body):
        return api.call("POST", "/api/repairs", json_body=body, headers=JSON).json["reference"]

    by_service, by_console = reported(home_report()), reported(home_report(unit="3-2-1202"))
    primary = reported(public_report(category="elevator", location="7号楼1单元电梯"))
    merged = reported(public_report(category="elevator", location="7号楼1单元电梯", contact_phone="13800000201"))
    for reference in (by_service, by_console, primary):
        for step in PLAN_WALK[:3]:
            take_step(repo, reference, step.action, actor=step.actor, role=step.role, values=step.values,
                      roster=ROSTER)
    take_step(repo, merged, "link", actor="gj-li", role="butler", values=link_step(primary).values, roster=ROSTER)
    assert {k for r in (by_service, merged) for k in item(dynamodb, table, r)}.isdisjoint({"contact_held", "closed_at"})

    for reference in (by_service, by_console, primary):
        take_step(repo, reference, "complete", actor="wx-wang", role="technician",
                  values={"work_done": "修好", "materials_used": "无", "labour_minutes": 30}, roster=ROSTER)
        take_step(repo, reference, "accept", actor="gj-li", role="butler", values={"accepted_by": "gj-li"},
                  roster=ROSTER)
    # Staff cannot archive (the console edit is put back); the sweep does once the rating window has passed.
    console_edit(dynamodb, table, by_console, status="archived", edited_by="gj-li")
    stream.drain()
    assert item(dynamodb, table, by_console)["status"] == "accepted"
    assert sweep_archive(NOW + timedelta(hours=1)) == []
    archived_at = NOW + RATING_WINDOW + timedelta(hours=1)
    assert sorted(sweep_archive(archived_at)) == sorted([by_service, by_console, primary])
    stream.drain()  # closes the merged report with its primary

    for reference in (by_service, by_console, primary, merged):
        stored = item(dynamodb, table, reference)
        assert stored["status"] == "archived", reference
        assert stored["contact_held"] == "closed" and stored["closed_at"] == stored["timeline"][-1]["at"], reference
    assert sorted(repo.closed_with_contact(archived_at + timedelta(days=1))) == sorted(
        [by_service, by_console, primary, merged])


def test_a_resident_closing_a_complaint_puts_it_in_the_index(api, dynamodb, stack):
    created = api.call("POST", "/api/complaints", headers=JSON, json_body={
        "kind": "inquiry", "topic": "fees", "description": "物业费可以按季度交吗？",
        "contact_name": "郑女士", "contact_phone": "13900000007"}).json
    repo = ComplaintRepository(stack["ComplaintsTable"])
    for action, role, actor, values in ANSWERED:
        take_step(repo, created["reference"], action, actor=actor, role=role, values=values, roster=ROSTER)
    assert "contact_held" not in item(dynamodb, stack["ComplaintsTable"], created["reference"])

    api.call("POST", f"/api/complaints/{created['reference']}/satisfied", json_body={"rating": 5},
             headers={**JSON, "Authorization": f"Bearer {created['token']}"})

    assert item(dynamodb, stack["ComplaintsTable"], created["reference"])["contact_held"] == "closed"
    assert list(repo.closed_with_contact(NOW + timedelta(days=1))) == [created["reference"]]


def test_a_run_stops_at_its_limit_and_the_next_run_picks_up_the_rest(monkeypatch, stack, cases):
    references = [cases.repair(CANCELLED, days_ago=400 + n) for n in range(5)]
    monkeypatch.setattr("butler.services.retention.MAX_PER_RUN", 3)

    first, second = run(), run()

    assert len(first["anonymised"]) == 3 and first["more"] is True
    assert first["anonymised"] == references[::-1][:3]  # oldest first
    assert sorted(first["anonymised"] + second["anonymised"]) == sorted(references) and second["more"] is False


def test_a_run_short_of_time_stops_and_leaves_the_rest(stack, cases):
    cases.repair(CANCELLED, days_ago=400)

    result = run(context=FakeLambdaContext(timeout_ms=5_000))  # less than the margin left from the start

    assert result == {"anonymised": [], "more": True}
    assert len(run()["anonymised"]) == 1


def test_the_scorecards_are_the_same_after_anonymisation(cli, stack):
    demo = generate(seed=5, repairs_per_quarter=20, complaints_per_quarter=10)
    repairs, complaints = WorkOrderRepository(stack["RepairsTable"]), ComplaintRepository(stack["ComplaintsTable"])
    for order in demo.repairs:
        repairs.add(copy.deepcopy(order))
    for case in demo.complaints:
        complaints.add(copy.deepcopy(case))
    tables = ["--table", stack["RepairsTable"], "--complaints-table", stack["ComplaintsTable"]]
    before = cli("scorecard", "--quarter", "2026Q4", "--csv", *tables).out

    result = run(demo.until + timedelta(days=400))

    closed = [c for c in (*demo.repairs, *demo.complaints)
              if c.status in ("archived", "cancelled", "closed") and (c.contact_name or c.contact_phone)]
    assert closed and sorted(result["anonymised"]) == sorted(c.reference for c in closed)
    assert cli("scorecard", "--quarter", "2026Q4", "--csv", *tables).out == before
    assert "engineering" in before and "办结" in before  # the Chinese header of "handled"
