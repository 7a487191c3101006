"""Alerts to staff: emergencies at once, and each missed deadline exactly once (for a
complaint, a missed promised reply is escalated to the department head and the butler).

An alert quotes what a resident typed (a public area's location): every alert is made
inert (``butler.domain.inert``) where it is published, one line without control or bidi
characters, whatever email or SMS client shows it."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from butler.domain import complaints, repairs
from butler.domain.inert import inert
from butler.domain.timefmt import SHANGHAI, iso
from butler.repository.cases import CaseRepository
from butler.repository.work_orders import WorkOrderRepository

EMERGENCY_KEY = "emergency"
BREACH_LABELS = {"response": "响应", "completion": "完工", "promised_reply": "约定回复"}


class Notifier(Protocol):
    def publish(self, subject: str, message: str) -> None: ...


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(SHANGHAI):%m-%d %H:%M}"


def describe(case: Any) -> str:
    """One line for staff: what and where, never who (no names or phone numbers)."""
    if isinstance(case, repairs.WorkOrder):
        return f"{case.reference} {repairs.category(case.category).label}（{case.unit or case.location}）"
    department = complaints.department(case.department).label
    return (f"{case.reference} {complaints.KINDS[case.kind]}·{complaints.topic(case.topic).label}"
            f"（{department}，首问负责人 {case.owner or '未认领'}）")


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
    _publish_or_unmark(repo, notifier, reference, EMERGENCY_KEY, f"EMERGENCY {order.reference}",
                       f"【紧急报修】{describe(order)}。请立即电话联系业主（号码见控制台），"
                       f"{_local(order.respond_by)} 前必须响应。")
    return True


def sweep_overdue(repo: CaseRepository, notifier: Notifier, now: datetime) -> list[str]:
    """Mark and alert every breach not alerted before; returns the keys alerted now."""
    kind = repo.kind
    sent = []
    for reference in repo.due_before(now):
        case = repo.get(reference)
        breached = kind.breach(case, now) if case else None
        if breached is None:
            continue
        due = kind.next_due(case)
        key = f"{breached}:{iso(due)}"
        if not repo.mark_alerted(case, key, overdue=True):
            continue
        escalate = "请部门负责人和物业管家督办。" if breached == "promised_reply" else ""
        _publish_or_unmark(repo, notifier, reference, key, f"OVERDUE {case.reference} {breached}",
                           f"【超时】{describe(case)} 承诺{BREACH_LABELS[breached]}时间 {_local(due)} 已过，"
                           f"当前状态：{kind.workflow.state(case.status).label}。{escalate}")
        sent.append(f"{reference} {key}")
    return sent


def _publish_or_unmark(repo: CaseRepository, notifier: Notifier, reference: str, key: str,
                       subject: str, message: str) -> None:
    try:
        notifier.publish(inert(subject), inert(message))
    except Exception:
        repo.unmark_alerted(reference, key)  # so that the next run tries again
        raise
