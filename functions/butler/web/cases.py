"""HTTP pieces every case route uses: the tracking token, JSON responses, idempotent
creation, and what a new case answers."""
from __future__ import annotations

import json
from typing import Any, Callable, Optional

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from butler.domain.timefmt import iso
from butler.domain.workflow import Workflow
from butler.settings import Settings
from butler.web.errors import JSON_TYPE, ApiError
from butler.web.idempotency import header, idempotency_key, submit_once

TRACKING_SECURITY = [{"trackingToken": []}]


CREATE_ERRORS = (400, 409, 413, 415, 422, 503)
READ_ERRORS = (401, 404, 503)
STEP_ERRORS = (400, 401, 404, 409, 413, 415, 422, 503)


# Every answer of the functions carries it (``lambda_entry``); API Gateway's own 429 does not.
NO_STORE = {"Cache-Control": {"description": "API 的回答一律不缓存", "required": True,
                              "schema": {"type": "string", "enum": ["no-store"]}}}
# Every 503 SERVICE_UNAVAILABLE carries it, and a 409 REQUEST_IN_PROGRESS (app.py).
RETRY_AFTER = {"Retry-After": {"description": "重试前建议等待的秒数；重试时沿用同一个 Idempotency-Key",
                               "schema": {"type": "integer", "minimum": 1}}}


def documented(summary: str, description: str, model: type, *, tags: list[str], errors: tuple[int, ...],
               status: int = 200, secured: bool = True) -> dict[str, Any]:
    """A route decorator's keyword arguments: how the OpenAPI document describes the route."""
    from butler.web.schemas import error_responses, throttled_response

    answers = {status: {"description": summary, "content": {"application/json": {"model": model}}},
               **error_responses(*errors)}
    responses = {**{code: {**entry, "headers": {**NO_STORE, **(RETRY_AFTER if code in (409, 503) else {})}}
                    for code, entry in answers.items()},
                 **throttled_response()}
    return {"summary": summary, "description": description, "responses": responses, "tags": tags,
            **({"security": TRACKING_SECURITY} if secured else {})}


def route_group() -> tuple[Router, Any, Metrics]:
    """A router for one kind of case, with the logger (the invoking function's: see
    ``butler.web.logs``) and metrics its routes use."""
    from butler.web.logs import logger

    return Router(), logger, Metrics()


def bearer_token(headers: Optional[dict[str, str]]) -> str:
    scheme, _, token = (header(headers, "Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "TOKEN_REQUIRED", "请提供查询码（Authorization: Bearer 查询码）。")
    return token.strip()


def json_response(body: Any, status: int = 200) -> Response:
    return Response(status_code=status, content_type=JSON_TYPE, body=json.dumps(body, ensure_ascii=False))


def created_once(router: Router, request: dict, create: Callable[[], dict], settings: Settings,
                 withdraw: Optional[Callable[[dict], None]] = None) -> Response:
    """201 with what ``create`` returns; a retry with the same Idempotency-Key gets the same.
    ``withdraw(created)`` undoes ``create`` when its result cannot be recorded under the key."""
    created = submit_once(idempotency_key(router.current_event.headers), request, create,
                          settings=settings, lambda_context=router.lambda_context, withdraw=withdraw)
    return json_response(created, 201)


def created_body(case: Any, token: str, workflow: Workflow) -> dict:
    return {
        "reference": case.reference,
        "token": token,
        "status": case.status,
        "status_label": workflow.state(case.status).resident_label,
        "created_at": iso(case.created_at),
        "respond_by": iso(case.respond_by),
    }
