"""Handlers under moto server: tables created from template.yaml, fresh for every test."""
import os
import uuid

import boto3
import pytest

from infra import moto_server
from infra.provision import provision, stream_pumps
from infra.template import load_template
from tests.support.api import ApiClient

REGION = "ap-east-1"


@pytest.fixture(scope="session")
def moto_endpoint():
    server, endpoint = moto_server.start()
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    yield endpoint
    server.stop()
    os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture
def dynamodb(moto_endpoint):
    return boto3.client("dynamodb", endpoint_url=moto_endpoint)


@pytest.fixture
def provisioned(moto_endpoint, monkeypatch):
    """Fresh tables, topics and queues (unique stack name) and the functions' environment."""
    result = provision(load_template(), f"t{uuid.uuid4().hex[:8]}", REGION, moto_endpoint)
    for name, value in result.environment.items():
        if name != "POWERTOOLS_LOG_LEVEL":
            monkeypatch.setenv(name, value)
    return result


@pytest.fixture
def stack(provisioned):
    """Logical table id → table name."""
    return provisioned.tables


def _pump(provisioned, endpoint, table_id):
    (pump,) = [p for p in stream_pumps(load_template(), provisioned, endpoint) if p.table_id == table_id]
    pump.drain()  # start after what the fixtures wrote
    return pump


@pytest.fixture
def stream(provisioned, moto_endpoint):
    """The repairs table's stream, delivered to its function like Lambda would."""
    return _pump(provisioned, moto_endpoint, "RepairsTable")


@pytest.fixture
def complaint_stream(provisioned, moto_endpoint):
    """The complaints table's stream, delivered to its function like Lambda would."""
    return _pump(provisioned, moto_endpoint, "ComplaintsTable")


@pytest.fixture
def alerts(provisioned, moto_endpoint):
    """Messages published to the alerts topic, read through an SQS subscription."""
    return AlertInbox(provisioned, moto_endpoint)


class AlertInbox:
    def __init__(self, provisioned, endpoint):
        self.sqs = boto3.client("sqs", endpoint_url=endpoint)
        self.url = self.sqs.create_queue(QueueName=f"{provisioned.stack_name}-inbox")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns = boto3.client("sns", endpoint_url=endpoint)
        (topic,) = provisioned.messaging.topics.values()
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                      Attributes={"RawMessageDelivery": "true"})

    def read(self):
        messages = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                messages.append(message["Body"])
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def api(stack):
    return ApiClient()
