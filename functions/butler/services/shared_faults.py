"""One public-area fault, many reports: staff merge the duplicates into one work order
(link), residents of merged reports follow that order, and closing it closes them all."""
from __future__ import annotations

from datetime import datetime

from butler.domain.errors import InvalidTransition
from butler.domain.repairs import REPAIR_WORKFLOW, WorkOrder, advance
from butler.repository.work_orders import WorkOrderRepository


def check_link(repo: WorkOrderRepository, order: WorkOrder) -> None:
    """After ``link``: the primary must be another order that is still being handled."""
    reference = order.details["primary_reference"]
    if reference == order.reference:
        raise InvalidTransition("不能把报修合并到它自己。")
    primary = repo.get(reference)
    if primary is None:
        raise InvalidTransition(f"没有编号为 {reference} 的报修。")
    if primary.status == "merged" or REPAIR_WORKFLOW.state(primary.status).final:
        raise InvalidTransition(f"{reference} 已结束或本身已被合并，请合并到仍在处理的报修。")


def close_linked(repo: WorkOrderRepository, primary: WorkOrder, now: datetime) -> list[str]:
    """Close every report merged into ``primary`` (which has just reached a final state)."""
    label = REPAIR_WORKFLOW.state(primary.status).label
    closed = []
    for reference in repo.linked_to(primary.reference):
        order = repo.get(reference)
        if order is None or order.status != "merged":
            continue  # already closed (a replayed record) or moved on
        advance(order, "close_with_primary", role="system", actor="system", now=now,
                note=f"同一故障的报修 {primary.reference} {label}，本报修一并完成。")
        if repo.save(order):
            closed.append(reference)
    return closed


def primary_of(repo: WorkOrderRepository, order: WorkOrder) -> WorkOrder | None:
    if order.status != "merged":
        return None
    return repo.get(order.details.get("primary_reference", ""))
