"""Times are stored and exchanged in UTC, ISO 8601; people see Asia/Shanghai."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with a ``Z``, second precision: sorts as text in DynamoDB."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def scheduled_time(event: object) -> datetime:
    """When a scheduled run was due (EventBridge's ``time``), else now: a scheduled function
    judges deadlines against it, so a late or retried run decides as the due one would."""
    if isinstance(event, dict) and event.get("time"):
        return parse_iso(event["time"])
    return utc_now()
