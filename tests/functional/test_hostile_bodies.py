"""Every route that takes a body (found from template.yaml and the OpenAPI document, not a
hand list) answers every hostile body (tests/support/hostile.py) with 400/422 in the error
shape and a Chinese message: no body under the size limit can cause a 500, which would page
the duty butler through the 5xx alarm."""
import json
import re

import pytest

from butler.web.routes.docs import openapi_document
from infra.template import load_template, routes
from tests.support.hostile import BODIES

DOCUMENT = json.loads(openapi_document())
WITH_BODY = sorted((method.upper(), path) for path, methods in DOCUMENT["paths"].items()
                   for method, operation in methods.items() if "requestBody" in operation)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_every_route_of_the_template_that_takes_a_body_is_in_the_document():
    posts = {(r.method, r.path) for r in routes(load_template()) if r.method in ("POST", "PUT", "PATCH")}

    assert posts == set(WITH_BODY)


@pytest.mark.parametrize("name", list(BODIES))
@pytest.mark.parametrize("method, path", WITH_BODY, ids=[f"{m} {p}" for m, p in WITH_BODY])
def test_a_hostile_body_is_refused_in_the_error_shape(api, method, path, name):
    url = path.replace("{reference}", "R-7KQ4-M2XP")
    response = api.call(method, url, body=BODIES[name],
                        headers={"Content-Type": "application/json", "Authorization": "Bearer " + "x" * 32})

    assert response.status in (400, 422), response.text
    error = response.json["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == "INVALID_JSON"
    assert CHINESE.search(error["message"])
    assert response.headers["Cache-Control"] == "no-store"


def test_what_is_still_json_within_the_limits_reaches_the_fields(api):
    deep_enough = {"description": [[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]}  # 16 levels with the object
    response = api.call("POST", "/api/repairs", json_body=deep_enough)

    assert response.status == 422
    assert response.json["error"]["fields"]["description"]
