"""Load benchmark of the local stack: N submissions (repair reports and inquiries,
complaints, suggestions) at concurrency C over HTTP, then checks in DynamoDB that exactly N
cases exist, every reference is distinct and every returned reference is stored, one
idempotency record per key, no error; then replays a sample with the same keys and
checks that it answers the same references and writes nothing new.

    .venv/bin/python bench/load.py [--submissions 2000] [--concurrency 20] [--json-out FILE]

The stack is ``infra.local.LocalStack`` without demo data (what ``python -m infra.local
--no-demo`` runs: moto server, the tables of template.yaml, the HTTP front that turns
/api/* into API Gateway events, the stream function and the overdue sweep), started in a
child process on 127.0.0.1 with an ephemeral port, so that the client's threads do not
share an interpreter lock with the stack. The API functions run in ``--instances`` worker
processes of their own, one event at a time each, as Lambda instances (``--mode`` has the
alternatives). The child also measures the server side: each invocation's wall time, its
CPU time, the time its DynamoDB calls took and how long it waited for an instance, and how
long moto server held its DynamoDB lock (``infra/moto_server.py`` applies DynamoDB requests
one at a time). The client is the standard library only (threads, ``http.client``, one
keep-alive connection per thread, like a browser's).

Exit status 0 when every check passes, 1 otherwise. Figures: docs/load.md.
"""
from __future__ import annotations

import argparse
import csv
import http.client
import json
import math
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOUSEHOLDS = ROOT / "site" / "data" / "households.csv"
REQUEST_TIMEOUT = 60.0
ATTEMPTS = 3  # a connection error is retried with the same Idempotency-Key, as the site's form does

# ---------------------------------------------------------------------------- payloads
# Realistic bodies, valid for the request schemas (functions/butler/web/schemas.py); the
# shapes follow tests/support/reports.py and tests/functional/test_complaints.py. Names
# and numbers are invented (139 0000 xxxx, as the demo data).
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
REPAIRS = [  # (category, weight, home descriptions, public descriptions)
    ("plumbing", 24, ["厨房水龙头关不紧，一直滴水。", "卫生间下水堵塞，洗澡时地漏积水。",
                      "马桶水箱一直漏水，冲水按钮失灵。"], ["2单元地下室水管有渗水，地面潮湿。"]),
    ("electrical", 16, ["客厅插座没电，跳闸后合不上。", "卧室顶灯开关坏了，按下去没反应。"],
     ["楼道声控灯不亮，晚上很黑。", "地库B区照明有三盏灯闪烁。"]),
    ("doors_windows", 12, ["入户门锁芯卡住，钥匙转不动。", "阳台推拉窗关不严，下雨往里进水。"],
     ["单元门禁刷卡没反应，门关不上。"]),
    ("walls_ceilings", 10, ["卫生间天花板渗水，楼上可能漏水。", "次卧墙面开裂，裂缝越来越长。"],
     ["顶楼楼梯间墙皮大面积脱落。"]),
    ("elevator", 8, [], ["电梯运行时有异响，停靠不平。", "电梯按钮失灵，按了不亮。"]),
    ("public_facilities", 14, [], ["楼道灯不亮，晚上很黑。", "小区东门健身器材螺丝松动，有安全隐患。",
                                   "3号楼前井盖松动，踩上去会晃。"]),
    ("other", 6, ["空调外机支架生锈，担心掉落。"], ["快递柜旁的地砖翘起，容易绊倒。"]),
    ("flooding", 1, ["厨房水管爆裂，水已经流到客厅。"], ["地下车库大量积水，正在往里灌。"]),
    ("elevator_entrapment", 1, [], ["电梯停在两层之间，里面有人被困。"]),
]
PUBLIC_PLACES = ["{b}号楼{u}单元一楼楼道", "{b}号楼{u}单元电梯", "地下车库B区", "小区东门", "{b}号楼楼顶"]
HOME_SPOTS = ["厨房", "卫生间", "客厅", "主卧", "阳台", ""]
TIMES = ["工作日晚上", "周末上午", "随时可以", "", "下午两点以后"]
CASES = [  # (kind, topic, descriptions)
    ("complaint", "cleaning", ["5号楼垃圾桶三天没清运，味道很大。", "楼道里堆放杂物一个多月没人清理。"]),
    ("complaint", "parking", ["地库我的车位经常被外来车辆占用。", "小区主干道晚上乱停车，消防通道被堵。"]),
    ("complaint", "neighbours", ["楼上装修周末早上七点就开始电钻施工。", "邻居家的狗每天深夜叫，影响休息。"]),
    ("complaint", "service_attitude", ["前台工作人员接电话时态度很不耐烦。"]),
    ("inquiry", "fees", ["今年物业费的收费标准有没有调整？", "物业费能不能按季度缴纳？"]),
    ("inquiry", "security", ["访客车辆进小区需要怎么登记？", "门禁卡丢失后如何补办，需要多少钱？"]),
    ("inquiry", "activities", ["国庆节的社区活动在哪里报名？"]),
    ("suggestion", "greening", ["建议在中心花园增加几张休息长椅。", "小区南侧绿化带可以多种一些树遮阴。"]),
    ("suggestion", "facilities", ["建议在单元门口加装电动车充电桩。"]),
    ("suggestion", "other", ["建议在公告栏同时发布电子版通知。"]),
]


def households() -> list[str]:
    with open(HOUSEHOLDS, encoding="utf-8", newline="") as handle:
        return [row["unit"] for row in csv.DictReader(handle)]


def payloads(count: int, seed: int = 7) -> list[tuple[str, dict[str, Any]]]:
    """``count`` (path, body) pairs: 60 % repair reports, 40 % inquiries, complaints and
    suggestions, from the estate's households."""
    rng = random.Random(seed)
    units = households()
    weights = [w for _, w, _, _ in REPAIRS]
    out: list[tuple[str, dict[str, Any]]] = []
    for n in range(count):
        name = rng.choice(SURNAMES) + rng.choice(["先生", "女士"])
        phone = f"1390000{n % 10000:04d}"
        if rng.random() < 0.6:
            category, _, home, public = rng.choices(REPAIRS, weights)[0]
            at_home = bool(home) and (not public or rng.random() < 0.7)
            unit = rng.choice(units)
            building, entrance = unit.split("-")[:2]
            body: dict[str, Any] = {
                "category": category,
                "urgency": "urgent" if rng.random() < 0.15 else "normal",
                "location_type": "home" if at_home else "public",
                "description": rng.choice(home if at_home else public),
                "contact_name": name,
                "contact_phone": phone,
            }
            if at_home:
                body.update(unit=unit, location=rng.choice(HOME_SPOTS))
            else:
                body["location"] = rng.choice(PUBLIC_PLACES).format(b=building, u=entrance)
            if preferred := rng.choice(TIMES):
                body["preferred_time"] = preferred
            out.append(("/api/repairs", body))
        else:
            kind, topic, texts = rng.choice(CASES)
            body = {"kind": kind, "topic": topic, "description": rng.choice(texts)}
            if kind != "suggestion" or rng.random() < 0.5:  # suggestions may be anonymous
                body.update(contact_name=name, contact_phone=phone)
            out.append(("/api/complaints", body))
    return out


# ---------------------------------------------------------------------------- the stack (child process)
class _LineSink:
    """A stream that hands each complete line to ``on_line``."""

    def __init__(self, on_line):
        self._on_line = on_line
        self._buffer = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._buffer += text
            *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self._on_line(line)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


@dataclass
class _ServerStats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    invocations: dict[str, list[tuple[float, float, float, int]]] = field(
        default_factory=lambda: defaultdict(list))  # function → (wall, cpu, dynamodb wall, dynamodb calls)
    queued: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # waits for the instance
    calls: Counter = field(default_factory=Counter)  # (function, operation) → DynamoDB calls
    moto_actions: Counter = field(default_factory=Counter)
    moto_busy: float = 0.0  # seconds moto spent applying DynamoDB requests (lock held)
    moto_wait: float = 0.0  # seconds DynamoDB requests waited for the lock
    log_lines: Counter = field(default_factory=Counter)  # service → JSON log lines
    log_bytes: Counter = field(default_factory=Counter)  # service → bytes (line + newline)
    front_lines: int = 0
    alerts: int = 0
    errors: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    cpu_started: float = field(default_factory=time.process_time)

    def summary(self) -> dict[str, Any]:
        with self.lock:
            wall = time.perf_counter() - self.started
            functions = {}
            for name, rows in self.invocations.items():
                walls = [r[0] * 1000 for r in rows]
                cpus = [r[1] * 1000 for r in rows]
                dyn = [r[2] * 1000 for r in rows]
                functions[name] = {
                    "invocations": len(rows),
                    "wall_ms": distribution(walls), "cpu_ms": distribution(cpus),
                    "waited_for_instance_ms": distribution([q * 1000 for q in self.queued[name]]),
                    "dynamodb_ms": distribution(dyn),
                    "dynamodb_calls_per_invocation": round(sum(r[3] for r in rows) / len(rows), 3),
                    "dynamodb_calls": {op: n for (fn, op), n in sorted(self.calls.items()) if fn == name},
                }
            return {
                "window_s": round(wall, 3),
                "process_cpu_s": round(time.process_time() - self.cpu_started, 3),
                "functions": functions,
                "moto": {"requests": dict(self.moto_actions), "busy_s": round(self.moto_busy, 3),
                         "lock_wait_s": round(self.moto_wait, 3),
                         "busy_share_of_window": round(self.moto_busy / wall, 3) if wall else None},
                "logs": {"lines": dict(self.log_lines), "bytes": dict(self.log_bytes)},
                "front_log_lines": self.front_lines,
                "alerts": self.alerts,
                "errors": list(self.errors[-20:]),
                "error_count": len(self.errors),
            }


def _service_of(line: str) -> str:
    """The powertools service a JSON log line came from."""
    try:
        return json.loads(line).get("service", "?")
    except ValueError:
        return "?"


def serve(conn, schedule_every: int | None, mode: str, instances: int) -> None:
    """Child process: run the local stack, measured, until told to stop.

    How the API functions run (``mode``):

    - ``instances``: in ``instances`` worker processes, each handling one event at a time,
      as Lambda instances do (a function's instance never sees two events at once). The
      stream function and the schedules stay in the stack's process, as infra/local.py runs
      them.
    - ``serial``: in the stack's process, one API event at a time in all, as infra/local.py
      runs them (the handlers keep the current event in process-wide state, powertools'
      ``BaseRouter.current_event``, so the local front never runs two at once).
    """
    stats = _ServerStats()
    real_stderr = sys.stderr
    current = threading.local()

    def on_stdout(line: str) -> None:
        if line.startswith("{"):
            service = _service_of(line)
            with stats.lock:
                stats.log_lines[service] += 1
                stats.log_bytes[service] += len(line.encode("utf-8")) + 1
        elif line.startswith("ALERT: "):  # staff alerts (SNS), e.g. emergency reports
            with stats.lock:
                stats.alerts += 1
        elif line.strip():
            real_stderr.write(f"[stack] {line}\n")

    def on_stderr(line: str) -> None:
        if line.startswith("front: "):
            with stats.lock:
                stats.front_lines += 1
            return
        if line.strip():
            with stats.lock:
                stats.errors.append(line)
            real_stderr.write(f"[stack] {line}\n")

    warnings.filterwarnings("ignore", message="No application metrics to publish")  # the warm-up reads
    sys.stdout = _LineSink(on_stdout)  # powertools' loggers bind sys.stdout when created
    sys.stderr = _LineSink(on_stderr)

    from botocore.client import BaseClient
    from moto.dynamodb.responses import DynamoHandler

    from infra import moto_server
    from infra.local import LocalStack

    api_call = BaseClient._make_api_call

    def timed_api_call(self, operation_name, api_params):
        started = time.perf_counter()
        try:
            return api_call(self, operation_name, api_params)
        finally:
            invocation = getattr(current, "invocation", None)
            if invocation is not None and self.meta.service_model.service_name == "dynamodb":
                invocation["dynamodb"] += time.perf_counter() - started
                invocation["calls"].append(operation_name)

    BaseClient._make_api_call = timed_api_call

    site = Path(tempfile.mkdtemp(prefix="butler-load-site-"))  # /api/* only: no page is served
    stack = LocalStack(site, host="127.0.0.1", port=0, demo=False, schedule_every=schedule_every)
    loaded = stack.handler_for

    api_functions = {route.function for route in stack.routes}
    pool: dict[str, Any] = {}  # the worker processes, once the stack is up

    def record(logical_id: str, asked: float, wall: float, cpu: float, dynamodb: float,
               calls: list[str], logs: dict | None = None) -> None:
        with stats.lock:
            stats.invocations[logical_id].append((wall, cpu, dynamodb, len(calls)))
            stats.queued[logical_id].append(max(0.0, time.perf_counter() - asked - wall))
            for operation in calls:
                stats.calls[(logical_id, operation)] += 1
            for service, (lines, size) in (logs or {}).items():
                stats.log_lines[service] += lines
                stats.log_bytes[service] += size

    def timed_handler_for(logical_id: str):
        if logical_id in api_functions and mode == "instances":
            def remote(event, context):
                asked = time.perf_counter()
                result, wall, cpu, dynamodb, calls, logs = pool["executor"].submit(
                    _instance_invoke, logical_id, event, context).result()
                record(logical_id, asked, wall, cpu, dynamodb, calls, logs)
                return result

            return remote
        handler = loaded(logical_id)

        def timed(event, context):
            asked = time.perf_counter()
            current.invocation = invocation = {"dynamodb": 0.0, "calls": []}
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return handler(event, context)
            finally:
                wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
                current.invocation = None
                record(logical_id, asked, wall, cpu, invocation["dynamodb"], invocation["calls"])

        return timed

    stack.handler_for = timed_handler_for  # before start(): the stream pumps and schedules take it too
    stack.start()
    if mode == "instances":
        from concurrent.futures import ProcessPoolExecutor

        functions = [(spec.logical_id, spec.handler, str(spec.environment.get("POWERTOOLS_SERVICE_NAME", "")))
                     for spec in stack.specs if spec.logical_id in api_functions]
        pool["executor"] = ProcessPoolExecutor(
            instances, mp_context=multiprocessing.get_context("spawn"),
            initializer=_instance_init, initargs=(dict(os.environ), functions))
        # Start every instance (INIT: imports) before the run, as warm Lambda instances.
        pool["pids"] = set(pool["executor"].map(_instance_ready, range(instances * 4)))
    # moto server's DynamoDB lock (infra/moto_server.py) is in place once the stack has
    # started; time how long each request waits for it and holds it.
    locked_call = DynamoHandler.call_action
    lock = getattr(moto_server, "_lock", None) or threading.RLock()

    def timed_call_action(self):
        asked = time.perf_counter()
        with lock:  # re-entrant: the wrapped call takes it again at once
            got = time.perf_counter()
            try:
                return locked_call(self)
            finally:
                done = time.perf_counter()
                with stats.lock:
                    stats.moto_actions[self._get_action()] += 1
                    stats.moto_busy += done - got
                    stats.moto_wait += got - asked

    DynamoHandler.call_action = timed_call_action
    conn.send({"url": stack.url, "port": stack.port, "aws_endpoint": stack.aws_endpoint,
               "tables": stack.table_names, "region": os.environ.get("AWS_REGION"),
               "instances_started": len(pool.get("pids", ()))})
    while True:
        command = conn.recv()
        if command == "reset":
            with stats.lock:
                fresh = _ServerStats()
                for name in ("invocations", "queued", "calls", "moto_actions", "log_lines", "log_bytes", "errors"):
                    setattr(stats, name, getattr(fresh, name))
                stats.moto_busy = stats.moto_wait = 0.0
                stats.front_lines = stats.alerts = 0
                stats.started, stats.cpu_started = fresh.started, fresh.cpu_started
            conn.send("ok")
        elif command == "stats":
            conn.send(stats.summary())
        else:
            break
    if pool:
        pool["executor"].shutdown(wait=True, cancel_futures=True)
    stack.stop()
    conn.send("stopped")


# ---------------------------------------------------------------------------- instances (worker processes)
_INSTANCE: dict[str, Any] = {}


def _instance_init(environment: dict[str, str], functions: list[tuple[str, str, str]]) -> None:
    """A Lambda instance's INIT: the functions' environment, then their handler modules."""
    import importlib

    os.environ.clear()
    os.environ.update(environment)
    logs: Counter = Counter()
    sizes: Counter = Counter()
    real_stderr = sys.stderr

    def on_stdout(line: str) -> None:
        if line.startswith("{"):
            service = _service_of(line)
            logs[service] += 1
            sizes[service] += len(line.encode("utf-8")) + 1
        elif line.strip():
            real_stderr.write(f"[instance] {line}\n")

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    sys.stdout = _LineSink(on_stdout)
    from botocore.client import BaseClient

    api_call = BaseClient._make_api_call
    current: dict[str, Any] = {"dynamodb": 0.0, "calls": []}

    def timed_api_call(self, operation_name, api_params):
        started = time.perf_counter()
        try:
            return api_call(self, operation_name, api_params)
        finally:
            if self.meta.service_model.service_name == "dynamodb":
                current["dynamodb"] += time.perf_counter() - started
                current["calls"].append(operation_name)

    BaseClient._make_api_call = timed_api_call
    handlers = {}
    for logical_id, handler_path, service in functions:
        os.environ["POWERTOOLS_SERVICE_NAME"] = service  # each function's logger takes it at import
        module, attribute = handler_path.rsplit(".", 1)
        handlers[logical_id] = (getattr(importlib.import_module(module), attribute), service)
    _INSTANCE.update(handlers=handlers, current=current, logs=logs, sizes=sizes)


def _instance_ready(_: int) -> int:
    time.sleep(0.2)  # keeps this instance busy, so that the pool starts the others
    return os.getpid()


def _instance_invoke(logical_id: str, event: dict, context: Any) -> tuple:
    handler, service = _INSTANCE["handlers"][logical_id]
    os.environ["POWERTOOLS_SERVICE_NAME"] = service
    current, logs, sizes = _INSTANCE["current"], _INSTANCE["logs"], _INSTANCE["sizes"]
    current["dynamodb"], current["calls"] = 0.0, []
    logs.clear()
    sizes.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    result = handler(event, context)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return (result, wall, cpu, current["dynamodb"], list(current["calls"]),
            {name: (logs[name], sizes[name]) for name in logs})


class Stack:
    """The child process running the local stack."""

    def __init__(self, mode: str = "instances", instances: int = 4, schedule_every: int | None = None):
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        # Not a daemon: it starts the instance processes itself.
        self.process = context.Process(target=serve, args=(child, schedule_every, mode, instances))
        self.process.start()
        deadline = time.monotonic() + 180
        while not self._conn.poll(0.5):
            if not self.process.is_alive() or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("the local stack did not start (see [stack] lines above)")
        self.info = self._conn.recv()

    def ask(self, command: str) -> Any:
        self._conn.send(command)
        return self._conn.recv()

    def stop(self) -> None:
        try:
            self.ask("stop")
        except (EOFError, OSError):
            pass
        self.process.join(60)
        if self.process.is_alive():
            self.process.kill()


# ---------------------------------------------------------------------------- the client
@dataclass
class Sent:
    index: int
    path: str
    key: str
    status: int = 0
    seconds: float = 0.0
    reference: str | None = None
    token: str | None = None
    error: str | None = None
    attempts: int = 0


def send_all(url: str, work: list[tuple[int, str, dict, str]], concurrency: int) -> tuple[list[Sent], float]:
    """POST every (index, path, body, key) with ``concurrency`` threads, one keep-alive
    connection each; returns the results in ``work`` order and the wall time."""
    host, port = url.removeprefix("http://").split(":")
    queue = list(reversed(work))
    taken = threading.Lock()
    results: dict[int, Sent] = {}

    def worker() -> None:
        connection: http.client.HTTPConnection | None = None
        while True:
            with taken:
                if not queue:
                    break
                index, path, body, key = queue.pop()
            sent = Sent(index, path, key)
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key,
                       "Accept": "application/json", "User-Agent": "butler-bench-load"}
            started = time.perf_counter()
            for attempt in range(ATTEMPTS):  # the form resends with the same key (forms.js)
                sent.attempts = attempt + 1
                try:
                    if connection is None:
                        connection = http.client.HTTPConnection(host, int(port), timeout=REQUEST_TIMEOUT)
                    connection.request("POST", path, body=data, headers=headers)
                    response = connection.getresponse()
                    payload = response.read()
                except (OSError, http.client.HTTPException) as error:
                    sent.error = f"{type(error).__name__}: {error}"
                    if connection is not None:
                        connection.close()
                    connection = None
                    continue
                sent.status, sent.error = response.status, None
                if response.status == 201:
                    answer = json.loads(payload)
                    sent.reference, sent.token = answer.get("reference"), answer.get("token")
                else:
                    sent.error = payload[:300].decode("utf-8", "replace")
                if response.will_close:
                    connection.close()
                    connection = None
                break
            sent.seconds = time.perf_counter() - started
            results[index] = sent
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"client-{n}") for n in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return [results[index] for index, *_ in work], wall


def warm(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    for path in ("/api/repairs/R-0000-0000", "/api/complaints/C-0000-0000"):
        connection = http.client.HTTPConnection(host, int(port), timeout=REQUEST_TIMEOUT)
        connection.request("GET", path, headers={"Authorization": "Bearer warm-up"})
        status = connection.getresponse().status
        connection.close()
        if status != 404:
            raise RuntimeError(f"warm-up GET {path} answered {status}, not 404")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def distribution(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"p50": round(percentile(values, 50), 1), "p95": round(percentile(values, 95), 1),
            "p99": round(percentile(values, 99), 1), "max": round(max(values), 1),
            "mean": round(statistics.fmean(values), 1)}


# ---------------------------------------------------------------------------- checks
def scan(client, table: str, attributes: str) -> list[dict]:
    items, start = [], None
    while True:
        page = client.scan(TableName=table, ProjectionExpression="#a",
                           ExpressionAttributeNames={"#a": attributes},
                           **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def stored(info: dict) -> dict[str, Any]:
    import boto3

    client = boto3.client("dynamodb", endpoint_url=info["aws_endpoint"], region_name=info["region"],
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    tables = info["tables"]
    repairs = [i["reference"]["S"] for i in scan(client, tables["RepairsTable"], "reference")]
    complaints = [i["reference"]["S"] for i in scan(client, tables["ComplaintsTable"], "reference")]
    idempotency = [i["id"]["S"] for i in scan(client, tables["IdempotencyTable"], "id")]
    return {"repairs": repairs, "complaints": complaints, "idempotency": idempotency}


def check(results: list[Sent], records: dict[str, Any], expected: int) -> list[tuple[str, bool, str]]:
    references = records["repairs"] + records["complaints"]
    returned = [r.reference for r in results if r.reference]
    keys = [r.key for r in results]
    not_2xx = [r for r in results if not 200 <= r.status < 300]
    missing = set(returned) - set(references)
    return [
        ("every response 2xx (201)", not not_2xx,
         f"{len(not_2xx)} not 2xx" + (f", e.g. {not_2xx[0].status} {not_2xx[0].error}" if not_2xx else "")),
        (f"exactly {expected} case records", len(references) == expected,
         f"{len(records['repairs'])} repairs + {len(records['complaints'])} complaints = {len(references)}"),
        ("every stored reference distinct", len(set(references)) == len(references),
         f"{len(references) - len(set(references))} duplicates"),
        ("every returned reference distinct and stored", len(set(returned)) == len(returned) == expected
         and not missing, f"{len(returned)} returned, {len(set(returned))} distinct, {len(missing)} not stored"),
        ("one idempotency record per key", len(records["idempotency"]) == len(set(records["idempotency"]))
         == len(set(keys)) == expected,
         f"{len(records['idempotency'])} records for {len(set(keys))} keys"),
    ]


# ---------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--replay", type=int, default=100, help="requests re-sent with the same keys (0: none)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--instances", type=int, default=4,
                        help="worker processes running the API functions, one event at a time each, "
                             "as Lambda instances (default 4)")
    parser.add_argument("--mode", choices=("instances", "serial"), default="instances",
                        help="instances (default): the API functions in --instances worker processes; "
                             "serial: in the stack's process, one API event at a time, as infra/local.py runs them")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    started_at = datetime.now(UTC)
    stack = Stack(mode=args.mode, instances=args.instances)
    try:
        url = stack.info["url"]
        print(f"local stack up at {url} (moto {stack.info['aws_endpoint']}); "
              f"sending {args.submissions} submissions at concurrency {args.concurrency}", flush=True)
        work = [(n, path, body, str(uuid.uuid4())) for n, (path, body) in enumerate(payloads(args.submissions, args.seed))]
        # Lambda's first request pays the import (docs/cold-start.md); warm both functions
        # with a tracking read that finds nothing, so the run measures warm instances.
        warm(url)
        stack.ask("reset")
        cpu_before = os.times()
        results, wall = send_all(url, work, args.concurrency)
        cpu_after = os.times()
        server = stack.ask("stats")
        records = stored(stack.info)
        checks = check(results, records, args.submissions)

        replay: dict[str, Any] | None = None
        if args.replay:
            rng = random.Random(args.seed + 1)
            sample = rng.sample(work, min(args.replay, len(work)))
            again, replay_wall = send_all(url, sample, args.concurrency)
            first = {r.index: r for r in results}
            after = stored(stack.info)
            same = [r for r in again if r.status == 201 and r.reference == first[r.index].reference
                    and r.token == first[r.index].token]
            replay = {"sent": len(sample), "same_reference_and_token": len(same),
                      "different": [{"index": r.index, "path": r.path, "status": r.status, "error": r.error,
                                     "first_status": first[r.index].status,
                                     "same_reference": r.reference == first[r.index].reference}
                                    for r in again if r not in same][:10],
                      "wall_s": round(replay_wall, 3),
                      "latency_ms": distribution([r.seconds * 1000 for r in again]),
                      "records_after": len(after["repairs"]) + len(after["complaints"]),
                      "idempotency_records_after": len(after["idempotency"])}
            checks.append((f"replay of {len(sample)} with the same keys: same reference and token",
                           len(same) == len(sample), f"{len(same)} of {len(sample)} the same"))
            checks.append(("replay wrote no new record",
                           replay["records_after"] == args.submissions
                           and replay["idempotency_records_after"] == args.submissions,
                           f"{replay['records_after']} cases, {replay['idempotency_records_after']} idempotency records"))
    finally:
        stack.stop()
    load_after = os.getloadavg()

    latencies = [r.seconds * 1000 for r in results]
    by_path = defaultdict(list)
    for r in results:
        by_path[r.path].append(r.seconds * 1000)
    report = {
        "command": "bench/load.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": started_at.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in load_after]},
        "submissions": args.submissions,
        "concurrency": args.concurrency,
        "handlers": (f"{stack.info['instances_started']} instance processes, one event at a time each"
                     if args.mode == "instances"
                     else "in the stack process, one API event at a time"),
        "mix": {path: len(v) for path, v in by_path.items()},
        "statuses": dict(Counter(r.status for r in results)),
        "errors": sum(1 for r in results if not 200 <= r.status < 300),
        "connection_retries": sum(max(0, r.attempts - 1) for r in results),
        "failures": [{"index": r.index, "path": r.path, "status": r.status, "error": r.error,
                      "ms": round(r.seconds * 1000)} for r in results if not 200 <= r.status < 300][:20],
        "wall_s": round(wall, 3),
        "throughput_per_s": round(args.submissions / wall, 1),
        "latency_ms": distribution(latencies),
        "latency_ms_by_path": {path: distribution(v) for path, v in by_path.items()},
        "client_cpu_s": round((cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system), 2),
        "server": server,
        "replay": replay,
        "checks": [{"check": name, "passed": ok, "detail": detail} for name, ok, detail in checks],
        "passed": all(ok for _, ok, _ in checks),
    }
    print_report(report)
    if args.json_out:
        args.json_out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0 if report["passed"] else 1


def print_report(report: dict[str, Any]) -> None:
    lat = report["latency_ms"]
    print(f"\n{report['submissions']} submissions at concurrency {report['concurrency']} "
          f"({', '.join(f'{p}: {n}' for p, n in report['mix'].items())})")
    print(f"  statuses {report['statuses']}, errors {report['errors']}, "
          f"connection errors retried {report['connection_retries']}")
    print(f"  wall {report['wall_s']} s, throughput {report['throughput_per_s']} submissions/s")
    print(f"  latency (client) p50 {lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms, max {lat['max']} ms")
    server = report["server"]
    print(f"  server window {server['window_s']} s, stack process CPU {server['process_cpu_s']} s; "
          f"moto busy {server['moto']['busy_s']} s ({server['moto']['busy_share_of_window']:.0%} of the window), "
          f"lock wait {server['moto']['lock_wait_s']} s")
    for name, f in server["functions"].items():
        print(f"  {name}: {f['invocations']} invocations, wall p50 {f['wall_ms']['p50']} / p95 {f['wall_ms']['p95']} ms, "
              f"CPU p50 {f['cpu_ms']['p50']} ms, DynamoDB p50 {f['dynamodb_ms']['p50']} ms, "
              f"waited for the instance p50 {f['waited_for_instance_ms']['p50']} ms "
              f"({f['dynamodb_calls_per_invocation']} calls/invocation: {f['dynamodb_calls']})")
    print(f"  log lines {server['logs']['lines']}, bytes {server['logs']['bytes']}")
    if report["replay"]:
        r = report["replay"]
        print(f"  replay: {r['same_reference_and_token']}/{r['sent']} same, p50 {r['latency_ms']['p50']} ms, "
              f"cases after {r['records_after']}")
    print(f"  load average before {report['machine']['loadavg_before']}, after {report['machine']['loadavg_after']}")
    for c in report["checks"]:
        print(f"  [{'PASS' if c['passed'] else 'FAIL'}] {c['check']}: {c['detail']}")
    print("PASSED" if report["passed"] else "FAILED", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
