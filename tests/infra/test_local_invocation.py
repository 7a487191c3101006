"""The local stack invokes each function as Lambda would: its own service name, function
name and request id on every log line (shared modules included), its own idempotency
namespace (run in a process of its own: the handler modules must be imported the way
``python -m infra.local`` imports them, each with its function's environment). A function
that crashes or answers no proxy response gets API Gateway's answer: the template's
DEFAULT_5XX gateway response, in the API's error shape."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = r'''
import json, os, sys
from pathlib import Path

import pytest
import boto3
from infra.local import LocalStack

REPAIR = {"category": "plumbing", "location_type": "home", "unit": "3-2-1201", "description": "厨房水龙头一直滴水。",
          "contact_name": "测试", "contact_phone": "13912345678"}
COMPLAINT = {"kind": "suggestion", "topic": "neighbours", "description": "希望增加夜间巡逻。"}
stack = LocalStack(Path(sys.argv[1]), port=0, demo=False, stack_name="isolation")
stack.start()
try:
    def post(path, body, key):
        status, _, data = stack.invoke("POST", path, "", {"Content-Type": "application/json", "Idempotency-Key": key},
                                       json.dumps(body).encode())
        print("RESULT", json.dumps({"path": path, "status": status}), flush=True)
    post("/api/repairs", REPAIR, "same-key-0001")
    post("/api/complaints", COMPLAINT, "same-key-0001")
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.aws_endpoint)
    for name in (os.environ["REPAIRS_TABLE"], os.environ["COMPLAINTS_TABLE"]):  # shared code logs the outage
        dynamodb.update_table(TableName=name, DeletionProtectionEnabled=False)
        dynamodb.delete_table(TableName=name)
    post("/api/repairs", REPAIR, "other-key-0001")
    post("/api/complaints", COMPLAINT, "other-key-0002")
finally:
    stack.stop()
'''


def test_each_function_logs_and_keeps_idempotency_records_as_itself(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "POWERTOOLS_"))}
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results = [json.loads(line.removeprefix("RESULT ")) for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    logs = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]

    assert [r["status"] for r in results] == [201, 201, 503, 503]  # the same key filed in each function
    outage = [line for line in logs if line.get("message", "").startswith("storage")]
    assert [(line["service"], line["function_name"]) for line in outage] == [
        ("repairs", "RepairsFunction"), ("complaints", "ComplaintsFunction")]
    assert outage[0]["function_request_id"] != outage[1]["function_request_id"]


# ------------------------------------------------- a function that fails, as API Gateway answers it
def _crashes(event, context):
    raise RuntimeError("a bug in the handler")


def _no_proxy_response(event, context):
    return {"body": "no statusCode"}  # API Gateway: "Malformed Lambda proxy response"


@pytest.mark.parametrize("handler", [_crashes, _no_proxy_response], ids=["crash", "malformed answer"])
def test_a_failing_function_gets_the_template_s_default_5xx_answer(tmp_path, handler, capsys):
    from butler.web.schemas import ErrorOut
    from infra import front
    from infra.local import LocalStack

    stack = LocalStack(tmp_path)
    stack._handlers = {spec.logical_id: handler for spec in stack.specs}
    expected_headers, expected_body = front.gateway_response(stack.template, "DEFAULT_5XX")

    status, headers, body = stack.invoke("POST", "/api/repairs", "", {"Content-Type": "application/json"}, b"{}")

    assert status == 502
    assert body == expected_body and ErrorOut.model_validate_json(body).error.code == "SERVICE_UNAVAILABLE"
    assert headers["Content-Type"].startswith("application/json")
    assert expected_headers and all(headers[name] == value for name, value in expected_headers.items())
    assert "Traceback" in capsys.readouterr().err  # the developer still sees what failed


def test_the_page_gets_the_default_5xx_answer_through_the_front(tmp_path):
    import http.client

    from infra import front
    from infra.local import LocalStack

    stack = LocalStack(tmp_path)
    stack._handlers = {spec.logical_id: _crashes for spec in stack.specs}
    served = front.serve(stack.front_app(), "127.0.0.1", 0)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=20)
        connection.request("GET", "/api/repairs/R-7KQ4-M2XP", headers={"Authorization": "Bearer " + "x" * 32})
        response = connection.getresponse()
        status, retry_after, body = response.status, response.getheader("Retry-After"), response.read()
        connection.close()
    finally:
        served.stop()

    expected_headers, expected_body = front.gateway_response(stack.template, "DEFAULT_5XX")
    assert status == 502 and retry_after == expected_headers["Retry-After"]
    assert body == expected_body
