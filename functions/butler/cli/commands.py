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
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from butler.cli import render
from butler.cli.kinds import COMPLAINT_KIND, KINDS, REPAIR_KIND, Kind, of_reference
from butler.cli.kinds import not_found as _not_found
from butler.domain import service_levels
from butler.domain.complaints import (
    COMPLAINT_WORKFLOW,
    DEPARTMENTS,
    ComplaintCase,
    new_case,
    topic,
)
from butler.domain.complaints import KINDS as COMPLAINT_KINDS
from butler.domain.complaints import SOURCES as COMPLAINT_SOURCES
from butler.domain.errors import DomainError, InvalidTransition, NotFound, NotPermitted
from butler.domain.inert import inert
from butler.domain.photos import shown as shown_photos
from butler.domain.repairs import SOURCES, WorkOrder, category
from butler.domain.staff import Roster, StaffMember
from butler.domain.workflow import ROLE_LABELS, Action
from butler.repository.cases import CaseRepository
from butler.repository.complaints import ComplaintRepository
from butler.repository.work_orders import WorkOrderRepository
from butler.services.cases import open_case, take_step
from butler.services.repairs import add_photo, report_repair
from butler.settings import load_settings

if TYPE_CHECKING:
    from pydantic import ValidationError

OK = 0
REFUSED = 1  # refused by the workflow, not found, invalid content


class UsageError(Exception):
    """The command line itself is wrong (exit 2), with a Chinese message."""


@dataclass
class Context:
    tables: dict[str, str]  # kind name → table name ("" when not given)
    roster: Roster
    member: StaffMember | None  # who runs the tool (--as), from the roster
    now: datetime
    prog: str
    repos: dict[str, CaseRepository] = field(default_factory=dict)

    def repo(self, kind: Kind) -> CaseRepository:
        """The repository of one kind of case; its table must have been given."""
        if kind.name not in self.repos:
            table = self.tables.get(kind.name)
            if not table:
                raise UsageError(f"没有指定{kind.table_label}：请用 {kind.table_option} 表名，"
                                 f"或设置环境变量 {kind.table_env}。")
            self.repos[kind.name] = kind.repository(table)
        return self.repos[kind.name]

    @property
    def repairs(self) -> WorkOrderRepository:
        return self.repo(REPAIR_KIND)  # type: ignore[return-value]

    def require_member(self, what: str) -> StaffMember:
        if self.member is None:
            raise UsageError(f"{what}需要用 --as 工号 指明您是谁，例如 --as gj-li。")
        return self.member


def out(text: str = "") -> None:
    """Print for staff. The renderers make what people typed inert field by field; this
    is the last guard, for anything printed here: no control or bidi character reaches
    the terminal raw (only the line breaks of the text itself)."""
    print(inert(text, newlines=True), file=sys.stdout)


def err(text: str) -> None:
    """A message on stderr, made inert like ``out``."""
    print(inert(text, newlines=True), file=sys.stderr)


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
def _emit(ctx: Context, args: argparse.Namespace, kind: Kind, title: str, cases: list) -> int:
    """One list: a titled table, or the CSV (``render.csv_table`` makes its cells safe)."""
    if kind is COMPLAINT_KIND:
        text = (render.complaint_csv_text(cases, ctx.now, with_contact=args.with_contact) if args.csv
                else render.complaint_table(cases, ctx.now, ctx.roster))
    else:
        text = (render.csv_text(cases, ctx.now, with_contact=args.with_contact) if args.csv
                else render.order_table(cases, ctx.now))
    if args.csv:
        write_csv(text)
    else:
        out(title)
        out(text)
    return OK


def _kind(args: argparse.Namespace) -> Kind:
    return KINDS[getattr(args, "kind", None) or REPAIR_KIND.name]


def _kinds(args: argparse.Namespace, status: str | None = None) -> list[Kind]:
    """The kinds a list is of: the one ``--kind`` names, else every kind (that has
    ``status``). A CSV holds one kind's columns, so it needs ``--kind`` if that is more
    than one."""
    if getattr(args, "kind", None):
        return [KINDS[args.kind]]
    found = [k for k in KINDS.values() if status is None or k.workflow.has_state(status)]
    if args.csv and len(found) > 1:
        raise UsageError("CSV 每次只能导出一种：请加 --kind repair（报修工单）或 --kind complaint（咨询投诉建议）。")
    return found


def _emit_each(ctx: Context, args: argparse.Namespace, lists: list[tuple[Kind, str, list]]) -> int:
    """Lists of several kinds, one after the other, each under its title."""
    for index, (kind, title, cases) in enumerate(lists):
        if index:
            out()
        _emit(ctx, args, kind, title, cases)
    return OK


def queue(ctx: Context, args: argparse.Namespace) -> int:
    """One status's queue: of the kind ``--kind`` names, else of every kind that has it."""
    lists = []
    for kind in _kinds(args, args.status):
        if not kind.workflow.has_state(args.status):
            states = "、".join(f"{s.code} {s.label}" for s in kind.workflow.states)
            raise UsageError(f"{kind.label}没有状态 {args.status}；可用的状态：{states}。")
        label = kind.workflow.state(args.status).label
        order = "报修时间" if kind is REPAIR_KIND else "提交时间"
        lists.append((kind, f"{kind.label}队列：{label}，按{order}排列", ctx.repo(kind).queue(args.status)))
    return _emit_each(ctx, args, lists)


def mine(ctx: Context, args: argparse.Namespace) -> int:
    kind = _kind(args)
    if kind is COMPLAINT_KIND:
        member = ctx.require_member("查看我负责的咨询投诉建议")
        return _emit(ctx, args, kind, f"{member.name}（{member.id}）作为首问负责人、尚未办结的咨询投诉建议，"
                     "按期限排列（等业主确认的在后）", _owned_by(ctx.repo(kind), member.id))
    member = ctx.require_member("查看我的工单")
    result = _emit(ctx, args, kind, f"{member.name}（{member.id}）手上未完工的工单，按期限排列",
                   ctx.repairs.technician_jobs(member.id))
    if not args.csv and member.role in COMPLAINT_WORKFLOW.action("claim").roles:
        out(f"（您负责的咨询投诉建议：{ctx.prog} --as {member.id} mine --kind complaint）")
    return result


def _owned_by(repo: ComplaintRepository, staff_id: str) -> list[ComplaintCase]:
    """Every case ``staff_id`` owns that is not closed: deadlines first, then the ones
    waiting for the resident."""
    due = repo.kind.next_due
    return sorted(repo.owned_by(staff_id),
                  key=lambda case: (due(case) is None, due(case) or case.created_at))


def overdue(ctx: Context, args: argparse.Namespace) -> int:
    """What the overdue sweep marked, of one kind (repairs unless ``--kind``); the title
    says which kind, and a repairs' list says how to see the other."""
    kind = _kind(args)
    title = "已超时的报修工单（超时巡检标记），按期限排列" if kind is REPAIR_KIND else \
        f"已超时的{kind.label}（超时巡检标记：首次答复或约定回复已过期），按期限排列"
    result = _emit(ctx, args, kind, title, ctx.repo(kind).overdue())
    if not args.csv and not getattr(args, "kind", None):
        out(f"（已超时的咨询投诉建议：{ctx.prog} overdue --kind complaint）")
    return result


def department(ctx: Context, args: argparse.Namespace) -> int:
    """Cases transferred to one department and not yet replied to; without a code, the
    department of the staff member (--as)."""
    code = args.department
    if code is None:
        by_label = {d.label: d.code for d in DEPARTMENTS}
        code = by_label.get(ctx.member.department) if ctx.member else None
        if code is None:
            raise UsageError("请写部门代码（" + "、".join(f"{d.code} {d.label}" for d in DEPARTMENTS)
                             + "），或用 --as 工号 按您所在的部门查看。")
    label = next(d.label for d in DEPARTMENTS if d.code == code)
    return _emit(ctx, args, COMPLAINT_KIND, f"转交{label}、待部门处理或答复的咨询投诉建议，"
                 "按约定回复时间排列", ctx.repo(COMPLAINT_KIND).with_department(code))


def history(ctx: Context, args: argparse.Namespace) -> int:
    from butler.domain.estate import UnitRefused, load_estate

    try:  # the same check and normal form as the report forms: 3-2-0101 finds 3-2-101
        unit = load_estate().check(args.unit)
    except UnitRefused as refused:
        raise UsageError(refused.message) from None
    return _emit(ctx, args, REPAIR_KIND, f"房屋档案 {unit}：该户的全部报修，按报修时间排列",
                 ctx.repairs.unit_history(unit))


# ---------------------------------------------------------------------- one case
def _find(ctx: Context, text: str, *, only: Kind | None = None) -> tuple[Kind, Any]:
    """The case behind a reference, of the kind its prefix names (``only``: that kind)."""
    kind, reference = of_reference(text)
    if only is not None and kind is not only:
        raise DomainError(f"{text} 是{kind.label}编号；这里只能用{only.label}编号（例如 {only.example}）。")
    case = ctx.repo(kind).get(reference)
    if case is None:
        raise _not_found(kind, text)
    return kind, case


def show(ctx: Context, args: argparse.Namespace) -> int:
    kind, case = _find(ctx, args.reference)
    guard = _guard_message(ctx.repo(kind), case.reference)
    if kind is COMPLAINT_KIND:
        out(render.complaint_detail(case, roster=ctx.roster, now=ctx.now, member=ctx.member,
                                    guard_message=guard, prog=ctx.prog))
        return OK
    case = dataclasses.replace(case, photos=shown_photos(case.photos))  # checked pictures only
    links, hint = _photo_links(case, args.photos_bucket or load_settings().photos_bucket,
                               args.site_url or os.environ.get("SITE_URL"))
    out(render.detail(case, roster=ctx.roster, now=ctx.now, member=ctx.member, guard_message=guard,
                      prog=ctx.prog, linked=ctx.repairs.linked_to(case.reference),
                      photo_links=links, photo_hint=hint))
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


def _guard_message(repo: CaseRepository, reference: str) -> str | None:
    """Why the staff-edit guard last put a console edit back, if it did.

    The case does not carry it, so this reads the one attribute from the item.
    """
    from pynamodb.exceptions import DoesNotExist

    try:  # with the key among the attributes: a projection that is empty reads as no item
        item = repo.model.get(reference, consistent_read=True,
                              attributes_to_get=["reference", "guard_message"])
    except DoesNotExist:
        return None
    return item.guard_message or None


def _action_of(kind: Kind, code: str, reference: str) -> Action:
    """The step ``code`` of the reference's kind; a step of another kind is refused."""
    try:
        return kind.workflow.action(code)
    except InvalidTransition:
        owners = [k for k in KINDS.values() if any(a.code == code for a in k.workflow.actions)]
        label = owners[0].workflow.action(code).label if owners else code
        steps = "、".join(render.command_name(a) for a in kind.workflow.actions
                         if render.STAFF_ROLES & set(a.roles))
        raise InvalidTransition(
            f"“{label}”是{'、'.join(k.label for k in owners)}的步骤，{reference} 是{kind.label}，"
            f"不能这样办理。{kind.label}的步骤：{steps}。") from None


def step(ctx: Context, args: argparse.Namespace) -> int:
    """One workflow step, generated per action name: the reference's prefix says which
    kind of case, and so which workflow's action and fields, it is."""
    kind, reference = of_reference(args.reference)
    action = _action_of(kind, args.action_code, reference)
    member = ctx.require_member(f"“{action.label}”")
    stray = [name for name in args.field_names
             if name not in action.field_names() and getattr(args, name) is not None]
    if stray:
        options = "、".join("--" + name.replace("_", "-") for name in stray)
        raise UsageError(f"{kind.label}的“{action.label}”没有选项 {options}。")
    values = {name: getattr(args, name) for name in action.field_names()}
    try:
        case = take_step(ctx.repo(kind), reference, action.code, actor=member.id, role=member.role,
                         values=values, note=args.note or "", staff_note=args.staff_note or "",
                         roster=ctx.roster, now=ctx.now)
    except NotFound:
        raise _not_found(kind, args.reference) from None
    state = kind.workflow.state(case.status)
    out(f"{case.reference}：已{action.label}。当前状态：{state.label}。")
    due = kind.case.next_due(case)
    if due is not None:
        out(f"  当前期限：{render.local_time(due)}（北京时间）")
    return OK


def photo(ctx: Context, args: argparse.Namespace) -> int:
    """Attach a before/after photo from a file; the same limits as a resident's upload."""
    from butler.domain.photos import KIND_LABELS, refuse_unless_picture
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
    _, order = _find(ctx, args.reference, only=REPAIR_KIND)
    refuse_unless_picture(content_type, data)
    record = add_photo(ctx.repairs, order, kind=args.kind, content_type=content_type, size=len(data),
                       by=member.id, verified=True)
    PhotoStore(bucket).put(record, data)
    same_kind = sum(1 for p in order.photos if p["kind"] == record.kind)
    out(f"{order.reference}：已上传{KIND_LABELS[record.kind]}照片（{render.size_text(len(data))}），"
        f"{KIND_LABELS[record.kind]}照片共 {same_kind} 张。")
    return OK


# ---------------------------------------------------------------------- report
def _options(model: type) -> dict[str, tuple[str, str]]:
    """A request model's fields → (CLI option, Chinese label), for error messages: the
    options are named after the fields and the labels are the fields' titles."""
    return {name: ("--" + name.replace("_", "-"), field.title) for name, field in model.model_fields.items()}


def report(ctx: Context, args: argparse.Namespace) -> int:
    """Record a call, visit or inspection on the resident's behalf; the same checks as the
    report form on the site."""
    from pydantic import ValidationError

    from butler.web.schemas import RepairReportIn

    member = ctx.require_member("代业主登记报修")
    options = _options(RepairReportIn)
    values = {name: getattr(args, name) for name in options if getattr(args, name) is not None}
    values.setdefault("location_type", "home" if args.unit else "public")
    try:
        checked = RepairReportIn(**values)
    except ValidationError as error:
        _print_invalid(error, options, f"{ctx.prog} report -h")
        return REFUSED
    reported = report_repair(ctx.repairs, dataclasses.replace(
        checked.to_domain(), source=args.source, reported_by=member.id, reporter_role=member.role))
    order = reported.order
    level = service_levels.urgency(order.urgency)
    out(f"已登记报修 {order.reference}（{SOURCES[order.source]}，{category(order.category).label}，"
        f"{level.label}），登记人：{member.name}（{member.id}）。")
    out(f"  承诺响应：{render.local_time(order.respond_by)}  承诺完工：{render.local_time(order.complete_by)}")
    if order.emergency:
        out("  ⚠ 紧急报修：请立即电话通知值班人员赶赴现场，不要只等派单。")
    _tracking(ctx.repairs, order, reported.token, "报修", ctx.now)
    return OK


def _tracking(repo: CaseRepository, case: Any, token: str, noun: str, now: datetime) -> None:
    """What staff read to the caller or send by SMS: the reference and a one-time short
    code (butler.domain.phone_codes), and the full tracking link for whoever can take it."""
    from butler.domain.phone_codes import MAX_TRIES, VALID_DAYS
    from butler.services.phone_codes import issue_code

    code = issue_code(repo, case, token, now)
    site = os.environ.get("SITE_URL", "").rstrip("/")
    page = f"{site}/track/#ref={case.reference}"
    out(f"请把编号和短码告诉业主（电话里读给来电人，或用短信发送）。短码不区分大小写，"
        f"只能用一次，{VALID_DAYS} 天内有效，输错 {MAX_TRIES} 次作废：")
    out(f"  编号：{case.reference}")
    out(f"  短码：{code}")
    out(f"  查询页：{page}（打开后输入短码）")
    out(f"  短信：您的{noun}已登记，编号 {case.reference}，短码 {code}。请在 {VALID_DAYS} 天内打开 {page} "
        "输入短码查看进度，短码只能用一次，请勿转给他人。")
    out("也可以把完整查询链接发给业主。链接含查询码，查询码只显示这一次，系统只保存它的摘要，之后无法再查看：")
    out(f"  {site}/track/#ref={case.reference}&token={token}")
    if not site:
        out("  （未设置网站地址：设置环境变量 SITE_URL 后，这里显示可以直接打开的完整链接。）")


def file_case(ctx: Context, args: argparse.Namespace) -> int:
    """Record an inquiry, complaint or suggestion received by phone or at the desk; the
    same checks as the form on the site. Whoever records it owns it (首问负责)."""
    from pydantic import ValidationError

    from butler.web.schemas import ComplaintIn

    member = ctx.require_member("代业主登记咨询投诉建议")
    claim = COMPLAINT_WORKFLOW.action("claim")  # recording it is taking it on
    if member.role not in claim.roles:
        raise NotPermitted(f"登记人就是首问负责人，要负责到底：代业主登记需要由"
                           f"{render.roles_text(claim)}操作，请转给他们登记。")
    options = _options(ComplaintIn)
    values = {name: getattr(args, name) for name in options if getattr(args, name) is not None}
    try:
        checked = ComplaintIn(**values)
    except ValidationError as error:
        _print_invalid(error, options, f"{ctx.prog} file -h")
        return REFUSED
    filing = dataclasses.replace(checked.to_domain(), source=args.source, received_by=member.id)
    case, token = open_case(ctx.repo(COMPLAINT_KIND), partial(new_case, filing))
    out(f"已登记{COMPLAINT_KINDS[case.kind]} {case.reference}（{COMPLAINT_SOURCES[case.source]}，"
        f"{topic(case.topic).label}），首问负责人：{member.name}（{member.id}），请跟进到底。")
    out(f"  首次答复或转交期限：{render.local_time(case.respond_by)}（北京时间）")
    out(f"  答复：{ctx.prog} --as {member.id} answer {case.reference} --reply <文字>；"
        f"转交部门：{ctx.prog} --as {member.id} transfer {case.reference} --department <代码>")
    _tracking(ctx.repo(COMPLAINT_KIND), case, token, COMPLAINT_KINDS[case.kind], ctx.now)
    return OK


def _print_invalid(error: ValidationError, options: dict[str, tuple[str, str]], help_command: str) -> None:
    from butler.web.errors import field_message

    err("没有登记：有几项填写不正确，请按提示修改。")
    for problem in error.errors():
        loc = [str(part) for part in problem.get("loc", ())]
        option, label = options.get(loc[0] if loc else "", ("", ""))
        prefix = f"{option}（{label}）：" if option else ""
        err(f"  {prefix}{field_message(problem.get('type', ''), problem)}")
    err(f"各项的填写说明：{help_command}")


# ---------------------------------------------------------------------- roster
def staff(ctx: Context, args: argparse.Namespace) -> int:
    rows = [[m.id, m.name, ROLE_LABELS.get(m.role, m.role), m.department] for m in ctx.roster.values()]
    out("员工名册")
    out(render.table(("工号", "姓名", "岗位", "部门"), rows))
    return OK


Command = Callable[[Context, argparse.Namespace], int]
