"""Deliver a table's DynamoDB stream to its function the way Lambda's event source mapping
does, with the template's settings (``BatchSize``, ``FunctionResponseTypes``,
``BisectBatchOnFunctionError``, ``MaximumRetryAttempts``, the on-failure destination):

- batches in stream order; a batch that succeeds moves the checkpoint past it;
- a partial batch response (``batchItemFailures``) checkpoints before the failed record
  with the lowest sequence number: the records before it are done and never delivered
  again, that record *and every record after it* are delivered again (one retry);
- a function error (the handler raises, or answers with an identifier that is not in the
  batch) splits the batch in two when bisecting is on, each half delivered in turn; a
  split uses no retry; a single record, or without bisecting the whole batch, is retried;
- after ``MaximumRetryAttempts`` retries the batch still failing is discarded: one message
  to the on-failure queue describes it (stream, shard, first and last sequence number,
  batch size), and delivery goes on with the next records. Nothing is dropped silently.
"""
from __future__ import annotations

import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from infra.apigw import FakeLambdaContext

Handler = Callable[[dict, Any], Any]


@dataclass
class Delivery:
    delivered: int = 0  # records taken from the stream
    retried: int = 0  # records handed to the function again (retries and split halves)
    invocations: int = 0
    failed: list[str] = field(default_factory=list)  # sequence numbers of the records discarded
    discarded: list[dict] = field(default_factory=list)  # the on-failure messages sent

    def add(self, other: "Delivery") -> None:
        self.delivered += other.delivered
        self.retried += other.retried
        self.invocations += other.invocations
        self.failed += other.failed
        self.discarded += other.discarded


ERROR = "function error"  # an invocation that failed as a whole


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    return {
        "eventID": record.get("eventID") or uuid.uuid4().hex,
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": _jsonable(record["dynamodb"]),
        "eventSourceARN": stream_arn,
    }


class StreamPump:
    def __init__(self, streams: Any, sqs: Any, *, stream_arn: str, handler: Handler,
                 function_name: str, settings: dict[str, Any], failure_queue_url: str | None,
                 region: str, table_id: str = ""):
        self.table_id = table_id  # the template's logical id of the table whose stream this is
        self.streams, self.sqs = streams, sqs
        self.stream_arn, self.handler = stream_arn, handler
        self.function_name = function_name
        self.function_arn = f"arn:aws:lambda:{region}:123456789012:function:{function_name}"
        self.batch_size = int(settings.get("BatchSize", 100))
        self.max_retries = int(settings.get("MaximumRetryAttempts", -1))
        if self.max_retries < 0:  # Lambda's default: retry a failing record until it expires (24 h)
            raise ValueError(f"{function_name}: set MaximumRetryAttempts on the stream event source")
        self.bisect = bool(settings.get("BisectBatchOnFunctionError", False))
        self.partial = "ReportBatchItemFailures" in settings.get("FunctionResponseTypes", [])
        self.failure_queue_url = failure_queue_url
        self.region = region
        self._iterators: dict[str, str] = {}
        self._shards: dict[str, str] = {}  # sequence number → shard id, for the on-failure message

    def poll(self) -> list[dict[str, Any]]:
        """Every record written since the last poll, in order, as Lambda receives them."""
        records = []
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in description["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id,
                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            response = self.streams.get_records(ShardIterator=self._iterators[shard_id])
            self._iterators[shard_id] = response["NextShardIterator"]
            for record in response["Records"]:
                self._shards[record["dynamodb"]["SequenceNumber"]] = shard_id
                records.append(lambda_record(record, self.stream_arn, self.region))
        return records

    def drain(self) -> Delivery:
        """Deliver until the stream has nothing new (the function's writes make new records)."""
        total = Delivery()
        while True:
            records = self.poll()
            if not records:
                return total
            for start in range(0, len(records), self.batch_size):
                total.add(self.deliver(records[start:start + self.batch_size]))

    def deliver(self, batch: list[dict[str, Any]]) -> Delivery:
        """One batch, until every record in it is done or discarded."""
        result = Delivery(delivered=len(batch))
        if not batch:  # Lambda never invokes a function with an empty batch
            return result
        work: deque[tuple[list[dict[str, Any]], int]] = deque([(batch, 0)])  # (records, retries used)
        first_call = True
        while work:
            records, retries = work.popleft()
            if not first_call:
                result.retried += len(records)
            first_call = False
            result.invocations += 1
            failed = self._invoke(records)
            if failed is None:
                continue  # done: the checkpoint moves past these records
            if failed == ERROR and self.bisect and len(records) > 1:
                half = len(records) // 2  # each half in turn, the first one first; no retry used
                work.extendleft([(records[half:], retries), (records[:half], retries)])
                continue
            if failed != ERROR:  # checkpoint before the lowest failed sequence number
                records = records[min(i for i, r in enumerate(records) if _sequence(r) in failed):]
            if retries < self.max_retries:
                work.appendleft((records, retries + 1))
            else:
                result.discarded.append(self._discard(records, retries + 1))
                result.failed += [_sequence(r) for r in records]
        return result

    def _invoke(self, batch: list[dict[str, Any]]) -> Optional[set[str] | str]:
        """None when the batch succeeded, the failed sequence numbers of a partial batch
        response, or ``ERROR`` when the invocation failed as a whole."""
        try:
            response = self.handler({"Records": batch}, FakeLambdaContext(function_name=self.function_name))
        except Exception:
            return ERROR
        if not self.partial or not response or not response.get("batchItemFailures"):
            return None
        failed = {f.get("itemIdentifier") for f in response["batchItemFailures"]}
        if not failed <= {_sequence(r) for r in batch}:  # empty, null or unknown identifiers
            return ERROR
        return failed

    def _discard(self, records: list[dict[str, Any]], invocations: int) -> dict[str, Any]:
        """The on-failure message Lambda sends for a batch whose retries are exhausted."""
        first, last = records[0], records[-1]
        message = {
            "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": self.function_arn,
                               "condition": "RetryAttemptsExhausted", "approximateInvokeCount": invocations},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": self._shards.get(_sequence(first), ""),
                "startSequenceNumber": _sequence(first),
                "endSequenceNumber": _sequence(last),
                "approximateArrivalOfFirstRecord": _arrival(first),
                "approximateArrivalOfLastRecord": _arrival(last),
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
        }
        if self.failure_queue_url:
            self.sqs.send_message(QueueUrl=self.failure_queue_url, MessageBody=json.dumps(message))
        return message


def _sequence(record: dict[str, Any]) -> str:
    return record["dynamodb"]["SequenceNumber"]


def _arrival(record: dict[str, Any]) -> Optional[str]:
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    if created is None:
        return None
    moment = datetime.fromtimestamp(created, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
