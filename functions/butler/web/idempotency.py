"""Retries of a submission return the first result (powertools idempotency).

The idempotency record is keyed by a hash of the client's ``Idempotency-Key`` and
checks that a retry carries the same payload. The fresh tracking token in the stored
result is sealed with the key, so the store never holds a usable token.

A submission is three writes: the record "in progress", the submission itself, the record
"completed" with the result. When one fails (DynamoDB throttling or errors outlasting the
SDK's retries), nothing of the submission may stand half-done, or the retry with the same
key would be refused (409 while the record is in progress) or, once it expires, file a
second case:

- the first write fails: nothing was written;
- the submission fails: powertools deletes the record in progress; if that delete fails
  too, the record expires with the Lambda's remaining time (the function timeout), and a
  retry after ``Retry-After`` seconds goes through;
- the completion fails: the case just filed is withdrawn (``withdraw``) and the record in
  progress deleted, so that the retry files it once. Without ``withdraw`` (a survey answer:
  the same answers sent again with the same code record nothing) the record is deleted and
  the result returned, since it stands.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any, Callable, Optional

from butler.domain.identifiers import seal, unseal
from butler.settings import Settings
from butler.web.errors import ApiError
from butler.web.logs import logger
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
                *, settings: Settings, lambda_context: Any,
                withdraw: Optional[Callable[[dict[str, Any]], None]] = None) -> dict[str, Any]:
    """Run ``create`` once per key; ``create`` returns a JSON-able dict, sealed where it
    carries a fresh ``token``. ``withdraw(result)`` undoes what ``create`` stored, for when
    the result cannot be recorded under the key (see the module's note); without it,
    ``create`` must be safe to run again."""
    if key is None:
        return create()
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyPersistenceLayerError

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="request",
        expires_after_seconds=settings.idempotency_ttl_seconds,
        raise_on_no_idempotency_key=True,
    )
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)

    prefix = key_prefix(lambda_context)
    store = _persistence_layer(settings.idempotency_table, prefix)
    created: list[dict[str, Any]] = []

    @idempotent_function(data_keyword_argument="submission", config=config, persistence_store=store,
                         key_prefix=prefix)
    def create_sealed(submission: dict[str, Any]) -> dict[str, Any]:
        result = create()
        created.append(result)
        return {**result, "token": seal(result["token"], key)} if "token" in result else result

    submission = {"key": key, "request": request}
    try:
        stored = create_sealed(submission=submission)
    except IdempotencyPersistenceLayerError as error:
        if not created:  # nothing was filed (or powertools could not delete its record: it expires)
            raise
        # Filed, but the record could not be completed with the result (the only store
        # error powertools raises once ``create`` has returned).
        result = created[0]
        if withdraw is None:  # it stands and may run again: free the key and answer
            logger.warning("idempotency record not completed; the submission stands")
            try:
                store.delete_record(data=submission, exception=error)
            except Exception:  # left in progress, it expires with the function's timeout
                logger.warning("idempotency record left in progress")
            return result
        withdraw(result)  # nothing of it may stand: the retry files it once
        logger.warning("submission withdrawn: its idempotency record could not be completed",
                       extra={"reference": result.get("reference")})
        store.delete_record(data=submission, exception=error)
        raise
    return {**stored, "token": unseal(stored["token"], key)} if "token" in stored else stored


# Powertools' own prefix: "<AWS_LAMBDA_FUNCTION_NAME>.<module>.<function>" of the decorated function.
_SEALED = f"{__name__}.submit_once.<locals>.create_sealed"


def key_prefix(lambda_context: Any) -> str:
    """The namespace of this function's idempotency records: the same prefix powertools
    makes in Lambda (so deployed records keep their keys), but with the function's name
    from the invocation's context, not from the process's ``AWS_LAMBDA_FUNCTION_NAME``.
    Where several functions share a process (the local stack, the tests) that variable is
    unset and every function shared one namespace: the same Idempotency-Key sent to two
    functions answered the second with the first one's record."""
    name = getattr(lambda_context, "function_name", None) or os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "test-func")
    return f"{name}.{_SEALED}"


@lru_cache(maxsize=16)
def _persistence_layer(table_name: str, prefix: str):
    """One store per table and function: powertools keeps the prefix on the store object,
    so functions sharing a process must not share one."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    if not table_name:
        raise RuntimeError("IDEMPOTENCY_TABLE is not set")
    return DynamoDBPersistenceLayer(table_name=table_name)
