"""What each operation costs in billable units, measured: DynamoDB read and write request
units (from the sizes of the items each request reads and writes, indexes included), the
handler's time, the bytes it logs (application lines and embedded metrics), the custom
metrics it publishes, the S3 requests of the photo store (the photo check each upload
runs); and, for an idle month, the same for the scheduled functions on
empty tables and on tables with open work. Then the month's bill: the measured units times
the list prices in ``PRICES``, with the assumptions in ``ASSUMPTIONS`` (how many tracking
reads, photos … a submission brings), without and with the always-free tier. The tables
and the reasoning are in docs/cost.md.

    .venv/bin/python bench/cost.py [--repeat 15] [--open-cases 100] [--submissions 1000] [--json-out FILE]

Everything runs in this process against moto server (``infra/moto_server.py``), with the
tables, environment and handlers of template.yaml, called as Lambda calls them (the event
builder of ``infra/apigw.py``), one request at a time.

How the request units are counted (moto does not meter them; DynamoDB's rules are applied
to the items as moto holds them just before and just after each request):

- item size: DynamoDB's documented rule (attribute names plus values; numbers one byte per
  two significant digits plus one; lists and maps 3 bytes plus one per element);
- GetItem: ceil(size / 4 KB) read units, half for an eventually consistent read; an
  absent item still costs the minimum;
- Query: the projected items read (Select=COUNT reads them too), summed, ceil(/ 4 KB),
  half for eventually consistent (every index query is);
- PutItem / UpdateItem / DeleteItem: ceil(max(size before, size after) / 1 KB) write units;
  a failed condition still costs the item's size (at least 1);
- each global secondary index an item enters, leaves or changes in: ceil(projected size /
  1 KB) per index write (a changed index key: a delete and a put);
- TransactWriteItems: twice the units of each item (ConditionCheck counted as a write).
"""
from __future__ import annotations

import argparse
import copy
import gzip
import json
import math
import os
import re
import statistics
import sys
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REGION = "ap-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}

# Lambda writes these around every invocation (the REPORT line carries Init Duration on a
# cold start, and the X-Ray ids with active tracing). Shapes as published in the Lambda
# developer guide; ids of real length.
PLATFORM_LINES = (
    "START RequestId: 6b1b3c4e-8d3a-4a6e-9f2a-0c5a7e2b9d11 Version: $LATEST",
    "END RequestId: 6b1b3c4e-8d3a-4a6e-9f2a-0c5a7e2b9d11",
    ("REPORT RequestId: 6b1b3c4e-8d3a-4a6e-9f2a-0c5a7e2b9d11\tDuration: 57.23 ms\tBilled Duration: 58 ms\t"
     "Memory Size: 512 MB\tMax Memory Used: 98 MB\tInit Duration: 1234.56 ms\t\n"
     "XRAY TraceId: 1-6768a2f1-3c2f4a0b5d6e7f8091a2b3c4\tSegmentId: 1a2b3c4d5e6f7a8b\tSampled: true\t"),
)
STAFF_CLI = "staff CLI (no Lambda)"
# A real JPEG (tests/support/images) padded to the photo size the form sends (ASSUMPTIONS'
# photo_bytes): the photo check reads its head and compares the size with the record.
PHOTO_SIZE = 400_000
PHOTO = (lambda head: head + bytes(PHOTO_SIZE - len(head)))(
    (ROOT / "tests" / "support" / "images" / "python.jpg").read_bytes())
LOG_EVENT_OVERHEAD = 26  # bytes CloudWatch Logs counts per event (PutLogEvents batch size rule)


# ---------------------------------------------------------------------------- item sizes
def number_size(text: str) -> int:
    digits = re.sub(r"[^0-9]", "", text.split("e")[0].split("E")[0]).strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def value_size(value: Any) -> int:
    """Bytes of one attribute value (DynamoDB JSON or a moto DynamoType)."""
    if hasattr(value, "type") and hasattr(value, "value"):
        kind, content = value.type, value.value
    else:
        ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode("utf-8"))
    if kind == "N":
        return number_size(str(content))
    if kind == "B":
        return len(content) if isinstance(content, (bytes, bytearray)) else len(content) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode("utf-8")) for v in content)
    if kind == "NS":
        return sum(number_size(str(v)) for v in content)
    if kind == "BS":
        return sum(len(v) for v in content)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in content)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + 1 + value_size(v) for k, v in content.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(attributes: Any) -> int:
    """Bytes of an item: a dict of name → value, or a moto Item."""
    attrs = getattr(attributes, "attrs", attributes)
    if attrs is None:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in attrs.items())


# ---------------------------------------------------------------------------- the meter
@dataclass
class Request:
    action: str
    table: str
    read_units: float = 0.0
    write_units: float = 0.0
    index_write_units: float = 0.0
    sizes: list[int] = field(default_factory=list)  # bytes of the items read or written
    note: str = ""


class Meter:
    """Wraps moto's DynamoDB handler (inside its one-at-a-time lock) and prices each request."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.s3: list[str] = []  # S3 operations of the functions' photo store, in order
        self._local = threading.local()

    def watch_s3(self) -> None:
        """Count the S3 requests the functions make (``butler.repository.photo_store``'s client)."""
        from butler.repository.photo_store import _s3

        _s3().meta.events.register("before-call.s3", lambda model, **_: self.s3.append(model.name))

    def install(self) -> None:
        from moto.dynamodb import models
        from moto.dynamodb.responses import DynamoHandler

        meter = self
        served = DynamoHandler.call_action
        backend_query = models.DynamoDBBackend.query

        def query(backend, table_name, *args, **kwargs):
            result = backend_query(backend, table_name, *args, **kwargs)
            meter._local.query = (table_name, kwargs.get("index_name") or (args[7] if len(args) > 7 else None),
                                  result[0])
            return result

        from infra import moto_server

        lock = getattr(moto_server, "_lock", None) or threading.RLock()

        def call_action(handler):
            with lock:  # the same lock moto server serialises DynamoDB with (re-entrant)
                return metered(handler)

        def metered(handler):
            action = handler._get_action()
            params = getattr(handler, "params", None)
            if params is None:
                raw = handler.body
                params = json.loads(raw) if isinstance(raw, (str, bytes)) and raw else dict(raw or {})
            backend = handler.dynamodb_backend
            before = meter._before(backend, action, params)
            meter._local.query = None
            result = served(handler)
            status = result[0] if isinstance(result, tuple) else 200
            try:
                meter._record(backend, action, params, before, int(status))
            except Exception as error:  # noqa: BLE001 - never break the request being measured
                meter.requests.append(Request(action, params.get("TableName", ""), note=f"unmetered: {error}"))
            return result

        DynamoHandler.call_action = call_action
        models.DynamoDBBackend.query = query

    # -- helpers
    @staticmethod
    def _key_of(table, item: dict) -> dict:
        names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
        return {name: item[name] for name in names}

    @staticmethod
    def _get(backend, table_name: str, key: dict):
        try:
            return backend.get_item(table_name, key)
        except Exception:  # noqa: BLE001 - no such table or key: nothing there before
            return None

    def _targets(self, backend, action: str, params: dict) -> list[tuple[str, dict, str]]:
        """(table, key, kind) of every item a write request touches."""
        if action in ("PutItem", "UpdateItem", "DeleteItem"):
            table = backend.get_table(params["TableName"])
            key = params["Key"] if "Key" in params else self._key_of(table, params["Item"])
            return [(params["TableName"], key, action)]
        if action == "TransactWriteItems":
            out = []
            for entry in params["TransactItems"]:
                ((kind, spec),) = entry.items()
                table = backend.get_table(spec["TableName"])
                key = spec["Key"] if "Key" in spec else self._key_of(table, spec["Item"])
                out.append((spec["TableName"], key, kind))
            return out
        return []

    def _before(self, backend, action: str, params: dict) -> list:
        # A copy: moto updates an item in place.
        return [(t, k, kind, copy.deepcopy(self._get(backend, t, k)))
                for t, k, kind in self._targets(backend, action, params)]

    def _record(self, backend, action: str, params: dict, before: list, status: int) -> None:
        if action == "GetItem":
            item = self._get(backend, params["TableName"], params["Key"])
            size = item_size(item) if item else 0
            factor = 1.0 if params.get("ConsistentRead") else 0.5
            self.requests.append(Request(action, params["TableName"],
                                         read_units=max(1, math.ceil(size / 4096)) * factor, sizes=[size]))
        elif action == "Query":
            captured = self._local.query
            items = captured[2] if captured else []
            table = backend.get_table(params["TableName"])
            index = next((i for i in table.global_indexes if i.name == params.get("IndexName")), None)
            sizes = [item_size(index.project(i) if index else i) for i in items]
            factor = 1.0 if params.get("ConsistentRead") else 0.5
            self.requests.append(Request(action, params["TableName"], sizes=sizes,
                                         read_units=max(1, math.ceil(sum(sizes) / 4096)) * factor,
                                         note=f"{params.get('IndexName') or 'table'}, {params.get('Select', 'items')}"))
        elif before:
            transaction = action == "TransactWriteItems"
            failed = status >= 400
            total = Request(action, ",".join(sorted({t for t, *_ in before})))
            for table_name, key, kind, old in before:
                new = old if failed else self._get(backend, table_name, key)
                old_size, new_size = item_size(old) if old else 0, item_size(new) if new else 0
                units = max(1, math.ceil(max(old_size, new_size) / 1024))
                index_units = 0 if failed or kind == "ConditionCheck" else self._index_units(
                    backend.get_table(table_name), old, new)
                factor = 2 if transaction else 1
                total.write_units += units * factor
                total.index_write_units += index_units
                total.sizes.append(max(old_size, new_size))
                total.note += f"{kind}{' (condition failed)' if failed else ''} "
            total.note = total.note.strip()
            self.requests.append(total)
        else:
            self.requests.append(Request(action, params.get("TableName", ""), note="not a data request"))

    @staticmethod
    def _index_units(table, old, new) -> int:
        units = 0
        for index in table.global_indexes:
            def entry(item, index=index):
                if item is None or any(k not in item.attrs for k in index.schema_key_attrs):
                    return None
                return index.project(item)

            keys = index.schema_key_attrs

            was, now = entry(old), entry(new)
            if was is None and now is None:
                continue
            if was is None:
                units += math.ceil(item_size(now) / 1024)
            elif now is None:
                units += math.ceil(item_size(was) / 1024)
            elif any(was.attrs[k] != now.attrs[k] for k in keys):
                units += math.ceil(item_size(was) / 1024) + math.ceil(item_size(now) / 1024)
            elif {k: v.to_json() if hasattr(v, "to_json") else v for k, v in was.attrs.items()} != \
                    {k: v.to_json() if hasattr(v, "to_json") else v for k, v in now.attrs.items()}:
                units += math.ceil(max(item_size(was), item_size(now)) / 1024)
        return units


# ---------------------------------------------------------------------------- logs and metrics
class LogSink:
    """Stands in for stdout: keeps each line the handlers print (Lambda sends each to CloudWatch Logs)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._buffer = ""

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        self.lines.extend(lines)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def metrics_in(lines: list[str]) -> list[tuple[str, str, tuple]]:
    """(namespace, metric name, dimensions) of every embedded-metric-format line."""
    found = []
    for line in lines:
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dims = tuple(sorted((d, str(blob.get(d))) for d in dimension_set))
                for metric in directive["Metrics"]:
                    found.append((directive["Namespace"], metric["Name"], dims))
    return found


# ---------------------------------------------------------------------------- operations
@dataclass
class Measured:
    name: str
    function: str
    runs: int = 0
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    first_wall_ms: float | None = None
    requests: list[list[Request]] = field(default_factory=list)
    log_lines: list[int] = field(default_factory=list)
    log_bytes: list[int] = field(default_factory=list)
    emf_lines: list[int] = field(default_factory=list)
    emf_bytes: list[int] = field(default_factory=list)
    metrics: set = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)
    s3_requests: list[list[str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        last = max(self.requests, key=len) if self.requests else []  # the busiest run, for the detail
        per_run_r = [sum(r.read_units for r in run) for run in self.requests]
        per_run_w = [sum(r.write_units + r.index_write_units for r in run) for run in self.requests]
        return {
            "operation": self.name, "function": self.function, "runs": self.runs,
            "statuses": dict(self.statuses),
            "wall_ms_median": round(statistics.median(self.wall_ms), 1),
            "cpu_ms_median": round(statistics.median(self.cpu_ms), 1),
            "first_call_wall_ms": round(self.first_wall_ms or 0, 1),
            "dynamodb_requests": len(last),
            "actions_by_run": [" ".join(r.action for r in run) or "-" for run in self.requests],
            "dynamodb_actions": [r.action for r in last],
            "read_units": round(statistics.median(per_run_r), 2) if per_run_r else 0,
            "write_units": round(statistics.median(per_run_w), 2) if per_run_w else 0,
            "busiest_run_units": [sum(r.read_units for r in last),
                                  sum(r.write_units + r.index_write_units for r in last)],
            "detail": [{"action": r.action, "table": r.table.split("-")[-1], "read_units": r.read_units,
                        "write_units": r.write_units, "index_write_units": r.index_write_units,
                        "item_bytes": r.sizes[:6], "note": r.note} for r in last],
            "log_lines": statistics.median(self.log_lines), "log_bytes": statistics.median(self.log_bytes),
            "emf_lines": statistics.median(self.emf_lines), "emf_bytes": statistics.median(self.emf_bytes),
            "metrics": sorted(f"{n}[{','.join(f'{k}={v}' for k, v in d)}]" for _, n, d in self.metrics),
            "s3_requests": {action: statistics.median(run.count(action) for run in self.s3_requests)
                            for action in sorted({a for run in self.s3_requests for a in run})},
        }


class Bench:
    def __init__(self, meter: Meter, sink: LogSink):
        from infra import apigw
        from infra.template import load_template, routes

        self.meter, self.sink = meter, sink
        self.apigw = apigw
        self.template = load_template()
        self.routes = routes(self.template)
        self.results: dict[str, Measured] = {}
        self.stream_label = "stream batch"
        self._handlers: dict[str, Callable] = {}

    def handler(self, handler_path: str) -> Callable:
        if handler_path not in self._handlers:
            import importlib

            from infra.template import functions

            # Each function's logger and metrics take its service name when its module is
            # imported (as in infra/local.py).
            spec = next(s for s in functions(self.template) if s.handler == handler_path)
            os.environ["POWERTOOLS_SERVICE_NAME"] = str(spec.environment.get("POWERTOOLS_SERVICE_NAME", ""))
            module, attribute = handler_path.rsplit(".", 1)
            self._handlers[handler_path] = getattr(importlib.import_module(module), attribute)
        return self._handlers[handler_path]

    def measure(self, name: str, function: str, call: Callable[[], Any], *, status_of=None) -> Any:
        from infra.template import functions

        measured = self.results.setdefault(name, Measured(name, function))
        spec = next((s for s in functions(self.template) if s.logical_id == function), None)
        if spec is not None:  # what Lambda sets for the function (single_metric reads it at each call)
            os.environ["POWERTOOLS_SERVICE_NAME"] = str(spec.environment.get("POWERTOOLS_SERVICE_NAME", ""))
        self.meter.requests.clear()
        self.meter.s3.clear()
        del self.sink.lines[:]
        wall, cpu = time.perf_counter(), time.thread_time()
        result = call()
        wall, cpu = (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000
        lines = [line for line in self.sink.lines if line.strip()]
        emf = [line for line in lines if '"_aws"' in line]
        measured.runs += 1
        if measured.first_wall_ms is None:
            measured.first_wall_ms = wall
        else:  # the first call pays lazy imports: kept apart
            measured.wall_ms.append(wall)
            measured.cpu_ms.append(cpu)
        measured.requests.append(list(self.meter.requests))
        measured.s3_requests.append(list(self.meter.s3))
        measured.log_lines.append(len(lines))
        measured.log_bytes.append(sum(len(line.encode("utf-8")) + 1 for line in lines))
        measured.emf_lines.append(len(emf))
        measured.emf_bytes.append(sum(len(line.encode("utf-8")) + 1 for line in emf))
        measured.metrics.update(metrics_in(lines))
        if status_of:
            measured.statuses[status_of(result)] += 1
        return result

    def api(self, name: str, method: str, path: str, *, body: Any = None, headers: dict | None = None) -> dict:
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False)
            headers.setdefault("Content-Type", "application/json")
        found, event = self.apigw.event_for(self.routes, method, path, headers=headers, body=data)
        assert found is not None, f"no route for {method} {path}"
        handler = self.handler(found.route.handler)
        context = self.apigw.FakeLambdaContext(function_name=found.route.function)
        result = self.measure(name, found.route.function, lambda: handler(event, context),
                              status_of=lambda r: r["statusCode"])
        return result

    def invoke(self, name: str, function: str, handler_path: str, event: Any) -> Any:
        handler = self.handler(handler_path)
        context = self.apigw.FakeLambdaContext(function_name=function, timeout_ms=60_000)
        return self.measure(name, function, lambda: handler(event, context))


# ---------------------------------------------------------------------------- bodies
def repair_body(n: int) -> dict:
    return {"category": "plumbing", "urgency": "normal", "location_type": "home", "unit": "3-2-1201",
            "location": "厨房", "description": "厨房水龙头关不紧，一直滴水，晚上声音很大。",
            "contact_name": "陈女士", "contact_phone": f"1390000{n % 10000:04d}", "preferred_time": "工作日晚上"}


def complaint_body(n: int) -> dict:
    return {"kind": "complaint", "topic": "cleaning", "description": "5号楼垃圾桶三天没清运，味道很大。",
            "contact_name": "钱女士", "contact_phone": f"1390001{n % 10000:04d}"}


def json_of(result: dict) -> dict:
    return json.loads(result["body"])


# ---------------------------------------------------------------------------- site transfer
class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        if tag == "link" and (values.get("rel") or "") in ("stylesheet", "icon", "manifest") and values.get("href"):
            self.urls.append(values["href"])
        elif tag in ("script", "img") and values.get("src"):
            self.urls.append(values["src"])


def page_transfer(site: Path, page: str) -> dict[str, Any]:
    """Requests and gzip-compressed bytes of one page with what it loads from the site, on
    an empty cache (CloudFront compresses text: ``Compress: true``)."""
    html_path = site / page
    parser = _Assets()
    parser.feed(html_path.read_text(encoding="utf-8"))
    files = [html_path]
    for url in parser.urls:
        if "://" in url or url.startswith(("data:", "//")):
            continue
        target = (html_path.parent / url.split("?")[0].split("#")[0]).resolve()
        if target.is_file() and target not in files:
            files.append(target)
    compressed = sum(len(gzip.compress(f.read_bytes(), 6)) if f.suffix in (".html", ".css", ".js", ".svg", ".json",
                                                                              ".webmanifest") else f.stat().st_size
                     for f in files)
    return {"page": page, "requests": len(files), "compressed_bytes": compressed,
            "html_compressed_bytes": len(gzip.compress(html_path.read_bytes(), 6))}


def site_size(site: Path) -> dict[str, Any]:
    files = [p for p in site.rglob("*") if p.is_file()]
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}


# ---------------------------------------------------------------------------- template facts
def template_facts(template: dict) -> dict[str, Any]:
    from infra.template import functions, load_template, resources

    alarms = resources(template, "AWS::CloudWatch::Alarm")
    alarm_metrics = {}
    for name, resource in alarms.items():
        props = resource.get("Properties", {})
        if props.get("Metrics"):
            alarm_metrics[name] = sum(1 for m in props["Metrics"] if "MetricStat" in m)
        else:
            alarm_metrics[name] = 1
    schedules = {}
    memory = {}
    globals_memory = template.get("Globals", {}).get("Function", {}).get("MemorySize", 128)
    for spec in functions(template):
        props = template["Resources"][spec.logical_id]["Properties"]
        memory[spec.logical_id] = props.get("MemorySize", globals_memory)
        for schedule in spec.events_of("Schedule"):
            schedules[spec.logical_id] = schedule["Schedule"]
    waf_path = ROOT / "infra" / "waf.yaml"
    waf = load_template(waf_path) if waf_path.is_file() else {}
    web_acls = resources(waf, "AWS::WAFv2::WebACL") if waf else {}
    rules = [rule for acl in web_acls.values() for rule in acl["Properties"].get("Rules", [])]
    managed = [rule["Statement"]["ManagedRuleGroupStatement"]["Name"] for rule in rules
               if "ManagedRuleGroupStatement" in rule.get("Statement", {})]
    unknown_groups = [name for name in managed if name not in MANAGED_RULE_GROUP_WCU]
    if unknown_groups:  # a paid group (Bot Control, ATP …) or one whose capacity is not written here
        raise SystemExit(f"infra/waf.yaml uses managed rule groups bench/cost.py does not know: {unknown_groups}")
    log_groups = resources(template, "AWS::Logs::LogGroup")
    (api,) = resources(template, "AWS::Serverless::Api").values()
    access = api["Properties"].get("AccessLogSetting", {})
    access_group = access.get("DestinationArn", {}).get("Fn::GetAtt", [None])[0]
    lambda_retention = [g["Properties"].get("RetentionInDays", 0) for g in log_groups.values()
                        if "/aws/lambda/" in json.dumps(g["Properties"].get("LogGroupName", ""))]
    distribution = next(iter(resources(template, "AWS::CloudFront::Distribution").values()), {})
    logs_bucket = next(iter(resources(waf, "AWS::S3::Bucket").values()), {}) if waf else {}
    return {
        "web_acls": len(web_acls) or 1, "waf_rules": len(rules) or 3,
        "waf_rule_names": [rule["Name"] for rule in rules], "waf_managed_rule_groups": managed,
        "waf_managed_wcu": sum(MANAGED_RULE_GROUP_WCU[name] for name in managed),
        "kms_keys": len(resources(template, "AWS::KMS::Key")),
        "kms_key_ids": sorted(resources(template, "AWS::KMS::Key")),
        "encrypted_log_groups": sum(1 for g in log_groups.values() if g["Properties"].get("KmsKeyId")),
        "lambda_log_retention_days": max(lambda_retention, default=90),
        "api_access_log": {
            "log_group": access_group,
            "retention_days": log_groups[access_group]["Properties"].get("RetentionInDays") if access_group else None,
            **access_line(access.get("Format", "")),
        } if access else None,
        "cloudfront_standard_logs": "Logging" in json.dumps(distribution.get("Properties", {})),
        "cloudfront_log_retention_days": int(waf.get("Parameters", {}).get("LogRetentionDays", {}).get("Default", 0))
        if logs_bucket else 0,
        "alarms": len(alarms), "alarm_metrics": sum(alarm_metrics.values()),
        "alarm_metrics_by_alarm": alarm_metrics,
        "dashboards": len(resources(template, "AWS::CloudWatch::Dashboard")),
        "functions": len(functions(template)), "memory_mb": memory, "schedules": schedules,
        "tables": len(resources(template, "AWS::DynamoDB::Table")),
        "log_groups": len(resources(template, "AWS::Logs::LogGroup")),
    }



# What API Gateway puts in an access log line for each $context variable of the format:
# values of their real length for a typical request of this API.
CONTEXT_SAMPLES = {
    "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "extendedRequestId": "LJ0qXEzHoAMF4xQ=",
    "requestTimeEpoch": "1764840000123", "requestTime": "04/Dec/2026:20:00:00 +0000",
    "identity.sourceIp": "240e:3a1:4c2b:7f10:1d2e:3c4b:5a69:7788",  # a mainland phone on IPv6: the long case
    "httpMethod": "POST", "resourcePath": "/api/repairs/{reference}/rating", "status": "200",
    "error.responseType": "", "responseLength": "1000", "responseLatency": "85", "integrationLatency": "80",
    "protocol": "HTTP/1.1",
}


def access_line(format_: str) -> dict[str, Any]:
    """Bytes of one API Gateway access log line in ``format_`` (the template's), with the
    sample values above; variables without a sample count 16 bytes and are listed."""
    unknown = []

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in CONTEXT_SAMPLES:
            unknown.append(name)
            return "x" * 16
        return CONTEXT_SAMPLES[name]

    line = re.sub(r"\$context\.([A-Za-z0-9_.]+)", value, format_)
    return {"line_bytes": len(line.encode("utf-8")) + 1, "variables_without_sample": unknown}


# ---------------------------------------------------------------------------- cold imports
def cold_imports(template: dict, repeat: int = 3) -> dict[str, float]:
    """Median wall time (ms) of a fresh interpreter that imports boto3, creates a DynamoDB
    client and imports the handler module: what a cold start runs before the first event
    (the method of bench/cold_start.py)."""
    import subprocess

    from infra.template import functions

    env = {**os.environ, **CREDENTIALS, "POWERTOOLS_METRICS_NAMESPACE": "PropertyButler",
           "POWERTOOLS_SERVICE_NAME": "bench", "PYTHONPATH": str(ROOT / "functions")}
    env.pop("AWS_ENDPOINT_URL", None)
    out = {}
    for spec in functions(template):
        module = spec.handler.rsplit(".", 1)[0]
        code = f"import boto3; boto3.client('dynamodb', region_name='{REGION}'); import {module}"
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT, capture_output=True)
            times.append((time.perf_counter() - started) * 1000)
        out[spec.logical_id] = round(statistics.median(times))
    return out


# ---------------------------------------------------------------------------- prices and assumptions
# us-east-1 list prices (CloudFront: the Hong Kong/Asia edge group, where the estate's
# phones are served), as published on the AWS pricing pages; docs/cost.md names the page
# and how each figure was checked. (quantity unit, USD per unit, always-free units a month)
# Capacity units (WCU) of the AWS managed rule groups infra/waf.yaml may use, as the AWS
# WAF developer guide lists them; a web ACL's first 1,500 WCU are in its price.
MANAGED_RULE_GROUP_WCU = {"AWSManagedRulesCommonRuleSet": 700, "AWSManagedRulesKnownBadInputsRuleSet": 200}

PRICES: dict[str, tuple[str, float, float]] = {
    "lambda_requests": ("request", 0.20 / 1e6, 1_000_000),
    "lambda_gb_s": ("GB-second (arm64)", 0.0000133334, 400_000),
    "apigw_requests": ("REST API request", 3.50 / 1e6, 0),  # 1M/month only in the first 12 months
    "dynamodb_wru": ("write request unit", 0.625 / 1e6, 0),
    "dynamodb_rru": ("read request unit", 0.125 / 1e6, 0),
    "dynamodb_storage": ("GB-month", 0.25, 25),
    "dynamodb_pitr": ("GB-month", 0.20, 0),
    "logs_ingest": ("GB ingested", 0.50, 5),  # the 5 GB free covers ingestion, storage and scans together
    "logs_storage": ("GB-month stored", 0.03, 0),
    "custom_metrics": ("metric-month", 0.30, 10),
    "alarm_metrics": ("standard alarm metric-month", 0.10, 10),
    "dashboards": ("dashboard-month", 3.00, 3),
    "xray_traces": ("trace recorded", 5.00 / 1e6, 100_000),
    "cloudfront_requests": ("HTTPS request (HK/Asia edges)", 0.0120 / 1e4, 10_000_000),
    "cloudfront_out": ("GB to viewers (HK/Asia edges)", 0.120, 1024),
    "cloudfront_to_origin": ("GB to origin (HK/Asia edges)", 0.060, 0),
    "cloudfront_functions": ("function invocation", 0.10 / 1e6, 2_000_000),
    "kms_keys": ("customer managed key-month", 1.00, 0),
    "waf_acl": ("web ACL-month", 5.00, 0),
    "waf_rules": ("rule-month", 1.00, 0),
    "waf_requests": ("request inspected", 0.60 / 1e6, 0),
    "s3_storage": ("GB-month (Standard)", 0.023, 0),  # 5 GB free only in the first 12 months
    "s3_put": ("PUT/COPY/POST/LIST request", 0.005 / 1000, 0),
    "s3_get": ("GET request", 0.0004 / 1000, 0),
    "eventbridge_events": ("S3 event on EventBridge (opt-in data event)", 1.00 / 1e6, 0),
}

ASSUMPTIONS = {
    "month_days": 30,
    "repair_share": 0.6,  # of submissions; the rest inquiries, complaints, suggestions (as bench/load.py)
    "emergency_share": 0.02,  # of repairs
    "tracking_reads": 3,  # per submission, on the tracking page
    "resident_steps": 1,  # rate the repair / confirm satisfied, per submission
    "photos_per_repair": 0.5,
    "photo_bytes": PHOTO_SIZE,  # the form shrinks photos to 1600 px JPEG
    "photo_views": 3,  # the resident sees their photos on each tracking view
    "staff_stream_invocations": {"repair": 5, "complaint": 2},  # one per staff step (steps minutes apart)
    "api_response_bytes": 1_000,
    "dynamodb_ms_per_request": 10,  # in-region DynamoDB round trip from Lambda, an assumption
    "sns_ms_per_publish": 30,
    "lambda_cpu_share_per_mb": 1 / 1769,  # Lambda: one vCPU at 1,769 MB, in proportion below
    "cold_share_events": 1.0,  # API and stream invocations at ~1.4 submissions an hour: all cold (upper bound)
    "cold_share_sweep": 0.25,  # a 5-minute schedule keeps an instance warm most of the time (assumed)
    "cases_stored": 12_000,  # a year of cases at 1,000 submissions a month
    "photos_stored_bytes": 12_000 * 0.6 * 0.5 * 400_000,  # a year of photos at that rate
    "site_syncs": 30,  # daily rebuild and `aws s3 sync` (README)
    "site_versions_kept": 31,  # noncurrent versions expire after 30 days
    "open_cases_for_sweep": "measured with --open-cases",
    # CloudFront standard logs (legacy, to S3): one line per request, ~33 tab-separated
    # fields (the published format; the full URI, user agent and edge ids make most of it).
    "cloudfront_log_line_bytes": 600,
    "cloudfront_log_files_per_active_hour": 2,  # "up to several times an hour" per edge with traffic
}
HOURS = 24 * 30


def active_hours(events: float) -> float:
    """Expected hours of a 30-day month in which a metric sees at least one of ``events``
    spread at random (CloudWatch bills custom metrics by the hour they are published)."""
    return HOURS * (1 - math.exp(-events / HOURS))


def billed_ms(op: dict, memory_mb: int, sns: int = 0) -> float:
    """A Lambda invocation's billed duration, modelled from the local measurement: the
    handler's CPU time stretched to the CPU share of ``memory_mb``, plus a network round
    trip per DynamoDB request and SNS publish."""
    cpu = op["cpu_ms_median"] / (memory_mb * ASSUMPTIONS["lambda_cpu_share_per_mb"])
    return math.ceil(max(1.0, cpu + op["dynamodb_requests"] * ASSUMPTIONS["dynamodb_ms_per_request"]
                         + sns * ASSUMPTIONS["sns_ms_per_publish"]))


def cost_model(report: dict[str, Any]) -> dict[str, Any]:
    ops = {op["operation"]: op for op in report["operations"]}
    memory = report["template"]["memory_mb"]
    cold = report["cold_import_ms"]
    a = ASSUMPTIONS
    platform = report["platform_log_lines"]

    def init_ms(function: str) -> float:  # a cold start's INIT, stretched like the handler's CPU
        return cold[function] / (memory[function] * a["lambda_cpu_share_per_mb"])

    def invocation(op_name: str, function: str, count: float, cold_share: float, sns: int = 0,
                   busiest: bool = False) -> dict[str, float]:
        op = ops[op_name]
        ms = billed_ms(op, memory[function], sns) + cold_share * init_ms(function)
        reads, writes = op["busiest_run_units"] if busiest else (op["read_units"], op["write_units"])
        log_events = (op["log_lines"] if not busiest else max(op["log_lines"], 1)) + platform["lines"]
        return {"lambda_requests": count, "lambda_gb_s": count * ms / 1000 * memory[function] / 1024,
                "dynamodb_rru": count * reads, "dynamodb_wru": count * writes,
                "logs_bytes": count * (op["log_bytes"] + platform["bytes"] + LOG_EVENT_OVERHEAD * log_events),
                "xray_traces": count}

    def add(total: dict, part: dict) -> None:
        for key, value in part.items():
            total[key] = total.get(key, 0) + value

    # -- per submission (averaged over the mix)
    r, c = a["repair_share"], 1 - a["repair_share"]
    e = r * a["emergency_share"]
    per: dict[str, float] = {}
    cs = a["cold_share_events"]
    add(per, invocation("POST /api/repairs (new)", "RepairsFunction", r, cs))
    add(per, invocation("POST /api/complaints (new)", "ComplaintsFunction", c, cs))
    add(per, invocation("StaffEditGuardFunction (one new repair)", "StaffEditGuardFunction", r - e, cs))
    add(per, invocation("StaffEditGuardFunction (one new emergency repair)", "StaffEditGuardFunction", e, cs,
                        sns=1, busiest=True))
    # ... and the MODIFY its own mark makes: an invocation with nothing to do, like a new complaint's.
    add(per, invocation("StaffEditGuardFunction (one new complaint)", "StaffEditGuardFunction", e, cs))
    add(per, invocation("StaffEditGuardFunction (one new complaint)", "StaffEditGuardFunction", c, cs))
    add(per, invocation("GET /api/repairs/{reference}", "RepairsFunction", r * a["tracking_reads"], cs))
    add(per, invocation("GET /api/complaints/{reference}", "ComplaintsFunction", c * a["tracking_reads"], cs))
    add(per, invocation("POST /api/repairs/{reference}/rating", "RepairsFunction", r * a["resident_steps"], cs))
    add(per, invocation("POST /api/complaints/{reference}/satisfied", "ComplaintsFunction",
                        c * a["resident_steps"], cs))
    photos = r * a["photos_per_repair"]
    add(per, invocation("POST /api/repairs/{reference}/photos", "RepairsFunction", photos, cs))
    # Each upload lands in S3, which tells EventBridge, which runs the photo check (async);
    # its write (the photo verified) is one more stream record.
    check = ops["PhotoCheckFunction (one upload, a picture)"]
    add(per, invocation("PhotoCheckFunction (one upload, a picture)", "PhotoCheckFunction", photos, cs))
    stream_after = (r * (a["staff_stream_invocations"]["repair"] + a["resident_steps"])
                    + c * (a["staff_stream_invocations"]["complaint"] + a["resident_steps"]) + 2 * photos)
    add(per, invocation("StaffEditGuardFunction (repair rated)", "StaffEditGuardFunction", stream_after, cs))
    staff_r, staff_c = ops["staff CLI: 5 repair steps (dispatch … accept)"], ops["staff CLI: 2 complaint steps (claim, answer)"]
    per["dynamodb_rru"] += r * staff_r["read_units"] + c * staff_c["read_units"]
    per["dynamodb_wru"] += r * staff_r["write_units"] + c * staff_c["write_units"]
    api_requests = 1 + a["tracking_reads"] + a["resident_steps"] + photos
    per["apigw_requests"] = api_requests
    access = report["template"]["api_access_log"]
    per["access_log_bytes"] = api_requests * ((access["line_bytes"] + LOG_EVENT_OVERHEAD) if access else 0)
    pages = {p["page"]: p for p in report["site"]["pages"]}
    form = r * pages["repairs/index.html"]["requests"] + c * pages["complaints/index.html"]["requests"]
    form_bytes = (r * pages["repairs/index.html"]["compressed_bytes"]
                  + c * pages["complaints/index.html"]["compressed_bytes"])
    track = pages["track/index.html"]
    site_requests = form + track["requests"] + (a["tracking_reads"] - 1)  # later visits: the HTML alone
    site_bytes = form_bytes + track["compressed_bytes"] + (a["tracking_reads"] - 1) * track["html_compressed_bytes"]
    photo_views = photos * a["photo_views"]
    per["cloudfront_requests"] = site_requests + api_requests + photos + photo_views
    per["cloudfront_out_bytes"] = (site_bytes + api_requests * a["api_response_bytes"]
                                   + photo_views * a["photo_bytes"])
    per["cloudfront_to_origin_bytes"] = photos * a["photo_bytes"]
    per["cloudfront_functions"] = site_requests
    per["s3_put"] = photos
    per["s3_get"] = photo_views + photos * check["s3_requests"].get("GetObject", 0)
    per["eventbridge_events"] = photos
    per["cloudfront_log_bytes"] = (per["cloudfront_requests"] * a["cloudfront_log_line_bytes"]
                                   if report["template"]["cloudfront_standard_logs"] else 0)
    per["custom_metric_events"] = {"RepairReported": r, "CaseFiled": c, "EmergencyReported": e,
                                   "EmergencyAlerted": e}

    # -- an idle month
    runs = {"OverdueSweepFunction": 24 * 60 // 5 * a["month_days"], "AnonymiseContactsFunction": a["month_days"]}
    idle: dict[str, float] = {}
    for label in ("empty tables", f"{report['open_cases']} open cases"):
        month: dict[str, float] = {}
        add(month, invocation(f"OverdueSweepFunction ({label})", "OverdueSweepFunction",
                              runs["OverdueSweepFunction"], a["cold_share_sweep"]))
        add(month, invocation(f"AnonymiseContactsFunction ({label})", "AnonymiseContactsFunction",
                              runs["AnonymiseContactsFunction"], 1.0))
        idle[label] = month
    sweep_metrics = [m for m in ops["OverdueSweepFunction (empty tables)"]["metrics"]]
    storage = report["storage"]
    case_bytes = (a["repair_share"] * storage["RepairsTable"]["total_bytes_per_item_median"]
                  + (1 - a["repair_share"]) * storage["ComplaintsTable"]["total_bytes_per_item_median"])
    site = report["site"]
    template = report["template"]
    return {"per_submission": per, "idle": idle, "runs": runs, "sweep_metrics": sweep_metrics,
            "case_bytes": case_bytes, "site_bytes": site["bytes"], "site_files": site["files"],
            "alarm_metrics": template["alarm_metrics"], "dashboards": template["dashboards"],
            "kms_keys": template["kms_keys"], "web_acls": template["web_acls"], "waf_rules": template["waf_rules"],
            "init_ms": {f: round(init_ms(f)) for f in cold}}


def flood(report: dict[str, Any]) -> dict[str, float]:
    """List price of one repair report nobody follows up (a junk submission in a flood):
    the POST and the stream invocation it causes, warm instances, traces sampled at X-Ray's
    default 5 % beyond the first request each second."""
    ops = {op["operation"]: op for op in report["operations"]}
    memory = report["template"]["memory_mb"]
    post, guard = ops["POST /api/repairs (new)"], ops["StaffEditGuardFunction (one new repair)"]
    platform = report["platform_log_lines"]
    price = {k: p for k, (_, p, _) in PRICES.items()}
    seconds = (billed_ms(post, memory["RepairsFunction"]) / 1000 * memory["RepairsFunction"] / 1024
               + billed_ms(guard, memory["StaffEditGuardFunction"]) / 1000 * memory["StaffEditGuardFunction"] / 1024)
    access = report["template"]["api_access_log"]
    log_bytes = (post["log_bytes"] + guard["log_bytes"] + 2 * platform["bytes"]
                 + LOG_EVENT_OVERHEAD * (post["log_lines"] + guard["log_lines"] + 2 * platform["lines"])
                 + ((access["line_bytes"] + LOG_EVENT_OVERHEAD) if access else 0))  # the API's access log line
    return {
        "API Gateway request": price["apigw_requests"],
        "Lambda requests (2)": 2 * price["lambda_requests"],
        "Lambda duration (warm)": seconds * price["lambda_gb_s"],
        "DynamoDB writes and reads": post["write_units"] * price["dynamodb_wru"] + guard["read_units"] * price["dynamodb_rru"],
        "CloudWatch Logs (function and access logs)": log_bytes / 1024 ** 3 * price["logs_ingest"],
        "X-Ray (5 % sampled, 2 traces)": 0.05 * 2 * price["xray_traces"],
        "WAF request": price["waf_requests"],
        "CloudFront request and 1 KB out": price["cloudfront_requests"] + 1000 / 1024 ** 3 * price["cloudfront_out"],
    }


def bill(report: dict[str, Any], model: dict[str, Any], submissions: int, idle_label: str) -> list[dict]:
    """Line items of one month: the idle month plus ``submissions``; each with its
    quantity, the list price, and the cost without and with the always-free tier."""
    a, per, idle = ASSUMPTIONS, model["per_submission"], model["idle"][idle_label]
    n = submissions
    gb = 1024 ** 3
    metric_months = float(len(model["sweep_metrics"]))  # published every 5 minutes: whole months
    metric_months += active_hours(a["month_days"]) / HOURS  # ContactsAnonymised, once a day
    for events in per["custom_metric_events"].values():
        metric_months += active_hours(n * events) / HOURS
    cloudfront_requests = n * per["cloudfront_requests"]
    template = report["template"]
    access_retention = (template["api_access_log"] or {}).get("retention_days") or 0
    quantities = {
        "lambda_requests": idle["lambda_requests"] + n * per["lambda_requests"],
        "lambda_gb_s": idle["lambda_gb_s"] + n * per["lambda_gb_s"],
        "apigw_requests": n * per["apigw_requests"],
        "dynamodb_wru": idle["dynamodb_wru"] + n * per["dynamodb_wru"],
        "dynamodb_rru": idle["dynamodb_rru"] + n * per["dynamodb_rru"],
        "dynamodb_storage": a["cases_stored"] * model["case_bytes"] / gb,
        "dynamodb_pitr": a["cases_stored"] * model["case_bytes"] / gb,
        "logs_ingest": (idle["logs_bytes"] + n * per["logs_bytes"] + n * per["access_log_bytes"]) / gb,
        # What the retention keeps at any time, uncompressed (billed compressed: an upper bound).
        "logs_storage": ((idle["logs_bytes"] + n * per["logs_bytes"]) * template["lambda_log_retention_days"]
                         + n * per["access_log_bytes"] * access_retention) / 30 / gb,
        "custom_metrics": metric_months,
        "alarm_metrics": model["alarm_metrics"],
        "dashboards": model["dashboards"],
        "xray_traces": idle["xray_traces"] + n * (per["xray_traces"]),
        "cloudfront_requests": cloudfront_requests,
        "cloudfront_out": n * per["cloudfront_out_bytes"] / gb,
        "cloudfront_to_origin": n * per["cloudfront_to_origin_bytes"] / gb,
        "cloudfront_functions": n * per["cloudfront_functions"],
        "kms_keys": model["kms_keys"],
        "waf_acl": model["web_acls"],
        "waf_rules": model["waf_rules"],
        "waf_requests": cloudfront_requests,
        "s3_storage": (model["site_bytes"] * a["site_versions_kept"] + a["photos_stored_bytes"]
                       + n * per["cloudfront_log_bytes"] * template["cloudfront_log_retention_days"] / 30) / gb,
        "s3_put": (a["site_syncs"] * model["site_files"] + n * per["s3_put"]
                   + (active_hours(cloudfront_requests) * a["cloudfront_log_files_per_active_hour"]
                      if per["cloudfront_log_bytes"] else 0)),
        "s3_get": n * per["s3_get"],
        "eventbridge_events": n * per["eventbridge_events"],
    }
    lines = []
    for key, quantity in quantities.items():
        unit, price, free = PRICES[key]
        lines.append({"item": key, "unit": unit, "quantity": quantity, "price": price, "free": free,
                      "cost": quantity * price, "cost_free_tier": max(0.0, quantity - free) * price})
    return lines

# ---------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs of each operation (the first is kept apart)")
    parser.add_argument("--open-cases", type=int, default=100, help="open cases for the busy sweep")
    parser.add_argument("--site-dir", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--submissions", type=int, default=1000, help="submissions in the busy month")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)

    os.environ.update(CREDENTIALS)
    os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
    warnings.filterwarnings("ignore", message="No application metrics to publish")  # reads publish none
    real_stdout = sys.stdout
    sink = LogSink()
    sys.stdout = sink  # powertools' loggers and metrics bind stdout when the handlers are imported
    try:
        report = run(args, sink)
    finally:
        sys.stdout = real_stdout
    model = cost_model(report)
    open_label = f"{report['open_cases']} open cases"
    report["model"] = {k: v for k, v in model.items()}
    report["bills"] = {
        "idle month, empty tables": bill(report, model, 0, "empty tables"),
        f"idle month, {open_label}": bill(report, model, 0, open_label),
        f"month with {args.submissions} submissions, {open_label}": bill(report, model, args.submissions, open_label),
    }
    report["flood"] = flood(report)
    report["assumptions"] = ASSUMPTIONS
    report["prices"] = {k: {"unit": u, "usd": p, "always_free": f} for k, (u, p, f) in PRICES.items()}
    print_report(report)
    print_bills(report, model, args.submissions, open_label)
    if args.json_out:
        args.json_out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


def run(args, sink: LogSink) -> dict[str, Any]:
    from infra import moto_server
    from infra.provision import provision, stream_pumps
    from infra.template import load_template

    server, endpoint = moto_server.start()
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    meter = Meter()
    meter.install()
    template = load_template()
    try:
        # An empty stack first: what the scheduled functions cost when nothing is open.
        idle = provision(template, f"idle{uuid.uuid4().hex[:6]}", REGION, endpoint)
        os.environ.update(idle.environment)
        bench = Bench(meter, sink)
        specs = {s.logical_id: s for s in __import__("infra.template", fromlist=["functions"]).functions(template)}
        scheduled = [s for s in specs.values() if s.events_of("Schedule")]
        for _ in range(args.repeat):
            for spec in scheduled:
                bench.invoke(f"{spec.logical_id} (empty tables)", spec.logical_id, spec.handler,
                             {"source": "aws.events", "detail-type": "Scheduled Event",
                              "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "detail": {}})

        stack = provision(template, f"cost{uuid.uuid4().hex[:6]}", REGION, endpoint)
        os.environ.update(stack.environment)
        pumps = {p.table_id: StreamDrain(bench, p) for p in stream_pumps(
            template, stack, endpoint, handler_for=lambda logical_id: (
                lambda event, context: bench.invoke(f"{logical_id} ({bench.stream_label})", logical_id,
                                                    specs[logical_id].handler, event)))}
        measure_api(bench, args.repeat, stack, pumps, specs)
        open_work(bench, args.open_cases, stack, pumps)
        for _ in range(args.repeat):
            for spec in scheduled:
                bench.invoke(f"{spec.logical_id} ({args.open_cases} open cases)", spec.logical_id, spec.handler,
                             {"source": "aws.events", "detail-type": "Scheduled Event",
                              "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "detail": {}})
        storage = stored_sizes(endpoint, stack)
    finally:
        server.stop()
    site = args.site_dir
    cold = cold_imports(template)
    return {
        "open_cases": args.open_cases,
        "cold_import_ms": cold,
        "command": "bench/cost.py " + " ".join(sys.argv[1:]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": sys.version.split()[0], "cpus": os.cpu_count(),
        "operations": [m.summary() for m in bench.results.values()],
        "platform_log_lines": {"lines": len(PLATFORM_LINES) + 1,
                               "bytes": sum(len(line.encode()) + 1 for line in PLATFORM_LINES)},
        "storage": storage,
        "site": {**(site_size(site) if site.is_dir() else {}),
                 "pages": [page_transfer(site, p) for p in ("repairs/index.html", "complaints/index.html",
                                                            "track/index.html", "index.html")
                           if (site / p).is_file()]},
        "template": template_facts(template),
    }


class StreamDrain:
    """A table's stream pump; ``drain(label)`` names what the records delivered come from."""

    def __init__(self, bench: Bench, pump) -> None:
        self.bench, self.pump = bench, pump

    def drain(self, label: str) -> None:
        self.bench.stream_label = label
        self.pump.drain()


def object_created(bucket: str, key: str, size: int) -> dict[str, Any]:
    """The event S3 sends EventBridge for a new object (the published shape)."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Object Created", "source": "aws.s3",
            "account": "123456789012", "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "region": REGION,
            "resources": [f"arn:aws:s3:::{bucket}"],
            "detail": {"version": "0", "bucket": {"name": bucket},
                       "object": {"key": key, "size": size, "etag": uuid.uuid4().hex, "sequencer": "0062E99A88DC407460"},
                       "request-id": "57H08PA84AB1JZW0", "requester": "123456789012",
                       "source-ip-address": "203.0.113.15", "reason": "PutObject"}}


def measure_api(bench: Bench, repeat: int, stack, pumps, specs) -> None:
    import boto3
    from butler.domain.surveys import AREA_CODES, issue_codes
    from butler.domain.timefmt import utc_now
    from butler.repository.complaints import ComplaintRepository
    from butler.repository.surveys import SurveyRepository
    from butler.repository.work_orders import WorkOrderRepository
    from butler.roster import load_roster
    from butler.services.cases import take_step
    from butler.services.surveys import open_campaign

    json_type = {"Content-Type": "application/json"}
    s3 = boto3.client("s3", region_name=REGION)
    bench.meter.watch_s3()
    repairs_repo = WorkOrderRepository(stack.tables["RepairsTable"])
    complaints_repo = ComplaintRepository(stack.tables["ComplaintsTable"])
    roster = load_roster()
    survey_repo = SurveyRepository(stack.tables["SurveysTable"])
    codes = issue_codes([f"9-1-{100 + n}" for n in range(repeat + 1)])
    open_campaign(survey_repo, "2026Q4", codes, now=utc_now())
    for n in range(repeat):
        key = f"cost-{uuid.uuid4()}"
        repair = json_of(bench.api("POST /api/repairs (new)", "POST", "/api/repairs", body=repair_body(n),
                                   headers={**json_type, "Idempotency-Key": key}))
        pumps["RepairsTable"].drain("one new repair")
        bench.api("POST /api/repairs (retry, same key)", "POST", "/api/repairs", body=repair_body(n),
                  headers={**json_type, "Idempotency-Key": key})
        complaint = json_of(bench.api("POST /api/complaints (new)", "POST", "/api/complaints",
                                      body=complaint_body(n),
                                      headers={**json_type, "Idempotency-Key": f"cost-{uuid.uuid4()}"}))
        pumps["ComplaintsTable"].drain("one new complaint")
        bearer = {"Authorization": f"Bearer {repair['token']}"}
        bench.api("GET /api/repairs/{reference}", "GET", f"/api/repairs/{repair['reference']}", headers=bearer)
        bench.api("GET /api/complaints/{reference}", "GET", f"/api/complaints/{complaint['reference']}",
                  headers={"Authorization": f"Bearer {complaint['token']}"})
        bench.api("GET unknown reference (404)", "GET", "/api/repairs/R-0000-0000",
                  headers={"Authorization": "Bearer nope"})
        link = json_of(bench.api("POST /api/repairs/{reference}/photos", "POST",
                                 f"/api/repairs/{repair['reference']}/photos",
                                 body={"content_type": "image/jpeg", "size": len(PHOTO)},
                                 headers={**json_type, **bearer}))
        pumps["RepairsTable"].drain("one photo added")
        # The browser's PUT lands in the bucket (not measured: S3's, priced per PUT), and
        # S3 → EventBridge runs the photo check on it (asynchronously, like Lambda does).
        key = urlsplit(link["url"]).path.lstrip("/")
        s3.put_object(Bucket=stack.environment["PHOTOS_BUCKET"], Key=key, Body=PHOTO, ContentType="image/jpeg")
        checked = bench.invoke("PhotoCheckFunction (one upload, a picture)", "PhotoCheckFunction",
                               specs["PhotoCheckFunction"].handler,
                               object_created(stack.environment["PHOTOS_BUCKET"], key, len(PHOTO)))
        assert checked["outcome"] == "verified", checked
        pumps["RepairsTable"].drain("photo checked")
        # Staff take the work to where the resident acts (not measured), then the resident steps.
        def repair_steps(repair=repair):
            for action, role, actor, values in (
                    ("dispatch", "butler", "gj-li", {"technician": "wx-wang"}),
                    ("survey", "technician", "wx-wang", {"survey_plan": "更换龙头阀芯", "materials_planned": "阀芯 1 个"}),
                    ("start_repair", "technician", "wx-wang", {}),
                    ("complete", "technician", "wx-wang", {"work_done": "更换阀芯并试水", "materials_used": "阀芯 1 个",
                                                            "labour_minutes": 30}),
                    ("accept", "butler", "gj-li", {"accepted_by": "gj-li"})):
                take_step(repairs_repo, repair["reference"], action, actor=actor, role=role, values=values,
                          roster=roster)

        def complaint_steps(complaint=complaint):
            for action, values in (("claim", {"owner": "kf-zhang"}), ("answer", {"reply": "今天下午清运并消毒。"})):
                take_step(complaints_repo, complaint["reference"], action, actor="kf-zhang", role="customer_service",
                          values=values, roster=roster)

        # Staff work the case with the CLI (DynamoDB requests, no Lambda): the short paths.
        bench.measure("staff CLI: 5 repair steps (dispatch … accept)", STAFF_CLI, repair_steps)
        bench.measure("staff CLI: 2 complaint steps (claim, answer)", STAFF_CLI, complaint_steps)
        pumps["RepairsTable"].drain("staff steps: 5 repair steps")
        pumps["ComplaintsTable"].drain("staff steps: 2 complaint steps")
        bench.api("POST /api/repairs/{reference}/rating", "POST", f"/api/repairs/{repair['reference']}/rating",
                  body={"rating": 4, "comment": "师傅很耐心"}, headers={**json_type, **bearer})
        bench.api("POST /api/complaints/{reference}/satisfied", "POST",
                  f"/api/complaints/{complaint['reference']}/satisfied", body={"rating": 5},
                  headers={**json_type, "Authorization": f"Bearer {complaint['token']}"})
        pumps["RepairsTable"].drain("repair rated")
        pumps["ComplaintsTable"].drain("complaint confirmed satisfied")
        _, code = codes[n]
        bench.api("POST /api/surveys", "POST", "/api/surveys",
                  body={"code": code, "scores": {a: 4 for a in AREA_CODES}, "overall": 4, "recommend": True},
                  headers={**json_type, "Idempotency-Key": f"cost-{uuid.uuid4()}"})
        bench.api("GET /api/openapi.json", "GET", "/api/openapi.json")
    # An emergency report: the stream function alerts staff (SNS) once.
    for n in range(min(repeat, 5)):
        bench.api("POST /api/repairs (emergency)", "POST", "/api/repairs",
                  body={**repair_body(n), "category": "flooding", "description": "厨房水管爆裂，水已经流到客厅。"},
                  headers={**json_type, "Idempotency-Key": f"cost-{uuid.uuid4()}"})
        # Two invocations each: the INSERT (read, mark alerted, publish), then the MODIFY
        # the mark itself made (nothing to do).
        pumps["RepairsTable"].drain("one new emergency repair")


def open_work(bench: Bench, count: int, stack, pumps) -> None:
    """Open cases for the busy sweep: 60 % repairs, 40 % complaints, left in their first status."""
    json_type = {"Content-Type": "application/json"}
    for n in range(count):
        if n % 5 < 3:
            bench.api("setup: open repair", "POST", "/api/repairs", body=repair_body(n), headers=json_type)
        else:
            bench.api("setup: open complaint", "POST", "/api/complaints", body=complaint_body(n), headers=json_type)
    for pump in pumps.values():
        pump.drain("setup")
    for name in [k for k in bench.results if "setup" in k]:
        bench.results.pop(name)


def stored_sizes(endpoint: str, stack) -> dict[str, Any]:
    """Bytes per stored item in each table, as DynamoDB bills storage (item + 100 bytes, and
    each index entry: projected attributes + 100 bytes)."""
    from moto.dynamodb.models import dynamodb_backends

    out = {}
    backend = dynamodb_backends["123456789012"][REGION]
    for logical_id, name in stack.tables.items():
        table = backend.get_table(name)
        items = list(table.all_items())
        if not items:
            out[logical_id] = {"items": 0}
            continue
        base = [item_size(i) + 100 for i in items]
        indexed = [sum(item_size(ix.project(i)) + 100 for ix in table.global_indexes
                       if all(k in i.attrs for k in ix.schema_key_attrs)) for i in items]
        out[logical_id] = {"items": len(items), "item_bytes_median": statistics.median(base),
                           "item_bytes_max": max(base), "index_bytes_median": statistics.median(indexed),
                           "total_bytes_per_item_median": statistics.median(b + x for b, x in zip(base, indexed))}
    return out


def print_report(report: dict[str, Any]) -> None:
    print(f"bench/cost.py, {report['date']}, Python {report['python']}, {report['cpus']} CPUs\n")
    print("| operation | function | DynamoDB requests | read units | write units (incl. index) | "
          "handler wall ms (median, warm) | handler CPU ms | log lines / bytes | of which EMF lines / bytes |")
    print("|---|---|---|---|---|---|---|---|---|")
    for op in report["operations"]:
        if op["operation"].startswith("setup:"):
            continue
        print(f"| {op['operation']} | {op['function']} | {op['dynamodb_requests']} "
              f"({', '.join(op['dynamodb_actions'])}) | {op['read_units']} | {op['write_units']} | "
              f"{op['wall_ms_median']} | {op['cpu_ms_median']} | {op['log_lines']} / {op['log_bytes']} | "
              f"{op['emf_lines']} / {op['emf_bytes']} |")
    print("\nPer request (the busiest run of each operation):")
    for op in report["operations"]:
        if op["operation"].startswith("setup:"):
            continue
        print(f"- {op['operation']}: statuses {op['statuses']}; metrics {op['metrics']}"
              + (f"; S3 requests {op['s3_requests']}" if op["s3_requests"] else ""))
        for d in op["detail"]:
            print(f"    {d['action']} {d['table']}: R {d['read_units']} W {d['write_units']} "
                  f"+ index W {d['index_write_units']}, bytes {d['item_bytes']} {d['note']}")
    print(f"\nLambda platform lines per invocation: {report['platform_log_lines']}")
    print(f"Storage: {json.dumps(report['storage'])}")
    print(f"Site: {json.dumps(report['site'])}")
    print(f"Template: {json.dumps(report['template'])}")


def money(value: float) -> str:
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def amount(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.4g}"


def print_bills(report: dict[str, Any], model: dict[str, Any], submissions: int, open_label: str) -> None:
    per = model["per_submission"]
    print("\nPer submission (mix and follow-up of ASSUMPTIONS):")
    for key, value in per.items():
        if isinstance(value, dict):
            value = {k: round(v, 4) for k, v in value.items()}
        elif isinstance(value, float):
            value = round(value, 4)
        print(f"  {key}: {value}")
    print(f"Modelled INIT (cold start) per function, ms: {model['init_ms']}")
    print(f"Idle month invocations: {model['runs']}; sweep metrics: {len(model['sweep_metrics'])}; "
          f"stored bytes per case: {model['case_bytes']:.0f}")
    bills = report["bills"]
    names = list(bills)
    print("\n| item | unit | unit price | " + " | ".join(f"{n}: quantity | list | always-free tier" for n in names) + " |")
    print("|---|---|---|" + "---|---|---|" * len(names))
    for row in zip(*bills.values()):
        first = row[0]
        cells = " | ".join(f"{amount(r['quantity'])} | {money(r['cost'])} | {money(r['cost_free_tier'])}" for r in row)
        print(f"| {first['item']} | {first['unit']} | ${first['price']:.10g} | {cells} |")
    totals = " | ".join(f" | {money(sum(r['cost'] for r in b))} | {money(sum(r['cost_free_tier'] for r in b))}"
                        for b in bills.values())
    print(f"| **total** | | | {totals} |")
    print("\nOne junk repair report in a flood (list prices, warm): " + ", ".join(
        f"{k} ${v:.2e}" for k, v in report["flood"].items()) + f"; total ${sum(report['flood'].values()):.2e}")
    busy = bills[names[2]]
    idle = bills[names[1]]
    print(f"\nMarginal cost of {submissions} submissions (busy month − idle month with {open_label}): "
          f"list {money(sum(r['cost'] for r in busy) - sum(r['cost'] for r in idle))}, "
          f"with the always-free tier {money(sum(r['cost_free_tier'] for r in busy) - sum(r['cost_free_tier'] for r in idle))}")


if __name__ == "__main__":
    raise SystemExit(main())
