"""Repair use cases: report a repair, and look one up for the resident who reported it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from butler.domain import identifiers
from butler.domain.errors import NotFound
from butler.domain.photos import Photo, new_photo
from butler.domain.repairs import RepairReport, WorkOrder, advance, new_work_order
from butler.domain.staff import Roster
from butler.domain.timefmt import utc_now
from butler.repository.work_orders import ReferenceTaken, WorkOrderRepository

REFERENCE_PREFIX = "R"
REFERENCE_ATTEMPTS = 5


@dataclass(frozen=True)
class Reported:
    order: WorkOrder
    token: str  # handed to the resident once; only its hash is stored


def report_repair(repo: WorkOrderRepository, report: RepairReport) -> Reported:
    token = identifiers.new_token()
    for _ in range(REFERENCE_ATTEMPTS):
        order = new_work_order(
            report,
            reference=identifiers.new_reference(REFERENCE_PREFIX),
            token_hash=identifiers.hash_token(token),
            now=utc_now(),
        )
        try:
            repo.add(order)
            return Reported(order, token)
        except ReferenceTaken:
            continue
    raise RuntimeError("could not draw a free reference")


def find_for_resident(repo: WorkOrderRepository, reference: str, token: str) -> WorkOrder:
    """The work order behind ``reference`` if ``token`` is its tracking token.

    An unknown reference and a wrong token raise the same ``NotFound``.
    """
    reference = identifiers.normalize_reference(reference)
    order = repo.get(reference) if identifiers.is_reference(reference) else None
    if order is None or not identifiers.token_matches(token, order.token_hash):
        raise NotFound()
    return order


def take_step(repo: WorkOrderRepository, reference: str, action: str, *, actor: str, role: str,
              values: Mapping[str, Any] | None = None, note: str = "", staff_note: str = "",
              roster: Roster | None = None, now: datetime | None = None) -> WorkOrder:
    """One workflow step by staff (CLI) or a resident (API), saved with optimistic locking."""
    order = repo.get(identifiers.normalize_reference(reference))
    if order is None:
        raise NotFound()
    advance(order, action, role=role, actor=actor, values=values, roster=roster,
            note=note, staff_note=staff_note, now=now or utc_now())
    check_step(repo, order, action)
    repo.save_or_conflict(order)
    return order


def check_step(repo: WorkOrderRepository, order: WorkOrder, action: str) -> None:
    """Checks of a step that need other records (the workflow itself is pure)."""
    if action == "link":
        from butler.services.shared_faults import check_link

        check_link(repo, order)


def resident_step(repo: WorkOrderRepository, reference: str, token: str, action: str,
                  values: Mapping[str, Any]) -> WorkOrder:
    """A resident rates the repair or says it is not fixed, proven by the tracking token."""
    order = find_for_resident(repo, reference, token)
    advance(order, action, role="resident", actor="resident", values=values, now=utc_now())
    repo.save_or_conflict(order)
    return order


def add_photo(repo: WorkOrderRepository, order: WorkOrder, *, kind: str, content_type: str,
              size: int, by: str) -> Photo:
    """Record a photo on the order (the file follows through a presigned upload)."""
    photo = new_photo(order.reference, order.photos, kind=kind, content_type=content_type,
                      size=size, by=by, now=utc_now())
    order.photos.append(photo.as_dict())
    repo.save_or_conflict(order)
    return photo
