"""Handlers under moto server: tables created from template.yaml, fresh for every test."""
import os
import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

from infra.dynamodb import create_tables
from infra.template import function_environment, load_template
from tests.support.api import ApiClient


@pytest.fixture(scope="session")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    yield endpoint
    server.stop()
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)


@pytest.fixture
def dynamodb(moto_endpoint):
    return boto3.client("dynamodb", endpoint_url=moto_endpoint)


@pytest.fixture
def stack(dynamodb, monkeypatch):
    """A fresh set of tables (unique stack name) and the functions' environment."""
    template = load_template()
    stack_name = f"t{uuid.uuid4().hex[:8]}"
    names = create_tables(dynamodb, template, stack_name)
    for name, value in function_environment(template, stack_name, "ap-east-1").items():
        if name != "POWERTOOLS_LOG_LEVEL":
            monkeypatch.setenv(name, value)
    return names


@pytest.fixture
def api(stack):
    return ApiClient()
