import json

from butler.domain.errors import NotFound
from butler.web.app import refuse_unreadable
from butler.web.errors import domain_error_response, validation_error_response


def body(response):
    return json.loads(response.body)["error"]


def test_invalid_json_anywhere_in_the_errors_is_a_400():
    response = validation_error_response([{"type": "json_invalid", "loc": ("body", 7), "msg": "x"}])

    assert response.status_code == 400
    assert body(response)["code"] == "INVALID_JSON"


def test_field_errors_become_chinese_messages_keyed_by_field():
    response = validation_error_response([
        {"type": "missing", "loc": ("body", "contact_phone"), "msg": "Field required"},
        {"type": "string_too_long", "loc": ("body", "description"), "msg": "too long",
         "ctx": {"max_length": 500}},
        {"type": "butler_phone_format", "loc": ("body", "other"), "msg": "请填写正确的手机号"},
    ])

    error = body(response)
    assert response.status_code == 422
    assert error["fields"] == {"contact_phone": "请填写此项。", "description": "不能超过 500 个字。",
                               "other": "请填写正确的手机号"}


def test_domain_errors_keep_their_code_and_message():
    response = domain_error_response(NotFound())

    assert response.status_code == 404
    assert body(response) == {"code": "NOT_FOUND", "message": NotFound.message, "fields": {}}


def post(headers, body_text="{}", encoded=False):
    return {"httpMethod": "POST", "headers": headers, "body": body_text, "isBase64Encoded": encoded}


def test_json_with_or_without_charset_passes_the_gate():
    assert refuse_unreadable(post({"content-type": "application/json"}), 1024) is None
    assert refuse_unreadable(post({"Content-Type": "application/json; charset=UTF-8"}), 1024) is None


def test_other_media_types_and_charsets_are_415():
    for content_type in ("text/plain", "multipart/form-data", "application/json; charset=gbk"):
        refused = refuse_unreadable(post({"Content-Type": content_type}), 1024)
        assert refused["statusCode"] == 415


def test_body_size_is_counted_in_utf8_bytes():
    chinese = '{"d": "' + "字" * 400 + '"}'  # 1,200+ bytes, 400-odd characters

    refused = refuse_unreadable(post({"Content-Type": "application/json"}, chinese), 1024)

    assert refused["statusCode"] == 413
    assert json.loads(refused["body"])["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_body_that_is_not_utf8_is_invalid_json_not_a_crash():
    # Found by the API fuzzer (docs/fuzzing.md): the resolver's own decoding raised → 500.
    import base64

    for raw in (b"\x01\xeaK\x9b^", b'{"reason": "\xff\xfe"}'):
        refused = refuse_unreadable(post({"Content-Type": "application/json"},
                                         base64.b64encode(raw).decode(), encoded=True), 1024)
        assert refused["statusCode"] == 400
        assert json.loads(refused["body"])["error"]["code"] == "INVALID_JSON"
    assert refuse_unreadable(post({"Content-Type": "application/json"},
                                  base64.b64encode('{"a": "字"}'.encode()).decode(), encoded=True), 1024) is None


def test_reads_are_never_gated():
    assert refuse_unreadable({"httpMethod": "GET", "headers": {}}, 0) is None


def test_the_body_parser_counts_nesting_without_recursion_and_ignores_brackets_in_text():
    from butler.web.body import depth

    assert depth('{"a": [1, {"b": "[[[[{{{{\\"]]]]"}]}') == 3
    assert depth("[" * 100_000) == 100_000  # no RecursionError however deep


def test_the_body_parser_keeps_what_is_i_json_and_refuses_the_rest_with_a_400():
    import pytest

    from butler.web.body import MAX_DEPTH, loads
    from butler.web.errors import ApiError

    assert loads('{"a": "\\ud83d\\ude00", "n": 1234567890123456789, "x": -1.5e300}') == {
        "a": "😀", "n": 1234567890123456789, "x": -1.5e300}
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    for text in ["[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "9" * 4301, "1e400", "NaN", "[-Infinity]",
                 '"\\ud800"', '{"\\udc00": 1}', '{"a": 1, "a": 1}']:
        with pytest.raises(ApiError) as refused:
            loads(text)
        assert (refused.value.status, refused.value.code) == (400, "INVALID_JSON"), text
