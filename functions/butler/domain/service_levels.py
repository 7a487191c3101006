"""Service-level targets: one table, read by the API, the overdue sweep and the site.

Industry practice in China is the starting point: life-threatening cases are reached
within minutes, urgent repairs attended within 45 minutes, ordinary repairs the same or
next day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Urgency:
    code: str
    label: str
    respond_within: timedelta  # staff reach the resident or the site
    complete_within: timedelta  # the repair is done
    description: str


URGENCIES: tuple[Urgency, ...] = (
    Urgency("emergency", "紧急（危及安全）", timedelta(minutes=15), timedelta(hours=4),
            "电梯困人、燃气泄漏、火情、水浸、整栋停电等危及人身财产安全的情况"),
    Urgency("urgent", "加急", timedelta(minutes=45), timedelta(hours=24),
            "影响正常生活但不危及安全，例如户内停水、下水堵塞"),
    Urgency("normal", "一般", timedelta(hours=24), timedelta(days=3),
            "不影响正常生活的一般维修，例如门锁松动、墙面渗水痕迹"),
)

_BY_CODE = {u.code: u for u in URGENCIES}


def urgency(code: str) -> Urgency:
    return _BY_CODE[code]


@dataclass(frozen=True)
class Target:
    respond_within: timedelta
    complete_within: timedelta


# Categories with stricter targets than their urgency gives (never looser).
CATEGORY_TARGETS: dict[str, Target] = {
    "elevator": Target(timedelta(minutes=30), timedelta(hours=24)),  # no one trapped, but a building waits
    "plumbing": Target(timedelta(hours=2), timedelta(days=2)),  # leaks spread to the neighbours below
    "electrical": Target(timedelta(hours=2), timedelta(days=2)),
}


# How long a resident has to rate an accepted repair: the system archives it once it is
# rated, or once its acceptance is this old (the workflow's guard on ``archive``, the
# overdue sweep, the service standards page). Named in the workflow data as "rating_window".
RATING_WINDOW = timedelta(days=7)
PERIODS: dict[str, timedelta] = {"rating_window": RATING_WINDOW}


def target(urgency_code: str, category: str) -> Target:
    """Response and completion targets for a report: the stricter of urgency and category."""
    level = urgency(urgency_code)
    special = CATEGORY_TARGETS.get(category)
    if special is None:
        return Target(level.respond_within, level.complete_within)
    return Target(min(level.respond_within, special.respond_within),
                  min(level.complete_within, special.complete_within))
