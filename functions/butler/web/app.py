"""The resolver factory and the Lambda entry every API function shares."""
from __future__ import annotations

import base64
from typing import Any, Callable

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from butler.domain.errors import DomainError
from butler.settings import load_settings
from butler.web import body
from butler.web.errors import (
    RETRY_AFTER_SECONDS,
    ApiError,
    domain_error_response,
    error_response,
    proxy_error,
    validation_error_response,
)
from butler.web.idempotency import header
from butler.web.logs import logger, logging_as

BODY_METHODS = {"POST", "PUT", "PATCH"}


def create_app(*routers: Router) -> APIGatewayRestResolver:
    # Bodies are parsed by butler.web.body (I-JSON, bounded depth and numbers), never json.loads.
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=body.loads)
    for router in routers:
        app.include_router(router)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response:
        return validation_error_response(list(error.errors()))

    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response:
        return domain_error_response(error)

    @app.exception_handler(ApiError)
    def _api(error: ApiError) -> Response:
        return error_response(error.status, error.code, error.message)

    @app.exception_handler(IdempotencyValidationError)
    def _key_reused(_: Exception) -> Response:
        return error_response(422, "IDEMPOTENCY_KEY_REUSED",
                              "这个 Idempotency-Key 已用于另一份不同的提交，请为新的提交生成新的键。")

    @app.exception_handler(IdempotencyAlreadyInProgressError)
    def _in_progress(_: Exception) -> Response:
        return error_response(409, "REQUEST_IN_PROGRESS", "同一份提交正在处理中，请稍候几秒再试。",
                              retry_after=RETRY_AFTER_SECONDS)

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        storage = _storage_error(error)
        if storage is None:
            logger.exception("unexpected error", extra={"error_type": type(error).__name__})
            return error_response(500, "INTERNAL_ERROR", "系统出现异常，请稍后再试或拨打服务热线。")
        code = _error_code(storage)
        if code is None or code in TRANSIENT:
            logger.warning("storage unavailable", extra={"error_type": type(error).__name__, "code": code})
        else:  # a request DynamoDB refuses is a bug: keep the traceback (the resident still may retry)
            logger.exception("storage request refused", extra={"error_type": type(error).__name__, "code": code})
        reading = app.current_event.http_method in ("GET", "HEAD")
        return error_response(503, "SERVICE_UNAVAILABLE",
                              "服务暂时繁忙，请稍后刷新再试。" if reading else
                              "服务暂时繁忙，您的内容没有保存，请稍后再试；重复提交不会产生重复记录。",
                              retry_after=RETRY_AFTER_SECONDS)

    @app.not_found
    def _not_found(_: Exception) -> Response:
        return error_response(404, "ROUTE_NOT_FOUND", "没有这个接口。")

    return app


# Storage error codes that say the service is busy or failing, not that the request is wrong.
TRANSIENT = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
             "InternalServerError", "ServiceUnavailable", "TransactionCanceledException",
             "TransactionInProgressException", "LimitExceededException"}
STORAGE_ERRORS = (PynamoDBException, ClientError, BotoCoreError)


def _storage_error(error: BaseException) -> BaseException | None:
    """The storage error behind ``error`` (itself or a cause), if any."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, STORAGE_ERRORS):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


def _error_code(error: BaseException) -> str | None:
    """DynamoDB's error code; None for a connection or timeout error (no answer at all)."""
    if isinstance(error, PynamoDBException):
        return error.cause_response_code or (_error_code(error.cause) if error.cause else None)
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code")
    return None


def lambda_entry(app: APIGatewayRestResolver, root_logger: Logger) -> Callable[[dict, Any], dict]:
    """Checks that need no routing (media type, size), then the resolver; never cached."""

    @root_logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    def handler(event: dict, context: Any) -> dict:
        refused = refuse_unreadable(event, load_settings().max_body_bytes)
        with logging_as(root_logger):  # shared code logs as this function (butler.web.logs)
            result = refused or app.resolve(event, context)
        if "multiValueHeaders" in result:
            result["multiValueHeaders"]["Cache-Control"] = ["no-store"]
        else:
            result.setdefault("headers", {})["Cache-Control"] = "no-store"
        return result

    return handler


def refuse_unreadable(event: dict, max_body_bytes: int) -> dict | None:
    if (event.get("httpMethod") or "").upper() not in BODY_METHODS:
        return None
    content_type = header(event.get("headers"), "Content-Type") or ""
    media_type, _, params = content_type.partition(";")
    charset = params.strip().lower().removeprefix("charset=").strip('"') if params.strip() else "utf-8"
    if media_type.strip().lower() != "application/json" or charset not in ("utf-8", "utf8"):
        return proxy_error(415, "UNSUPPORTED_MEDIA_TYPE",
                           "请以 JSON 格式提交（Content-Type: application/json; charset=utf-8）。")
    body = event.get("body") or ""
    data = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8", "surrogatepass")
    if len(data) > max_body_bytes:
        return proxy_error(413, "PAYLOAD_TOO_LARGE",
                           f"提交的内容太大（上限 {max_body_bytes // 1024} KB），请精简描述后重试。")
    try:  # JSON is UTF-8 text (RFC 8259); other bytes would crash the resolver's decoding
        data.decode("utf-8")
    except UnicodeDecodeError:
        return proxy_error(400, "INVALID_JSON", "提交的内容不是有效的 JSON，请检查后重试。")
    return None
