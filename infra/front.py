"""The local stand-in for CloudFront and API Gateway: one WSGI app, served by waitress.

CloudFront's cache behaviours in template.yaml decide what answers a path, in their order:
the site bucket (the default behaviour: only its ``AllowedMethods``, GET and HEAD, the rest
refused with CloudFront's own 403), ``/api/*`` (the API Gateway event of the route that
template.yaml declares, built by infra/apigw.py) and ``/photo-uploads/*`` (the presigned
request passed to the photos bucket). Every answer carries the response-headers policy.

HTTP itself (chunked bodies, Content-Length, pipelining, oversize bodies, 100-continue) is
waitress's, a maintained server, not code of ours (docs/decisions/0008-local-front-on-waitress.md).
What it refuses reaches the client as a 4xx in the API's error shape on ``/api/*`` and as a
plain page elsewhere, then the connection closes; never a dropped connection.
"""
from __future__ import annotations

import json
import logging
import mimetypes
import re
import sys
import threading
import traceback
import urllib.error
import urllib.request
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

import waitress
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.task import ErrorTask

from infra import apigw
from infra.template import Route, resources, security_headers

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024  # API Gateway refuses larger payloads; the front takes no larger body
CLOUDFRONT_DEFAULT_METHODS = ("GET", "HEAD")  # a cache behaviour without AllowedMethods
THREADS = 16  # static files and photos go on while API events wait for their turn (LocalStack.invoke)
CONNECTIONS = 256  # open at once; a burst beyond waits in the listen backlog (waitress: 1024)
# Not forwarded to the API: Host (AllViewerExceptHostHeader) and the hop-by-hop headers.
NOT_FORWARDED = frozenset({"host", "connection", "keep-alive", "proxy-connection", "te", "trailer",
                           "upgrade", "transfer-encoding", "expect"})

Answer = tuple[int, dict[str, str], bytes]
Invoke = Callable[[str, str, str, dict[str, str], bytes], Answer]

# What the front itself answers on /api/*: (code, message) by status, in the API's error shape.
REFUSALS = {
    400: ("BAD_REQUEST", "请求格式不正确，无法读取。请刷新页面后重试。"),
    404: ("ROUTE_NOT_FOUND", "没有这个接口。"),
    405: ("METHOD_NOT_ALLOWED", "这个接口不接受这种请求方式。"),
    413: ("PAYLOAD_TOO_LARGE", "提交的内容太大。"),
    431: ("HEADERS_TOO_LARGE", "请求头太大，无法处理。"),
    501: ("NOT_IMPLEMENTED", "不支持这种传输方式。"),
}
PAGES = {  # ... and elsewhere, as a plain page
    400: "请求格式不正确，无法读取。",
    403: "本站页面只能浏览，不接受这种请求方式。",
    413: "提交的内容太大。",
    431: "请求头太大，无法处理。",
    501: "不支持这种传输方式。",
    502: "服务暂时不可用，请稍后重试。",
}


@dataclass(frozen=True)
class Behaviour:
    """One CloudFront cache behaviour: a path pattern, its origin and its allowed methods."""
    pattern: re.Pattern[str]
    origin: str  # TargetOriginId: site, api or photos
    methods: frozenset[str]


def behaviours(template: dict[str, Any]) -> list[Behaviour]:
    """The distribution's cache behaviours in CloudFront's order (the default one last)."""
    (distribution,) = resources(template, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    ordered = [*config.get("CacheBehaviors", []), {**config["DefaultCacheBehavior"], "PathPattern": "*"}]
    # An origin group answers from its primary member; its failover (the not-found page for
    # a key the site bucket lacks) is what Front._static answers for a missing file.
    primary = {group["Id"]: group["Members"]["Items"][0]["OriginId"]
               for group in config.get("OriginGroups", {}).get("Items", [])}
    return [Behaviour(_path_pattern(b["PathPattern"]), primary.get(b["TargetOriginId"], b["TargetOriginId"]),
                      frozenset(b.get("AllowedMethods", CLOUDFRONT_DEFAULT_METHODS))) for b in ordered]


def _path_pattern(pattern: str) -> re.Pattern[str]:
    # CloudFront: ``*`` is any run of characters (slashes included), ``?`` exactly one; case-sensitive.
    if not pattern.startswith(("/", "*")):
        pattern = "/" + pattern
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(f"^{regex}$", re.DOTALL)


def gateway_response(template: dict[str, Any], kind: str) -> tuple[dict[str, str], bytes]:
    """Headers and body of one of the API's GatewayResponses (DEFAULT_4XX, DEFAULT_5XX …)."""
    (api,) = resources(template, "AWS::Serverless::Api").values()
    response = api["Properties"]["GatewayResponses"][kind]
    headers = {name: value.strip("'") for name, value in
               response.get("ResponseParameters", {}).get("Headers", {}).items()}
    return headers, response["ResponseTemplates"]["application/json"].encode("utf-8")


def api_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Answer:
    """An answer in the API's error shape (``ErrorOut`` in butler.web.schemas)."""
    body = {"error": {"code": code, "message": message, "fields": {}}}
    return status, {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store",
                    **(headers or {})}, json.dumps(body, ensure_ascii=False).encode("utf-8")


def plain_page(status: int, message: str) -> Answer:
    title = f"{status} {message}"
    body = (f'<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body><h1>{message}</h1><p><a href="/">返回首页</a></p></body></html>\n')
    return status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}, body.encode("utf-8")


class Front:
    """The WSGI app: CloudFront's behaviours, API Gateway's routing, the buckets."""

    def __init__(self, template: dict[str, Any], site_dir: Path, routes: list[Route], invoke: Invoke,
                 photos_origin: Callable[[], str]):
        self.behaviours = behaviours(template)
        self.headers = security_headers(template)
        self.site_dir = site_dir
        self.routes = routes
        self.invoke = invoke  # one API event at a time: LocalStack.invoke serialises them
        self.photos_origin = photos_origin  # the photos bucket's URL, known once the stack runs
        self.gateway_4xx = gateway_response(template, "DEFAULT_4XX")
        self.gateway_5xx = gateway_response(template, "DEFAULT_5XX")
        self._origins: dict[str, Callable[[str, str, dict[str, Any]], Answer]] = {
            "site": self._static, "api": self._api, "photos": self._photos}
        unknown = {b.origin for b in self.behaviours} - set(self._origins)
        if unknown:
            raise ValueError(f"template.yaml has cache behaviours for origins the local front lacks: {unknown}")

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = _text(environ.get("PATH_INFO", "/"))
        try:
            status, headers, body = self.answer(method, path, environ)
        except Exception:  # a bug here: answer like a failing origin, never drop the connection
            traceback.print_exc()
            status, headers, body = self._failure(path)
        self.log(method, path, status)
        start_response(f"{status} {_reason(status)}", list(self.finish(headers, body).items()))
        return [b"" if method == "HEAD" else body]

    def answer(self, method: str, path: str, environ: dict[str, Any]) -> Answer:
        behaviour = self.behaviour(path)
        if behaviour.origin == "api":  # API Gateway decides (405 below, for any method)
            return self._api(method, path, environ)
        if method not in behaviour.methods:  # CloudFront's own answer: 403 (Invalid method)
            return plain_page(403, PAGES[403])
        return self._origins[behaviour.origin](method, path, environ)

    def behaviour(self, path: str) -> Behaviour:
        return next(b for b in self.behaviours if b.pattern.match(path))

    def finish(self, headers: dict[str, str], body: bytes) -> dict[str, str]:
        """Response headers as CloudFront sends them: the policy's headers win."""
        return {**headers, **self.headers, "Content-Length": str(len(body))}

    def refusal(self, status: int, path: str) -> Answer:
        """What the front answers when the request cannot be taken (waitress's refusals)."""
        if self.behaviour(path).origin == "api":
            if status in REFUSALS:
                return api_error(status, *REFUSALS[status])
            headers, body = self.gateway_4xx if status < 500 else self.gateway_5xx
            return status, {"Content-Type": "application/json; charset=utf-8", **headers}, body
        return plain_page(status, PAGES.get(status, PAGES[400]))

    def log(self, method: str, path: str, status: int) -> None:
        # Method, path without query, status: never headers or bodies (tokens, phone numbers).
        sys.stderr.write(f'front: "{_printable(method)} {_printable(path)}" {status}\n')

    # ------------------------------------------------------------------ origins
    def allowed(self, path: str) -> list[str]:
        """The methods template.yaml declares on this path (empty: no such resource)."""
        return sorted({route.method for route in self.routes if apigw.match([route], route.method, path)})

    def _api(self, method: str, path: str, environ: dict[str, Any]) -> Answer:
        declared = self.allowed(path)
        if not declared:
            return api_error(404, *REFUSALS[404])
        if method not in declared:
            return api_error(405, *REFUSALS[405], headers={"Allow": ", ".join(declared)})
        body = environ["wsgi.input"].read()  # waitress has read all of it (chunked or not), within the limit
        return self.invoke(method, path, environ.get("QUERY_STRING", ""), _request_headers(environ), body)

    def _photos(self, method: str, path: str, environ: dict[str, Any]) -> Answer:
        """CloudFront's /photo-uploads/* behaviour: pass the presigned request to the bucket."""
        raw_path = urlsplit(environ.get("REQUEST_URI") or path).path  # as signed: still percent-encoded
        body = environ["wsgi.input"].read() or None
        forwarded = {name: value for name, value in _request_headers(environ).items()
                     if name.lower() in ("content-type", "content-length")}
        request = urllib.request.Request(f"{self.photos_origin()}{raw_path}?{environ.get('QUERY_STRING', '')}",
                                         data=body, method=method, headers=forwarded)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                kept = {k: v for k, v in response.headers.items() if k.lower() in ("content-type", "etag")}
                return response.status, kept, response.read()
        except urllib.error.HTTPError as error:
            return error.code, {"Content-Type": "application/xml"}, error.read()

    def _static(self, method: str, path: str, environ: dict[str, Any]) -> Answer:
        # Same mapping as the CloudFront function: /x/ and /x serve /x/index.html.
        site = self.site_dir.resolve()
        relative = path.lstrip("/")
        if path.endswith("/"):
            relative += "index.html"
        elif "." not in path.rsplit("/", 1)[-1]:
            relative += "/index.html"
        try:
            target = (site / relative).resolve()
            found = site in target.parents and target.is_file()
        except (ValueError, OSError):  # a NUL byte, a name too long: no such object in the bucket
            found = False
        if not found:  # S3 answers 403 for a missing key; the distribution answers the 404 page
            missing = site / "404.html"
            body = missing.read_bytes() if missing.is_file() else "未找到页面".encode()
            return 404, {"Content-Type": "text/html; charset=utf-8"}, body
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        return 200, {"Content-Type": content_type, "Cache-Control": "no-cache"}, target.read_bytes()

    def _failure(self, path: str) -> Answer:
        if self.behaviour(path).origin == "api":
            headers, body = self.gateway_5xx
            return 502, {"Content-Type": "application/json; charset=utf-8", **headers}, body
        return plain_page(502, PAGES[502])


def _text(wsgi_path: str) -> str:
    """PATH_INFO is the decoded path's bytes as latin-1 (PEP 3333); the path as text."""
    return wsgi_path.encode("latin-1").decode("utf-8", errors="replace")


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _reason(status: int) -> str:
    return HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Unknown"


def _request_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers as the API event carries them (Idempotency-Key, Content-Type …)."""
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            key = key[5:]
        elif key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            continue
        name = "-".join(part.capitalize() for part in key.split("_"))
        if name.lower() not in NOT_FORWARDED:
            headers[name] = value
    return headers


# ---------------------------------------------------------------------- the server
class _Parser(HTTPRequestParser):
    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        # Both framings at once is the classic smuggling request (RFC 9112 §6.3 lets a server
        # refuse it, and it must close the connection either way): refuse it.
        if self.chunked and "CONTENT_LENGTH" in self.headers:
            raise ParsingError("Content-Length together with Transfer-Encoding")


class _ErrorTask(ErrorTask):
    """waitress's refusals (400, 413, 431, 501) in the front's shapes, then the connection closes."""

    def execute(self) -> None:
        front: Front = self.channel.server.front
        error = self.request.error
        path = _text(getattr(self.request, "path", None) or "/")
        status, headers, body = front.refusal(error.code, path)
        front.log(getattr(self.request, "command", None) or "-", path, status)
        self.status = f"{status} {_reason(status)}"
        self.response_headers.extend((k, v) for k, v in front.finish(headers, body).items() if k != "Content-Length")
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    parser_class = _Parser
    error_task_class = _ErrorTask


class Served:
    """``front`` served on host:port by waitress in a background thread until ``stop()``."""

    def __init__(self, front: Front, host: str, port: int):
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # a queued burst is expected, not news
        self._server = waitress.create_server(
            front, host=host, port=port, threads=THREADS, connection_limit=CONNECTIONS,
            max_request_body_size=API_GATEWAY_MAX_BODY + 1,  # waitress refuses from this size on
            ident="butler-local", asyncore_use_poll=True)
        self._server.channel_class = _Channel
        self._server.front = front  # for _ErrorTask (waitress wraps the app it serves)
        self.port: int = self._server.effective_port
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="front", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        sockets = self._server._map
        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.5, map=sockets, use_poll=True, count=1)
        self._server.task_dispatcher.shutdown()
        wasyncore.close_all(sockets)

    def stop(self) -> None:
        self._stopping.set()
        self._server.pull_trigger()  # wake the loop
        self._thread.join(timeout=10)


def serve(front: Front, host: str = "127.0.0.1", port: int = 0) -> Served:
    return Served(front, host, port)
