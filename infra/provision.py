"""Everything template.yaml declares that moto can hold, created for one local stack (the
dev server or one test): tables, topics, queues, and the functions' environment."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

import boto3

from infra.dynamodb import create_tables
from infra.messaging import Messaging, create_messaging
from infra.streams import StreamPump
from infra.template import function_environment, functions


@dataclass
class Provisioned:
    stack_name: str
    region: str
    tables: dict[str, str]
    messaging: Messaging
    environment: dict[str, str]


def provision(template: dict[str, Any], stack_name: str, region: str, endpoint: str) -> Provisioned:
    client = lambda service: boto3.client(service, endpoint_url=endpoint, region_name=region)  # noqa: E731
    tables = create_tables(client("dynamodb"), template, stack_name)
    messaging = create_messaging(client("sns"), client("sqs"), client("s3"), template, stack_name)
    environment = function_environment(template, stack_name, region,
                                       extra_refs={**messaging.topics, **messaging.buckets})
    return Provisioned(stack_name, region, tables, messaging, environment)


def load_handler(handler: str) -> Callable[[dict, Any], Any]:
    module_name, attribute = handler.rsplit(".", 1)
    return getattr(importlib.import_module(module_name), attribute)


def stream_pumps(template: dict[str, Any], provisioned: Provisioned, endpoint: str,
                 handler_for: Callable[[str], Callable] | None = None) -> list[StreamPump]:
    """One pump per DynamoDB stream event source in the template."""
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name=provisioned.region)
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=provisioned.region)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=provisioned.region)
    pumps = []
    for spec in functions(template):
        for source in spec.events_of("DynamoDB"):
            table_id = source["Stream"]["Fn::GetAtt"][0]
            stream_arn = dynamodb.describe_table(
                TableName=provisioned.tables[table_id])["Table"]["LatestStreamArn"]
            destination = source.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            queue_id = destination["Fn::GetAtt"][0] if destination else None
            handler = handler_for(spec.logical_id) if handler_for else load_handler(spec.handler)
            pumps.append(StreamPump(
                streams, sqs, stream_arn=stream_arn, handler=handler, function_name=spec.logical_id,
                settings=source, failure_queue_url=provisioned.messaging.queues.get(queue_id),
                region=provisioned.region, table_id=table_id))
    return pumps

