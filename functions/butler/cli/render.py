"""What the staff tool prints: aligned tables, CSV for Excel, and one case in full (a
repair work order or an inquiry, complaint or suggestion).

Pure formatting: cases, the roster and "now" in, text out. Times are stored in UTC and
shown in Asia/Shanghai. What every kind of case has (step records, timeline, staff notes,
next steps) is rendered once, by the case's workflow.

Everything people typed reaches the output through ``butler.domain.inert``: table cells
(``table``), the fields of one case (``typed``) and CSV cells (``csv_table``); the commands'
``out`` passes whatever they print through it once more. Labels are shown without their
codes; codes appear only where staff type them (command lines, help).
"""
from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from butler.domain import service_levels
from butler.domain.cases import CaseKind
from butler.domain.complaints import (
    COMPLAINT,
    COMPLAINT_WORKFLOW,
    DEPARTMENTS,
    KINDS,
    REPLY_STATES,
    SOURCES as COMPLAINT_SOURCES,
    ComplaintCase,
    department,
    topic,
)
from butler.domain.errors import InvalidTransition
from butler.domain.inert import inert, spreadsheet_cell
from butler.domain.photos import KIND_LABELS as PHOTO_KINDS
from butler.domain.repairs import (
    REPAIR,
    REPAIR_WORKFLOW,
    SOURCES,
    WorkOrder,
    category,
    mask_phone,
)
from butler.domain.staff import Roster, StaffMember
from butler.domain.timefmt import SHANGHAI, parse_iso
from butler.domain.workflow import ROLE_LABELS, Action, StepField, Workflow

EMPTY = "—"
STAFF_ROLES = frozenset(ROLE_LABELS) - {"resident", "system"}
LOCATION_TYPES = {"home": "户内", "public": "公共区域"}
ALERT_KINDS = {"emergency": "紧急报修提醒", "response": "响应超时提醒", "completion": "完工超时提醒",
               "promised_reply": "约定回复超时提醒"}
CREATED = {"report": "报修", "submit": "提交"}  # the first timeline entry of each kind
CHOICE_LABELS = {d.code: d.label for d in DEPARTMENTS}  # codes of "choice:" step fields
STAFF_NOTES_TITLE = "员工备注（仅员工可见，业主看不到）"
MAX_CELL = 30  # display columns; longer cells are cut with "…" in tables


# ---------------------------------------------------------------------- small pieces
def local_time(moment: datetime | None) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" if moment else EMPTY


def local_iso(moment: datetime | None) -> str:
    """ISO 8601 in Shanghai time with its offset (+08:00): unambiguous and sortable as text."""
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else ""


def where(order: WorkOrder) -> str:
    if order.location_type == "home" and order.unit:
        return f"{order.unit} {order.location}".strip()
    return order.location


def status_label(code: str, workflow: Workflow = REPAIR_WORKFLOW) -> str:
    return workflow.state(code).label if workflow.has_state(code) else code


def deadline(case: Any, now: datetime, kind: CaseKind = REPAIR) -> str:
    due = kind.next_due(case)
    if due is None:
        return EMPTY
    return f"{local_time(due)}（已超时）" if kind.breach(case, now) else local_time(due)


def person(actor: str, role: str, roster: Roster) -> str:
    member = roster.get(actor)
    if member is not None:
        return f"{member.name}（{member.id}，{ROLE_LABELS.get(member.role, member.role)}）"
    if actor in ROLE_LABELS:
        return ROLE_LABELS[actor]
    return actor or ROLE_LABELS.get(role, role)


def staff_name(staff_id: str, roster: Roster) -> str:
    member = roster.get(staff_id)
    return f"{staff_id} {member.name}" if member else staff_id


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def mask_name(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1) if name else ""


def width(text: str) -> int:
    """Columns a terminal gives ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def one_line(text: Any) -> str:
    """A value for one table cell or one line: whitespace runs (line breaks, CR, tabs)
    become one space, and what is left is inert."""
    return inert(" ".join(str(text).split()))


def typed(text: Any, indent: str = "      ") -> str:
    """A field people typed, shown after its label: inert, and a line break in it starts a
    line indented under the field, so that no line of it can pass for another field."""
    return inert(text, newlines=True).replace("\n", "\n" + indent)


def clip(text: str, limit: int = MAX_CELL) -> str:
    text = one_line(text)
    if width(text) <= limit:
        return text
    out, used = "", 0
    for ch in text:
        if used + width(ch) > limit - 1:
            break
        out, used = out + ch, used + width(ch)
    return out + "…"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], indent: str = "",
          limit: int | None = MAX_CELL) -> str:
    """Columns aligned for a terminal; cells longer than ``limit`` columns are cut."""
    rows = [[clip(cell, limit) if limit else one_line(cell) for cell in row] for row in rows]
    widths = [max([width(h), *(width(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = [cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(cells)]
        return (indent + "  ".join(padded)).rstrip()

    rule = indent + "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


# ---------------------------------------------------------------------- lists
LIST_HEADERS = ("编号", "状态", "类别", "位置", "报修时间", "当前期限")


def order_rows(orders: Iterable[WorkOrder], now: datetime) -> list[list[str]]:
    return [
        [
            order.reference,
            status_label(order.status),
            category(order.category).label + ("（紧急）" if order.emergency else ""),
            where(order),
            local_time(order.created_at),
            deadline(order, now),
        ]
        for order in orders
    ]


def listing(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    if not rows:
        return "没有记录。"
    return f"{table(headers, rows)}\n共 {len(rows)} 条。"


def order_table(orders: Sequence[WorkOrder], now: datetime) -> str:
    return listing(LIST_HEADERS, order_rows(orders, now))


COMPLAINT_HEADERS = ("编号", "类型", "状态", "主题", "部门", "首问负责人", "提交时间", "当前期限")


def complaint_rows(cases: Iterable[ComplaintCase], now: datetime, roster: Roster) -> list[list[str]]:
    return [
        [
            case.reference,
            KINDS[case.kind],
            status_label(case.status, COMPLAINT_WORKFLOW),
            topic(case.topic).label,
            department(case.department).label,
            staff_name(case.owner, roster) if case.owner else "未认领",
            local_time(case.created_at),
            deadline(case, now, COMPLAINT),
        ]
        for case in cases
    ]


def complaint_table(cases: Sequence[ComplaintCase], now: datetime, roster: Roster) -> str:
    return listing(COMPLAINT_HEADERS, complaint_rows(cases, now, roster))


# CSV columns: (key, the Chinese header staff see in Excel). Code columns ("…代码") keep
# the codes staff filter by or type into commands; the other values are labels.
CSV_COLUMNS = (
    ("reference", "编号"), ("status", "状态代码"), ("status_label", "状态"), ("category", "类别代码"),
    ("category_label", "类别"), ("emergency", "紧急"), ("urgency", "紧急程度"), ("source", "来源"),
    ("location_type", "位置类型"), ("unit", "房号"), ("location", "位置"), ("description", "问题描述"),
    ("contact_name", "联系人"), ("contact_phone", "联系电话"), ("preferred_time", "方便上门时间"),
    ("technician", "维修人员工号"), ("created_at", "报修时间"), ("respond_by", "承诺响应时间"),
    ("complete_by", "承诺完工时间"), ("next_due", "当前期限"), ("overdue", "已超时"),
)
COMPLAINT_CSV_COLUMNS = (
    ("reference", "编号"), ("kind", "类型代码"), ("kind_label", "类型"), ("status", "状态代码"),
    ("status_label", "状态"), ("topic", "主题代码"), ("topic_label", "主题"), ("department", "部门代码"),
    ("department_label", "部门"), ("owner", "首问负责人工号"), ("source", "来源"), ("unit", "房号"),
    ("description", "具体情况"), ("contact_name", "联系人"), ("contact_phone", "联系电话"),
    ("created_at", "提交时间"), ("respond_by", "首次答复或转交期限"), ("reply_by", "约定回复时间"),
    ("reopen_count", "重新跟进次数"), ("next_due", "当前期限"), ("overdue", "已超时"),
)
YES_NO = {True: "是", False: "否"}


def _case_columns(case: Any, kind: CaseKind, now: datetime, with_contact: bool) -> dict[str, Any]:
    """The CSV columns every kind of case has."""
    return {
        "reference": case.reference, "status": case.status,
        "status_label": status_label(case.status, kind.workflow),
        "unit": case.unit or "", "description": case.description,
        "contact_name": case.contact_name if with_contact else mask_name(case.contact_name),
        "contact_phone": case.contact_phone if with_contact else mask_phone(case.contact_phone),
        "created_at": local_iso(case.created_at), "respond_by": local_iso(case.respond_by),
        "next_due": local_iso(kind.next_due(case)),
        "overdue": YES_NO[bool(kind.breach(case, now))],
    }


def csv_table(columns: Sequence[tuple[str, str]], rows: Iterable[dict[str, Any]]) -> str:
    """The one CSV writer of the staff tool: Chinese headers, then one line per row with the
    columns' keys looked up in it. Every cell goes through ``spreadsheet_cell``: text is
    inert and never a formula, numbers stay numbers."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([spreadsheet_cell(header) for _, header in columns])
    for row in rows:
        writer.writerow([spreadsheet_cell(row.get(key)) for key, _ in columns])
    return out.getvalue()


def csv_text(orders: Iterable[WorkOrder], now: datetime, *, with_contact: bool) -> str:
    """CSV of work orders; times in Shanghai time with offset; the contact's phone and name
    masked unless ``with_contact``."""
    return csv_table(CSV_COLUMNS, ({
        **_case_columns(order, REPAIR, now, with_contact),
        "source": SOURCES.get(order.source, order.source),
        "category": order.category, "category_label": category(order.category).label,
        "emergency": YES_NO[bool(order.emergency)], "urgency": service_levels.urgency(order.urgency).label,
        "location_type": LOCATION_TYPES.get(order.location_type, order.location_type),
        "location": order.location, "preferred_time": order.preferred_time,
        "technician": order.technician or "", "complete_by": local_iso(order.complete_by),
    } for order in orders))


def complaint_csv_text(cases: Iterable[ComplaintCase], now: datetime, *, with_contact: bool) -> str:
    """Like ``csv_text``, for inquiries, complaints and suggestions."""
    return csv_table(COMPLAINT_CSV_COLUMNS, ({
        **_case_columns(case, COMPLAINT, now, with_contact),
        "source": COMPLAINT_SOURCES.get(case.source, case.source),
        "kind": case.kind, "kind_label": KINDS[case.kind],
        "topic": case.topic, "topic_label": topic(case.topic).label,
        "department": case.department, "department_label": department(case.department).label,
        "owner": case.owner or "", "reply_by": local_iso(case.reply_by), "reopen_count": case.reopen_count,
    } for case in cases))


# ---------------------------------------------------------------------- one case
def _field_labels(workflow: Workflow) -> dict[str, StepField]:
    fields: dict[str, StepField] = {}
    for action in workflow.actions:
        for step_field in action.fields:
            fields.setdefault(step_field.name, step_field)
    return fields


def _alert_text(key: str) -> str:
    kind, _, due = key.partition(":")
    label = ALERT_KINDS.get(kind, key)
    try:
        return f"{label}（期限 {local_time(parse_iso(due))}）" if due else label
    except ValueError:
        return key


def _flags(case: Any, guard_message: str | None) -> list[str]:
    """Alerts already sent and a console edit put back, for any kind of case."""
    lines = []
    if case.alerted:
        lines.append(f"  已发提醒：{'；'.join(_alert_text(k) for k in sorted(case.alerted))}")
    if guard_message:
        lines.append(f"  ⚠ 控制台修改被退回：{typed(guard_message)}")
    return lines


def _records(case: Any, workflow: Workflow, roster: Roster) -> list[str]:
    lines = ["", "步骤记录："]
    if not case.details:
        return [*lines, "  （暂无）"]
    for name, step_field in _field_labels(workflow).items():
        if name in case.details:
            value = case.details[name]
            if step_field.kind == "staff":
                shown = staff_name(str(value), roster)
            elif step_field.kind.startswith("choice:") and value in CHOICE_LABELS:
                shown = CHOICE_LABELS[value]
            else:
                shown = str(value)
            lines.append(f"  {step_field.label}：{typed(shown)}")
    return lines


def _timeline(case: Any, workflow: Workflow, roster: Roster) -> list[str]:
    rows = [
        [local_time(entry.at),
         _action_label(entry.action, workflow),
         (f"{status_label(entry.from_status, workflow) if entry.from_status else '（新建）'} → "
          f"{status_label(entry.to_status, workflow)}"),
         person(entry.actor, entry.actor_role, roster),
         entry.note or EMPTY]
        for entry in case.timeline
    ]
    return ["", "处理记录：",
            table(("时间", "操作", "状态变化", "操作人", "给业主的说明"), rows, indent="  ", limit=None)]


def _staff_notes(case: Any, roster: Roster) -> list[str]:
    lines = ["", f"{STAFF_NOTES_TITLE}："]
    if not case.staff_notes:
        return [*lines, "  （暂无）"]
    return lines + [f"  {local_time(parse_iso(note['at']))}  {typed(person(note['author'], '', roster))}："
                    f"{typed(note['text'])}" for note in case.staff_notes]


def detail(order: WorkOrder, *, roster: Roster, now: datetime, member: StaffMember | None,
           guard_message: str | None, prog: str, linked: Sequence[str] = (),
           photo_links: Sequence[str | None] = (), photo_hint: str = "") -> str:
    """Everything staff need about one work order. ``linked``: reports merged into it;
    ``photo_links``: one link per photo (None when links cannot be made, see ``photo_hint``)."""
    state = REPAIR_WORKFLOW.state(order.status)
    level = service_levels.urgency(order.urgency)
    lines = [
        f"报修 {order.reference}",
        f"  状态：{state.label}{'，已结束' if state.final else ''}",
        f"  类别：{category(order.category).label}"
        + ("  ⚠ 紧急：危及安全，请立即处理" if order.emergency else ""),
        f"  紧急程度：{level.label}",
        f"  来源：{SOURCES.get(order.source, order.source)}",
        f"  位置：{LOCATION_TYPES.get(order.location_type, order.location_type)} {typed(where(order))}",
        f"  问题描述：{typed(order.description)}",
        f"  联系人：{typed(order.contact_name)}  电话：{typed(order.contact_phone)}",
        f"  方便上门时间：{typed(order.preferred_time or EMPTY)}",
        f"  报修时间：{local_time(order.created_at)}",
        f"  承诺响应：{local_time(order.respond_by)}  承诺完工：{local_time(order.complete_by)}",
        f"  当前期限：{deadline(order, now)}",
        f"  维修人员：{staff_name(order.technician, roster) if order.technician else EMPTY}",
    ]
    if linked:
        lines.append(f"  合并到本报修的同一故障报修：{'、'.join(linked)}")
    lines += _flags(order, guard_message)
    lines += _records(order, REPAIR_WORKFLOW, roster)
    lines += _timeline(order, REPAIR_WORKFLOW, roster)

    lines += ["", f"照片（{len(order.photos)} 张）："]
    if order.photos:
        for index, photo in enumerate(order.photos):
            link = photo_links[index] if index < len(photo_links) else None
            lines.append(f"  {PHOTO_KINDS.get(photo['kind'], photo['kind'])}  "
                         f"{local_time(parse_iso(photo['at']))}  {typed(person(photo['by'], '', roster))}  "
                         f"{size_text(photo['size'])}  {one_line(link or photo['key'])}")
        if photo_hint:
            lines.append(f"  {photo_hint}")
    else:
        lines.append("  （暂无）")

    lines += _staff_notes(order, roster)
    lines += ["", *next_steps(order, roster=roster, member=member, prog=prog)]
    return "\n".join(lines)


def complaint_detail(case: ComplaintCase, *, roster: Roster, now: datetime,
                     member: StaffMember | None, guard_message: str | None, prog: str) -> str:
    """Everything staff need about one inquiry, complaint or suggestion."""
    workflow = COMPLAINT_WORKFLOW
    state = workflow.state(case.status)
    transferred = "department" in case.details
    promised = (f"{local_time(case.reply_by)}（北京时间，约定 {case.details.get('promised_hours', EMPTY)} 小时内"
                f"{'' if case.status in REPLY_STATES else '，已答复'}）") if case.reply_by else "—（转交部门时约定）"
    lines = [
        f"{KINDS[case.kind]} {case.reference}",
        f"  类型：{KINDS[case.kind]}",
        f"  状态：{state.label}{'，已结束' if state.final else ''}",
        f"  主题：{topic(case.topic).label}",
        f"  部门：{department(case.department).label}"
        + ("，已转交" if transferred else "，按主题归口，尚未转交"),
        f"  首问负责人：{person(case.owner, '', roster) if case.owner else '未认领'}",
        f"  来源：{COMPLAINT_SOURCES.get(case.source, case.source)}",
        f"  房号：{typed(case.unit or EMPTY)}",
        f"  具体情况：{typed(case.description)}",
        f"  联系人：{typed(case.contact_name or EMPTY)}  电话：{typed(case.contact_phone or EMPTY)}",
        f"  提交时间：{local_time(case.created_at)}",
        f"  首次答复或转交期限：{local_time(case.respond_by)}",
        f"  约定回复时间：{promised}",
        f"  当前期限：{deadline(case, now, COMPLAINT)}",
        f"  业主不满意、重新跟进：{case.reopen_count} 次",
    ]
    lines += _flags(case, guard_message)
    lines += _replies(case, workflow, roster)
    lines += _records(case, workflow, roster)
    lines += _timeline(case, workflow, roster)
    lines += _staff_notes(case, roster)
    lines += ["", *next_steps(case, workflow=workflow, roster=roster, member=member, prog=prog)]
    return "\n".join(lines)


def _replies(case: Any, workflow: Workflow, roster: Roster) -> list[str]:
    """The replies to the resident: the steps that record a reply, and the latest reply
    (the case keeps only the latest text; each step's note to the resident stays)."""
    replying = {a.code for a in workflow.actions if "reply" in a.field_names()}
    steps = [e for e in case.timeline if e.action in replying]
    lines = ["", f"答复业主（{len(steps)} 次）："]
    if not steps:
        return [*lines, "  （暂无）"]
    for entry in steps:
        note = f"  给业主的说明：{typed(entry.note)}" if entry.note else ""
        lines.append(f"  {local_time(entry.at)}  {_action_label(entry.action, workflow)}  "
                     f"{typed(person(entry.actor, entry.actor_role, roster))}{note}")
    lines.append(f"  最新答复内容：{typed(case.details.get('reply', EMPTY))}")
    return lines


def _action_label(code: str, workflow: Workflow = REPAIR_WORKFLOW) -> str:
    if code in CREATED:
        return CREATED[code]
    try:
        return workflow.action(code).label
    except InvalidTransition:  # an action removed from the workflow since: show its code
        return code


def field_hint(step_field: StepField, roster: Roster) -> str:
    """How to fill one step field, for help texts and ``show``."""
    parts = [step_field.label, "必填" if step_field.required else "选填"]
    if step_field.kind == "minutes":
        parts.append("整数，单位分钟")
    elif step_field.kind == "hours":
        parts.append("整数，单位小时，1 到 720")
    elif step_field.kind == "rating":
        parts.append("1 到 5 的整数")
    elif step_field.kind == "reference":
        parts.append("填报修编号，例如 R-7KQ4-M2XP")
    elif step_field.kind.startswith("choice:"):
        options = step_field.kind.removeprefix("choice:").split(",")
        parts.append("填代码：" + "、".join(f"{code} {CHOICE_LABELS.get(code, '')}".rstrip() for code in options))
    elif step_field.kind == "staff":
        eligible = [m for m in roster.values()
                    if not step_field.staff_roles or m.role in step_field.staff_roles]
        parts.append(f"填{step_field.staff_roles_text}工号：" + "、".join(f"{m.id} {m.name}" for m in eligible))
    if step_field.resident_visible:
        parts.append("业主可见")
    return "；".join(parts[:1]) + "（" + "；".join(parts[1:]) + "）"


def option_name(step_field: StepField) -> str:
    return "--" + step_field.name.replace("_", "-")


def command_name(action: Action) -> str:
    return action.code.replace("_", "-")


def metavar(step_field: StepField) -> str:
    if step_field.kind.startswith("choice:"):
        return "代码"
    return {"staff": "工号", "minutes": "分钟", "hours": "小时", "rating": "评分",
            "reference": "编号"}.get(step_field.kind, "文字")


def roles_text(action: Action) -> str:
    staff = "、".join(ROLE_LABELS.get(r, r) for r in action.roles if r in STAFF_ROLES)
    return staff or "、".join(ROLE_LABELS.get(r, r) for r in action.roles)  # 系统 (archive)


def next_steps(case: Any, *, workflow: Workflow = REPAIR_WORKFLOW, roster: Roster,
               member: StaffMember | None, prog: str) -> list[str]:
    """The staff steps open from the case's status: those the member may take, with the
    command line; a step only the first-contact owner may take says so."""
    possible = [a for a in workflow.available(case.status) if STAFF_ROLES & set(a.roles)]
    if not possible:
        waits = "".join(a.when_text for a in workflow.available(case.status) if a.wait)
        return ["下一步：无（已结束或只等业主操作）。" + waits]
    owner = case.details.get("owner")
    owner_text = f"首问负责人 {person(owner, '', roster)}" if owner else ""

    def held_by_owner(action: Action) -> bool:
        return action.owner_only and bool(owner) and (member is None or member.id != owner)

    if member is not None:
        by_role = [a for a in possible if member.role in a.roles]
        mine = [a for a in by_role if not held_by_owner(a)]
        owners_only = [a for a in by_role if held_by_owner(a)]
        title = f"下一步（您是{member.name}，{ROLE_LABELS.get(member.role, member.role)}）："
    else:
        mine, owners_only = possible, []
        title = "下一步（用 --as 工号 指明您是谁）："
    lines = [title]
    for action in owners_only:
        lines.append(f"  {action.label}：只能由{owner_text}操作（首问负责）。")
    if not mine:
        others = [a for a in possible if a not in owners_only]
        text = "您现在没有可做的操作。" if owners_only else "您的岗位现在没有可做的操作。"
        if others:
            text += "其他人可做：" + "；".join(
                f"{a.label}（{owner_text if held_by_owner(a) else roles_text(a)}）" for a in others)
        return [*lines, f"  {text}"]
    who = f" --as {member.id}" if member else ""
    for action in mine:
        required = " ".join(f"{option_name(f)} <{metavar(f)}>" for f in action.fields if f.required)
        roles = "" if member else f"；由{owner_text if held_by_owner(action) else roles_text(action)}操作"
        lines.append(f"  {action.label} → {status_label(action.target, workflow)}{roles}")
        lines.append(f"    {prog}{who} {command_name(action)} {case.reference} {required}".rstrip())
        for step_field in action.fields:
            lines.append(f"      {option_name(step_field)}  {field_hint(step_field, roster)}")
    lines.append("  每一步都可加 --note（写给业主看的说明）和 --staff-note（仅员工可见的备注）。")
    return lines
