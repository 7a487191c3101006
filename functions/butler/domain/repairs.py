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
from butler.domain.cases import CaseKind, TimelineEntry, resident_timeline
from butler.domain.cases import number_fields, resident_fields, step_fields
from butler.domain.timefmt import iso
from butler.domain.workflow import load_workflow


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    emergency: bool = False
    hint: str = ""
    # Only ever in a common area (lifts, shared facilities): the report form chooses 公共区域.
    public_area: bool = False


CATEGORIES: tuple[Category, ...] = (
    Category("elevator_entrapment", "电梯困人", True, "有人被困在电梯内", public_area=True),
    Category("gas_leak", "燃气泄漏", True, "闻到燃气味或燃气报警器响"),
    Category("fire", "火情或冒烟", True, "看到明火、浓烟或闻到焦糊味"),
    Category("flooding", "水浸或爆管", True, "水管爆裂、房间或楼道大量积水"),
    Category("power_outage", "停电", True, "整户或整栋楼突然停电"),
    Category("plumbing", "给排水", hint="漏水、下水堵塞、水龙头或马桶故障"),
    Category("electrical", "电路与照明", hint="插座、开关、灯具、跳闸"),
    Category("doors_windows", "门窗与门禁", hint="入户门、窗户、单元门禁、门锁"),
    Category("walls_ceilings", "墙面与渗漏", hint="墙面开裂、天花板渗水、瓷砖脱落"),
    Category("elevator", "电梯故障（无人被困）", hint="电梯停运、异响、按钮失灵", public_area=True),
    Category("public_facilities", "公共设施", hint="楼道灯、消防栓箱、健身器材、道路井盖", public_area=True),
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

# The flow of the service plan §3(二): states, steps, who takes them, what they record.
REPAIR_WORKFLOW = load_workflow("repair", periods=service_levels.PERIODS)

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
    anonymised_at: datetime | None = None  # when the contact details were removed (domain.retention)
    phone_code: str | None = None  # a short code read to a caller (butler.domain.phone_codes)

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


CONTACT_REMOVED = "已按规定删除"  # what the tracking page shows once contact details are removed


def shown_phone(case: Any) -> str:
    """The phone number as the tracking page shows it: masked, or why it is gone."""
    if case.anonymised_at:
        return CONTACT_REMOVED
    return mask_phone(case.contact_phone) if case.contact_phone else ""


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
        "contact_phone": shown_phone(order),
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
