"""``butler-staff``: the staff command-line tool of the service desk.

The command line is built from data: one subcommand per staff step of ``REPAIR_WORKFLOW``
with one option per ``StepField``, so a new step or field appears here without editing
this module. Exit codes: 0 done, 1 refused or not found, 2 wrong command line, 3 the
table could not be reached.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from urllib.parse import urlsplit

from butler.cli import commands, render
from butler.cli.commands import OK, REFUSED, Context, UsageError
from butler.cli.zh_argparse import Formatter, chinese_argparse
from butler.domain.errors import DomainError
from butler.domain.photos import KIND_LABELS as PHOTO_KINDS
from butler.domain.repairs import CATEGORIES, REPAIR_WORKFLOW, SOURCES
from butler.domain.staff import Roster
from butler.domain.timefmt import utc_now
from butler.domain.workflow import ROLE_LABELS, Action, Workflow
from butler.roster import load_roster
from butler.settings import load_settings

PROG = "butler-staff"
UNAVAILABLE = 3  # exit code when the table cannot be reached (1: refused, 2: usage)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
LOCAL_REGION = "ap-east-1"  # the local stack's region (infra/local.py); moto keeps tables per region
STAFF_SOURCES = tuple(code for code in SOURCES if code != "resident_site")
STAFF_PHOTO_KINDS = tuple(kind for kind in PHOTO_KINDS if kind != "resident")

DESCRIPTION = """\
物业管家服务台员工工具：查看报修队列和房屋档案，办理维修工单的每一步，代业主登记电话、
到访或巡查发现的报修。时间均为北京时间。"""

EPILOG = f"""\
示例：
  {PROG} --as gj-li queue reported              待派单的报修
  {PROG} --as gj-li show R-7KQ4-M2XP            查看一张工单的全部信息和下一步
  {PROG} --as gj-li dispatch R-7KQ4-M2XP --technician wx-wang
  {PROG} --as wx-wang mine                      我手上未完工的工单
  {PROG} history 3-2-1201 --csv > 档案.csv      导出房屋档案（Excel 可直接打开）
  {PROG} --endpoint-url http://127.0.0.1:端口 --table butler-local-repairs --as gj-li queue reported
                                                连接本地演示环境

退出码：0 成功；1 操作被拒绝或找不到工单；2 命令写法有误；3 无法连接报修表。"""


def _global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """The options every command takes. On subcommands they default to "not given", so
    that ``--as`` may also follow the command without undoing one given before it."""
    group = parser.add_argument_group("通用选项")

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    group.add_argument("--as", dest="actor", metavar="工号", default=default(None),
                       help="您的员工工号，例如 gj-li；岗位按员工名册确定。办理步骤、代客报修、"
                            "上传照片和查看“我的工单”时必填")
    group.add_argument("--table", metavar="表名", default=default(None),
                       help="报修表名（默认取环境变量 REPAIRS_TABLE）")
    group.add_argument("--endpoint-url", metavar="地址", default=default(None),
                       help="AWS 服务地址（DynamoDB 和照片存储），连接本地演示环境时使用，"
                            "例如 http://127.0.0.1:5000")
    group.add_argument("--region", metavar="区域", default=default(None),
                       help="AWS 区域（默认取 AWS 配置；连接本机地址时默认 ap-east-1）")


def _list_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", action="store_true",
                        help="输出 CSV（UTF-8 带 BOM，Excel 可直接打开）而不是表格")
    parser.add_argument("--with-contact", action="store_true",
                        help="CSV 中包含完整的联系人姓名和电话（默认打码）；仅限工作需要，不得外传")


def build_parser(workflow: Workflow = REPAIR_WORKFLOW, roster: Roster | None = None) -> argparse.ArgumentParser:
    """The whole command line. Call it inside ``chinese_argparse()``."""
    roster = load_roster() if roster is None else roster
    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=Formatter)
    _global_options(parser, defaults=True)
    sub = parser.add_subparsers(title="命令", metavar="命令", required=True,
                                help="用“命令 -h”查看每个命令的用法，例如 dispatch -h")

    def command(name: str, help_text: str, run: commands.Command, description: str = "",
                epilog: str = "", needs_table: bool = True) -> argparse.ArgumentParser:
        child = sub.add_parser(name, help=help_text, description=description or help_text,
                               epilog=epilog, formatter_class=Formatter)
        child.set_defaults(run=run, needs_table=needs_table)
        return child

    states = "、".join(f"{s.code} {s.label}" for s in workflow.states)
    child = command("queue", "按状态查看报修队列", commands.queue,
                    f"按状态查看报修队列，最早报修的在前。\n状态：{states}")
    child.add_argument("status", metavar="状态", choices=[s.code for s in workflow.states],
                       help="例如 reported（待派单）、completed（待验收）")
    _list_options(child)

    child = command("mine", "我手上未完工的工单（维修人员，需 --as）", commands.mine)
    _list_options(child)

    child = command("overdue", "已超时的工单（由超时巡检标记）", commands.overdue)
    _list_options(child)

    child = command("history", "房屋档案：一户的全部报修", commands.history)
    child.add_argument("unit", metavar="房号", help="栋-单元-房号，例如 3-2-1201")
    _list_options(child)

    child = command("show", "查看一张工单的全部信息、处理记录和下一步", commands.show,
                    "查看一张工单：联系人和完整电话（用于联系业主）、步骤记录、处理记录、照片链接、"
                    "员工备注（仅员工可见）、合并进来的同一故障报修，以及您的岗位现在可以做的下一步。")
    child.add_argument("reference", metavar="编号", help="报修编号，例如 R-7KQ4-M2XP")
    _photo_options(child, links=True)

    child = command("photo", "上传维修前或维修后的照片", commands.photo,
                    "为报修上传一张维修前或维修后的照片（JPG、PNG 或 WebP，不超过 5 MB）。")
    child.add_argument("reference", metavar="编号", help="报修编号，例如 R-7KQ4-M2XP")
    child.add_argument("file", metavar="文件", help="照片文件，例如 before.jpg")
    child.add_argument("--kind", choices=STAFF_PHOTO_KINDS, required=True, metavar="类别",
                       help="、".join(f"{kind} {PHOTO_KINDS[kind]}" for kind in STAFF_PHOTO_KINDS))
    _photo_options(child, links=False)

    _add_report(command)
    command("staff", "员工名册：工号、姓名、岗位", commands.staff, needs_table=False)

    for action in workflow.actions:
        if render.STAFF_ROLES & set(action.roles):
            _add_step(command, workflow, action, roster)
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


def _add_step(command: Callable[..., argparse.ArgumentParser], workflow: Workflow, action: Action,
              roster: Roster) -> None:
    roles = "、".join(ROLE_LABELS.get(r, r) for r in action.roles if r in render.STAFF_ROLES)
    sources = "、".join(workflow.state(s).label for s in action.sources)
    required = " ".join(f"{render.option_name(f)} <{render.metavar(f)}>" for f in action.fields if f.required)
    child = command(
        render.command_name(action), f"{action.label}（{roles}）", commands.step,
        f"{action.label}：{sources} → {workflow.state(action.target).label}。可操作岗位：{roles}。",
        f"示例：\n  {PROG} --as 工号 {render.command_name(action)} R-7KQ4-M2XP {required}".rstrip())
    child.add_argument("reference", metavar="编号", help="报修编号，例如 R-7KQ4-M2XP")
    group = child.add_argument_group("本步骤记录的内容")
    for step_field in action.fields:
        group.add_argument(render.option_name(step_field), dest=step_field.name,
                           metavar=render.metavar(step_field),
                           help=render.field_hint(step_field, roster))
    child.add_argument("--note", metavar="文字",
                       help=f"写给业主看的说明（显示在业主的进度页；默认：{action.resident_note or '无'}）")
    child.add_argument("--staff-note", metavar="文字", help="员工备注，仅员工可见")
    child.set_defaults(action_code=action.code, field_names=action.field_names())


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
    child.add_argument("--category", metavar="类别", help=f"报修类别（必填）：{categories}")
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


def _connect(endpoint_url: str | None, region: str | None) -> None:
    """Point the AWS SDKs at ``endpoint_url`` for this process (the local stack)."""
    if region:
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = region
    if not endpoint_url:
        return
    # Service-specific variables win over the general one in botocore: set them all.
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
        os.environ[name] = endpoint_url
    if urlsplit(endpoint_url).hostname in LOCAL_HOSTS:
        # The local stack (moto) takes any credentials; it keeps its tables in one region.
        if not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
            os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
        if not os.environ.get("AWS_DEFAULT_REGION"):
            os.environ["AWS_DEFAULT_REGION"] = LOCAL_REGION


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
            print(f"工号 {args.actor} 不在员工名册中，不能办理。可用 {PROG} staff 查看员工名册。",
                  file=sys.stderr)
            return REFUSED
    table = args.table or load_settings().repairs_table
    if not table and args.needs_table:
        parser.error("没有指定报修表：请用 --table 表名，或设置环境变量 REPAIRS_TABLE。")
    _connect(args.endpoint_url, args.region)
    ctx = Context(table=table, roster=roster, member=member, now=utc_now(), prog=PROG)
    try:
        return args.run(ctx, args)
    except UsageError as error:
        parser.error(str(error))
    except DomainError as error:
        print(error.message, file=sys.stderr)
        return REFUSED
    except (PynamoDBException, BotoCoreError, ClientError) as error:
        detail = " ".join(str(error).split())[:300]
        print(f"无法访问报修表 {table}：请检查表名、--endpoint-url、AWS 凭证和区域。"
              f"（{type(error).__name__}：{detail}）", file=sys.stderr)
        return UNAVAILABLE
    except BrokenPipeError:  # piped into `head`: stop quietly (recipe of the signal docs)
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return OK


if __name__ == "__main__":
    sys.exit(main())
