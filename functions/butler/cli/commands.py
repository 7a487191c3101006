"""The staff tool's commands. Each takes the run's ``Context`` and the parsed arguments,
prints for staff (in Chinese) and returns the exit code; refusals are raised as
``DomainError`` (or ``UsageError``) and turned into messages and exit codes in one place,
``butler.cli.main``."""
from __future__ import annotations

import argparse
import dataclasses
import mimetypes
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from butler.cli import render
from butler.domain import identifiers, service_levels
from butler.domain.errors import NotFound
from butler.domain.repairs import REPAIR_WORKFLOW, SOURCES, WorkOrder, category
from butler.domain.staff import Roster, StaffMember
from butler.domain.workflow import ROLE_LABELS
from butler.repository.work_orders import WorkOrderRepository
from butler.services.repairs import add_photo, report_repair, take_step
from butler.settings import load_settings

if TYPE_CHECKING:
    from pydantic import ValidationError

OK = 0
REFUSED = 1  # refused by the workflow, not found, invalid content


class UsageError(Exception):
    """The command line itself is wrong (exit 2), with a Chinese message."""


@dataclass
class Context:
    table: str
    roster: Roster
    member: StaffMember | None  # who runs the tool (--as), from the roster
    now: datetime
    prog: str

    @cached_property
    def repo(self) -> WorkOrderRepository:
        return WorkOrderRepository(self.table)

    def require_member(self, what: str) -> StaffMember:
        if self.member is None:
            raise UsageError(f"{what}需要用 --as 工号 指明您是谁，例如 --as gj-li。")
        return self.member


def out(text: str = "") -> None:
    print(text, file=sys.stdout)


def write_csv(text: str) -> None:
    """CSV as UTF-8 with a byte-order mark, so that Excel reads the Chinese correctly."""
    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write("\ufeff" + text)
        return
    stream.flush()
    buffer.write(text.encode("utf-8-sig"))
    buffer.flush()


# ---------------------------------------------------------------------- lists
def _emit(ctx: Context, args: argparse.Namespace, title: str, orders: list[WorkOrder]) -> int:
    if args.csv:
        write_csv(render.csv_text(orders, ctx.now, with_contact=args.with_contact))
    else:
        out(title)
        out(render.order_table(orders, ctx.now))
    return OK


def queue(ctx: Context, args: argparse.Namespace) -> int:
    label = REPAIR_WORKFLOW.state(args.status).label
    return _emit(ctx, args, f"队列：{label}（{args.status}），按报修时间排列", ctx.repo.queue(args.status))


def mine(ctx: Context, args: argparse.Namespace) -> int:
    member = ctx.require_member("查看我的工单")
    return _emit(ctx, args, f"{member.name}（{member.id}）手上未完工的工单，按期限排列",
                 ctx.repo.technician_jobs(member.id))


def overdue(ctx: Context, args: argparse.Namespace) -> int:
    return _emit(ctx, args, "已超时的工单（超时巡检标记），按期限排列", ctx.repo.overdue())


def history(ctx: Context, args: argparse.Namespace) -> int:
    from butler.web.schemas import (  # the same unit format the report form accepts
        DASHES,
        UNIT,
    )

    unit = args.unit.translate(DASHES).upper()
    if not UNIT.match(unit):
        raise UsageError("房号格式为“栋-单元-房号”，例如 3-2-1201。")
    return _emit(ctx, args, f"房屋档案 {unit}：该户的全部报修，按报修时间排列", ctx.repo.unit_history(unit))


# ---------------------------------------------------------------------- one order
def _find(ctx: Context, reference: str) -> WorkOrder:
    normalized = identifiers.normalize_reference(reference)
    order = ctx.repo.get(normalized) if identifiers.is_reference(normalized) else None
    if order is None:
        raise NotFound(f"没有找到报修编号 {reference}：请核对编号（例如 R-7KQ4-M2XP）。")
    return order


def show(ctx: Context, args: argparse.Namespace) -> int:
    order = _find(ctx, args.reference)
    links, hint = _photo_links(order, args.photos_bucket or load_settings().photos_bucket,
                               args.site_url or os.environ.get("SITE_URL"))
    out(render.detail(order, roster=ctx.roster, now=ctx.now, member=ctx.member,
                      guard_message=_guard_message(ctx.repo, order.reference), prog=ctx.prog,
                      linked=ctx.repo.linked_to(order.reference), photo_links=links, photo_hint=hint))
    return OK


def _photo_links(order: WorkOrder, bucket: str, site_url: str | None) -> tuple[list[str | None], str]:
    """Presigned links to view the order's photos, through the site's origin like the
    tracking page's; with ``site_url`` they are complete addresses."""
    if not order.photos:
        return [], ""
    if not bucket:
        return [], "未设置照片存储桶（--photos-bucket 或环境变量 PHOTOS_BUCKET），只能显示照片的存储位置。"
    from butler.repository.photo_store import VIEW_SECONDS, PhotoStore

    store = PhotoStore(bucket)
    prefix = (site_url or "").rstrip("/")
    links: list[str | None] = [prefix + store.view_url(photo) for photo in order.photos]
    hint = f"链接 {VIEW_SECONDS // 60} 分钟内有效"
    if not prefix:
        hint += "；请在网站地址后加上以上路径打开（或用 --site-url 指定网站地址）"
    return links, hint + "。"


def _guard_message(repo: WorkOrderRepository, reference: str) -> str | None:
    """Why the staff-edit guard last put a console edit back, if it did.

    ``WorkOrder`` does not carry it, so this reads the one attribute from the item.
    """
    from pynamodb.exceptions import DoesNotExist

    try:  # with the key among the attributes: a projection that is empty reads as no item
        item = repo.model.get(reference, consistent_read=True,
                              attributes_to_get=["reference", "guard_message"])
    except DoesNotExist:
        return None
    return item.guard_message or None


def step(ctx: Context, args: argparse.Namespace) -> int:
    """One workflow step, generated per action: its fields come from the workflow."""
    action = REPAIR_WORKFLOW.action(args.action_code)
    member = ctx.require_member(f"“{action.label}”")
    values = {name: getattr(args, name) for name in args.field_names}
    try:
        order = take_step(ctx.repo, args.reference, action.code, actor=member.id, role=member.role,
                          values=values, note=args.note or "", staff_note=args.staff_note or "",
                          roster=ctx.roster, now=ctx.now)
    except NotFound:
        raise NotFound(f"没有找到报修编号 {args.reference}：请核对编号（例如 R-7KQ4-M2XP）。") from None
    state = REPAIR_WORKFLOW.state(order.status)
    out(f"{order.reference}：已{action.label}。当前状态：{state.label}（{order.status}）。")
    return OK


def photo(ctx: Context, args: argparse.Namespace) -> int:
    """Attach a before/after photo from a file; the same limits as a resident's upload."""
    from butler.domain.photos import KIND_LABELS
    from butler.repository.photo_store import PhotoStore

    member = ctx.require_member("上传照片")
    bucket = args.photos_bucket or load_settings().photos_bucket
    if not bucket:
        raise UsageError("未设置照片存储桶：请用 --photos-bucket 或设置环境变量 PHOTOS_BUCKET。")
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"无法读取文件 {path}：{error.strerror or error}") from None
    content_type = mimetypes.guess_type(path.name)[0] or ""  # the domain says which types it takes
    order = _find(ctx, args.reference)
    record = add_photo(ctx.repo, order, kind=args.kind, content_type=content_type, size=len(data),
                       by=member.id)
    PhotoStore(bucket).put(record, data)
    same_kind = sum(1 for p in order.photos if p["kind"] == record.kind)
    out(f"{order.reference}：已上传{KIND_LABELS[record.kind]}照片（{render.size_text(len(data))}），"
        f"{KIND_LABELS[record.kind]}照片共 {same_kind} 张。")
    return OK


# ---------------------------------------------------------------------- report
REPORT_OPTIONS = {  # RepairReportIn field → (option, label), for error messages
    "category": ("--category", "报修类别"),
    "urgency": ("--urgency", "紧急程度"),
    "location_type": ("--location-type", "户内或公共区域"),
    "unit": ("--unit", "房号"),
    "location": ("--location", "位置"),
    "description": ("--description", "问题描述"),
    "contact_name": ("--contact-name", "联系人"),
    "contact_phone": ("--contact-phone", "联系电话"),
    "preferred_time": ("--preferred-time", "方便上门时间"),
}


def report(ctx: Context, args: argparse.Namespace) -> int:
    """Record a call, visit or inspection on the resident's behalf; the same checks as the
    report form on the site."""
    from pydantic import ValidationError

    from butler.web.schemas import RepairReportIn

    member = ctx.require_member("代业主登记报修")
    values = {name: getattr(args, name) for name in REPORT_OPTIONS if getattr(args, name) is not None}
    values.setdefault("location_type", "home" if args.unit else "public")
    try:
        checked = RepairReportIn(**values)
    except ValidationError as error:
        _print_invalid(error, ctx.prog)
        return REFUSED
    reported = report_repair(ctx.repo, dataclasses.replace(
        checked.to_domain(), source=args.source, reported_by=member.id, reporter_role=member.role))
    order = reported.order
    level = service_levels.urgency(order.urgency)
    out(f"已登记报修 {order.reference}（{SOURCES[order.source]}，{category(order.category).label}，"
        f"{level.label}），登记人：{member.name}（{member.id}）。")
    out(f"  承诺响应：{render.local_time(order.respond_by)}  承诺完工：{render.local_time(order.complete_by)}")
    if order.emergency:
        out("  ⚠ 紧急报修：请立即电话通知值班人员赶赴现场，不要只等派单。")
    out("请把查询链接（或报修编号和查询码）告诉业主。查询码只显示这一次，系统只保存它的摘要，之后无法再查看：")
    out(f"  /track/#ref={order.reference}&token={reported.token}")
    out(f"  报修编号：{order.reference}")
    out(f"  查询码：{reported.token}")
    return OK


def _print_invalid(error: ValidationError, prog: str) -> None:
    from butler.web.errors import field_message

    print("没有登记：有几项填写不正确，请按提示修改。", file=sys.stderr)
    for problem in error.errors():
        loc = [str(part) for part in problem.get("loc", ())]
        option, label = REPORT_OPTIONS.get(loc[0] if loc else "", ("", ""))
        prefix = f"{option}（{label}）：" if option else ""
        print(f"  {prefix}{field_message(problem.get('type', ''), problem)}", file=sys.stderr)
    print(f"各项的填写说明：{prog} report -h", file=sys.stderr)


# ---------------------------------------------------------------------- roster
def staff(ctx: Context, args: argparse.Namespace) -> int:
    rows = [[m.id, m.name, ROLE_LABELS.get(m.role, m.role), m.department] for m in ctx.roster.values()]
    out("员工名册")
    out(render.table(("工号", "姓名", "岗位", "部门"), rows))
    return OK


Command = Callable[[Context, argparse.Namespace], int]
