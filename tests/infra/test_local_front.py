"""The local front (infra/front.py) answers like CloudFront and API Gateway over real
sockets: HTTP framing is waitress's, each malformed request gets an answer (never a dropped
connection), static pages take only the default behaviour's methods, and an undeclared
method on an API path is a 405 with ``Allow``. API events reach the handlers one at a time,
as one Lambda instance takes them (powertools keeps the current event in process state)."""
import http.client
import json
import socket
import threading
import time
from pathlib import Path

import pytest

from butler.web.schemas import ErrorOut
from infra import front
from infra.local import LocalStack
from infra.template import load_template, security_headers

SECURITY_HEADERS = security_headers(load_template())
PAGE = "<!doctype html><title>首页</title>"
MISSING = "<!doctype html><title>页面不存在</title>"


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


# ---------------------------------------------------------------------- over sockets
class Running:
    def __init__(self, stack: LocalStack, served: front.Served, events: list[dict]):
        self.stack, self.port, self.events = stack, served.port, events

    def send(self, raw: bytes, timeout: float = 20) -> tuple[list[tuple[int, dict[str, str], bytes]], bool]:
        """Write ``raw`` as is; every answer read until the server closes (or the timeout),
        and whether it closed."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as connection:
            connection.sendall(raw)
            data, closed = b"", False
            try:
                while chunk := connection.recv(65536):
                    data += chunk
                closed = True
            except (TimeoutError, ConnectionResetError):
                pass
        return parse(data), closed

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()


def parse(data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    answers = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
        length = int(headers.get("content-length", "0"))
        answers.append((int(status_line.split()[1]), headers, rest[:length]))
        data = rest[length:]
    return answers


@pytest.fixture
def running(tmp_path: Path):
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "404.html").write_text(MISSING, encoding="utf-8")
    (tmp_path / "repairs").mkdir()
    (tmp_path / "repairs" / "index.html").write_text(PAGE, encoding="utf-8")
    stack = LocalStack(tmp_path)
    events: list[dict] = []

    def handler(event, context):
        events.append(event)
        return {"statusCode": 201, "headers": {"Content-Type": "application/json"}, "body": "{}"}

    stack._handlers = {spec.logical_id: handler for spec in stack.specs}
    served = front.serve(stack.front_app(), "127.0.0.1", 0)
    yield Running(stack, served, events)
    served.stop()


def api_error(answer: tuple[int, dict[str, str], bytes]) -> dict:
    status, headers, body = answer
    assert headers["content-type"].startswith("application/json")
    return ErrorOut.model_validate_json(body).error.model_dump()


def has_security_headers(headers: dict[str, str]) -> bool:
    return all(headers.get(name.lower()) == value for name, value in SECURITY_HEADERS.items())


def test_a_chunked_body_is_one_request_and_nothing_in_it_runs_as_a_second(running):
    smuggled = b"GET /api/repairs/R-2026-0001 HTTP/1.1\r\nHost: x\r\n\r\n"
    raw = (b"POST /api/repairs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
           + b"%x\r\n%s\r\n" % (10, smuggled[:10]) + b"%x\r\n%s\r\n" % (len(smuggled) - 10, smuggled[10:])
           + b"0\r\n\r\n")

    answers, closed = running.send(raw)

    assert [status for status, _, _ in answers] == [201] and closed
    (event,) = running.events
    assert (event["httpMethod"], event["path"], event["body"]) == ("POST", "/api/repairs", smuggled.decode())
    assert "Transfer-Encoding" not in event["headers"]


def test_content_length_and_chunked_together_are_refused_and_the_connection_closed(running):
    raw = (b"POST /api/repairs HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"0\r\n\r\nGET /api/repairs/R-2026-0001 HTTP/1.1\r\nHost: x\r\n\r\n")

    answers, closed = running.send(raw)

    assert [status for status, _, _ in answers] == [400] and closed
    assert api_error(answers[0])["code"] == "BAD_REQUEST"
    assert running.events == []


@pytest.mark.parametrize("length", ["abc", "-1", "+4", "0x10", "4, 5"])
def test_a_bad_content_length_is_a_400_in_the_api_error_shape(running, length):
    raw = f"POST /api/repairs HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}".encode()

    answers, closed = running.send(raw)

    assert [status for status, _, _ in answers] == [400] and closed
    error = api_error(answers[0])
    assert error["code"] == "BAD_REQUEST" and error["message"]
    assert has_security_headers(answers[0][1])
    assert running.events == []


@pytest.mark.parametrize("length", ["abc", "-1"])
def test_a_bad_content_length_on_a_page_is_a_400_page(running, length):
    answers, closed = running.send(f"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode())

    ((status, headers, body),) = answers
    assert status == 400 and closed
    assert headers["content-type"].startswith("text/html") and "请求格式不正确".encode() in body
    assert has_security_headers(headers)


@pytest.mark.parametrize("path", ["/%00index.html", "/repairs/%00", "/" + "a" * 5000, "/%FF%FE/"])
def test_a_path_no_file_can_have_is_the_404_page(running, path):
    answers, _ = running.send(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())

    ((status, headers, body),) = answers
    assert status == 404 and body.decode() == MISSING
    assert has_security_headers(headers)


def test_pages_take_only_the_methods_of_the_default_cache_behaviour():
    (*_, default) = front.behaviours(load_template())
    assert default.origin == "site" and default.methods == {"GET", "HEAD"}


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "POST", "OPTIONS", "TRACE", "QUERY"])
@pytest.mark.parametrize("path", ["/", "/repairs/", "/no/such/page/"])
def test_other_methods_on_pages_get_cloudfront_s_403(running, method, path):
    status, headers, body = running.request(method, path, body=b"x" if method in ("PUT", "POST", "PATCH") else None)

    assert status == 403 and headers["content-type"].startswith("text/html")
    assert PAGE.encode() not in body
    assert has_security_headers(headers)


def test_head_on_a_page_has_its_length_and_no_body(running):
    status, headers, body = running.request("HEAD", "/repairs/")

    assert status == 200 and body == b""
    assert headers["content-length"] == str(len(PAGE.encode()))


def declared(stack: LocalStack, path: str) -> str:
    return ", ".join(sorted({route.method for route in stack.routes if route.path == path}))


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "QUERY"])
def test_an_undeclared_method_on_an_api_path_is_a_405_with_allow(running, method):
    status, headers, body = running.request(method, "/api/repairs")

    assert status == 405
    assert headers["allow"] == declared(running.stack, "/api/repairs") == "POST"
    if method != "HEAD":
        error = api_error((status, headers, body))
        assert error["code"] == "METHOD_NOT_ALLOWED" and error["message"]
    assert has_security_headers(headers)
    assert running.events == []


@pytest.mark.parametrize("method", ["POST", "DELETE", "OPTIONS"])
def test_the_allow_header_follows_the_route_template(running, method):
    status, headers, body = running.request(method, "/api/repairs/R-2026-0001")

    assert status == 405
    assert headers["allow"] == declared(running.stack, "/api/repairs/{reference}") == "GET"


def test_an_api_path_no_route_has_is_a_404_in_the_error_shape(running):
    answer = running.request("GET", "/api/no-such-thing")

    assert answer[0] == 404 and api_error(answer)["code"] == "ROUTE_NOT_FOUND"


def test_a_declared_route_reaches_its_handler_with_its_headers(running):
    status, _, _ = running.request("POST", "/api/repairs?x=1", body=b'{"a": 1}',
                                   headers={"Content-Type": "application/json", "Idempotency-Key": "key-0001"})

    (event,) = running.events
    assert status == 201
    assert event["body"] == '{"a": 1}' and event["queryStringParameters"] == {"x": "1"}
    assert event["headers"]["Idempotency-Key"] == "key-0001"
    assert event["headers"]["Content-Type"] == "application/json"
    assert "Host" not in event["headers"]


def test_a_body_over_api_gateway_s_limit_is_a_413_in_the_error_shape(running):
    raw = (f"POST /api/repairs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           f"Content-Length: {front.API_GATEWAY_MAX_BODY + 1}\r\n\r\n").encode() + b"{"

    answers, closed = running.send(raw)

    assert [status for status, _, _ in answers] == [413] and closed
    assert api_error(answers[0])["code"] == "PAYLOAD_TOO_LARGE"
    assert running.events == []


def test_every_error_the_gateway_or_the_front_answers_has_the_api_s_error_shape():
    template = load_template()
    app = front.Front(template, Path("/nonexistent"), [], invoke=None, photos_origin=str)
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        _, body = front.gateway_response(template, kind)
        ErrorOut.model_validate_json(body)
    for status in (*front.REFUSALS, 400, 408, 500):
        api_error(_lowered(app.refusal(status, "/api/repairs")))


def _lowered(answer):
    status, headers, body = answer
    return status, {k.lower(): v for k, v in headers.items()}, body


def test_pipelined_requests_on_one_connection_each_get_their_answer(running):
    raw = (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
           b"GET /api/no-such-thing HTTP/1.1\r\nHost: x\r\n\r\n"
           b"GET /repairs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    answers, closed = running.send(raw)

    assert [status for status, _, _ in answers] == [200, 404, 200] and closed


def test_a_burst_of_connections_is_queued_and_answered(running):
    statuses: list[int] = []

    def browse() -> None:
        statuses.append(running.request("GET", "/")[0])

    threads = [threading.Thread(target=browse) for _ in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 60
