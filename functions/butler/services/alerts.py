"""Alerts to staff: emergencies at once, and each missed deadline exactly once."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from butler.domain.repairs import REPAIR_WORKFLOW, WorkOrder, breach, category, next_due
from butler.domain.timefmt import SHANGHAI, iso
from butler.repository.work_orders import WorkOrderRepository

EMERGENCY_KEY = "emergency"


class Notifier(Protocol):
    def publish(self, subject: str, message: str) -> None: ...


def _where(order: WorkOrder) -> str:
    return order.unit or order.location


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(SHANGHAI):%m-%d %H:%M}"


def alert_emergency(repo: WorkOrderRepository, notifier: Notifier, reference: str) -> bool:
    """Alert staff about a new emergency report, once. True if this call sent it."""
    for _ in range(5):  # a staff edit between the read and the mark: read again
        order = repo.get(reference)
        if order is None or not order.emergency or EMERGENCY_KEY in order.alerted:
            return False
        if repo.mark_alerted(order, EMERGENCY_KEY, overdue=False):
            break
    else:
        raise RuntimeError(f"could not record the emergency alert of {reference}")  # the stream retries
    _publish_or_unmark(repo, notifier, reference, EMERGENCY_KEY,
                       f"EMERGENCY {order.reference}",
                       f"【紧急报修】{order.reference} {category(order.category).label}，地点：{_where(order)}。"
                       f"请立即电话联系业主（号码见控制台），{_local(order.respond_by)} 前必须响应。")
    return True


def sweep_overdue(repo: WorkOrderRepository, notifier: Notifier, now: datetime) -> list[str]:
    """Mark and alert every breach not alerted before; returns the keys alerted now."""
    sent = []
    for reference in repo.due_before(now):
        order = repo.get(reference)
        kind = breach(order, now) if order else None
        if kind is None:
            continue
        key = f"{kind}:{iso(next_due(order))}"
        if not repo.mark_alerted(order, key, overdue=True):
            continue
        label = "响应" if kind == "response" else "完工"
        _publish_or_unmark(repo, notifier, reference, key,
                           f"OVERDUE {order.reference} {kind}",
                           f"【超时】{order.reference} {category(order.category).label}（{_where(order)}）"
                           f"承诺{label}时间 {_local(next_due(order))} 已过，当前状态："
                           f"{REPAIR_WORKFLOW.state(order.status).label}。")
        sent.append(f"{reference} {key}")
    return sent


def _publish_or_unmark(repo: WorkOrderRepository, notifier: Notifier, reference: str, key: str,
                       subject: str, message: str) -> None:
    try:
        notifier.publish(subject, message)
    except Exception:
        repo.unmark_alerted(reference, key)  # so that the next run tries again
        raise
