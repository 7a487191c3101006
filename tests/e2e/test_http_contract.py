"""The public API contract over real HTTP, against the local stack (`make dev`)."""
import json
import urllib.error
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


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "DELETE"])
def test_a_method_no_route_has_is_a_json_404(local_stack, method):
    # Found by the API fuzzer (docs/fuzzing.md): TRACE and QUERY got the standard library's 501 page.
    status, headers, text = request(local_stack, method, "/api/repairs")

    assert status == 404 and headers["Content-Type"].startswith("application/json")
    assert json.loads(text)["error"]["code"] == "ROUTE_NOT_FOUND"


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
    photo = b"\x89PNG\r\n\x1a\n" + b"0" * 500

    status, _, text = request(local_stack, "POST", f"/api/repairs/{created['reference']}/photos",
                              {"content_type": "image/png", "size": len(photo)}, auth)
    upload = json.loads(text)
    put_status, _, _ = request(local_stack, "PUT", upload["url"], raw=photo, headers=upload["headers"])
    _, _, view = request(local_stack, "GET", f"/api/repairs/{created['reference']}", headers=auth)
    (shown,) = json.loads(view)["photos"]
    get_status, _, _ = request(local_stack, "GET", shown["url"])

    assert status == 201 and put_status == 200 and get_status == 200
    assert shown["url"].startswith("/photo-uploads/")
