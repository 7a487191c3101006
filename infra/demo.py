"""Demo work orders for the local stack: a few reports at different steps of the flow.

Names and phone numbers are invented (139 0000 00xx).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from butler.domain import identifiers
from butler.domain.repairs import RepairReport, WorkOrder, advance, new_work_order
from butler.domain.timefmt import utc_now
from butler.repository.work_orders import WorkOrderRepository
from butler.roster import load_roster


@dataclass(frozen=True)
class DemoOrder:
    reference: str
    token: str
    status: str


DEMO = (
    (RepairReport("plumbing", "卫生间洗手盆下水很慢，疑似堵塞。", "home", "3-2-1201", "卫生间",
                  "王先生（示例）", "13900000001", preferred_time="工作日晚上"),
     [("dispatch", "butler", "gj-li", {"technician": "wx-wang"}),
      ("survey", "technician", "wx-wang", {"survey_plan": "疏通下水并更换存水弯",
                                            "materials_planned": "存水弯 1 个"}),
      ("start_repair", "technician", "wx-wang", {})]),
    (RepairReport("public_facilities", "5号楼2单元一楼楼道灯不亮。", "public", None,
                  "5号楼2单元一楼楼道", "李女士（示例）", "13900000002"),
     [("dispatch", "customer_service", "kf-zhang", {"technician": "wx-zhao"})]),
    (RepairReport("doors_windows", "单元门禁刷卡没反应。", "public", None, "1号楼1单元门禁",
                  "赵先生（示例）", "13900000003", urgency="urgent"),
     []),
)


def load_demo(repo: WorkOrderRepository) -> list[DemoOrder]:
    loaded = []
    start = utc_now() - timedelta(hours=5)
    for number, (report, steps) in enumerate(DEMO):
        token = identifiers.new_token()
        order: WorkOrder = new_work_order(
            report, reference=identifiers.new_reference("R"),
            token_hash=identifiers.hash_token(token), now=start + timedelta(minutes=number))
        for offset, (action, role, actor, values) in enumerate(steps, start=1):
            advance(order, action, role=role, actor=actor, values=values, roster=load_roster(),
                    now=order.created_at + timedelta(minutes=40 * offset))
        repo.add(order)
        loaded.append(DemoOrder(order.reference, token, order.status))
    return loaded
