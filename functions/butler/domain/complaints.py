"""Inquiries, complaints and suggestions (咨询/投诉/建议), plan §2(一) and §3(一).

Whoever first receives a case owns it to the end (首问负责): simple questions are answered
on the spot; complex ones are transferred to the department concerned with a reply time
promised to the resident; the department investigates and proposes a solution; the owner
replies; the resident confirms satisfied, or not, and it goes back to the owner (跟踪到底，
直至业主满意). A transfer never changes the owner.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from butler.domain.cases import CaseKind, TimelineEntry, resident_timeline
from butler.domain.cases import number_fields, resident_fields, step_fields
from butler.domain.repairs import shown_phone
from butler.domain.staff import Roster
from butler.domain.timefmt import iso
from butler.domain.workflow import Action, load_workflow

KINDS = {"inquiry": "咨询", "complaint": "投诉", "suggestion": "建议"}
SOURCES = {"resident_site": "业主网上提交", "phone": "电话登记", "visit": "到访登记", "survey": "满意度调查意见"}


@dataclass(frozen=True)
class Department:
    code: str
    label: str


DEPARTMENTS: tuple[Department, ...] = (
    Department("customer_service", "客户服务部"),
    Department("engineering", "工程维修部"),
    Department("environment", "环境卫生部"),
    Department("security", "安全秩序部"),
    Department("community", "社区文化部"),
)
_DEPARTMENTS = {d.code: d for d in DEPARTMENTS}


@dataclass(frozen=True)
class Topic:
    code: str
    label: str
    department: str


TOPICS: tuple[Topic, ...] = (
    Topic("fees", "物业费与账单", "customer_service"),
    Topic("service_attitude", "服务态度", "customer_service"),
    Topic("repair_quality", "维修质量与进度", "engineering"),
    Topic("facilities", "公共设施设备", "engineering"),
    Topic("cleaning", "环境卫生与垃圾分类", "environment"),
    Topic("greening", "绿化养护", "environment"),
    Topic("security", "安全与门禁", "security"),
    Topic("parking", "停车与车辆管理", "security"),
    Topic("neighbours", "邻里、噪音与装修", "customer_service"),
    Topic("activities", "社区文化活动", "community"),
    Topic("other", "其他", "customer_service"),
)
_TOPICS = {t.code: t for t in TOPICS}


def topic(code: str) -> Topic:
    return _TOPICS[code]


def department(code: str) -> Department:
    return _DEPARTMENTS[code]


# Service levels (one configuration; the site publishes it): a first answer or a transfer
# within a day, and the reply promised on a transfer, by kind, unless staff set one.
FIRST_RESPONSE = timedelta(hours=24)
PROMISED_REPLY = {"inquiry": timedelta(hours=48), "complaint": timedelta(hours=72),
                  "suggestion": timedelta(days=7)}

# The flow of the service plan §2(一), §3(一); departments are the choices of "transfer".
COMPLAINT_WORKFLOW = load_workflow("complaint", {"departments": [d.code for d in DEPARTMENTS]})

RESIDENT_FIELDS = resident_fields(COMPLAINT_WORKFLOW)
STEP_FIELDS = step_fields(COMPLAINT_WORKFLOW)
NUMBER_FIELDS = number_fields(COMPLAINT_WORKFLOW)
REPLY_STATES = ("transferred", "investigating", "solution_proposed")


@dataclass(frozen=True)
class ComplaintFiling:
    """What a resident files (or staff record on a resident's behalf); already validated."""

    kind: str
    topic: str
    description: str
    contact_name: str = ""
    contact_phone: str = ""  # optional for suggestions
    unit: str | None = None
    source: str = "resident_site"
    received_by: str | None = None  # staff id when staff record a call or visit: the owner


@dataclass
class ComplaintCase:
    reference: str
    token_hash: str
    status: str
    kind: str
    topic: str
    description: str
    contact_name: str
    contact_phone: str
    unit: str | None
    source: str
    created_at: datetime
    respond_by: datetime
    reply_by: datetime | None = None
    reopen_count: int = 0
    timeline: list[TimelineEntry] = field(default_factory=list)
    staff_notes: list[dict] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    alerted: set[str] = field(default_factory=set)
    version: int | None = None
    anonymised_at: datetime | None = None  # when the contact details were removed (domain.retention)
    phone_code: str | None = None  # a short code read to a caller (butler.domain.phone_codes)

    @property
    def owner(self) -> str | None:
        return self.details.get("owner")

    @property
    def department(self) -> str:
        return self.details.get("department") or topic(self.topic).department


def new_case(filing: ComplaintFiling, *, reference: str, token_hash: str, now: datetime) -> ComplaintCase:
    case = ComplaintCase(
        reference=reference, token_hash=token_hash, status=COMPLAINT_WORKFLOW.initial,
        kind=filing.kind, topic=filing.topic, description=filing.description,
        contact_name=filing.contact_name, contact_phone=filing.contact_phone, unit=filing.unit,
        source=filing.source, created_at=now, respond_by=now + FIRST_RESPONSE,
        timeline=[TimelineEntry(now, "submit", None, COMPLAINT_WORKFLOW.initial,
                                "resident" if filing.received_by is None else "customer_service",
                                f"{KINDS[filing.kind]}已提交", filing.received_by or "resident")],
    )
    if filing.received_by:  # taken by phone or at the desk: the receiver owns it from the start
        case.details["owner"] = filing.received_by
        case.timeline.append(TimelineEntry(now, "claim", case.status, "received", "customer_service",
                                           "已有专人负责，将跟进到底", filing.received_by))
        case.status = "received"
    return case


def _after_step(case: ComplaintCase, action: Action, now: datetime) -> None:
    if action.code == "transfer":
        hours = case.details.get("promised_hours")
        promised = timedelta(hours=hours) if hours else PROMISED_REPLY[case.kind]
        case.reply_by = now + promised
        case.details["promised_hours"] = int(promised.total_seconds() // 3600)
    elif action.code == "not_satisfied":
        case.reopen_count += 1
        case.respond_by = now + FIRST_RESPONSE  # the owner answers again within a day


COMPLAINT = CaseKind(
    "complaint", "C", COMPLAINT_WORKFLOW, ComplaintCase,
    deadlines={"submitted": ("respond_by", "response"), "received": ("respond_by", "response"),
               **{status: ("reply_by", "promised_reply") for status in REPLY_STATES}},
    protected=("respond_by", "reply_by", "kind", "topic", "reopen_count"),
    # The unit of an inquiry or complaint points at the household (a repair's unit stays:
    # the house archive is the unit's history).
    personal=("contact_name", "contact_phone", "unit"),
    after_step=_after_step,
)
advance = COMPLAINT.advance
advance_to = COMPLAINT.advance_to
next_due = COMPLAINT.next_due
breach = COMPLAINT.breach


def resident_view(case: ComplaintCase, roster: Roster | None = None) -> dict:
    state = COMPLAINT_WORKFLOW.state(case.status)
    owner = (roster or {}).get(case.owner or "")
    return {
        "reference": case.reference,
        "kind": case.kind,
        "kind_label": KINDS[case.kind],
        "topic": case.topic,
        "topic_label": topic(case.topic).label,
        "status": case.status,
        "status_label": state.resident_label,
        "final": state.final,
        "owner_name": owner.name if owner else "",
        "department_label": department(case.department).label,
        "description": case.description,
        "contact_phone": shown_phone(case),
        "created_at": iso(case.created_at),
        "reply_by": iso(case.reply_by) if case.reply_by and case.status in REPLY_STATES else None,
        "reopen_count": case.reopen_count,
        "timeline": resident_timeline(case, COMPLAINT_WORKFLOW),
        "details": {name: case.details[name] for name in RESIDENT_FIELDS if name in case.details},
        "resident_actions": [a.code for a in COMPLAINT_WORKFLOW.available(case.status, "resident")],
    }
