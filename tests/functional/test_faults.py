"""DynamoDB and SNS faults during submissions and stream processing (issue 7).

moto server answers chosen requests with the service's own error response
(``infra.moto_server.inject``: HTTP 400 ``ProvisionedThroughputExceededException``, 500
``InternalServerError`` …), so botocore retries, PynamoDB raises and powertools reacts
exactly as against AWS; nothing of ours is mocked. botocore keeps its production retry
counts (standard mode: 4 attempts for DynamoDB, 3 for SNS), and each test checks them by
counting the requests the fault answered; only its backoff sleeps are set to zero
(``no_backoff``), which keeps the file fast.

What is proved:

- a fault that outlasts botocore's retries, at any write of a repair report, a complaint
  or a survey answer, gives the resident a 503 SERVICE_UNAVAILABLE with a Chinese message
  asking them to retry and a ``Retry-After`` header, and leaves nothing half-done: a retry
  with the same Idempotency-Key succeeds and exactly one case (one answer) exists;
- a fault that clears within botocore's retries is invisible;
- the stream function failing in the middle of a batch is retried from the failed record
  on, without losing or doubling anything; a record that keeps failing ends in the
  on-failure queue with what it takes to find it, and the rest goes on.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass

import boto3
import pytest
from botocore.retries.standard import ExponentialBackoff

from butler.domain.surveys import AREA_CODES, issue_codes, quarter_of
from butler.domain.timefmt import utc_now
from butler.repository.surveys import SurveyRepository
from butler.services.surveys import open_campaign
from infra import moto_server
from infra.streams import lambda_record
from infra.template import load_template
from tests.support.console import console_edit, item
from tests.support.reports import home_report

JSON = {"Content-Type": "application/json"}
DYNAMODB_ATTEMPTS = 4  # botocore's standard retry mode for DynamoDB (PynamoDB asks for the same)
SNS_ATTEMPTS = 3
THROTTLED = "ProvisionedThroughputExceededException"
ERRORS = [THROTTLED, "InternalServerError"]
FUNCTION_TIMEOUT = load_template()["Globals"]["Function"]["Timeout"]
COMPLAINT = {"kind": "complaint", "topic": "cleaning", "description": "5号楼垃圾桶三天没清运，味道很大。",
             "contact_name": "钱女士", "contact_phone": "13933334444"}


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """botocore retries as often as in production, without sleeping in between."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    yield
    moto_server.clear_faults()


# ---------------------------------------------------------------------------- submissions

@dataclass(frozen=True)
class Kind:
    name: str
    path: str
    table: str  # the table the submission writes (logical id)
    write: str  # the DynamoDB action that writes it


REPAIR = Kind("repair", "/api/repairs", "RepairsTable", "PutItem")
COMPLAINT_KIND = Kind("complaint", "/api/complaints", "ComplaintsTable", "PutItem")
SURVEY = Kind("survey", "/api/surveys", "SurveysTable", "TransactWriteItems")
KINDS = [REPAIR, COMPLAINT_KIND, SURVEY]


@pytest.fixture
def submission(stack):
    """What each kind sends: a survey answer needs an open campaign and its code."""
    def body(kind: Kind) -> dict:
        if kind is REPAIR:
            return home_report()
        if kind is COMPLAINT_KIND:
            return dict(COMPLAINT)
        ((_, code),) = issue_codes(["1-1-101"])
        now = utc_now()  # the handler answers on the real clock: this quarter's campaign
        open_campaign(SurveyRepository(stack["SurveysTable"]), quarter_of(now), [("1-1-101", code)], now=now)
        return {"code": code, "scores": {a: 4 for a in AREA_CODES}, "overall": 4, "recommend": True}
    return body


def on_table(name: str):
    return lambda params: params.get("TableName") == name


def on_transaction(name: str):
    return lambda params: any(name in json.dumps(i) for i in params.get("TransactItems", []))


def where(kind: Kind, point: str, stack) -> tuple[str, object]:
    """The action and the request matcher of a write of ``kind``'s submission."""
    if point == "record in progress":
        return "PutItem", on_table(stack["IdempotencyTable"])
    if point == "completion":
        return "UpdateItem", on_table(stack["IdempotencyTable"])
    table = stack[kind.table]
    return kind.write, on_transaction(table) if kind is SURVEY else on_table(table)


def stored(dynamodb, stack, kind: Kind) -> int:
    """Cases (or survey answers) in the table, counted by scanning."""
    items = dynamodb.scan(TableName=stack[kind.table])["Items"]
    if kind is SURVEY:
        return sum(1 for i in items if i["sk"]["S"].startswith("RESPONSE#"))
    return len(items)


def records(dynamodb, stack) -> list[str]:
    """The statuses of the idempotency records."""
    return [i["status"]["S"] for i in dynamodb.scan(TableName=stack["IdempotencyTable"])["Items"]]


def send(api, kind: Kind, body: dict, key: str):
    return api.call("POST", kind.path, json_body=body, headers={**JSON, "Idempotency-Key": key})


@pytest.fixture
def logs(caplog, capsys):
    """What the functions logged: records (caplog) and the JSON lines powertools prints."""
    def read() -> tuple[list[logging.LogRecord], str]:
        printed = capsys.readouterr().out
        sys.stdout.write(printed)  # captured again, for the suite's personal-data guard
        return caplog.records, caplog.text + printed
    return read


def assert_retryable(response, logs):
    assert response.status == 503, response.text
    error = response.json["error"]
    assert error["code"] == "SERVICE_UNAVAILABLE"
    assert "没有保存" in error["message"] and "请稍后再试" in error["message"]
    assert int(response.headers["Retry-After"]) >= FUNCTION_TIMEOUT
    assert "Traceback" not in response.text
    records, text = logs()
    assert "Traceback" not in text and "13912345678" not in text and "13933334444" not in text
    assert not [r for r in records if r.exc_info or r.levelno >= logging.ERROR]


def assert_filed_once(api, dynamodb, stack, kind, body, key):
    retried = send(api, kind, body, key)
    again = send(api, kind, body, key)
    assert retried.status == 201, retried.text
    assert again.json == retried.json
    assert stored(dynamodb, stack, kind) == 1
    assert records(dynamodb, stack) == ["COMPLETED"]
    return retried


@pytest.mark.parametrize("error", ERRORS)
@pytest.mark.parametrize("point", ["record in progress", "submission"])
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_a_fault_outlasting_the_retries_saves_nothing_and_the_retry_files_once(
        api, dynamodb, stack, submission, logs, kind, point, error):
    body, key = submission(kind), f"fault-{kind.name}-0001"
    action, match = where(kind, point, stack)

    with moto_server.inject(action, error, times=None, match=match) as fault:
        first = send(api, kind, body, key)

    assert fault.answered == DYNAMODB_ATTEMPTS  # botocore retried, then gave up
    assert_retryable(first, logs)
    assert stored(dynamodb, stack, kind) == 0
    assert records(dynamodb, stack) == []  # no record in progress to refuse the retry
    assert_filed_once(api, dynamodb, stack, kind, body, key)


@pytest.mark.parametrize("error", ERRORS)
@pytest.mark.parametrize("kind", [REPAIR, COMPLAINT_KIND], ids=lambda k: k.name)
def test_a_case_whose_completion_fails_is_withdrawn_and_the_retry_files_it_once(
        api, dynamodb, stack, submission, logs, kind, error):
    body, key = submission(kind), f"fault-{kind.name}-0002"
    action, match = where(kind, "completion", stack)

    with moto_server.inject(action, error, times=None, match=match) as fault:
        first = send(api, kind, body, key)

    assert fault.answered == DYNAMODB_ATTEMPTS
    assert_retryable(first, logs)
    assert stored(dynamodb, stack, kind) == 0  # filed, then withdrawn: the resident was told so
    assert records(dynamodb, stack) == []
    retried = assert_filed_once(api, dynamodb, stack, kind, body, key)
    tracked = api.call("GET", f"{kind.path}/{retried.json['reference']}",
                       headers={"Authorization": f"Bearer {retried.json['token']}"})
    assert tracked.status == 200


@pytest.mark.parametrize("error", ERRORS)
def test_a_survey_answer_whose_completion_fails_stands_and_a_retry_records_nothing_more(
        api, dynamodb, stack, submission, error):
    kind = SURVEY
    body, key = submission(kind), "fault-survey-0002"
    action, match = where(kind, "completion", stack)

    with moto_server.inject(action, error, times=None, match=match) as fault:
        first = send(api, kind, body, key)

    assert fault.answered == DYNAMODB_ATTEMPTS
    assert first.status == 201, first.text  # recorded: the resident is told so
    assert records(dynamodb, stack) == []  # the key is free again
    assert assert_filed_once(api, dynamodb, stack, kind, body, key).json == first.json


@pytest.mark.parametrize("point", ["record in progress", "submission", "completion"])
@pytest.mark.parametrize("kind", [REPAIR, SURVEY], ids=lambda k: k.name)  # complaints: as repairs
def test_a_fault_that_clears_within_the_retries_is_invisible(api, dynamodb, stack, submission, kind, point):
    body, key = submission(kind), f"fault-{kind.name}-0003"
    action, match = where(kind, point, stack)

    with moto_server.inject(action, THROTTLED, times=DYNAMODB_ATTEMPTS - 1, match=match) as fault:
        first = send(api, kind, body, key)

    assert fault.answered == DYNAMODB_ATTEMPTS - 1
    assert first.status == 201, first.text
    assert stored(dynamodb, stack, kind) == 1 and records(dynamodb, stack) == ["COMPLETED"]


@pytest.mark.parametrize("error", ["ThrottlingException", "RequestLimitExceeded"])  # and ERRORS, above
def test_every_throttling_and_server_error_is_a_503_never_a_500(api, dynamodb, stack, logs, error):
    with moto_server.inject("PutItem", error, times=None, match=on_table(stack["RepairsTable"])):
        first = send(api, REPAIR, home_report(), "fault-codes-0001")

    assert_retryable(first, logs)
    assert stored(dynamodb, stack, REPAIR) == 0


def test_when_the_record_in_progress_cannot_be_deleted_the_retry_waits_for_it_to_expire(
        api, dynamodb, stack, logs):
    body, key = home_report(), "fault-repair-0004"
    with moto_server.inject("PutItem", THROTTLED, times=None, match=on_table(stack["RepairsTable"])), \
            moto_server.inject("DeleteItem", THROTTLED, times=None, match=on_table(stack["IdempotencyTable"])):
        first = send(api, REPAIR, body, key)

    assert_retryable(first, logs)
    (left,) = dynamodb.scan(TableName=stack["IdempotencyTable"])["Items"]
    assert left["status"]["S"] == "INPROGRESS"
    assert int(left["in_progress_expiration"]["N"]) <= (time.time() + FUNCTION_TIMEOUT) * 1000

    too_soon = send(api, REPAIR, body, key)
    assert too_soon.status == 409 and too_soon.json["error"]["code"] == "REQUEST_IN_PROGRESS"
    assert int(too_soon.headers["Retry-After"]) >= FUNCTION_TIMEOUT

    # Retry-After seconds later the record has expired (its time is moved back, not waited for).
    dynamodb.update_item(TableName=stack["IdempotencyTable"], Key={"id": left["id"]},
                         UpdateExpression="SET in_progress_expiration = :past",
                         ExpressionAttributeValues={":past": {"N": str(int(time.time() * 1000) - 1)}})
    assert_filed_once(api, dynamodb, stack, REPAIR, body, key)


def test_a_survey_transaction_cancelled_by_throttling_is_a_503_not_a_conflict(
        api, dynamodb, stack, submission, logs):
    body, key = submission(SURVEY), "fault-survey-0005"
    reasons = [{"Code": "None"}, {"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity"},
               {"Code": "None"}]

    with moto_server.inject("TransactWriteItems", "TransactionCanceledException", times=None,
                            fields={"CancellationReasons": reasons}) as fault:
        first = send(api, SURVEY, body, key)

    assert fault.answered == 1  # botocore does not retry a cancelled transaction
    assert_retryable(first, logs)
    assert stored(dynamodb, stack, SURVEY) == 0
    assert_filed_once(api, dynamodb, stack, SURVEY, body, key)


# ---------------------------------------------------------------------------- the stream

def report(api, **overrides) -> str:
    return api.call("POST", "/api/repairs", json_body=home_report(**overrides), headers=JSON).json["reference"]


def reference_of(record: dict) -> str:
    return record["dynamodb"]["Keys"]["reference"]["S"]


def sequence(record: dict) -> str:
    return record["dynamodb"]["SequenceNumber"]


@pytest.fixture
def batch(api, dynamodb, stack, stream):
    """Five stream records waiting in order: emergency E1, console edit of A, emergency E2,
    console edit of B, emergency E3 (A and B were reported, and their reports delivered,
    before)."""
    table = stack["RepairsTable"]
    a, b = report(api), report(api)
    stream.drain()
    e1 = report(api, category="elevator_entrapment")
    console_edit(dynamodb, table, a, status="dispatched", edited_by="gj-li", technician="wx-wang")
    e2 = report(api, category="elevator_entrapment")
    console_edit(dynamodb, table, b, status="dispatched", edited_by="gj-li", technician="wx-zhao")
    e3 = report(api, category="elevator_entrapment")
    return {"E1": e1, "A": a, "E2": e2, "B": b, "E3": e3}


@pytest.fixture
def invocations(stream, monkeypatch):
    """The records of each invocation of the stream function, in order."""
    seen: list[list[dict]] = []
    handler = stream.handler

    def recording(event, context):
        seen.append(event["Records"])
        return handler(event, context)

    monkeypatch.setattr(stream, "handler", recording)
    return seen


FAULTS = {  # a fault hitting the record of one case, and how often one failed call meets it
    "alert publish (SNS)": lambda ref: (moto_server.inject(
        "Publish", "InternalError", service="sns", times=None,
        match=lambda p: ref in p.get("Subject", "")), SNS_ATTEMPTS),
    "alert mark (DynamoDB)": lambda ref: (moto_server.inject(
        "UpdateItem", THROTTLED, times=None,
        match=lambda p: p.get("Key", {}).get("reference", {}).get("S") == ref), DYNAMODB_ATTEMPTS),
    "console edit check (DynamoDB)": lambda ref: (moto_server.inject(
        "PutItem", THROTTLED, times=None,
        match=lambda p: p.get("Item", {}).get("reference", {}).get("S") == ref), DYNAMODB_ATTEMPTS),
}
TARGET = {"alert publish (SNS)": "E2", "alert mark (DynamoDB)": "E2", "console edit check (DynamoDB)": "B"}


def assert_side_effects_once(dynamodb, stack, batch, alerts, alerted=("E1", "E2", "E3")):
    table = stack["RepairsTable"]
    sent = alerts.read()
    assert sorted(next(n for n in ("E1", "E2", "E3") if batch[n] in m) for m in sent) == sorted(alerted)
    for name in alerted:
        assert item(dynamodb, table, batch[name])["alerted"] == {"emergency"}
    for name in ("A", "B"):
        stored_case = item(dynamodb, table, batch[name])
        assert stored_case["applied_status"] == "dispatched"
        assert [e["action"] for e in stored_case["timeline"]] == ["report", "dispatch"]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_record_failing_in_the_middle_of_a_batch_is_retried_without_losing_or_doubling_anything(
        dynamodb, stack, stream, alerts, batch, invocations, fault):
    target = TARGET[fault]
    injected, attempts = FAULTS[fault](batch[target])
    invocations_before = len(invocations)

    def once(event, context, handler=stream.handler):  # the fault lasts for one invocation
        try:
            return handler(event, context)
        finally:
            injected.remove()

    stream.handler = once
    result = stream.drain()

    first, retry = invocations[invocations_before:invocations_before + 2]
    names = {ref: name for name, ref in batch.items()}
    assert [names[reference_of(r)] for r in first] == ["E1", "A", "E2", "B", "E3"]
    failed_at = [names[reference_of(r)] for r in first].index(target)
    # Lambda checkpoints before the failed record: it and the records after it come again,
    # the records before it never do.
    assert [sequence(r) for r in retry] == [sequence(r) for r in first[failed_at:]]
    delivered = [sequence(r) for call in invocations for r in call]
    assert all(delivered.count(sequence(r)) == 1 for r in first[:failed_at])
    assert injected.answered == attempts  # one failed call: botocore's retries, then the record failed
    assert result.failed == [] and result.discarded == []
    assert_side_effects_once(dynamodb, stack, batch, alerts)


def test_a_record_that_keeps_failing_ends_in_the_failure_queue_and_the_rest_goes_through(
        dynamodb, stack, stream, alerts, batch, invocations, provisioned, moto_endpoint):
    with moto_server.inject("Publish", "InternalError", service="sns", times=None,
                            match=lambda p: batch["E2"] in p.get("Subject", "")):
        result = stream.drain()

    # The batch is retried from E2 five times (MaximumRetryAttempts), then discarded from E2
    # to its end: one message on the on-failure queue, and the stream goes on.
    from_e2 = [call for call in invocations
               if ("INSERT", batch["E2"]) in [(r["eventName"], reference_of(r)) for r in call]]
    assert len(from_e2) == 1 + 5
    (message,) = result.discarded
    info = message["DDBStreamBatchInfo"]
    assert info["batchSize"] == 3 and info["streamArn"] == stream.stream_arn and info["shardId"]
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    queued = sqs.receive_message(QueueUrl=provisioned.messaging.queues["StreamFailuresQueue"],
                                 MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["DDBStreamBatchInfo"] for m in queued] == [info]
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"

    # Enough to find it: the stream, the shard and the sequence numbers lead to E2's record.
    streams = boto3.client("dynamodbstreams", endpoint_url=moto_endpoint)
    iterator = streams.get_shard_iterator(StreamArn=info["streamArn"], ShardId=info["shardId"],
                                          ShardIteratorType="AT_SEQUENCE_NUMBER",
                                          SequenceNumber=info["startSequenceNumber"])["ShardIterator"]
    found = streams.get_records(ShardIterator=iterator)["Records"]
    end = [r["dynamodb"]["SequenceNumber"] for r in found].index(info["endSequenceNumber"])
    discarded = found[:end + 1]
    assert (discarded[0]["eventName"], discarded[0]["dynamodb"]["Keys"]["reference"]["S"]) == ("INSERT", batch["E2"])
    assert len(discarded) == info["batchSize"]

    # E2 was not alerted, and says so (no mark left behind); the rest went through once.
    assert "alerted" not in item(dynamodb, stack["RepairsTable"], batch["E2"])
    assert_side_effects_once(dynamodb, stack, batch, alerts, alerted=("E1", "E3"))

    # Staff replay the discarded records once the fault is gone: E2 alerts, nothing doubles.
    stream.deliver([lambda_record(r, info["streamArn"], provisioned.region) for r in discarded])
    stream.drain()
    assert_side_effects_once(dynamodb, stack, batch, alerts, alerted=("E2",))


def test_a_tracking_read_during_an_outage_asks_to_refresh_and_saves_nothing_was_lost(api, stack, logs):
    created = send(api, REPAIR, home_report(), "fault-track-0001").json
    with moto_server.inject("GetItem", THROTTLED, times=None, match=on_table(stack["RepairsTable"])):
        tracked = api.call("GET", f"/api/repairs/{created['reference']}",
                           headers={"Authorization": f"Bearer {created['token']}"})

    assert tracked.status == 503 and tracked.json["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert "刷新" in tracked.json["error"]["message"] and "没有保存" not in tracked.json["error"]["message"]
    assert int(tracked.headers["Retry-After"]) >= FUNCTION_TIMEOUT
    records, _ = logs()
    assert not [r for r in records if r.exc_info]


def test_a_request_dynamodb_refuses_as_invalid_is_logged_with_its_traceback(api, dynamodb, stack, logs):
    """Not a busy service but a bug: still a retryable answer, and the traceback for staff."""
    with moto_server.inject("PutItem", "ValidationException", times=None, match=on_table(stack["RepairsTable"])):
        first = send(api, REPAIR, home_report(), "fault-invalid-0001")

    assert first.status == 503 and "Traceback" not in first.text
    records, text = logs()
    refused = [r for r in records if r.getMessage() == "storage request refused"]
    assert refused and refused[0].exc_info and "ValidationException" in text
    assert "13912345678" not in text
    assert stored(dynamodb, stack, REPAIR) == 0
