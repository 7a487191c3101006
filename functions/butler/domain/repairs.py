"""Repair work orders (维修工单): categories, the workflow, and what a resident sees.

Facts come from the service plan §3(二): reported → dispatched → surveyed → in repair
(may pause for parts or access) → completed with a repair record → accepted by the
butler (or sent back) → result fed back and rated → archived in the house archive.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from butler.domain import service_levels
from butler.domain.timefmt import iso
from butler.domain.cases import (
    CaseKind,
    TimelineEntry,
    number_fields,
    resident_fields,
    resident_timeline,
    step_fields,
)
from butler.domain.workflow import Action, State, StepField, Workflow


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    emergency: bool = False
    hint: str = ""


CATEGORIES: tuple[Category, ...] = (
    Category("elevator_entrapment", "电梯困人", True, "有人被困在电梯内"),
    Category("gas_leak", "燃气泄漏", True, "闻到燃气味或燃气报警器响"),
    Category("fire", "火情或冒烟", True, "看到明火、浓烟或闻到焦糊味"),
    Category("flooding", "水浸或爆管", True, "水管爆裂、房间或楼道大量积水"),
    Category("power_outage", "停电", True, "整户或整栋楼突然停电"),
    Category("plumbing", "给排水", hint="漏水、下水堵塞、水龙头或马桶故障"),
    Category("electrical", "电路与照明", hint="插座、开关、灯具、跳闸"),
    Category("doors_windows", "门窗与门禁", hint="入户门、窗户、单元门禁、门锁"),
    Category("walls_ceilings", "墙面与渗漏", hint="墙面开裂、天花板渗水、瓷砖脱落"),
    Category("elevator", "电梯故障（无人被困）", hint="电梯停运、异响、按钮失灵"),
    Category("public_facilities", "公共设施", hint="楼道灯、消防栓箱、健身器材、道路井盖"),
    Category("other", "其他", hint="以上都不是的问题"),
)
_CATEGORIES = {c.code: c for c in CATEGORIES}


def category(code: str) -> Category:
    return _CATEGORIES[code]


def category_codes() -> tuple[str, ...]:
    return tuple(_CATEGORIES)


RESIDENT_URGENCIES = ("normal", "urgent")  # "emergency" follows from the category

SOURCES = {
    "resident_site": "业主网上报修",
    "phone": "电话报修",
    "visit": "到访报修",
    "inspection": "管家巡查发现",
}

STAFF = ("butler", "customer_service", "maintenance_lead")

REPAIR_WORKFLOW = Workflow(
    name="repair",
    initial="reported",
    states=(
        State("reported", "已报修，待派单", "已收到您的报修，正在安排维修人员"),
        State("dispatched", "已派单", "已安排维修人员，将尽快与您联系"),
        State("surveyed", "已勘查", "维修人员已上门查看，确定了维修方案"),
        State("in_repair", "维修中", "正在维修"),
        State("paused", "暂停（待料或待入户）", "维修暂停，正在等待材料或约定入户时间"),
        State("completed", "已完工，待验收", "维修已完成，物业管家正在验收"),
        State("accepted", "验收合格，待业主评价", "维修已验收合格，请您评价"),
        State("rated", "业主已评价", "感谢您的评价"),
        State("merged", "已合并到同一故障的报修", "同一故障已有报修，我们合并处理，进度见下方"),
        State("archived", "已归档", "已完成并归档", final=True),
        State("cancelled", "已取消", "报修已取消", final=True),
    ),
    actions=(
        Action("dispatch", "派单", ("reported",), "dispatched", STAFF, "已派单给维修人员",
               (StepField("technician", "维修人员", kind="staff", staff_role="technician"),)),
        Action("survey", "现场勘查", ("dispatched",), "surveyed", ("technician", "maintenance_lead"),
               "维修人员已完成现场勘查",
               (StepField("survey_plan", "维修方案", resident_visible=True),
                StepField("materials_planned", "所需材料", resident_visible=True))),
        Action("start_repair", "开始维修", ("surveyed",), "in_repair", ("technician", "maintenance_lead"),
               "开始维修"),
        Action("note_situation", "报告特殊情况", ("in_repair",), "in_repair",
               ("technician", "maintenance_lead"), "",
               (StepField("situation", "特殊情况", staff_note=True),)),
        Action("pause", "暂停维修", ("in_repair",), "paused", ("technician", "maintenance_lead"),
               "维修暂停",
               (StepField("pause_reason", "暂停原因（待料或待入户）", resident_visible=True),)),
        Action("resume", "恢复维修", ("paused",), "in_repair", ("technician", "maintenance_lead"),
               "恢复维修"),
        Action("complete", "完工并填写维修记录", ("in_repair",), "completed",
               ("technician", "maintenance_lead"), "维修完成，等待验收",
               (StepField("work_done", "维修内容", resident_visible=True),
                StepField("materials_used", "所用材料", resident_visible=True),
                StepField("labour_minutes", "工时（分钟）", kind="minutes", resident_visible=True))),
        Action("accept", "验收合格并签字", ("completed",), "accepted", ("butler",),
               "物业管家验收合格",
               (StepField("accepted_by", "验收签字（管家工号）", kind="staff", staff_role="butler"),)),
        Action("reject", "验收不合格，返修", ("completed",), "in_repair", ("butler",),
               "验收未通过，安排返修",
               (StepField("reject_reason", "不合格原因", resident_visible=True),)),
        Action("rate", "业主评价", ("accepted",), "rated", ("resident",), "业主已评价",
               (StepField("rating", "评分（1–5）", kind="rating", resident_visible=True),
                StepField("rating_comment", "评价", required=False, resident_visible=True))),
        Action("report_not_fixed", "业主反馈未修好", ("accepted",), "in_repair", ("resident",),
               "业主反馈问题未解决，已安排返修",
               (StepField("not_fixed_reason", "未修好的情况", resident_visible=True),)),
        Action("archive", "归档到房屋档案", ("accepted", "rated"), "archived", ("butler", "system"),
               "已归档"),
        Action("link", "合并到同一故障的报修", ("reported", "dispatched"), "merged", STAFF,
               "同一故障已有报修，合并处理",
               (StepField("primary_reference", "主报修编号", kind="reference", resident_visible=True),)),
        Action("close_with_primary", "随主报修一并完成", ("merged",), "archived", ("system",),
               "同一故障已处理完毕，本报修一并完成"),
        Action("cancel", "取消报修", ("reported", "dispatched", "surveyed"), "cancelled",
               (*STAFF, "resident"), "报修已取消",
               (StepField("cancel_reason", "取消原因", resident_visible=True),)),
    ),
)

# Fields every step may carry besides its own: what residents read, and what only staff read.
RESIDENT_NOTE = "resident_note"
STAFF_NOTE = "staff_note"
WORK_STATES = ("dispatched", "surveyed", "in_repair", "paused")


@dataclass
class WorkOrder:
    reference: str
    token_hash: str
    status: str
    category: str
    urgency: str
    location_type: str  # "home" or "public"
    unit: str | None
    location: str
    description: str
    contact_name: str
    contact_phone: str
    preferred_time: str
    source: str
    created_at: datetime
    respond_by: datetime
    complete_by: datetime
    timeline: list[TimelineEntry] = field(default_factory=list)
    staff_notes: list[dict] = field(default_factory=list)  # never shown to residents
    details: dict[str, Any] = field(default_factory=dict)  # values recorded by the steps
    alerted: set[str] = field(default_factory=set)  # breaches and emergencies already alerted
    photos: list[dict] = field(default_factory=list)  # butler.domain.photos.Photo records
    version: int | None = None  # concurrency token of the stored copy (None: never stored)

    @property
    def emergency(self) -> bool:
        return category(self.category).emergency

    @property
    def technician(self) -> str | None:
        return self.details.get("technician")


@dataclass(frozen=True)
class RepairReport:
    """What a resident (or staff on a resident's behalf) reports; already validated."""

    category: str
    description: str
    location_type: str
    unit: str | None
    location: str
    contact_name: str
    contact_phone: str
    urgency: str = "normal"
    preferred_time: str = ""
    source: str = "resident_site"
    reported_by: str = "resident"  # staff id when staff record a call, visit or inspection
    reporter_role: str = "resident"  # that staff member's role


def new_work_order(report: RepairReport, *, reference: str, token_hash: str,
                   now: datetime) -> WorkOrder:
    urgency = "emergency" if category(report.category).emergency else report.urgency
    return WorkOrder(
        reference=reference,
        token_hash=token_hash,
        status=REPAIR_WORKFLOW.initial,
        category=report.category,
        urgency=urgency,
        location_type=report.location_type,
        unit=report.unit,
        location=report.location,
        description=report.description,
        contact_name=report.contact_name,
        contact_phone=report.contact_phone,
        preferred_time=report.preferred_time,
        source=report.source,
        created_at=now,
        respond_by=now + service_levels.target(urgency, report.category).respond_within,
        complete_by=now + service_levels.target(urgency, report.category).complete_within,
        timeline=[TimelineEntry(now, "report", None, REPAIR_WORKFLOW.initial, report.reporter_role,
                                "报修已提交", report.reported_by)],
    )


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def resident_view(order: WorkOrder, primary: WorkOrder | None = None) -> dict:
    """What the resident's tracking page shows: no staff notes, phone masked. A report
    merged into a shared fault's order also shows that order's progress (``primary``)."""
    state = REPAIR_WORKFLOW.state(order.status)
    view = {
        "reference": order.reference,
        "status": order.status,
        "status_label": state.resident_label,
        "final": state.final,
        "category": order.category,
        "category_label": category(order.category).label,
        "emergency": order.emergency,
        "urgency": order.urgency,
        "urgency_label": service_levels.urgency(order.urgency).label,
        "location": order.unit if order.location_type == "home" and order.unit else order.location,
        "location_detail": order.location if order.location_type == "home" else "",
        "description": order.description,
        "contact_phone": mask_phone(order.contact_phone),
        "created_at": iso(order.created_at),
        "respond_by": iso(order.respond_by),
        "complete_by": iso(order.complete_by),
        "timeline": resident_timeline(order, REPAIR_WORKFLOW),
        "details": {name: order.details[name] for name in RESIDENT_FIELDS if name in order.details},
        "resident_actions": [a.code for a in REPAIR_WORKFLOW.available(order.status, "resident")],
    }
    if primary is not None:
        shared = resident_view(primary)
        view["primary"] = {key: shared[key] for key in
                           ("reference", "status", "status_label", "final", "location", "timeline")}
    return view


RESIDENT_FIELDS = resident_fields(REPAIR_WORKFLOW)
STEP_FIELDS = step_fields(REPAIR_WORKFLOW)
NUMBER_FIELDS = number_fields(REPAIR_WORKFLOW)


REPAIR = CaseKind(
    "repair", "R", REPAIR_WORKFLOW, WorkOrder,
    deadlines={"reported": ("respond_by", "response"),
               **{status: ("complete_by", "completion") for status in WORK_STATES}},
    protected=("respond_by", "complete_by", "category", "urgency", "photos"),
)
advance = REPAIR.advance
advance_to = REPAIR.advance_to
next_due = REPAIR.next_due
breach = REPAIR.breach
