"""Repair use cases: report a repair, and look one up for the resident who reported it."""
from __future__ import annotations

from dataclasses import dataclass

from butler.domain import identifiers
from butler.domain.errors import NotFound
from butler.domain.repairs import RepairReport, WorkOrder, new_work_order
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
