"""Turn an HTTP request into the event API Gateway (REST, proxy integration) sends.

One builder for the local front and the tests, so both exercise the same shape.
"""
from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from infra.template import Route


@dataclass(frozen=True)
class Match:
    route: Route
    path_parameters: dict[str, str]


def _pattern(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return re.compile(f"^{regex}$")


def match(routes: list[Route], method: str, path: str) -> Match | None:
    """The route for ``method`` and ``path``; literal paths win over parameterised ones."""
    candidates = sorted(routes, key=lambda r: r.path.count("{"))
    for route in candidates:
        if route.method != method.upper():
            continue
        found = _pattern(route.path).match(path)
        if found:
            return Match(route, found.groupdict())
    return None


def build_event(method: str, path: str, *, headers: dict[str, str] | None = None,
                body: bytes | str | None = None, query: str = "", resource: str | None = None,
                path_parameters: dict[str, str] | None = None, stage: str = "prod",
                source_ip: str = "127.0.0.1") -> dict[str, Any]:
    headers = dict(headers or {})
    multi_query = parse_qs(query, keep_blank_values=True) if query else None
    if isinstance(body, bytes):
        try:
            text_body: str | None = body.decode("utf-8")
            encoded = False
        except UnicodeDecodeError:
            text_body, encoded = base64.b64encode(body).decode("ascii"), True
    else:
        text_body, encoded = body, False
    now = time.time()
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method.upper(),
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} if multi_query else None,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path,
            "httpMethod": method.upper(),
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(now * 1000),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")},
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1",
        },
        "body": text_body,
        "isBase64Encoded": encoded,
    }


def event_for(routes: list[Route], method: str, path: str, **kwargs: Any) -> tuple[Match | None, dict]:
    found = match(routes, method, path)
    event = build_event(method, path,
                        resource=found.route.path if found else None,
                        path_parameters=found.path_parameters if found else None, **kwargs)
    return found, event


@dataclass
class FakeLambdaContext:
    """What Lambda hands each invocation: the function's own name and ARN, a fresh request
    id. The functions take their idempotency namespace from the name and their log lines
    carry all three (``butler.web.idempotency.key_prefix``, ``butler.web.logs``), so every
    local invocation gets its own, as in Lambda."""

    function_name: str = "local"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    aws_request_id: str = ""
    timeout_ms: int = 10_000

    def __post_init__(self) -> None:
        self.invoked_function_arn = (self.invoked_function_arn
                                     or f"arn:aws:lambda:ap-east-1:123456789012:function:{self.function_name}")
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self._deadline = time.time() * 1000 + self.timeout_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline - time.time() * 1000))
