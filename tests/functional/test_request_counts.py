"""What each API operation costs in DynamoDB requests, counted at moto server: a submission
makes at most three writes (idempotency record included), a tracking read is two requests
(the token hash alone, then the case: a 404 is the first only, whether the reference exists
or not),
and no request path scans a table."""
import pytest

from butler.domain.surveys import AREA_CODES, issue_codes, quarter_of
from butler.domain.timefmt import utc_now
from butler.repository.surveys import SurveyRepository
from butler.services.surveys import open_campaign
from infra import moto_server
from tests.support.reports import home_report

JSON = {"Content-Type": "application/json"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
COMPLAINT = {"kind": "complaint", "topic": "cleaning", "description": "5号楼垃圾桶三天没清运，味道很大。",
             "contact_name": "钱女士", "contact_phone": "13933334444"}


@pytest.fixture
def requests():
    """The DynamoDB actions served while the test runs, in order."""
    seen: list[str] = []
    moto_server.listen(seen.append)
    yield seen
    moto_server.unlisten(seen.append)


def counted(requests, call):
    requests.clear()
    response = call()
    return response, list(requests)


@pytest.mark.parametrize("path, body", [("/api/repairs", home_report()), ("/api/complaints", COMPLAINT)],
                         ids=["repair", "complaint"])
def test_a_submission_makes_at_most_three_writes_and_a_tracking_read_two_requests(api, requests, path, body):
    created, made = counted(requests, lambda: api.call(
        "POST", path, json_body=body, headers={**JSON, "Idempotency-Key": f"count-{path[5:]}-0001"}))
    assert created.status == 201, created.text
    tracked, read = counted(requests, lambda: api.call(
        "GET", f"{path}/{created.json['reference']}", headers={"Authorization": f"Bearer {created.json['token']}"}))

    assert len([a for a in made if a in WRITES]) <= 3, made
    assert tracked.status == 200 and read == ["GetItem", "GetItem"]
    refused, refused_reads = counted(requests, lambda: api.call(
        "GET", f"{path}/{created.json['reference']}", headers={"Authorization": "Bearer " + "x" * 32}))
    assert refused.status == 404 and refused_reads == ["GetItem"]
    assert "Scan" not in made + read


def test_a_survey_answer_is_one_transaction_and_two_reads(api, requests, stack):
    repo = SurveyRepository(stack["SurveysTable"])
    ((_, code),) = issue_codes(["1-1-101"])
    now = utc_now()
    open_campaign(repo, quarter_of(now), [("1-1-101", code)], now=now)
    body = {"code": code, "scores": {a: 4 for a in AREA_CODES}, "overall": 4, "recommend": True}

    answered, made = counted(requests, lambda: api.call(
        "POST", "/api/surveys", json_body=body, headers={**JSON, "Idempotency-Key": "count-survey-0001"}))

    assert answered.status == 201, answered.text
    assert len([a for a in made if a in WRITES]) <= 3 and "Scan" not in made, made
    assert made.count("TransactWriteItems") == 1


def test_resident_steps_and_refusals_never_scan(api, requests):
    created = api.call("POST", "/api/complaints", json_body=COMPLAINT, headers=JSON).json
    bearer = {**JSON, "Authorization": f"Bearer {created['token']}"}
    requests.clear()

    api.call("POST", f"/api/complaints/{created['reference']}/satisfied", json_body={}, headers=bearer)
    api.call("GET", "/api/complaints/C-0000-0000", headers={"Authorization": "Bearer nope"})
    api.call("GET", "/api/repairs/R-0000-0000", headers={"Authorization": "Bearer nope"})

    assert requests and "Scan" not in requests


def test_the_counter_sees_a_scan(requests, stack):
    from butler.repository.work_orders import WorkOrderRepository

    list(WorkOrderRepository(stack["RepairsTable"]).scan_all())

    assert "Scan" in requests
