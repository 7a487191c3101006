"""Residents attach photos through presigned uploads; they see their own."""
import urllib.request

import pytest

from tests.support.reports import home_report

JSON = {"Content-Type": "application/json"}
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 2000 + b"\xff\xd9"


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


def test_a_resident_uploads_a_photo_and_sees_it_on_the_tracking_page(api, provisioned, moto_endpoint):
    reference, auth = reported(api)

    response = ask(api, reference, auth, content_type="image/jpeg", size=len(JPEG))

    assert response.status == 201
    upload = response.json
    assert upload["method"] == "PUT" and upload["url"].startswith(f"/photo-uploads/{reference}/")
    assert upload["headers"] == {"Content-Type": "image/jpeg"}
    status, _ = http(moto_endpoint, provisioned, upload["url"], "PUT", JPEG, upload["headers"])
    assert status == 200

    view = api.call("GET", f"/api/repairs/{reference}", headers=auth).json
    (photo,) = view["photos"]
    assert photo["id"] == upload["id"]
    assert http(moto_endpoint, provisioned, photo["url"])[1] == JPEG


@pytest.mark.parametrize("body, code", [
    ({"content_type": "image/gif", "size": 100}, "VALIDATION_FAILED"),
    ({"content_type": "image/jpeg", "size": 6 * 1024 * 1024}, "VALIDATION_FAILED"),
    ({"content_type": "image/jpeg", "size": 0}, "VALIDATION_FAILED"),
])
def test_wrong_type_or_size_is_refused(api, body, code):
    reference, auth = reported(api)

    response = ask(api, reference, auth, **body)

    assert response.status == 422 and response.json["error"]["code"] == code


def test_at_most_four_resident_photos(api):
    reference, auth = reported(api)
    for _ in range(4):
        assert ask(api, reference, auth, content_type="image/png", size=10).status == 201

    fifth = ask(api, reference, auth, content_type="image/png", size=10)

    assert fifth.status == 422
    assert fifth.json["error"]["code"] == "PHOTO_REFUSED" and "4" in fifth.json["error"]["message"]


def test_only_the_tracking_token_opens_photo_uploads(api):
    reference, _ = reported(api)

    response = ask(api, reference, {"Authorization": "Bearer wrong", **JSON}, content_type="image/png", size=10)

    assert response.status == 404
