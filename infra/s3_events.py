"""S3 → EventBridge → function, locally, with moto doing the first two steps as AWS does:

- each bucket whose template ``NotificationConfiguration`` enables EventBridge gets that
  configuration on moto, so moto sends an "Object Created" event for every new object,
  however it was written (the front's ``/photo-uploads/*``, the staff CLI, a test);
- each function's ``EventBridgeRule`` event becomes a rule on moto's default bus with the
  template's pattern (bucket references resolved to the local names), whose target is an
  SQS queue standing in for Lambda's asynchronous invocation queue;
- ``EventPump.drain`` hands each queued event to the function, like Lambda's async
  invoke: on an exception, up to ``MaximumRetryAttempts`` retries, then the event goes to
  the ``OnFailure`` destination queue. Nothing is dropped silently.
"""
from __future__ import annotations

import json
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import boto3

from infra.apigw import FakeLambdaContext
from infra.template import FunctionSpec, functions, resources

Handler = Callable[[dict, Any], Any]


def _resolved(node: Any, buckets: dict[str, str]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in buckets:
            return buckets[node["Ref"]]
        return {key: _resolved(value, buckets) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolved(value, buckets) for value in node]
    return node


@dataclass
class EventPump:
    sqs: Any
    queue_url: str
    handler: Handler
    spec: FunctionSpec
    retries: int
    failure_queue_url: str | None

    def drain(self) -> int:
        """Deliver every queued event; how many were handled (successfully or finally not)."""
        done = 0
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                                VisibilityTimeout=0,
                                                MessageSystemAttributeNames=["ApproximateReceiveCount"]
                                                ).get("Messages", [])
            if not messages:
                return done
            for message in messages:
                event = json.loads(message["Body"])
                attempts = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
                try:
                    self.handler(event, FakeLambdaContext(function_name=self.spec.logical_id,
                                                          timeout_ms=self.spec.timeout * 1000))
                except Exception:
                    traceback.print_exc()
                    if attempts <= self.retries:
                        continue  # visible again at once: the next drain retries it
                    if self.failure_queue_url:
                        self.sqs.send_message(QueueUrl=self.failure_queue_url, MessageBody=json.dumps(
                            {"requestContext": {"condition": "RetriesExhausted",
                                                "approximateInvokeCount": attempts},
                             "requestPayload": event}))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                done += 1


def event_pumps(template: dict[str, Any], provisioned: Any, endpoint: str,
                handler_for: Callable[[str], Handler]) -> list[EventPump]:
    """Connect the template's buckets and S3 event rules on moto; one pump per rule."""
    region = provisioned.region
    client = lambda service: boto3.client(service, endpoint_url=endpoint, region_name=region)  # noqa: E731
    s3, events, sqs = client("s3"), client("events"), client("sqs")
    buckets = provisioned.messaging.buckets
    for logical_id, bucket in resources(template, "AWS::S3::Bucket").items():
        notification = bucket.get("Properties", {}).get("NotificationConfiguration", {})
        if notification.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
            s3.put_bucket_notification_configuration(
                Bucket=buckets[logical_id], NotificationConfiguration={"EventBridgeConfiguration": {}})
    pumps = []
    for spec in functions(template):
        for name, event in spec.events.items():
            if event.get("Type") != "EventBridgeRule":
                continue
            rule = f"{provisioned.stack_name}-{spec.logical_id}-{name}"[:64]
            queue_url = sqs.create_queue(QueueName=rule[:80])["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"]
                                                 )["Attributes"]["QueueArn"]
            pattern = _resolved(event["Properties"]["Pattern"], buckets)
            events.put_rule(Name=rule, EventPattern=json.dumps(pattern), State="ENABLED")
            events.put_targets(Rule=rule, Targets=[{"Id": "function", "Arn": queue_arn}])
            resource = template["Resources"][spec.logical_id]["Properties"]
            config = resource.get("EventInvokeConfig", {})
            destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            failure_queue = destination["Fn::GetAtt"][0] if destination else None
            pumps.append(EventPump(sqs, queue_url, handler_for(spec.logical_id), spec,
                                   retries=int(config.get("MaximumRetryAttempts", 2)),
                                   failure_queue_url=provisioned.messaging.queues.get(failure_queue)))
    return pumps
