"""Settings come from the environment (set by template.yaml), read at call time.

A plain dataclass: functions that do not validate requests should not pay for importing
pydantic at a cold start (docs/cold-start.md)."""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Each function gets only the variables it needs; a missing table name fails at use."""

    repairs_table: str = ""
    complaints_table: str = ""
    surveys_table: str = ""
    idempotency_table: str = ""
    alerts_topic_arn: str = ""
    photos_bucket: str = ""
    idempotency_ttl_seconds: int = 24 * 3600
    max_body_bytes: int = 16 * 1024


def load_settings() -> Settings:
    env = os.environ
    values: dict[str, object] = {
        "repairs_table": env.get("REPAIRS_TABLE", ""),
        "complaints_table": env.get("COMPLAINTS_TABLE", ""),
        "surveys_table": env.get("SURVEYS_TABLE", ""),
        "idempotency_table": env.get("IDEMPOTENCY_TABLE", ""),
        "alerts_topic_arn": env.get("ALERTS_TOPIC_ARN", ""),
        "photos_bucket": env.get("PHOTOS_BUCKET", ""),
    }
    for key, name in (("idempotency_ttl_seconds", "IDEMPOTENCY_TTL_SECONDS"),
                      ("max_body_bytes", "MAX_BODY_BYTES")):
        if env.get(name):
            values[key] = int(env[name])
    return Settings(**values)
