"""Repair use cases: report a repair; photos. Finding, steps and checks are shared
(``butler.services.cases``)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

from butler.domain.photos import Photo, holds_slot, new_photo
from butler.domain.repairs import RepairReport, WorkOrder, new_work_order
from butler.domain.timefmt import utc_now
from butler.repository.work_orders import WorkOrderRepository
from butler.services.cases import check_step, find_for_resident, open_case, resident_step, take_step

__all__ = ["Reported", "report_repair", "add_photo", "find_for_resident", "take_step",
           "resident_step", "check_step"]


@dataclass(frozen=True)
class Reported:
    order: WorkOrder
    token: str  # handed to the resident once; only its hash is stored


def report_repair(repo: WorkOrderRepository, report: RepairReport) -> Reported:
    return Reported(*open_case(repo, partial(new_work_order, report)))


def add_photo(repo: WorkOrderRepository, order: WorkOrder, *, kind: str, content_type: str,
              size: int, by: str, verified: bool = False) -> Photo:
    """Record a photo on the order (the file follows through a presigned upload and is
    checked when it lands; ``verified``: the caller has checked the file in hand). Links
    handed out and never used are dropped here, freeing their slots."""
    now = utc_now()
    photo = new_photo(order.reference, order.photos, kind=kind, content_type=content_type,
                      size=size, by=by, now=now)
    if verified:
        photo = replace(photo, verified_at=photo.at)
    order.photos = [p for p in order.photos if holds_slot(p, now)] + [photo.as_dict()]
    repo.save_or_conflict(order)
    return photo
