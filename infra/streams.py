"""Deliver a table's DynamoDB stream to its function the way Lambda's event source mapping
does: batches in order, partial-batch failures retried, and records that keep failing sent
to the on-failure queue with their position, never dropped silently."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from infra.apigw import FakeLambdaContext

Handler = Callable[[dict, Any], Any]


@dataclass
class Delivery:
    delivered: int = 0
    retried: int = 0
    failed: list[str] = field(default_factory=list)  # sequence numbers sent to the on-failure queue


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
        self.batch_size = int(settings.get("BatchSize", 100))
        self.max_retries = int(settings.get("MaximumRetryAttempts", 2))
        self.partial = "ReportBatchItemFailures" in settings.get("FunctionResponseTypes", [])
        self.failure_queue_url = failure_queue_url
        self.region = region
        self._iterators: dict[str, str] = {}

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
            records += [lambda_record(r, self.stream_arn, self.region) for r in response["Records"]]
        return records

    def drain(self) -> Delivery:
        """Deliver until the stream has nothing new (the function's writes make new records)."""
        total = Delivery()
        while True:
            records = self.poll()
            if not records:
                return total
            for start in range(0, len(records), self.batch_size):
                result = self.deliver(records[start:start + self.batch_size])
                total.delivered += result.delivered
                total.retried += result.retried
                total.failed += result.failed

    def deliver(self, batch: list[dict[str, Any]]) -> Delivery:
        result = Delivery(delivered=len(batch))
        pending, failed = batch, set()
        for attempt in range(self.max_retries + 1):
            failed = self._invoke(pending)
            if not failed:
                return result
            # Lambda checkpoints before the first failed record and retries from there.
            first = min(i for i, r in enumerate(pending) if r["dynamodb"]["SequenceNumber"] in failed)
            pending = pending[first:]
            if attempt < self.max_retries:
                result.retried += len(pending)
        # Retries exhausted (bisecting has isolated the failing records): report them, go on.
        for record in pending:
            if record["dynamodb"]["SequenceNumber"] in failed:
                self._send_to_failure_queue(record)
                result.failed.append(record["dynamodb"]["SequenceNumber"])
        return result

    def _invoke(self, batch: list[dict[str, Any]]) -> set[str]:
        try:
            response = self.handler({"Records": batch}, FakeLambdaContext(function_name=self.function_name))
        except Exception:
            return {r["dynamodb"]["SequenceNumber"] for r in batch}
        if not self.partial or not response:
            return set()
        return {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}

    def _send_to_failure_queue(self, record: dict[str, Any]) -> None:
        if not self.failure_queue_url:
            return
        sequence = record["dynamodb"]["SequenceNumber"]
        self.sqs.send_message(QueueUrl=self.failure_queue_url, MessageBody=json.dumps({
            "requestContext": {"functionArn": self.function_name, "condition": "RetryAttemptsExhausted"},
            "DDBStreamBatchInfo": {"streamArn": self.stream_arn, "startSequenceNumber": sequence,
                                   "endSequenceNumber": sequence, "batchSize": 1},
        }))
