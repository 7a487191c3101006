from infra.apigw import build_event, match
from infra.template import Route

ROUTES = [
    Route("GET", "/api/repairs/{reference}", "F", "h.a"),
    Route("POST", "/api/repairs", "F", "h.a"),
    Route("GET", "/api/openapi.json", "D", "h.b"),
]


def test_routes_match_by_method_and_path_with_parameters():
    found = match(ROUTES, "get", "/api/repairs/R-AAAA-BBBB")

    assert found.route.path == "/api/repairs/{reference}"
    assert found.path_parameters == {"reference": "R-AAAA-BBBB"}
    assert match(ROUTES, "DELETE", "/api/repairs/R-AAAA-BBBB") is None
    assert match(ROUTES, "GET", "/api/repairs/a/b") is None
    assert match(ROUTES, "GET", "/api/openapi.json").route.function == "D"


def test_events_have_the_rest_proxy_shape():
    event = build_event("post", "/api/repairs", headers={"Content-Type": "application/json"},
                        body=b'{"a": 1}', query="x=1&x=2", stage="prod")

    assert event["httpMethod"] == "POST"
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["queryStringParameters"] == {"x": "2"}
    assert event["requestContext"]["path"] == "/prod/api/repairs"


def test_binary_bodies_travel_base64_encoded():
    event = build_event("POST", "/api/repairs", body=b"\xff\xfe")

    assert event["isBase64Encoded"] is True
