"""What of infra/waf.yaml can be checked without AWS WAF, and how many valid requests would trip it.

AWS publishes what each managed rule looks for, not its patterns. Some conditions are exact
(sizes, a method, a header's absence); for the rest (cross-site scripting, path traversal,
remote file inclusion, metadata SSRF, Log4j lookups, Java serialised objects) this module
checks the documented indicator, which is a lower bound of what the real rule matches. Each
condition says which it is (``exact``). docs/operations.md records the figures and the limits.

The corpus is valid requests only, as the site sends them (UTF-8 JSON, a browser's
User-Agent, a tracking token in Authorization): every positive example Schemathesis generates
from the API's OpenAPI document (what the fuzz run sends, ``tests/support/fuzz.py``), the
load test's resident submissions (``bench/load.py``), and a GET of every page and file of
the built site, if there is one. Photo uploads are outside both managed groups (their scope
excludes ``/photo-uploads/``).

    python -m infra.waf_rules --examples 200     # the table in docs/operations.md
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote_plus, urlencode

from infra.template import ROOT

BROWSER = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"
API_BODY_LIMIT = 16 * 1024  # infra/waf.yaml ApiBodyBytes, the API's MAX_BODY_BYTES


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def text(self, *parts: str) -> str:
        """The named parts as WAF's URL_DECODE + LOWERCASE transformations would see them."""
        values = {"path": self.path, "query": self.query, "body": self.body.decode("utf-8", "replace"),
                  "headers": "\n".join(self.headers.values())}
        return "\n".join(unquote_plus(values[p]).lower() for p in parts)


@dataclass(frozen=True)
class Condition:
    rule: str  # the managed rule's name (or ours)
    blocks: bool  # False: counted only (infra/waf.yaml overrides it to Count)
    exact: bool  # True: the documented condition itself; False: its documented indicator only
    matches: Callable[[Request], bool]


_XSS = re.compile(r"<\s*(script|iframe|svg|img|body|object|embed)\b|javascript\s*:|\bon[a-z]+\s*=")
_RFI = re.compile(r"https?://\d{1,3}(\.\d{1,3}){3}")
_RESTRICTED = (".log", ".ini", ".bak", ".conf", ".cfg", ".backup", ".config", ".sql")

CONDITIONS = (
    # AWSManagedRulesCommonRuleSet
    Condition("NoUserAgent_HEADER", True, True, lambda r: not r.headers.get("User-Agent")),
    Condition("SizeRestrictions_QUERYSTRING", True, True, lambda r: len(r.query.encode()) > 2048),
    Condition("SizeRestrictions_Cookie_HEADER", True, True, lambda r: len(r.headers.get("Cookie", "").encode()) > 10240),
    Condition("SizeRestrictions_URIPATH", True, True, lambda r: len(r.path.encode()) > 1024),
    Condition("SizeRestrictions_BODY", False, True, lambda r: len(r.body) > 8192),
    Condition("EC2MetaDataSSRF_*", True, False, lambda r: "169.254.169.254" in r.text("path", "query", "body")),
    Condition("GenericLFI_*", True, False, lambda r: "../" in r.text("path", "query", "body")
              or "..\\" in r.text("path", "query", "body")),
    Condition("RestrictedExtensions_*", True, False, lambda r: r.path.lower().endswith(_RESTRICTED)),
    Condition("GenericRFI_*", True, False, lambda r: bool(_RFI.search(r.text("path", "query", "body")))),
    Condition("CrossSiteScripting_*", True, False, lambda r: bool(_XSS.search(r.text("path", "query", "body")))),
    # AWSManagedRulesKnownBadInputsRuleSet
    Condition("PROPFIND_METHOD", True, True, lambda r: r.method == "PROPFIND"),
    Condition("Host_localhost_HEADER", True, False, lambda r: r.headers.get("Host", "").split(":")[0] == "localhost"),
    Condition("Log4JRCE_*", True, False, lambda r: "${jndi:" in r.text("path", "query", "body", "headers")),
    Condition("JavaDeserializationRCE_*", True, False, lambda r: any(
        marker in r.text("path", "query", "body", "headers") for marker in ("ro0ab", "aced0005", "java.lang.runtime"))),
    Condition("ExploitablePaths_URIPATH", True, False, lambda r: any(
        part in r.path.lower() for part in ("/.git", "/web-inf", "/meta-inf", "/actuator"))),
    # ours
    Condition("api-body-too-large", True, True, lambda r: r.path.startswith("/api/") and len(r.body) > API_BODY_LIMIT),
)


def tripped(request: Request) -> list[str]:
    return [c.rule for c in CONDITIONS if c.matches(request)]


def _json_request(method: str, path: str, body: Any, headers: dict[str, str] | None = None,
                  query: dict[str, Any] | None = None) -> Request:
    sent = {"User-Agent": BROWSER, "Host": "wuye.example.cn", **(headers or {})}
    data = b""
    if body is not None:
        sent["Content-Type"] = "application/json"
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")  # as JSON.stringify sends it
    return Request(method, path, urlencode(query or {}, doseq=True), sent, data)


def schemathesis_requests(examples: int, seed: int = 0) -> list[Request]:
    """Positive examples of every operation, generated offline from the OpenAPI document."""
    import hypothesis
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode
    from schemathesis.core import NotSet

    from butler.web.routes.docs import openapi_document

    schema = schemathesis.openapi.from_dict(json.loads(openapi_document()))
    made: list[Request] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate])
        @hypothesis.seed(seed)
        def collect(case: Any) -> None:
            headers = {k: str(v) for k, v in (case.headers or {}).items()}
            body = None if isinstance(case.body, NotSet) else case.body
            made.append(_json_request(case.method.upper(), case.formatted_path, body, headers, case.query))

        collect()
    return made


def largest_bodies() -> list[Request]:
    """Each operation's body at its largest: every property present, every string at its
    maxLength in a 3-byte character (Chinese in UTF-8), arrays at maxItems. An upper bound of
    what a valid body weighs, whatever the patterns allow."""
    from butler.web.routes.docs import openapi_document

    document = json.loads(openapi_document())

    def largest(schema: dict[str, Any]) -> Any:
        if "$ref" in schema:
            return largest(document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
        for combined in ("anyOf", "oneOf", "allOf"):
            if combined in schema:
                options = [largest(s) for s in schema[combined] if s.get("type") != "null"]
                return max(options, key=lambda v: len(json.dumps(v, ensure_ascii=False).encode())) if options else None
        kind = schema.get("type")
        if kind == "object":
            return {name: largest(s) for name, s in schema.get("properties", {}).items()}
        if kind == "array":
            return [largest(schema.get("items", {}))] * schema.get("maxItems", 1)
        if kind == "string":
            if "enum" in schema:
                return max(schema["enum"], key=len)
            return "修" * schema.get("maxLength", 64)
        return schema.get("maximum", 0) if kind in ("integer", "number") else True

    made = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                made.append(_json_request(method.upper(), re.sub(r"\{\w+\}", "R-20261204-0001", path),
                                          largest(content["schema"])))
    return made


def resident_submissions(count: int) -> list[Request]:
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    module = sys.modules.setdefault("bench_load", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    token = {"Authorization": "Bearer " + "A" * 32, "Idempotency-Key": "9f1c2d3e-4b5a-6789-abcd-ef0123456789"}
    return [_json_request("POST", path, body, token) for path, body in module.payloads(count)]


def site_requests(site: Path = ROOT / "build" / "site") -> list[Request]:
    return [_json_request("GET", "/" + path.relative_to(site).as_posix(), None)
            for path in sorted(site.rglob("*")) if path.is_file()] if site.is_dir() else []


def measure(corpora: dict[str, list[Request]]) -> dict[str, Counter]:
    return {name: Counter(rule for request in requests for rule in tripped(request))
            for name, requests in corpora.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Valid requests that would trip the checkable WAF conditions.")
    parser.add_argument("--examples", type=int, default=200, help="Schemathesis examples per operation")
    parser.add_argument("--submissions", type=int, default=2000, help="resident submissions from bench/load.py")
    parser.add_argument("--site-dir", type=Path, default=ROOT / "build" / "site")
    args = parser.parse_args(argv)
    corpora = {"schemathesis": schemathesis_requests(args.examples), "largest bodies": largest_bodies(),
               "residents": resident_submissions(args.submissions), "site": site_requests(args.site_dir)}
    counts = measure(corpora)
    print("| condition | exact? | blocks? | " + " | ".join(f"{n} ({len(r)})" for n, r in corpora.items()) + " |")
    print("|---|---|---|" + "---|" * len(corpora))
    for condition in CONDITIONS:
        cells = " | ".join(str(counts[name][condition.rule]) for name in corpora)
        print(f"| `{condition.rule}` | {'yes' if condition.exact else 'indicator'} | "
              f"{'yes' if condition.blocks else 'count'} | {cells} |")
    sizes = [len(r.body) for r in corpora["largest bodies"]]
    print(f"\nlargest valid body: {max(sizes)} bytes; schemathesis bodies: "
          f"{max(len(r.body) for r in corpora['schemathesis'])} bytes at most")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
