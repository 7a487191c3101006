"""Anonymise the contact details of cases closed longer than the retention period
(``butler.domain.retention`` says what is due and what is removed).

The work left is exactly the sparse ``closed-with-contact`` index: a case enters it when
it reaches a final state while holding personal data (every write of a case derives the
key) and leaves it when it has been anonymised. Each run queries the index up to the
cut-off, oldest first, reads each case again (consistently: the index lags) and writes
the anonymisation conditionally: nobody wrote the case since it was read, it is still in
its final status and still awaits anonymisation. A case that moved on is left alone (the
next run looks again if it still qualifies). A run handles at most ``limit`` cases per
table and stops early when its time runs short; the rest are picked up by the next run.

Photo files are deleted after the personal attributes are cleared and before their
records go: a run that fails in between leaves the case in the index, with its records,
and the next run deletes the files again (deleting a missing file succeeds) and finishes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Protocol, Sequence

from butler.domain import retention
from butler.repository.cases import CaseRepository

MAX_PER_RUN = 500  # cases per table and run
TIME_MARGIN_MS = 20_000  # stop taking new cases when less time than this is left


class PhotoFiles(Protocol):
    def delete(self, keys: Sequence[str]) -> None: ...


@dataclass
class RunReport:
    anonymised: list[str] = field(default_factory=list)  # references
    skipped: int = 0  # read from the index but no longer due, or changed meanwhile
    more: bool = False  # stopped at the limit or for time: the rest is left for the next run


def anonymise_closed(repo: CaseRepository, photos: PhotoFiles | None, *, now: datetime,
                     retention_period: timedelta, limit: int | None = None,
                     time_left_ms: Callable[[], int] | None = None) -> RunReport:
    kind = repo.kind
    limit = limit or MAX_PER_RUN
    report = RunReport()
    for reference in repo.closed_with_contact(now - retention_period):
        if len(report.anonymised) + report.skipped >= limit or (
                time_left_ms is not None and time_left_ms() < TIME_MARGIN_MS):
            report.more = True
            break
        case = repo.get(reference)
        if case is None or not retention.is_due(case, kind, now, retention_period):
            report.skipped += 1  # reopened, or closed again later: its key follows on its next write
            continue
        change = retention.plan(case, kind)
        if not repo.anonymise(case, change, now, finished=not change.photo_keys):
            report.skipped += 1
            continue
        if change.photo_keys:
            if photos is None:
                raise RuntimeError("PHOTOS_BUCKET is not set: cannot delete the photos of " + reference)
            photos.delete(change.photo_keys)
            if not repo.drop_photo_records(case):
                report.skipped += 1
                continue
        report.anonymised.append(reference)
    return report
