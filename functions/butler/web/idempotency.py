"""Retries of a submission return the first result (powertools idempotency).

The idempotency record is keyed by a hash of the client's ``Idempotency-Key`` and
checks that a retry carries the same payload. The fresh tracking token in the stored
result is sealed with the key, so the store never holds a usable token.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable

from butler.domain.identifiers import seal, unseal
from butler.settings import Settings
from butler.web.errors import ApiError

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{8,128}$")


def idempotency_key(headers: dict[str, str] | None) -> str | None:
    value = header(headers, "Idempotency-Key")
    if value is None:
        return None
    if not KEY_PATTERN.match(value):
        raise ApiError(400, "INVALID_IDEMPOTENCY_KEY",
                       "Idempotency-Key 应为 8–128 位字母、数字或 -_.: 组成的字符串。")
    return value


def header(headers: dict[str, str] | None, name: str) -> str | None:
    wanted = name.lower()
    for key, value in (headers or {}).items():
        if key.lower() == wanted:
            return value
    return None


def submit_once(key: str | None, request: dict[str, Any], create: Callable[[], dict[str, Any]],
                *, settings: Settings, lambda_context: Any) -> dict[str, Any]:
    """Run ``create`` once per key; ``create`` returns a JSON-able dict, sealed where it
    carries a fresh ``token``."""
    if key is None:
        return create()
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="request",
        expires_after_seconds=settings.idempotency_ttl_seconds,
        raise_on_no_idempotency_key=True,
    )
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)

    @idempotent_function(data_keyword_argument="submission", config=config,
                         persistence_store=_persistence_layer(settings.idempotency_table))
    def create_sealed(submission: dict[str, Any]) -> dict[str, Any]:
        result = create()
        return {**result, "token": seal(result["token"], key)} if "token" in result else result

    stored = create_sealed(submission={"key": key, "request": request})
    return {**stored, "token": unseal(stored["token"], key)} if "token" in stored else stored


@lru_cache(maxsize=4)
def _persistence_layer(table_name: str):
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    if not table_name:
        raise RuntimeError("IDEMPOTENCY_TABLE is not set")
    return DynamoDBPersistenceLayer(table_name=table_name)
