"""Residents attach photos through presigned uploads; they see their own, and only once the
photo check (S3 → EventBridge → PhotoCheckFunction, run on moto by infra.s3_events) has
found each file to be the picture it claims to be."""
import json
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from butler.domain import timefmt
from butler.repository.work_orders import WorkOrderRepository
from infra.provision import load_handler
from infra.s3_events import event_pumps
from infra.template import functions, load_template
from tests.support.reports import home_report

JSON = {"Content-Type": "application/json"}
IMAGES = Path(__file__).parent.parent / "support" / "images"
JPEG = (IMAGES / "python.jpg").read_bytes()
PNG = (IMAGES / "python.png").read_bytes()
WEBP = (IMAGES / "python.webp").read_bytes()
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def checks(provisioned, moto_endpoint):
    """The photo check, fed by moto's S3 → EventBridge events; ``checks()`` delivers them."""
    template = load_template()
    handlers = {}

    def handler_for(logical_id):
        spec = next(s for s in functions(template) if s.logical_id == logical_id)
        return handlers.setdefault(logical_id, load_handler(spec.handler))

    (pump,) = event_pumps(template, provisioned, moto_endpoint, handler_for)
    return pump.drain


def reported(api):
    created = api.call("POST", "/api/repairs", json_body=home_report(), headers=JSON).json
    return created["reference"], {"Authorization": f"Bearer {created['token']}", **JSON}


def ask(api, reference, auth, **body):
    return api.call("POST", f"/api/repairs/{reference}/photos", json_body=body, headers=auth)


def http(moto_endpoint, provisioned, relative, method="GET", data=None, headers=None):
    bucket = provisioned.messaging.buckets["PhotosBucket"]
    request = urllib.request.Request(f"{moto_endpoint}/{bucket}{relative}", data=data,
                                     method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def upload(api, moto_endpoint, provisioned, reference, auth, data, content_type):
    link = ask(api, reference, auth, content_type=content_type, size=len(data))
    assert link.status == 201, link.json
    status, _ = http(moto_endpoint, provisioned, link.json["url"], "PUT", data, link.json["headers"])
    assert status == 200
    return link.json


def stored_keys(provisioned, moto_endpoint, reference):
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    answer = s3.list_objects_v2(Bucket=provisioned.messaging.buckets["PhotosBucket"],
                                Prefix=f"photo-uploads/{reference}/")
    return [item["Key"] for item in answer.get("Contents", [])]


def records(stack, reference):
    return WorkOrderRepository(stack["RepairsTable"]).get(reference).photos


@pytest.mark.parametrize("data, content_type", [(JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp")])
def test_a_checked_picture_shows_on_the_tracking_page(api, provisioned, moto_endpoint, checks, stack,
                                                      data, content_type):
    reference, auth = reported(api)

    upload_link = upload(api, moto_endpoint, provisioned, reference, auth, data, content_type)

    assert upload_link["method"] == "PUT" and upload_link["url"].startswith(f"/photo-uploads/{reference}/")
    assert upload_link["headers"] == {"Content-Type": content_type}
    assert "photos" not in api.call("GET", f"/api/repairs/{reference}", headers=auth).json  # not checked yet
    assert checks() == 1
    (record,) = records(stack, reference)
    assert record["verified_at"]
    view = api.call("GET", f"/api/repairs/{reference}", headers=auth).json
    (photo,) = view["photos"]
    assert photo["id"] == upload_link["id"]
    assert http(moto_endpoint, provisioned, photo["url"])[1] == data


@pytest.mark.parametrize("data, declared", [
    (HTML, "image/png"),  # the report: a page stored and served as a picture
    (b"GIF89a" + HTML, "image/jpeg"),
    ((IMAGES / "python.gif").read_bytes(), "image/png"),  # a picture, of a format we do not take
    (PNG, "image/jpeg"),  # a picture of another type than declared
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png"),  # a signature with no real header behind it
    (JPEG[:100], "image/jpeg"),  # cut short before its frame header
])
def test_a_file_that_is_not_the_declared_picture_is_deleted_with_its_record(
        api, provisioned, moto_endpoint, checks, stack, data, declared):
    reference, auth = reported(api)
    upload(api, moto_endpoint, provisioned, reference, auth, data, declared)
    assert stored_keys(provisioned, moto_endpoint, reference)

    assert checks() == 1

    assert stored_keys(provisioned, moto_endpoint, reference) == []
    assert records(stack, reference) == []
    assert "photos" not in api.call("GET", f"/api/repairs/{reference}", headers=auth).json


def test_a_second_upload_to_a_checked_link_is_checked_again(api, provisioned, moto_endpoint, checks, stack):
    reference, auth = reported(api)
    link = upload(api, moto_endpoint, provisioned, reference, auth, PNG, "image/png")
    checks()
    swapped = HTML.ljust(len(PNG), b" ")

    http(moto_endpoint, provisioned, link["url"], "PUT", swapped, link["headers"])
    checks()

    assert records(stack, reference) == [] and stored_keys(provisioned, moto_endpoint, reference) == []


def test_a_file_nobody_asked_a_link_for_is_deleted(api, provisioned, moto_endpoint, checks):
    reference, _ = reported(api)
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    s3.put_object(Bucket=provisioned.messaging.buckets["PhotosBucket"],
                  Key=f"photo-uploads/{reference}/resident-0000000000000000.png", Body=PNG)

    checks()

    assert stored_keys(provisioned, moto_endpoint, reference) == []


@pytest.mark.parametrize("body, code", [
    ({"content_type": "image/gif", "size": 100}, "VALIDATION_FAILED"),
    ({"content_type": "image/jpeg", "size": 6 * 1024 * 1024}, "VALIDATION_FAILED"),
    ({"content_type": "image/jpeg", "size": 0}, "VALIDATION_FAILED"),
])
def test_wrong_type_or_size_is_refused(api, body, code):
    reference, auth = reported(api)

    response = ask(api, reference, auth, **body)

    assert response.status == 422 and response.json["error"]["code"] == code


def test_at_most_four_resident_photos(api, provisioned, moto_endpoint, checks):
    reference, auth = reported(api)
    for _ in range(4):
        upload(api, moto_endpoint, provisioned, reference, auth, PNG, "image/png")
    checks()

    fifth = ask(api, reference, auth, content_type="image/png", size=len(PNG))

    assert fifth.status == 422
    assert fifth.json["error"]["code"] == "PHOTO_REFUSED" and "4" in fifth.json["error"]["message"]


def test_a_refused_file_frees_its_slot(api, provisioned, moto_endpoint, checks):
    reference, auth = reported(api)
    for _ in range(3):
        upload(api, moto_endpoint, provisioned, reference, auth, PNG, "image/png")
    upload(api, moto_endpoint, provisioned, reference, auth, HTML, "image/png")
    checks()

    assert ask(api, reference, auth, content_type="image/png", size=len(PNG)).status == 201


def test_links_never_used_stop_holding_slots_once_they_expire(api, monkeypatch):
    reference, auth = reported(api)
    for _ in range(4):
        assert ask(api, reference, auth, content_type="image/png", size=10).status == 201
    assert ask(api, reference, auth, content_type="image/png", size=10).status == 422  # links still valid

    later = timefmt.utc_now() + timedelta(minutes=16)
    monkeypatch.setattr("butler.services.repairs.utc_now", lambda: later)

    assert ask(api, reference, auth, content_type="image/png", size=10).status == 201


def test_only_the_tracking_token_opens_photo_uploads(api):
    reference, _ = reported(api)

    response = ask(api, reference, {"Authorization": "Bearer wrong", **JSON}, content_type="image/png", size=10)

    assert response.status == 404


def test_the_check_logs_reference_and_outcome_never_the_file(api, provisioned, moto_endpoint, checks, caplog):
    reference, auth = reported(api)
    upload(api, moto_endpoint, provisioned, reference, auth, HTML, "image/png")

    checks()

    (checked,) = [r for r in caplog.records if r.getMessage() == "photo checked"]
    assert checked.reference == reference and checked.outcome == "dropped"
    assert checked.reason == "unknown-format"
    assert "alert(document.cookie)" not in caplog.text
