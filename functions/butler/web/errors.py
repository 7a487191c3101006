"""The one place where errors become HTTP responses, in the shape of DESIGN.md §4:
``{"error": {"code", "message", "fields"}}`` with a Chinese message and a stable code.
"""
from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from butler.domain.errors import (
    CampaignClosed,
    Conflict,
    DomainError,
    InvalidTransition,
    InvitationUnknown,
    InvitationUsed,
    NotFound,
    NotPermitted,
)
from butler.domain.photos import PhotoRefused

JSON_TYPE = "application/json; charset=utf-8"

# Seconds a client should wait before retrying after a 503 (storage unavailable) or a 409
# REQUEST_IN_PROGRESS: the API functions' timeout (template.yaml, Globals). By then an
# earlier attempt has ended and its idempotency record, if left in progress, has expired.
RETRY_AFTER_SECONDS = 10

DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    NotPermitted: 403,
    InvalidTransition: 409,
    Conflict: 409,
    PhotoRefused: 422,
    InvitationUnknown: 422,
    InvitationUsed: 409,
    CampaignClosed: 409,
}

# Chinese messages for pydantic's error types; custom validators carry their own.
FIELD_MESSAGES = {
    "missing": "请填写此项。",
    "string_type": "请填写文字。",
    "literal_error": "请从给定的选项中选择。",
    "enum": "请从给定的选项中选择。",
    "extra_forbidden": "不支持这一项，请删除。",
    "bool_type": "请填写“是”或“否”。",
    "int_type": "请填写整数。",
    "int_parsing": "请填写整数。",
}


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> str:
    return json.dumps({"error": {"code": code, "message": message, "fields": fields or {}}},
                      ensure_ascii=False)


def error_response(status: int, code: str, message: str,
                   fields: dict[str, str] | None = None, *, retry_after: int | None = None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return Response(status_code=status, content_type=JSON_TYPE,
                    body=error_body(code, message, fields), headers=headers)


def proxy_error(status: int, code: str, message: str) -> dict[str, Any]:
    """The same error as a raw API Gateway proxy result (for checks before routing)."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": JSON_TYPE, "Cache-Control": "no-store"},
        "body": error_body(code, message),
        "isBase64Encoded": False,
    }


def domain_error_response(error: DomainError) -> Response:
    status = next((DOMAIN_STATUS[c] for c in type(error).__mro__ if c in DOMAIN_STATUS), 422)
    return error_response(status, error.code, error.message, error.fields)


def validation_error_response(errors: list[dict[str, Any]]) -> Response:
    """Map pydantic/powertools validation errors to 400 (unreadable body), 404 (a path
    parameter no record can have) or 422 (fields)."""
    if any(error.get("type") == "json_invalid" for error in errors):
        return error_response(400, "INVALID_JSON", "提交的内容不是有效的 JSON，请检查后重试。")
    if any(tuple(error.get("loc", ()))[:1] == ("path",) for error in errors):
        # A malformed reference answers exactly like an unknown one (docs/architecture.md).
        return domain_error_response(NotFound())
    fields: dict[str, str] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        kind = error.get("type", "")
        if loc[:1] == ["body"] and len(loc) == 1:
            if kind == "missing":
                return error_response(400, "BODY_REQUIRED", "请求缺少内容。")
            if kind.startswith("butler_"):
                fields["_"] = error["msg"]
                continue
            return error_response(400, "INVALID_BODY", "提交的内容格式不正确：应为一个 JSON 对象。")
        name = _field_name(loc)
        fields.setdefault(name, field_message(kind, error))
    return error_response(422, "VALIDATION_FAILED", "有几项填写不正确，请按提示修改。", fields)


TYPE_TAGS = {"str", "int", "bool", "float", "none"}


def _field_name(loc: list[str]) -> str:
    """``body.scores.reception`` → ``scores.reception``; pydantic's type tags left out."""
    if loc[:1] != ["body"] or len(loc) < 2:
        return loc[-1] if loc else "_"
    parts = [p for p in loc[1:] if p not in TYPE_TAGS and "[" not in p]
    return ".".join(parts) or "_"


def field_message(kind: str, error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    if kind.startswith("butler_"):
        return str(error["msg"])
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "请填写此项。" if minimum <= 1 else f"至少需要 {minimum} 个字。"
    if kind == "string_too_long":
        return f"不能超过 {ctx.get('max_length')} 个字。"
    if kind in ("greater_than_equal", "less_than_equal"):
        return "请选择 1 到 5 分。" if ctx.get("ge") == 1 or ctx.get("le") == 5 else "数值超出范围。"
    return FIELD_MESSAGES.get(kind, "填写有误，请检查。")


class ApiError(Exception):
    """An HTTP-level refusal decided before the domain is reached (headers, keys)."""

    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message
        super().__init__(code)
