"""The local stack invokes each function as Lambda would: its own service name, function
name and request id on every log line (shared modules included), its own idempotency
namespace. Run in a process of its own: the handler modules must be imported the way
``python -m infra.local`` imports them (each with its function's environment)."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = r'''
import json, os, sys
from pathlib import Path
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
