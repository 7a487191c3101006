"""Can a stranger tell a real reference from an unknown one by how long the 404 takes?

    .venv/bin/python bench/tracking_timing.py [--requests 150] [--kind repairs|complaints|both]

Against moto server with the tables of template.yaml, through the real handler (the API
Gateway event from ``infra.apigw``, as the local front sends it): a case is opened, then
``--requests`` tracking requests of each kind are sent in turns, so that load from other
processes falls on all alike:

* an unknown (well-formed) reference with some token: ``404``;
* the real reference with a wrong token: ``404``;
* the real reference with its token: ``200`` (for scale only: whoever holds the token
  already knows the case exists).

The medians (and the difference of the two 404s) are printed. Record a run's figures in
docs/architecture.md ("Timing of the tracking 404").
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import secrets
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "functions"))

FAKE_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "ap-east-1", "AWS_REGION": "ap-east-1", "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING"}
BODIES = {
    "repairs": {"category": "plumbing", "location_type": "home", "unit": "3-2-1201",
                "description": "计时测试：厨房水龙头一直滴水。", "contact_name": "测试", "contact_phone": "13912345678"},
    "complaints": {"kind": "suggestion", "topic": "neighbours", "description": "计时测试：希望增加夜间巡逻。"},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=150, help="requests of each kind (default 150)")
    parser.add_argument("--kind", choices=("repairs", "complaints", "both"), default="both")
    args = parser.parse_args(argv)
    os.environ.update(FAKE_AWS)

    from infra import apigw, moto_server
    from infra.provision import provision
    from infra.template import functions, load_template, routes

    server, endpoint = moto_server.start()
    try:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        template = load_template()
        provisioned = provision(template, f"timing{uuid.uuid4().hex[:6]}", "ap-east-1", endpoint)
        os.environ.update(provisioned.environment)
        specs = {spec.logical_id: spec for spec in functions(template)}
        table = routes(template)

        def call(method: str, path: str, **kwargs) -> tuple[int, str]:
            found, event = apigw.event_for(table, method, path, **kwargs)
            spec = specs[found.route.function]
            module, attribute = spec.handler.rsplit(".", 1)
            handler = getattr(importlib.import_module(module), attribute)
            result = handler(event, apigw.FakeLambdaContext(function_name=spec.logical_id))
            return result["statusCode"], result.get("body") or ""

        kinds = ["repairs", "complaints"] if args.kind == "both" else [args.kind]
        print(f"tracking timing, {args.requests} requests of each kind, in turns (ms, median)")
        print(f"{'kind':<11} {'unknown ref':>12} {'wrong token':>12} {'difference':>11} {'right token':>12}")
        for kind in kinds:
            status, text = call("POST", f"/api/{kind}", headers={"Content-Type": "application/json"},
                                body=json.dumps(BODIES[kind], ensure_ascii=False))
            assert status == 201, text
            created = json.loads(text)
            prefix = created["reference"][0]
            probes = {
                "unknown": lambda: (f"{prefix}-{secrets.choice('23456789')}ZZZ-ZZZ{secrets.choice('23456789')}",
                                    secrets.token_urlsafe(24)),
                "wrong": lambda: (created["reference"], secrets.token_urlsafe(24)),
                "right": lambda: (created["reference"], created["token"]),
            }
            timings: dict[str, list[float]] = {name: [] for name in probes}
            for name, probe in probes.items():  # warm every path once
                reference, token = probe()
                call("GET", f"/api/{kind}/{reference}", headers={"Authorization": f"Bearer {token}"})
            for _ in range(args.requests):
                for name, probe in probes.items():
                    reference, token = probe()
                    started = time.perf_counter()
                    status, _ = call("GET", f"/api/{kind}/{reference}", headers={"Authorization": f"Bearer {token}"})
                    timings[name].append((time.perf_counter() - started) * 1000)
                    assert status == (200 if name == "right" else 404), (name, status)
            medians = {name: statistics.median(values) for name, values in timings.items()}
            print(f"{kind:<11} {medians['unknown']:>12.2f} {medians['wrong']:>12.2f} "
                  f"{medians['wrong'] - medians['unknown']:>+11.2f} {medians['right']:>12.2f}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
