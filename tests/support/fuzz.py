"""Schemathesis against a running local stack, from the OpenAPI document it serves.

First the coverage cases of every operation (schemathesis's coverage phase: boundary
values, each constraint broken in turn, missing parts, other methods on the path) and the
hostile bodies of ``tests/support/hostile.py`` (deep nesting, huge numbers …) on every
operation that takes a body, then every operation is fuzzed, positive and negative cases, in two profiles:

* ``schema``: whatever the document allows or forbids (references, tokens and
  Idempotency-Keys as schemathesis makes them up: mostly 400, 401, 404, 422);
* ``resident``: the operations behind the tracking token on real cases in several states
  (opened through the API, moved on with the staff CLI) with their real tokens, the
  short-code exchange on real phone reports (taken with the staff CLI, which issues each
  a fresh one-time code) with their codes, and the survey with real invitation codes, so
  the 200 and 201 answers are checked too.

Each response goes through the checks of ``CHECK_NAMES``; a failure is recorded (the
first example per operation and kind) and the run goes on, so one run reports everything.
Used by ``tests/e2e/test_api_fuzz.py`` (fixed seed, bounded count) and ``bench/fuzz.py``
(long runs).
"""
from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import math
import os
import re
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

import hypothesis
import hypothesis.errors
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import Failure, FailureGroup

from tests.support import hostile

CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
TIMEOUT = 30
OTHER_METHODS = "other methods on the API's paths"
PHONE_CODE_PATH = "/phone-code"


@dataclass(frozen=True)
class ResidentCase:
    """A real case on the stack and its tracking token."""

    kind: str        # "repairs" or "complaints" (the path segment)
    reference: str
    token: str
    state: str
    only: str = ""   # kept for the step of this name ("rating" …), so that it finds the case ready

    def serves(self, path: str) -> bool:
        return f"/api/{self.kind}/" in path and (not self.only or path.endswith("/" + self.only))


@dataclass(frozen=True)
class PhoneReport:
    """A case taken by phone with the staff CLI: its reference and the one-time short code
    staff read to the caller (``token``: what the code opens, for the log guard)."""

    kind: str        # "repairs" or "complaints" (the path segment)
    reference: str
    code: str
    token: str

    def serves(self, path: str) -> bool:
        return path.startswith(f"/api/{self.kind}/") and path.endswith(PHONE_CODE_PATH)


@dataclass
class FuzzReport:
    operations: list[str]                                    # every operation of the document
    cases: Counter = field(default_factory=Counter)          # operation → cases sent
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    failures: dict[tuple[str, str], str] = field(default_factory=dict)  # (operation, kind) → first example
    failure_counts: Counter = field(default_factory=Counter)
    hostile: Counter = field(default_factory=Counter)         # operation → hostile bodies sent
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.cases.values())

    def summary(self) -> str:
        width = max(len(op) for op in [*self.operations, OTHER_METHODS])
        lines = [f"{'operation'.ljust(width)}  cases  statuses"]
        for op in [*self.operations, OTHER_METHODS]:
            seen = ", ".join(f"{code}×{n}" for code, n in sorted(self.statuses[op].items()))
            lines.append(f"{op.ljust(width)}  {self.cases[op]:5d}  {seen}")
        lines.append(f"hostile bodies (tests/support/hostile.py): {sum(self.hostile.values())} "
                     f"on {len(self.hostile)} operations")
        lines.append(f"{len(self.operations)} operations, {self.total} cases in {self.seconds:.1f} s, "
                     f"{len(self.failures)} distinct failures ({sum(self.failure_counts.values())} in all)")
        for (op, kind), example in sorted(self.failures.items()):
            lines.append(f"FAILURE {op}: {kind} ×{self.failure_counts[(op, kind)]}\n{example}")
        return "\n".join(lines)


def load_schema(base_url: str) -> Any:
    return schemathesis.openapi.from_url(f"{base_url}/api/openapi.json", config=schemathesis.Config(),
                                         timeout=TIMEOUT)


def operations_of(schema: Any) -> list[Any]:
    found = []
    for result in schema.get_all_operations():
        found.append(result.ok())  # an operation the loader cannot read is an error in the document
    return found


def secured(operation: Any) -> bool:
    return bool(operation.definition.raw.get("security"))


def run(base_url: str, *, cases: int, seed: int, residents: Residents | None = None,
        progress: Callable[[str], None] | None = None) -> FuzzReport:
    """Send the coverage cases of every operation, then fuzz until about ``cases`` requests
    were sent in all (fewer only if the last combinations run out of new requests), spread
    evenly over every operation, profile and generation mode. The same seed generates the
    same requests."""
    started = time.perf_counter()
    schema = load_schema(base_url)
    operations = operations_of(schema)
    report = FuzzReport(operations=[op.label for op in operations])
    checks = [getattr(schemathesis.checks, name) for name in CHECK_NAMES]
    plan: list[tuple[Any, str, Any]] = []
    for operation in operations:
        for mode in MODES:
            plan.append((operation, "schema", operation.as_strategy(generation_mode=mode)))
            if residents is None:
                continue
            mine = [r for r in residents.cases if r.serves(operation.path)]
            if mine and secured(operation):
                plan.append((operation, "resident", _resident_strategy(operation, mode, mine)))
            phoned = [p for p in residents.phone_reports if p.serves(operation.path)]
            if phoned:
                plan.append((operation, "resident", _with_phone_code(operation, mode, phoned)))
            if operation.path == "/api/surveys" and residents.survey_codes:
                plan.append((operation, "resident", _with_survey_code(operation, mode, residents.survey_codes)))
    with requests.Session() as session, _quiet("urllib3"):
        send = functools.partial(_send, base_url=base_url, session=session, checks=checks, report=report)
        for operation in operations:
            for case in _coverage_cases(schema, operation):
                send(case)
            for case in _hostile_cases(operation):
                send(case)
                report.hostile[operation.label] += 1
            if progress:
                progress(f"{operation.label} [coverage]: {report.cases[operation.label]} cases so far")
        for position, (operation, profile, strategy) in enumerate(plan):
            # What a combination cannot use (nothing to negate, say) goes to the ones after it.
            each = math.ceil((cases - report.total) / (len(plan) - position))
            if each > 0:
                _fuzz(strategy, each, seed, send)
            if progress:
                progress(f"{operation.label} [{profile}]: {report.cases[operation.label]} cases so far")
    report.seconds = time.perf_counter() - started
    return report


def _coverage_cases(schema: Any, operation: Any) -> Any:
    """Schemathesis's coverage phase: boundary values, each constraint broken in turn,
    missing parts, other methods on the path. Deterministic, no seed."""
    config = schema.config.generation_for(operation=operation, phase="coverage")
    return schema.iter_coverage_cases(operation, generation_modes=list(MODES), generation_config=config)


def _hostile_cases(operation: Any) -> list[Any]:
    """Each hostile body, sent as is (bytes are not serialised again), to an operation that
    takes a body; a well-formed reference and token, so that only the body is wrong."""
    if "requestBody" not in operation.definition.raw:
        return []
    path = {"reference": "R-7KQ4-M2XP"} if "{reference}" in operation.path else None
    return [operation.Case(body=body, media_type="application/json", path_parameters=path,
                           headers={"Authorization": "Bearer " + "x" * 32})
            for body in hostile.BODIES.values()]


def _resident_strategy(operation: Any, mode: GenerationMode, residents: list[ResidentCase]) -> Any:
    return st.sampled_from(residents).flatmap(lambda r: operation.as_strategy(
        generation_mode=mode, path_parameters={"reference": r.reference},
        headers={"Authorization": f"Bearer {r.token}"}))


def _with_phone_code(operation: Any, mode: GenerationMode, reports: list[PhoneReport]) -> Any:
    """A real phone report's reference; in a positive case its code too. Each code opens
    its case once: the first draw of a code is a 200, later ones the refusal (404). A
    negative case keeps the wrong body it was drawn with, against a real case."""
    def use(drawn: tuple[Any, PhoneReport]) -> Any:
        case, report = drawn
        if mode == GenerationMode.POSITIVE and isinstance(case.body, dict) and "code" in case.body:
            case.body["code"] = report.code
        return case

    return st.sampled_from(reports).flatmap(lambda r: st.tuples(operation.as_strategy(
        generation_mode=mode, path_parameters={"reference": r.reference}), st.just(r))).map(use)


def _with_survey_code(operation: Any, mode: GenerationMode, codes: list[str]) -> Any:
    def use(drawn: tuple[Any, str]) -> Any:
        case, code = drawn
        if isinstance(case.body, dict) and "code" in case.body:
            case.body["code"] = code
        return case

    return st.tuples(operation.as_strategy(generation_mode=mode), st.sampled_from(codes)).map(use)


def _send(case: Any, *, base_url: str, session: requests.Session, checks: list[Any], report: FuzzReport) -> None:
    """One request, its checks; a failure is recorded, never raised."""
    label = case.operation.label
    # Probes with a method the path does not have are kept apart from the operation's figures.
    key = label if case.method.upper() == case.operation.method.upper() else OTHER_METHODS
    response = case.call(base_url=base_url, session=session, timeout=TIMEOUT)
    report.cases[key] += 1
    report.statuses[key][response.status_code] += 1
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as group:
        for failure in group.exceptions:
            _record(report, f"{case.method.upper()} {case.operation.path}", failure, case, response)


def _fuzz(strategy: Any, examples: int, seed: int, send: Callable[[Any], None]) -> None:
    sent = 0

    @hypothesis.seed(seed)
    @settings(max_examples=examples, database=None, deadline=None, derandomize=False,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck),
              verbosity=Verbosity.quiet, report_multiple_bugs=False)
    @given(case=strategy)
    def one(case):
        nonlocal sent
        if sent >= examples:  # Hypothesis may ask for a few more; the budget is the budget
            return
        sent += 1
        send(case)

    try:
        one()
    except hypothesis.errors.Unsatisfiable:  # e.g. a negative case of a GET whose inputs are all fixed
        pass


def _record(report: FuzzReport, label: str, failure: Failure, case: Any, response: Any) -> None:
    kind = f"{failure.code} {failure.title}" if getattr(failure, "code", None) else failure.title
    key = (label, kind)
    report.failure_counts[key] += 1
    if key not in report.failures:
        body = response.text if len(response.text) < 600 else response.text[:600] + "…"
        report.failures[key] = (f"  {failure.message.strip()}\n"
                                f"  request: {case.method} {case.formatted_path} body={_short(case.body)}\n"
                                f"  response: {response.status_code} {body}")


def _short(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) < 300 else text[:300] + "…"


# ---------------------------------------------------------------- real cases to follow

REPAIR = {"category": "plumbing", "urgency": "normal", "location_type": "home", "unit": "3-2-1201",
          "location": "厨房", "description": "模糊测试：厨房水龙头关不紧，一直滴水。",
          "contact_name": "测试", "contact_phone": "021-55550000", "preferred_time": "工作日晚上"}
COMPLAINT = {"kind": "complaint", "topic": "neighbours", "description": "模糊测试：楼上深夜装修，电钻声很大。",
             "contact_name": "测试", "contact_phone": "021-55550000"}
BUTLER, TECHNICIAN, OWNER = "gj-li", "wx-wang", "kf-zhang"
_WORK = [["--as", BUTLER, "dispatch", "{ref}", "--technician", TECHNICIAN],
         ["--as", TECHNICIAN, "survey", "{ref}", "--survey-plan", "更换阀芯", "--materials-planned", "阀芯"],
         ["--as", TECHNICIAN, "start-repair", "{ref}"]]
_DONE = [["--as", TECHNICIAN, "complete", "{ref}", "--work-done", "更换阀芯并试水", "--materials-used", "阀芯",
          "--labour-minutes", "30"],
         ["--as", BUTLER, "accept", "{ref}", "--accepted-by", BUTLER]]
_CLAIM = [["--as", OWNER, "claim", "{ref}", "--owner", OWNER]]

_ANSWER = _CLAIM + [["--as", OWNER, "answer", "{ref}", "--reply", "已联系装修户，晚上八点后不再施工。"]]

# The states worth following: (kind, state, steps that bring a new case there, the only
# resident step it is kept for). Staff steps are butler-staff arguments; "resident" steps
# go through the API with the case's token.
STATES: list[tuple[str, str, list[list[str]], str]] = [
    ("repairs", "reported", [], ""),
    ("repairs", "in_repair", _WORK, ""),
    ("repairs", "accepted", _WORK + _DONE, "rating"),
    ("repairs", "accepted", _WORK + _DONE, "not-fixed"),
    ("repairs", "rated", _WORK + _DONE + [["resident", "rating", '{"rating": 4, "comment": "师傅很耐心"}']], ""),
    ("repairs", "merged", [["--as", BUTLER, "link", "{ref}", "--primary-reference", "{primary}"]], ""),
    ("complaints", "submitted", [], ""),
    ("complaints", "answered", _ANSWER, "satisfied"),
    ("complaints", "answered", _ANSWER, "not-satisfied"),
    ("complaints", "closed", _ANSWER + [["resident", "satisfied", '{"rating": 5}']], ""),
    ("complaints", "received", _ANSWER + [["resident", "not-satisfied", '{"reason": "晚上还在施工"}']], ""),
    ("complaints", "transferred", _CLAIM + [["--as", OWNER, "transfer", "{ref}", "--department", "security",
                                             "--promised-hours", "24"]], ""),
]
BODIES = {"repairs": REPAIR, "complaints": COMPLAINT}
SDK_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3")


# Reports taken by phone (butler-staff report / file): the CLI issues each a short code
# through butler.services.phone_codes and prints it with the reference and the full link.
PHONE_REPORTS = {
    "repairs": ["--as", OWNER, "report", "--source", "phone", "--category", "plumbing", "--unit", "3-2-1201",
                "--location", "厨房", "--description", "模糊测试：电话报修，厨房下水堵塞。",
                "--contact-name", "测试", "--contact-phone", "021-55550000"],
    "complaints": ["--as", OWNER, "file", "--source", "phone", "--kind", "complaint", "--topic", "neighbours",
                   "--description", "模糊测试：电话投诉，楼上深夜装修。", "--contact-name", "测试",
                   "--contact-phone", "021-55550000"],
}
_PRINTED = {"reference": re.compile(r"编号：([RC]-\w{4}-\w{4})"), "code": re.compile(r"短码：(\w{4}-\w{4})"),
            "token": re.compile(r"&token=(\S+)")}


@dataclass
class Residents:
    """What the ``resident`` profile follows: real cases, phone reports with unused short
    codes, and unused survey invitation codes."""

    cases: list[ResidentCase]
    survey_codes: list[str]
    phone_reports: list[PhoneReport] = field(default_factory=list)


def open_resident_cases(base_url: str, dynamodb_endpoint: str, table_prefix: str, *, copies: int = 2,
                        survey_codes: int = 40, phone_reports: int = 4) -> Residents:
    """``copies`` cases in each of ``STATES``, opened through the API and moved on with the
    staff CLI; ``phone_reports`` reports of each kind taken by phone with the staff CLI,
    each with its fresh short code; and a survey campaign with ``survey_codes``
    invitations. The tables are ``<table_prefix>-repairs`` and so on."""
    from butler.cli.main import main as staff_cli

    tables = ["--table", f"{table_prefix}-repairs", "--complaints-table", f"{table_prefix}-complaints"]

    def staff(argv: list[str]) -> str:
        printed, errors = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(errors):
            code = staff_cli(["--endpoint-url", dynamodb_endpoint, *tables, *argv])
        if code != 0:
            raise RuntimeError(f"staff step {argv[2]} failed ({code}): {errors.getvalue()[-300:]}")
        return printed.getvalue()

    found = []
    with _sdk_at(dynamodb_endpoint):
        for kind, state, steps, only in STATES:
            for _ in range(copies):
                created = _post(f"{base_url}/api/{kind}", BODIES[kind])
                reference, token = created["reference"], created["token"]
                for argv in steps:
                    if argv[0] == "resident":
                        _post(f"{base_url}/api/{kind}/{reference}/{argv[1]}", json.loads(argv[2]), token)
                        continue
                    if "{primary}" in argv:  # the shared fault's order this report is merged into
                        primary = _post(f"{base_url}/api/{kind}", BODIES[kind])["reference"]
                        argv = [primary if part == "{primary}" else part for part in argv]
                    staff([part.replace("{ref}", reference) for part in argv])
                found.append(ResidentCase(kind, reference, token, state, only))
        phoned = [_phone_report(kind, staff(argv)) for kind, argv in PHONE_REPORTS.items()
                  for _ in range(phone_reports)]
        codes = _open_survey(f"{table_prefix}-surveys", survey_codes)
    return Residents(found, codes, phoned)


def _phone_report(kind: str, printed: str) -> PhoneReport:
    """What the CLI printed for a phone report (butler.cli.commands._tracking)."""
    found = {name: pattern.search(printed) for name, pattern in _PRINTED.items()}
    missing = [name for name, match in found.items() if match is None]
    if missing:
        raise RuntimeError(f"the staff CLI printed no {', '.join(missing)} for a phone report")
    return PhoneReport(kind, **{name: match.group(1) for name, match in found.items()})


# The survey takes answers only for the current quarter's campaign (Beijing time): the fuzz
# run opens it, or adds its invitations to it when a test or an earlier run opened it.


def _open_survey(table: str, households: int) -> list[str]:
    from datetime import timedelta

    from butler.domain import surveys
    from butler.domain.timefmt import utc_now
    from butler.repository.surveys import SurveyRepository
    from butler.services.surveys import open_campaign

    now = utc_now()
    repo = SurveyRepository(table)
    codes = surveys.issue_codes(f"{b}-1-{r:02d}01" for b in range(1, 5) for r in range(1, households // 4 + 1))
    quarter = surveys.quarter_of(now)
    if repo.campaign(quarter) is None:
        opened = max(now - timedelta(days=1), surveys.quarter_bounds(quarter)[0])
        open_campaign(repo, quarter, codes, now=opened, opened_by=BUTLER)
    else:  # opened by a test or a second run on the same stack
        repo.add_invitations(quarter, ((unit, surveys.code_hash(code)) for unit, code in codes), now)
    return [code for _, code in codes]


@contextlib.contextmanager
def _quiet(name: str):
    """No DEBUG lines from ``name`` for a while: urllib3 logs every generated URL."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.setLevel(level)


@contextlib.contextmanager
def _sdk_at(endpoint: str):
    """This process's AWS SDKs at ``endpoint`` for a while (the staff CLI points them there too)."""
    saved = {name: os.environ.get(name) for name in SDK_VARIABLES}
    os.environ.update({name: endpoint for name in SDK_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _post(url: str, body: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode(), method="POST",
                                     headers=headers)
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return json.loads(response.read())
