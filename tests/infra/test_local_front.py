"""The local front serves many browsers at once but hands the API functions one event at a
time, as one Lambda instance does (powertools keeps the current event in process state)."""
import json
import threading
import time
from pathlib import Path

from infra.local import LocalStack, _FrontServer


def test_api_events_reach_the_handlers_one_at_a_time(tmp_path: Path):
    stack = LocalStack(tmp_path)
    inside, most = 0, 0
    lock = threading.Lock()

    def handler(event, context):
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.02)  # long enough for the other threads to arrive
        with lock:
            inside -= 1
        return {"statusCode": 200, "headers": {}, "body": json.dumps(event["headers"].get("Idempotency-Key"))}

    stack._handlers = {spec.logical_id: handler for spec in stack.specs}
    answers: dict[int, bytes] = {}

    def submit(number: int) -> None:
        _, _, body = stack.invoke("POST", "/api/repairs", "", {"Idempotency-Key": f"key-{number:04d}",
                                                                "Content-Type": "application/json"}, b"{}")
        answers[number] = body

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert most == 1
    assert answers == {n: json.dumps(f"key-{n:04d}").encode() for n in range(8)}


def test_the_front_queues_a_burst_of_connections():
    assert _FrontServer.request_queue_size >= 64 and _FrontServer.daemon_threads
