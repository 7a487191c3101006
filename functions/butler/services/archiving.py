"""The house archive (房屋档案) by the system, never by hand: the overdue sweep archives every
rated repair, and every accepted one whose rating window has passed (``service_levels.
RATING_WINDOW``, the workflow's guard on ``archive``), so the resident always gets the time
to rate the repair, or to say it is not fixed."""
from __future__ import annotations

from datetime import datetime

from butler.domain.errors import DomainError
from butler.domain.repairs import REPAIR_WORKFLOW, advance
from butler.domain.service_levels import RATING_WINDOW
from butler.repository.work_orders import WorkOrderRepository

ARCHIVE = "archive"
PER_RUN = 100  # archived at most per run (and read at most per status); the next run goes on


def archive_settled(repo: WorkOrderRepository, now: datetime, limit: int = PER_RUN) -> list[str]:
    """Archive what may be archived at ``now``; returns the references archived.

    Reads two status queues (a Query each, oldest first): ``rated``, and ``accepted`` created
    at least a window ago (an acceptance is never older than its report). The workflow
    decides each case; every write is conditional on the case being as read, so a run
    racing a resident's rating or another run changes nothing twice."""
    sources = REPAIR_WORKFLOW.action(ARCHIVE).sources  # accepted, rated
    candidates = [order for status in reversed(sources)
                  for order in repo.in_status(status, limit=limit,
                                              created_by=None if status == "rated" else now - RATING_WINDOW)]
    archived: list[str] = []
    for order in candidates:  # as the index had them: a case that moved on fails its write
        if len(archived) >= limit:
            break
        status = order.status
        try:
            advance(order, ARCHIVE, role="system", actor="system", now=now)
        except DomainError:
            continue  # accepted, still within the window
        if repo.save(order, expected_status=status):
            archived.append(order.reference)
    return archived
