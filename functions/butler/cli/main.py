"""``butler-staff``: the staff command-line tool of the service desk.

The command line is built from data: one subcommand per staff step of the workflows of
every kind of case (repairs, and inquiries, complaints and suggestions), with one option
per ``StepField``, so a new step or field appears here without editing this module. The
reference's prefix (R-, C-) tells which kind of case a step or ``show`` is for. Exit
codes: 0 done, 1 refused or not found, 2 wrong command line, 3 a table could not be
reached.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from butler.cli import commands, kinds, render, scorecard
from butler.cli import surveys as survey_commands
from butler.cli.commands import OK, REFUSED, Context, UsageError, err
from butler.cli.environment import UNAVAILABLE, VARIABLES, connect, unavailable_message
from butler.cli.kinds import KINDS
from butler.cli.zh_argparse import Formatter, chinese_argparse
from butler.domain.complaints import DEPARTMENTS, TOPICS
from butler.domain.complaints import KINDS as COMPLAINT_KINDS
from butler.domain.complaints import SOURCES as COMPLAINT_SOURCES
from butler.domain.errors import DomainError
from butler.domain.photos import KIND_LABELS as PHOTO_KINDS
from butler.domain.repairs import CATEGORIES, SOURCES
from butler.domain.staff import Roster
from butler.domain.timefmt import utc_now
from butler.domain.errors import InvalidTransition
from butler.domain.workflow import Action, StepField, Workflow
from butler.roster import load_roster
from butler.settings import load_settings

PROG = "butler-staff"
STAFF_SOURCES = tuple(code for code in SOURCES if code != "resident_site")
STAFF_PHOTO_KINDS = tuple(kind for kind in PHOTO_KINDS if kind != "resident")
FILE_SOURCES = {code: label for code, label in COMPLAINT_SOURCES.items() if code not in ("resident_site", "survey")}

DESCRIPTION = (  # one paragraph: the help formatter wraps it
    "物业管家服务台员工工具：办理报修工单和咨询投诉建议的每一步，查看队列、房屋档案、部门待办和"
    "我负责的事项，代业主登记电话、到访或巡查发现的报修，以及电话、到访提出的咨询、投诉和建议。"
    "编号以 R- 开头的是报修工单，以 C- 开头的是咨询投诉建议，命令按编号自动区分。时间均为北京时间。")

EPILOG = f"""\
示例：
  {PROG} --as gj-li queue reported              待派单的报修
  {PROG} --as gj-li show R-7KQ4-M2XP            查看一张工单的全部信息和下一步
  {PROG} --as gj-li dispatch R-7KQ4-M2XP --technician wx-wang
  {PROG} --as wx-wang mine                      我手上未完工的工单
  {PROG} history 3-2-1201 --csv > 档案.csv      导出房屋档案（Excel 可直接打开）
  {PROG} --as kf-zhang queue submitted --kind complaint
                                                      网上提交、待认领的咨询投诉建议
  {PROG} --as kf-zhang claim C-7KQ4-M2XP --owner kf-zhang
  {PROG} --as kf-zhang transfer C-7KQ4-M2XP --department environment --promised-hours 48
  {PROG} --as bj-zhou department environment    转交环境卫生部、待处理的咨询投诉建议
  {PROG} --as kf-zhang mine --kind complaint    我作为首问负责人、尚未办结的咨询投诉建议
  {PROG} --as kf-zhang file --kind complaint --topic cleaning --description 楼道垃圾两天没清运 \\
      --contact-name 陈女士 --contact-phone 139xxxxxxxx --source phone
                                                      代业主登记一条电话投诉（登记人即首问负责人）

连接哪里：表名、照片存储桶和服务地址取环境变量（{"、".join(VARIABLES)}），\
与系统函数读取的是同一组变量；选项 --table、--complaints-table、--surveys-table、--photos-bucket、\
--endpoint-url、--region 临时覆盖它们。本地演示环境（make dev）启动时会打印一段 export 设置，\
粘贴到终端后即可直接使用以上命令。

退出码：0 成功；1 操作被拒绝或找不到编号；2 命令写法有误；3 无法连接数据表或照片存储。"""


def _global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """The options every command takes. On subcommands they default to "not given", so
    that ``--as`` may also follow the command without undoing one given before it."""
    group = parser.add_argument_group("通用选项")

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    group.add_argument("--as", dest="actor", metavar="工号", default=default(None),
                       help="您的员工工号，例如 gj-li；岗位按员工名册确定。办理步骤、代客登记、"
                            "上传照片和查看“我的”列表时必填")
    for kind in KINDS.values():
        group.add_argument(kind.table_option, dest=kind.table_dest, metavar="表名", default=default(None),
                           help=f"{kind.table_label}名（默认取环境变量 {kind.table_env}）")
    group.add_argument("--surveys-table", metavar="表名", default=default(None),
                       help="满意度调查数据表名（默认取环境变量 SURVEYS_TABLE）")
    group.add_argument("--endpoint-url", metavar="地址", default=default(None),
                       help="AWS 服务地址（DynamoDB 和照片存储），连接本地演示环境时使用，"
                            "例如 http://127.0.0.1:5000")
    group.add_argument("--region", metavar="区域", default=default(None),
                       help="AWS 区域（默认取 AWS 配置；连接本机地址时默认 ap-east-1）")


def _list_options(parser: argparse.ArgumentParser, *, kind: str = "") -> None:
    if kind:
        parser.add_argument("--kind", choices=tuple(KINDS), metavar="种类", help=kind)
    parser.add_argument("--csv", action="store_true",
                        help="输出 CSV（UTF-8 带 BOM，Excel 可直接打开）而不是表格")
    parser.add_argument("--with-contact", action="store_true",
                        help="CSV 中包含完整的联系人姓名和电话（默认打码）；仅限工作需要，不得外传")


def build_parser(*workflows: Workflow, roster: Roster | None = None) -> argparse.ArgumentParser:
    """The whole command line, for the workflows of every kind of case unless given.
    Call it inside ``chinese_argparse()``."""
    workflows = workflows or tuple(kind.workflow for kind in KINDS.values())
    roster = load_roster() if roster is None else roster
    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=Formatter)
    _global_options(parser, defaults=True)
    sub = parser.add_subparsers(title="命令", metavar="命令", required=True,
                                help="用“命令 -h”查看每个命令的用法，例如 dispatch -h")

    def command(name: str, help_text: str, run: commands.Command, description: str = "",
                epilog: str = "") -> argparse.ArgumentParser:
        child = sub.add_parser(name, help=help_text, description=description or help_text,
                               epilog=epilog, formatter_class=Formatter)
        child.set_defaults(run=run)
        return child

    states = "\n".join(f"{kinds.for_workflow(w).label}（--kind {kinds.for_workflow(w).name}）：" +
                       "、".join(f"{s.code} {s.label}" for s in w.states) for w in workflows)
    child = command("queue", "按状态查看队列（报修或咨询投诉建议）", commands.queue,
                    f"按状态查看队列，最早的在前。\n{states}")
    child.add_argument("status", metavar="状态",
                       choices=list(dict.fromkeys(s.code for w in workflows for s in w.states)),
                       help="例如 reported（待派单）、completed（待验收）；咨询投诉建议如 submitted（待认领）")
    _list_options(child, kind="repair 报修工单或 complaint 咨询投诉建议；不写时按状态确定（状态代码不会重复）")

    child = command("mine", "我的：手上未完工的工单，或 --kind complaint 我负责的咨询投诉建议（需 --as）",
                    commands.mine,
                    "维修人员：手上未完工的工单。加 --kind complaint：您作为首问负责人、尚未办结的"
                    "咨询投诉建议（首问负责，跟踪到底）。")
    _list_options(child, kind="repair 报修工单（默认）或 complaint 我负责的咨询投诉建议")

    child = command("overdue", "已超时的工单或咨询投诉建议（由超时巡检标记）", commands.overdue)
    _list_options(child, kind="repair 报修工单（默认）或 complaint 咨询投诉建议")

    child = command("department", "部门待办：转交到部门、尚未答复的咨询投诉建议", commands.department,
                    "列出转交到一个部门、还在调查核实或等负责人答复的咨询投诉建议，约定回复时间最早的在前。"
                    "不写部门代码时，按 --as 员工所在的部门。")
    child.add_argument("department", metavar="部门", nargs="?", choices=[d.code for d in DEPARTMENTS],
                       help="部门代码：" + "、".join(f"{d.code} {d.label}" for d in DEPARTMENTS))
    _list_options(child)

    child = command("history", "房屋档案：一户的全部报修", commands.history)
    child.add_argument("unit", metavar="房号", help="栋-单元-房号，例如 3-2-1201")
    _list_options(child)

    child = command("show", "查看一条报修或咨询投诉建议的全部信息、处理记录和下一步", commands.show,
                    "查看一张报修工单或一条咨询投诉建议：联系人和完整电话（用于联系业主）、步骤记录、"
                    "处理记录、员工备注（仅员工可见）以及您现在可以做的下一步。报修还有照片链接和合并进来的"
                    "同一故障报修；咨询投诉建议还有首问负责人、转交部门、约定回复时间、答复和重新跟进次数。")
    child.add_argument("reference", metavar="编号", help=f"编号：{kinds.examples()}")
    _photo_options(child, links=True)

    child = command("photo", "上传维修前或维修后的照片", commands.photo,
                    "为报修上传一张维修前或维修后的照片（JPG、PNG 或 WebP，不超过 5 MB）。")
    child.add_argument("reference", metavar="编号", help="报修编号，例如 R-7KQ4-M2XP")
    child.add_argument("file", metavar="文件", help="照片文件，例如 before.jpg")
    child.add_argument("--kind", choices=STAFF_PHOTO_KINDS, required=True, metavar="类别",
                       help="、".join(f"{kind} {PHOTO_KINDS[kind]}" for kind in STAFF_PHOTO_KINDS))
    _photo_options(child, links=False)

    _add_report(command)
    _add_file(command)
    survey_commands.add_commands(command)
    scorecard.add_command(command)
    command("staff", "员工名册：工号、姓名、岗位", commands.staff)

    steps: dict[str, list[tuple[Workflow, Action]]] = {}
    for workflow in workflows:
        for action in workflow.actions:
            # and the system's steps that wait (archive): staff who look for them learn when they happen
            if render.STAFF_ROLES & set(action.roles) or action.wait:
                steps.setdefault(action.code, []).append((workflow, action))
    for uses in steps.values():
        _add_step(command, uses, roster)
    for child in sub.choices.values():
        _global_options(child, defaults=False)  # last, after each command's own options
    return parser


def _photo_options(parser: argparse.ArgumentParser, *, links: bool) -> None:
    parser.add_argument("--photos-bucket", metavar="存储桶",
                        help="照片存储桶（默认取环境变量 PHOTOS_BUCKET）")
    if links:
        parser.add_argument("--site-url", metavar="网址",
                            help="网站地址，用于生成完整的照片链接，例如 https://wuye.example.cn"
                                 "（默认取环境变量 SITE_URL）")


def _add_step(command: Callable[..., argparse.ArgumentParser], uses: list[tuple[Workflow, Action]],
              roster: Roster) -> None:
    """One command for one action name, for every kind of case whose workflow has it: its
    options are the fields of all of them (each used only for its own kind)."""
    name = render.command_name(uses[0][1])
    helps, lines, examples = [], [], []
    for workflow, action in uses:
        kind = kinds.for_workflow(workflow)
        roles = render.roles_text(action)
        sources = "、".join(workflow.state(s).label for s in action.sources)
        owner = "；只能由首问负责人（认领或登记的员工）操作" if action.owner_only else ""
        helps.append(f"[{kind.short}] {action.label}（{roles}{'，仅首问负责人' if action.owner_only else ''}）")
        lines.append(f"{kind.label}：{action.label}，{sources} → {workflow.state(action.target).label}。"
                     f"可操作岗位：{roles}{owner}。{action.when_text}")
        required = " ".join(f"{render.option_name(f)} <{render.metavar(f)}>" for f in action.fields if f.required)
        examples.append(f"  {PROG} --as 工号 {name} {kind.example} {required}".rstrip())
    child = command(name, "；".join(helps), commands.step, "\n".join(lines), "示例：\n" + "\n".join(examples))
    child.add_argument("reference", metavar="编号",
                       help="编号：" + "、".join(f"{kinds.for_workflow(w).label} {kinds.for_workflow(w).example}"
                                                 for w, _ in uses))
    group = child.add_argument_group("本步骤记录的内容")
    fields: dict[str, list] = {}
    for workflow, action in uses:
        for step_field in action.fields:
            fields.setdefault(step_field.name, []).append((kinds.for_workflow(workflow), step_field))
    for field_name, owners in fields.items():
        step_field = owners[0][1]
        only = "" if len(owners) == len(uses) else f"（仅{'、'.join(k.label for k, _ in owners)}）"
        group.add_argument(render.option_name(step_field), dest=field_name, type=_typed(step_field),
                           metavar=render.metavar(step_field),
                           help=render.field_hint(step_field, roster) + only)
    notes = "；".join(dict.fromkeys(a.resident_note for _, a in uses if a.resident_note)) or "无"
    child.add_argument("--note", metavar="文字",
                       help=f"写给业主看的说明（显示在业主的进度页；默认：{notes}）")
    child.add_argument("--staff-note", metavar="文字", help="员工备注，仅员工可见")
    child.set_defaults(action_code=uses[0][1].code, field_names=tuple(fields))


CHECKED_KINDS = ("minutes", "hours", "rating", "reference")  # and "choice:…"


def _typed(step_field: StepField) -> Callable[[str], object] | None:
    """argparse's type for a step option whose value has a form (a number in a range, a
    code, a reference): checked by the field itself, so a wrong one is a usage error (exit 2)
    before anything is read. Text and staff ids (checked against the roster) are the step's
    to refuse."""
    if step_field.kind not in CHECKED_KINDS and not step_field.kind.startswith("choice:"):
        return None

    def check(value: str) -> object:
        try:
            return step_field.check(value)
        except InvalidTransition as error:
            raise argparse.ArgumentTypeError(error.message) from None
    check.__name__ = step_field.kind  # argparse names the type in some messages
    return check


def _add_report(command: Callable[..., argparse.ArgumentParser]) -> None:
    sources = "、".join(f"{code} {SOURCES[code]}" for code in STAFF_SOURCES)
    categories = "、".join(f"{c.code} {c.label}" for c in CATEGORIES)
    child = command(
        "report", "代业主登记报修（电话、到访、巡查发现）", commands.report,
        "代业主登记一条报修，检查规则与网上报修相同。登记后显示报修编号和查询链接，"
        "请告诉业主；查询码只显示这一次。户内报修填 --unit，公共区域填 --location。",
        f"示例：\n  {PROG} --as kf-zhang report --source phone --category plumbing --unit 3-2-1201 "
        "--location 厨房 --description 厨房下水堵塞 --contact-name 陈女士 --contact-phone 139xxxxxxxx")
    child.add_argument("--source", choices=STAFF_SOURCES, default="phone", metavar="来源",
                       help=f"报修来源（默认 phone）：{sources}")
    child.add_argument("--category", choices=[c.code for c in CATEGORIES], metavar="类别",
                       help=f"报修类别（必填）：{categories}")
    child.add_argument("--urgency", choices=("normal", "urgent"), metavar="紧急程度",
                       help="normal 一般（默认）或 urgent 加急；燃气、火情等紧急类别自动按紧急处理")
    child.add_argument("--location-type", choices=("home", "public"), metavar="类型",
                       help="home 户内或 public 公共区域（默认：填了 --unit 为户内，否则为公共区域）")
    child.add_argument("--unit", metavar="房号", help="栋-单元-房号，例如 3-2-1201（户内必填）")
    child.add_argument("--location", metavar="位置", help="公共区域的具体位置（必填），或户内的具体部位")
    child.add_argument("--description", metavar="描述", help="问题描述（5–500 字）")
    child.add_argument("--contact-name", metavar="姓名", help="联系人（必填）")
    child.add_argument("--contact-phone", metavar="电话", help="联系电话（必填）：手机号或固定电话")
    child.add_argument("--preferred-time", metavar="时间", help="方便上门的时间（选填）")


def _add_file(command: Callable[..., argparse.ArgumentParser]) -> None:
    topics = "、".join(f"{t.code} {t.label}" for t in TOPICS)
    child = command(
        "file", "代业主登记咨询、投诉或建议（电话、到访），登记人即首问负责人", commands.file_case,
        "代业主登记一条咨询、投诉或建议，检查规则与网上提交相同。登记的员工（--as）就是首问负责人，"
        "负责跟进到底：可以当场答复（answer），也可以转交部门（transfer）。登记后显示编号和查询链接，"
        "请告诉业主；查询码只显示这一次。",
        f"示例：\n  {PROG} --as kf-zhang file --source phone --kind complaint --topic cleaning \\\n"
        "      --description 楼道垃圾两天没清运 --contact-name 陈女士 --contact-phone 139xxxxxxxx --unit 3-2-1201")
    child.add_argument("--source", choices=tuple(FILE_SOURCES), default="phone", metavar="来源",
                       help="来源（默认 phone）：" + "、".join(f"{c} {label}" for c, label in FILE_SOURCES.items()))
    child.add_argument("--kind", choices=tuple(COMPLAINT_KINDS), metavar="类型",
                       help="类型（必填）：" + "、".join(f"{c} {label}" for c, label in COMPLAINT_KINDS.items()))
    child.add_argument("--topic", choices=[t.code for t in TOPICS], metavar="主题",
                       help=f"主题（必填，决定归口部门）：{topics}")
    child.add_argument("--description", metavar="描述", help="具体情况（5–1000 字）")
    child.add_argument("--contact-name", metavar="姓名", help="联系人（咨询、投诉必填）")
    child.add_argument("--contact-phone", metavar="电话", help="联系电话（咨询、投诉必填）：手机号或固定电话")
    child.add_argument("--unit", metavar="房号", help="栋-单元-房号，例如 3-2-1201（选填）")


def main(argv: list[str] | None = None) -> int:
    with chinese_argparse():
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as stop:  # --help (0) or a usage error (2), already printed
            return int(stop.code or 0)
        try:
            return _run(parser, args)
        except SystemExit as stop:  # parser.error() below
            return int(stop.code or 0)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    roster = load_roster()
    member = None
    if args.actor is not None:
        member = roster.get(args.actor.strip())
        if member is None:
            err(f"工号 {args.actor} 不在员工名册中，不能办理。可用 {PROG} staff 查看员工名册。")
            return REFUSED
    settings = load_settings()
    tables = {kind.name: getattr(args, kind.table_dest) or getattr(settings, kind.table_setting)
              for kind in KINDS.values()}
    tables["surveys"] = args.surveys_table or settings.surveys_table
    endpoint = connect(args.endpoint_url, args.region)
    ctx = Context(tables=tables, roster=roster, member=member, now=utc_now(), prog=PROG)
    try:
        return args.run(ctx, args)
    except UsageError as error:
        parser.error(str(error))
    except DomainError as error:
        err(error.message)
        return REFUSED
    except (PynamoDBException, BotoCoreError, ClientError) as error:
        where = "、".join(f"{KINDS[name].table_label} {ctx.tables[name]}" for name in ctx.repos) or "数据表"
        err(unavailable_message(error, endpoint, where))
        return UNAVAILABLE
    except BrokenPipeError:  # piped into `head`: stop quietly (recipe of the signal docs)
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return OK


if __name__ == "__main__":
    sys.exit(main())
