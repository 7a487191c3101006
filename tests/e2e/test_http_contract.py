"""The public API contract over real HTTP, against the local stack (`make dev`)."""
import json
import time
import urllib.error
from pathlib import Path
import urllib.request

import pytest

from tests.support import privacy
from tests.support.reports import home_report

pytestmark = pytest.mark.e2e


def request(stack, method, path, body=None, headers=None, raw=None):
    data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else None)
    req = urllib.request.Request(stack.url + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


JSON = {"Content-Type": "application/json; charset=utf-8"}


def submit(stack, body, **headers):
    status, response_headers, text = request(stack, "POST", "/api/repairs", body, {**JSON, **headers})
    if status == 201:
        privacy.remember_token(json.loads(text)["token"])
    return status, response_headers, text


def test_a_valid_report_is_accepted_and_an_idempotent_retry_leaves_one_item(local_stack):
    body = home_report(contact_phone="13711112222", description="HTTP 合同测试：阳台地漏返味。")
    before = len(local_stack.repairs())

    status, headers, text = submit(local_stack, body, **{"Idempotency-Key": "http-retry-0001"})
    again_status, _, again_text = submit(local_stack, body, **{"Idempotency-Key": "http-retry-0001"})

    created = json.loads(text)
    assert status == 201 and again_status == 201
    assert {"reference", "token", "status"} <= set(created)
    assert json.loads(again_text)["reference"] == created["reference"]
    assert json.loads(again_text)["token"] == created["token"]
    assert len(local_stack.repairs()) == before + 1
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("raw, headers, status, code", [
    (b'{"category": ', JSON, 400, "INVALID_JSON"),
    (b"{}", {"Content-Type": "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE"),
    (b'{"description": "' + "长".encode() * 30000 + b'"}', JSON, 413, "PAYLOAD_TOO_LARGE"),
    (json.dumps({"category": "plumbing"}).encode(), JSON, 422, "VALIDATION_FAILED"),
    (json.dumps(home_report(contact_phone=13912345678, description=["x"])).encode(), JSON, 422,
     "VALIDATION_FAILED"),
])
def test_bad_requests_get_4xx_with_the_error_shape(local_stack, raw, headers, status, code):
    before = len(local_stack.repairs())

    got, response_headers, text = request(local_stack, "POST", "/api/repairs", raw=raw, headers=headers)

    assert got == status
    error = json.loads(text)["error"]
    assert error["code"] == code and error["message"]
    assert isinstance(error["fields"], dict)
    assert "Traceback" not in text
    assert len(local_stack.repairs()) == before


def test_tracking_with_the_right_token_and_identical_404s_otherwise(local_stack):
    _, _, text = submit(local_stack, home_report(contact_phone="13711113333"))
    created = json.loads(text)
    reference, token = created["reference"], created["token"]

    ok = request(local_stack, "GET", f"/api/repairs/{reference}", headers={"Authorization": f"Bearer {token}"})
    wrong = request(local_stack, "GET", f"/api/repairs/{reference}", headers={"Authorization": "Bearer nope-nope"})
    unknown = request(local_stack, "GET", "/api/repairs/R-0000-0000", headers={"Authorization": f"Bearer {token}"})

    assert ok[0] == 200 and json.loads(ok[2])["status"] == "reported"
    assert wrong[0] == unknown[0] == 404
    assert wrong[2] == unknown[2]


def test_openapi_document_is_served(local_stack):
    status, _, text = request(local_stack, "GET", "/api/openapi.json")

    assert status == 200
    assert "/api/repairs" in json.loads(text)["paths"]


def declared_paths():
    from infra.template import functions, load_template

    methods: dict[str, set[str]] = {}
    for spec in functions(load_template()):
        for route in spec.routes:
            methods.setdefault(route.path, set()).add(route.method)
    return sorted(methods.items())


@pytest.mark.parametrize("path, methods", declared_paths())
def test_an_undeclared_method_on_every_api_path_is_a_405_with_allow(local_stack, path, methods):
    # API Gateway answers 403 for these; locally they say what the path takes (issue 12, item 8).
    concrete = path.replace("{reference}", "R-2026-0001")
    for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY"} - methods):
        status, headers, text = request(local_stack, method, concrete)

        assert status == 405, (method, path)
        assert headers["Allow"] == ", ".join(sorted(methods))
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(text)["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_an_api_path_no_route_has_is_a_json_404(local_stack):
    status, headers, text = request(local_stack, "GET", "/api/no-such-route")

    assert status == 404 and headers["Content-Type"].startswith("application/json")
    assert json.loads(text)["error"]["code"] == "ROUTE_NOT_FOUND"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "POST", "OPTIONS"])
def test_pages_answer_other_methods_as_cloudfront_does(local_stack, method):
    status, headers, _ = request(local_stack, method, "/repairs/", raw=b"" if method != "OPTIONS" else None)

    assert status == 403 and headers["Content-Type"].startswith("text/html")


def test_site_and_api_carry_the_cloudfront_security_headers(local_stack):
    from infra.template import load_template, security_headers

    expected = security_headers(load_template())
    for path in ("/", "/repairs/", "/api/openapi.json"):
        status, headers, _ = request(local_stack, "GET", path)
        assert status == 200, path
        for name, value in expected.items():
            assert headers.get(name) == value, (path, name)


def test_directory_urls_serve_pages_and_unknown_pages_are_404(local_stack):
    assert request(local_stack, "GET", "/repairs")[0] == 200
    status, headers, _ = request(local_stack, "GET", "/no/such/page/")
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    assert request(local_stack, "GET", "/../../etc/passwd")[0] == 404


def test_the_stack_log_holds_no_phone_number_or_token(local_stack):
    submit(local_stack, home_report(contact_phone="13744445555"), **{"Idempotency-Key": "log-check-0001"})

    log = local_stack.log_text()
    assert "POST /api/repairs" in log  # the front does log requests
    assert privacy.find(log) == []


def test_photo_uploads_travel_through_the_site_origin(local_stack):
    _, _, text = submit(local_stack, home_report(contact_phone="13711116666"))
    created = json.loads(text)
    auth = {"Authorization": f"Bearer {created['token']}", **JSON}
    photo = (Path(__file__).parents[1] / "support" / "images" / "python.png").read_bytes()  # a real picture: others are dropped

    status, _, text = request(local_stack, "POST", f"/api/repairs/{created['reference']}/photos",
                              {"content_type": "image/png", "size": len(photo)}, auth)
    upload = json.loads(text)
    put_status, _, _ = request(local_stack, "PUT", upload["url"], raw=photo, headers=upload["headers"])
    for _ in range(60):  # the bytes are checked after the upload (S3 event → photo check), then shown
        _, _, view = request(local_stack, "GET", f"/api/repairs/{created['reference']}", headers=auth)
        if json.loads(view).get("photos"):
            break
        time.sleep(0.5)
    (shown,) = json.loads(view)["photos"]
    get_status, _, _ = request(local_stack, "GET", shown["url"])

    assert status == 201 and put_status == 200 and get_status == 200
    assert shown["url"].startswith("/photo-uploads/")


def test_a_malformed_request_is_answered_in_the_error_shape_not_dropped(local_stack):
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(local_stack.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(b"POST /api/repairs HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert json.loads(body)["error"]["code"] == "BAD_REQUEST"
