"""The local stack: moto server, the tables of template.yaml, demo data, and an HTTP front
(infra/front.py) that serves the built site and turns /api/* requests into API Gateway
events for the handlers, by the routes declared in template.yaml.

Run ``make dev`` (or ``python -m infra.local``); Ctrl-C stops everything.
"""
from __future__ import annotations

import argparse
import base64
import importlib
import os
import signal
import sys
import threading
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from infra import apigw, front
from infra.template import ROOT, functions, load_template, seconds_to_next_run

REGION = "ap-east-1"
STACK_NAME = "butler-local"
HOUSEHOLDS = ROOT / "site" / "data" / "households.csv"  # the demo estate's homes, invited to the survey
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


class LocalStack:
    def __init__(self, site_dir: Path, *, host: str = "127.0.0.1", port: int = 8000,
                 demo: bool = True, stack_name: str = STACK_NAME, schedule_every: int | None = None):
        self.site_dir = site_dir
        self.host, self.port = host, port
        self.demo = demo
        self.stack_name = stack_name
        self.template = load_template()
        self.specs = functions(self.template)
        self.routes = [route for spec in self.specs for route in spec.routes]
        self.demo_orders: list[Any] = []
        self.demo_survey_codes: list[str] = []
        self._handlers: dict[str, Callable[[dict, Any], dict]] = {}
        self._import_lock = threading.Lock()
        # One API event at a time, as one Lambda instance takes them: powertools keeps the
        # current event in process-wide resolver state, so two requests handled at once in
        # this process could read each other's headers (docs/load.md, "Findings").
        self._invoke_lock = threading.Lock()
        self._moto: Any = None
        self._front: front.Served | None = None
        self._pumps: list[Any] = []
        self._stopping = threading.Event()
        self.schedule_every = schedule_every

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        from infra import moto_server

        os.environ.update(FAKE_CREDENTIALS)
        self._moto, self.aws_endpoint = moto_server.start()
        os.environ["AWS_ENDPOINT_URL"] = self.aws_endpoint
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = self.aws_endpoint
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"

        from infra.provision import provision, stream_pumps

        self.provisioned = provision(self.template, self.stack_name, REGION, self.aws_endpoint)
        self.table_names = self.provisioned.tables
        os.environ.update(self.provisioned.environment)
        if self.demo:
            self._load_demo()
        self._pumps = stream_pumps(self.template, self.provisioned, self.aws_endpoint,
                                   handler_for=self.handler_for)
        for pump in self._pumps:
            pump.drain()  # the demo data is not news
        from infra.s3_events import event_pumps  # S3 → EventBridge → function (the photo check)

        self._pumps += event_pumps(self.template, self.provisioned, self.aws_endpoint, self.handler_for)
        self._start_background(self._pump_streams, "streams")
        self._start_background(self._print_alerts, "alerts")
        for spec in self.specs:
            for schedule in spec.events_of("Schedule"):
                expression = schedule["Schedule"]
                seconds_to_next_run(expression, datetime.now(timezone.utc))  # refuse what cannot run here
                self._start_background(lambda s=spec, e=expression: self._run_schedule(s.logical_id, e),
                                       f"schedule-{spec.logical_id}")

        self._front = front.serve(self.front_app(), self.host, self.port)
        self.port = self._front.port

    def front_app(self) -> front.Front:
        """CloudFront and API Gateway, locally: the WSGI app infra/front.py serves."""
        return front.Front(self.template, self.site_dir, self.routes, self.invoke,
                           photos_origin=lambda: f"{self.aws_endpoint}/{os.environ['PHOTOS_BUCKET']}")

    def _start_background(self, target: Callable[[], None], name: str) -> None:
        threading.Thread(target=target, name=name, daemon=True).start()

    def _pump_streams(self) -> None:
        """Lambda's event source mapping, locally: deliver new stream records every half second."""
        while not self._stopping.wait(0.5):
            for pump in self._pumps:
                try:
                    pump.drain()
                except Exception:  # keep pumping; the record stays in the stream
                    traceback.print_exc()

    def _print_alerts(self) -> None:
        """Staff alerts (SNS) go to email in AWS; locally they are printed here, inert like
        every staff output (a resident's text in them steers no terminal)."""
        import boto3

        sqs = boto3.client("sqs", endpoint_url=self.aws_endpoint)
        sns = boto3.client("sns", endpoint_url=self.aws_endpoint)
        url = sqs.create_queue(QueueName=f"{self.stack_name}-local-alerts")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for topic in self.provisioned.messaging.topics.values():
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                          Attributes={"RawMessageDelivery": "true"})
        while not self._stopping.wait(1.0):
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                print(alert_line(message["Body"]), flush=True)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def _run_schedule(self, logical_id: str, expression: str) -> None:
        """EventBridge, locally: run at the schedule's times (a rate from the start, a cron
        at its UTC times), or every ``schedule_every`` seconds when that is set."""
        while not self._stopping.wait(self.schedule_every
                                      or seconds_to_next_run(expression, datetime.now(timezone.utc))):
            self._invoke_scheduled(logical_id)

    def _invoke_scheduled(self, logical_id: str) -> None:
        event = {"source": "aws.events", "detail-type": "Scheduled Event",
                 "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "detail": {}}
        timeout = next(s.timeout for s in self.specs if s.logical_id == logical_id)
        try:
            self.handler_for(logical_id)(event, apigw.FakeLambdaContext(function_name=logical_id,
                                                                         timeout_ms=timeout * 1000))
        except Exception:
            traceback.print_exc()

    def stop(self) -> None:
        self._stopping.set()
        if self._front is not None:
            self._front.stop()
            self._front = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _load_demo(self) -> None:
        from butler.repository.complaints import ComplaintRepository
        from butler.repository.work_orders import WorkOrderRepository
        from butler.repository.surveys import SurveyRepository
        from infra.demo import load_demo, load_demo_survey

        self.demo_orders = [*load_demo(WorkOrderRepository(os.environ["REPAIRS_TABLE"])),
                            *load_demo(ComplaintRepository(os.environ["COMPLAINTS_TABLE"]))]
        self.demo_survey_codes = load_demo_survey(SurveyRepository(os.environ["SURVEYS_TABLE"]), HOUSEHOLDS)
        # The daily functions (cron schedules: the anonymisation of closed cases) would have
        # run on the days the demo's old cases lived through: run them once now.
        for spec in self.specs:
            if any(s["Schedule"].startswith("cron(") for s in spec.events_of("Schedule")):
                self._invoke_scheduled(spec.logical_id)

    # ------------------------------------------------------------------ API
    def handler_for(self, logical_id: str) -> Callable[[dict, Any], dict]:
        with self._import_lock:
            if logical_id not in self._handlers:
                spec = next(s for s in self.specs if s.logical_id == logical_id)
                module_name, attribute = spec.handler.rsplit(".", 1)
                # Each function's logger takes its service name when its module is imported.
                os.environ["POWERTOOLS_SERVICE_NAME"] = str(spec.environment.get("POWERTOOLS_SERVICE_NAME", ""))
                self._handlers[logical_id] = getattr(importlib.import_module(module_name), attribute)
            return self._handlers[logical_id]

    def invoke(self, method: str, path: str, query: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, str], bytes]:
        found, event = apigw.event_for(self.routes, method, path, headers=headers,
                                       body=body or None, query=query)
        if found is None:
            return front.api_error(404, *front.REFUSALS[404])
        handler = self.handler_for(found.route.function)
        try:
            with self._invoke_lock:
                result = handler(event, apigw.FakeLambdaContext(function_name=found.route.function))
            return _proxy_answer(result)
        except Exception:  # a function that crashed, or answered what is no proxy response
            traceback.print_exc()
            return self._gateway_failure()

    def _gateway_failure(self) -> tuple[int, dict[str, str], bytes]:
        """What API Gateway answers when the integration fails (502): the template's
        DEFAULT_5XX gateway response, so the page gets the API's error shape, as in AWS."""
        headers, body = front.gateway_response(self.template, "DEFAULT_5XX")
        return 502, {"Content-Type": "application/json", **headers}, body


def _proxy_answer(result: Any) -> tuple[int, dict[str, str], bytes]:
    """A Lambda proxy response as API Gateway reads it; anything else raises (a malformed
    response is a 502 in AWS too)."""
    response_headers = dict(result.get("headers") or {})
    for name, values in (result.get("multiValueHeaders") or {}).items():
        response_headers[name] = ", ".join(values)
    payload = result.get("body") or ""
    data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode("utf-8")
    return int(result["statusCode"]), response_headers, data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the community site and service desk locally.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--site-dir", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--no-demo", action="store_true", help="start with empty tables")
    parser.add_argument("--schedule-every", type=int, metavar="SECONDS",
                        help="run scheduled functions this often instead of the template's schedule")
    parser.add_argument("--stop-with-parent", action="store_true",
                        help="exit when the process that started this one goes away (tests)")
    args = parser.parse_args(argv)
    if not (args.site_dir / "index.html").is_file():
        print(f"No built site in {args.site_dir}: run `make site` first (or use `make dev`).", file=sys.stderr)
        return 2

    stack = LocalStack(args.site_dir, host=args.host, port=args.port, demo=not args.no_demo,
                       schedule_every=args.schedule_every)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stack.start()
    print(f"物业管家 local stack is up.\n"
          f"  Site:      {stack.url}/\n"
          f"  Report:    {stack.url}/repairs/\n"
          f"  API:       {stack.url}/api/openapi.json\n"
          f"  DynamoDB:  {stack.aws_endpoint} (moto) tables: {', '.join(stack.table_names.values())}",
          flush=True)
    for order in stack.demo_orders:
        print(f"  Demo {order.reference} ({order.status}): {stack.url}/track/#ref={order.reference}&token={order.token}")
    for code in stack.demo_survey_codes:
        print(f"  Demo survey invitation: {stack.url}/survey/#code={code}")
    print(staff_settings(stack), flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    if args.stop_with_parent:
        parent = os.getppid()
        threading.Thread(target=_watch_parent, args=(parent, stopped), daemon=True).start()
    stopped.wait()
    stack.stop()
    print("Stopped.", flush=True)
    return 0


def alert_line(body: str) -> str:
    """How the local stack prints one staff alert: inert like every staff output."""
    from butler.domain.inert import inert

    return f"ALERT: {inert(body)}"


def staff_settings(stack: LocalStack) -> str:
    """The one block staff paste into a shell so that ``butler-staff`` works on this stack
    without options: the variables the staff tool reads (``butler.cli.environment``)."""
    from butler.cli.environment import export_block

    block = export_block({**os.environ, "SITE_URL": stack.url})
    return f"员工命令行（butler-staff）：在另一个终端粘贴以下设置，然后直接运行，例如 .venv/bin/butler-staff --as gj-li queue reported\n{block}"


def _watch_parent(parent: int, stopped: threading.Event) -> None:
    while not stopped.wait(1.0):
        if os.getppid() != parent:
            stopped.set()


if __name__ == "__main__":
    sys.exit(main())
