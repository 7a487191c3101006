"""What the staff tool prints: aligned tables, CSV for Excel, and one work order in full.

Pure formatting: work orders, the roster and "now" in, text out. Times are stored in UTC
and shown in Asia/Shanghai.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime

from butler.domain import service_levels
from butler.domain.errors import InvalidTransition
from butler.domain.photos import KIND_LABELS as PHOTO_KINDS
from butler.domain.repairs import (
    REPAIR_WORKFLOW,
    SOURCES,
    WorkOrder,
    breach,
    category,
    mask_phone,
    next_due,
)
from butler.domain.staff import Roster, StaffMember
from butler.domain.timefmt import SHANGHAI, parse_iso
from butler.domain.workflow import ROLE_LABELS, Action, StepField, Workflow

EMPTY = "—"
STAFF_ROLES = frozenset(ROLE_LABELS) - {"resident", "system"}
LOCATION_TYPES = {"home": "户内", "public": "公共区域"}
ALERT_KINDS = {"emergency": "紧急报修提醒", "response": "响应超时提醒", "completion": "完工超时提醒"}
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


def status_label(code: str) -> str:
    return REPAIR_WORKFLOW.state(code).label


def deadline(order: WorkOrder, now: datetime) -> str:
    due = next_due(order)
    if due is None:
        return EMPTY
    return f"{local_time(due)}（已超时）" if breach(order, now) else local_time(due)


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


def clip(text: str, limit: int = MAX_CELL) -> str:
    text = " ".join(text.split())
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
    rows = [[clip(cell, limit) if limit else " ".join(cell.split()) for cell in row] for row in rows]
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


def order_table(orders: Sequence[WorkOrder], now: datetime) -> str:
    if not orders:
        return "没有记录。"
    return f"{table(LIST_HEADERS, order_rows(orders, now))}\n共 {len(orders)} 条。"


CSV_FIELDS = (
    "reference", "status", "status_label", "category", "category_label", "emergency", "urgency",
    "source", "location_type", "unit", "location", "description", "contact_name",
    "contact_phone", "preferred_time", "technician", "created_at", "respond_by", "complete_by",
    "next_due", "overdue",
)


def csv_text(orders: Iterable[WorkOrder], now: datetime, *, with_contact: bool) -> str:
    """CSV with English column names; times in Shanghai time with offset; the contact's
    phone and name masked unless ``with_contact``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for order in orders:
        writer.writerow({
            "reference": order.reference,
            "status": order.status,
            "status_label": status_label(order.status),
            "category": order.category,
            "category_label": category(order.category).label,
            "emergency": "yes" if order.emergency else "no",
            "urgency": order.urgency,
            "source": order.source,
            "location_type": order.location_type,
            "unit": order.unit or "",
            "location": order.location,
            "description": order.description,
            "contact_name": order.contact_name if with_contact else mask_name(order.contact_name),
            "contact_phone": order.contact_phone if with_contact else mask_phone(order.contact_phone),
            "preferred_time": order.preferred_time,
            "technician": order.technician or "",
            "created_at": local_iso(order.created_at),
            "respond_by": local_iso(order.respond_by),
            "complete_by": local_iso(order.complete_by),
            "next_due": local_iso(next_due(order)),
            "overdue": "yes" if breach(order, now) else "no",
        })
    return out.getvalue()


# ---------------------------------------------------------------------- one work order
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


def detail(order: WorkOrder, *, roster: Roster, now: datetime, member: StaffMember | None,
           guard_message: str | None, prog: str, linked: Sequence[str] = (),
           photo_links: Sequence[str | None] = (), photo_hint: str = "") -> str:
    """Everything staff need about one order. ``linked``: reports merged into it;
    ``photo_links``: one link per photo (None when links cannot be made, see ``photo_hint``)."""
    state = REPAIR_WORKFLOW.state(order.status)
    level = service_levels.urgency(order.urgency)
    lines = [
        f"报修 {order.reference}",
        f"  状态：{state.label}（{order.status}）{'，已结束' if state.final else ''}",
        f"  类别：{category(order.category).label}（{order.category}）"
        + ("  ⚠ 紧急：危及安全，请立即处理" if order.emergency else ""),
        f"  紧急程度：{level.label}",
        f"  来源：{SOURCES.get(order.source, order.source)}",
        f"  位置：{LOCATION_TYPES.get(order.location_type, order.location_type)} {where(order)}",
        f"  问题描述：{order.description}",
        f"  联系人：{order.contact_name}  电话：{order.contact_phone}",
        f"  方便上门时间：{order.preferred_time or EMPTY}",
        f"  报修时间：{local_time(order.created_at)}",
        f"  承诺响应：{local_time(order.respond_by)}  承诺完工：{local_time(order.complete_by)}",
        f"  当前期限：{deadline(order, now)}",
        f"  维修人员：{staff_name(order.technician, roster) if order.technician else EMPTY}",
    ]
    if order.alerted:
        lines.append(f"  已发提醒：{'；'.join(_alert_text(k) for k in sorted(order.alerted))}")
    if linked:
        lines.append(f"  合并到本报修的同一故障报修：{'、'.join(linked)}")
    if guard_message:
        lines.append(f"  ⚠ 控制台修改被退回：{guard_message}")

    labels = _field_labels(REPAIR_WORKFLOW)
    lines += ["", "步骤记录："]
    if order.details:
        for name, step_field in labels.items():
            if name in order.details:
                value = order.details[name]
                shown = staff_name(str(value), roster) if step_field.kind == "staff" else str(value)
                lines.append(f"  {step_field.label}：{shown}")
    else:
        lines.append("  （暂无）")

    lines += ["", "处理记录："]
    rows = [
        [local_time(entry.at),
         _action_label(entry.action),
         f"{status_label(entry.from_status) if entry.from_status else '（新建）'} → {status_label(entry.to_status)}",
         person(entry.actor, entry.actor_role, roster),
         entry.note or EMPTY]
        for entry in order.timeline
    ]
    lines.append(table(("时间", "操作", "状态变化", "操作人", "给业主的说明"), rows, indent="  ", limit=None))

    lines += ["", f"照片（{len(order.photos)} 张）："]
    if order.photos:
        for index, photo in enumerate(order.photos):
            link = photo_links[index] if index < len(photo_links) else None
            lines.append(f"  {PHOTO_KINDS.get(photo['kind'], photo['kind'])}  "
                         f"{local_time(parse_iso(photo['at']))}  {person(photo['by'], '', roster)}  "
                         f"{size_text(photo['size'])}  {link or photo['key']}")
        if photo_hint:
            lines.append(f"  {photo_hint}")
    else:
        lines.append("  （暂无）")

    lines += ["", f"{STAFF_NOTES_TITLE}："]
    if order.staff_notes:
        for note in order.staff_notes:
            lines.append(f"  {local_time(parse_iso(note['at']))}  "
                         f"{person(note['author'], '', roster)}：{note['text']}")
    else:
        lines.append("  （暂无）")

    lines += ["", *next_steps(order, roster=roster, member=member, prog=prog)]
    return "\n".join(lines)


def _action_label(code: str) -> str:
    if code == "report":
        return "报修"
    try:
        return REPAIR_WORKFLOW.action(code).label
    except InvalidTransition:  # an action removed from the workflow since: show its code
        return code


def field_hint(step_field: StepField, roster: Roster) -> str:
    """How to fill one step field, for help texts and ``show``."""
    parts = [step_field.label, "必填" if step_field.required else "选填"]
    if step_field.kind == "minutes":
        parts.append("整数，单位分钟")
    elif step_field.kind == "rating":
        parts.append("1 到 5 的整数")
    elif step_field.kind == "reference":
        parts.append("填报修编号，例如 R-7KQ4-M2XP")
    elif step_field.kind == "staff":
        eligible = [m for m in roster.values()
                    if not step_field.staff_role or m.role == step_field.staff_role]
        who = ROLE_LABELS.get(step_field.staff_role, "员工")
        parts.append(f"填{who}工号：" + "、".join(f"{m.id} {m.name}" for m in eligible))
    if step_field.resident_visible:
        parts.append("业主可见")
    return "；".join(parts[:1]) + "（" + "；".join(parts[1:]) + "）"


def option_name(step_field: StepField) -> str:
    return "--" + step_field.name.replace("_", "-")


def command_name(action: Action) -> str:
    return action.code.replace("_", "-")


def metavar(step_field: StepField) -> str:
    return {"staff": "工号", "minutes": "分钟", "rating": "评分", "reference": "编号"}.get(step_field.kind, "文字")


def next_steps(order: WorkOrder, *, roster: Roster, member: StaffMember | None, prog: str) -> list[str]:
    staff_roles = STAFF_ROLES
    possible = [a for a in REPAIR_WORKFLOW.available(order.status) if staff_roles & set(a.roles)]
    if member is not None:
        mine = [a for a in possible if member.role in a.roles]
        title = f"下一步（您是{member.name}，{ROLE_LABELS.get(member.role, member.role)}）："
    else:
        mine = possible
        title = "下一步（用 --as 工号 指明您是谁）："
    if not possible:
        return ["下一步：无（工单已结束或只等业主操作）。"]
    lines = [title]
    if not mine:
        others = "；".join(f"{a.label}（{'、'.join(ROLE_LABELS.get(r, r) for r in a.roles if r in staff_roles)}）"
                          for a in possible)
        return [title, f"  您的岗位现在没有可做的操作。其他人可做：{others}"]
    who = f" --as {member.id}" if member else ""
    for action in mine:
        required = " ".join(f"{option_name(f)} <{metavar(f)}>" for f in action.fields if f.required)
        roles = "" if member else f"；由{'、'.join(ROLE_LABELS.get(r, r) for r in action.roles if r in staff_roles)}操作"
        lines.append(f"  {action.label} → {status_label(action.target)}{roles}")
        lines.append(f"    {prog}{who} {command_name(action)} {order.reference} {required}".rstrip())
        for step_field in action.fields:
            lines.append(f"      {option_name(step_field)}  {field_hint(step_field, roster)}")
    lines.append("  每一步都可加 --note（写给业主看的说明）和 --staff-note（仅员工可见的备注）。")
    return lines
