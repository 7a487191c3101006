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
    contact_retention_days: int = 365  # closed cases keep contact details this long (domain.retention)


# Settings field → the environment variable template.yaml sets for it.
ENVIRONMENT = {
    "repairs_table": "REPAIRS_TABLE",
    "complaints_table": "COMPLAINTS_TABLE",
    "surveys_table": "SURVEYS_TABLE",
    "idempotency_table": "IDEMPOTENCY_TABLE",
    "alerts_topic_arn": "ALERTS_TOPIC_ARN",
    "photos_bucket": "PHOTOS_BUCKET",
    "idempotency_ttl_seconds": "IDEMPOTENCY_TTL_SECONDS",
    "max_body_bytes": "MAX_BODY_BYTES",
    "contact_retention_days": "CONTACT_RETENTION_DAYS",
}


def load_settings() -> Settings:
    values: dict[str, object] = {}
    for field, variable in ENVIRONMENT.items():
        raw = os.environ.get(variable)
        if raw:
            values[field] = int(raw) if isinstance(getattr(Settings, field), int) else raw
    return Settings(**values)
