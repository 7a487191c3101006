"""The staff tool's survey commands: open a quarter's campaign and print the invitation
sheets, see how it is going, close it, export the tally for the site, read the comments
and turn one into a complaint case.

Invitation codes exist only on the sheets written by ``survey-open`` (the table keeps
their digests): the sheets are written before the campaign is stored, and removed again
if storing fails.
"""
from __future__ import annotations

import argparse
import csv
import html
import json
import os
import sys
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path

from butler.cli import render
from butler.cli.commands import OK, Context, UsageError, out, write_csv
from butler.cli.kinds import COMPLAINT_KIND
from butler.domain import surveys
from butler.domain.complaints import COMPLAINT_WORKFLOW, TOPICS, ComplaintFiling, new_case, topic
from butler.domain.complaints import KINDS as COMPLAINT_KINDS
from butler.domain.errors import CampaignExists, NotFound, NotPermitted
from butler.domain.timefmt import SHANGHAI
from butler.repository.surveys import SurveyRepository
from butler.services import surveys as service
from butler.services.cases import open_case

DEFAULT_HOUSEHOLDS = Path("site/data/households.csv")
OPENERS = ("butler",)  # who may open and close a campaign
COMMENT_WIDTH = 40
COMMENT_COLUMNS = (("response", "答卷编号"), ("overall", "总体评分"),
                   ("recommend", "愿意推荐"), ("comment", "意见和建议"), ("case", "已转工单"))


# ---------------------------------------------------------------------- helpers
def _repo(ctx: Context) -> SurveyRepository:
    table = ctx.tables.get("surveys")
    if not table:
        raise UsageError("没有指定调查数据表：请用 --surveys-table 表名，或设置环境变量 SURVEYS_TABLE。")
    return SurveyRepository(table)


def _quarter(args: argparse.Namespace, ctx: Context) -> str:
    quarter = args.quarter or surveys.quarter_of(ctx.now)
    try:
        return surveys.check_quarter(quarter)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _require_role(ctx: Context, roles: tuple[str, ...], what: str):
    member = ctx.require_member(what)
    if member.role not in roles:
        from butler.domain.workflow import ROLE_LABELS

        raise NotPermitted(f"{what}需要由{'或'.join(ROLE_LABELS[r] for r in roles)}操作。")
    return member


def read_households(path: Path) -> list[str]:
    """The unit list (a CSV with a ``unit`` column), checked like the forms check a unit."""
    from butler.web.schemas import checked_unit

    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise UsageError(f"无法读取住户名单 {path}：{error.strerror or error}") from None
    if not rows or "unit" not in rows[0]:
        raise UsageError(f"住户名单 {path} 应为 CSV，第一行是列名 unit，之后每行一户，例如 3-2-1201。")
    units = []
    for number, row in enumerate(rows, start=2):
        try:
            units.append(checked_unit(row["unit"]))
        except ValueError:
            raise UsageError(f"住户名单 {path} 第 {number} 行的房号 {row['unit']!r} 格式不对（应为 栋-单元-房号）。") \
                from None
    return list(dict.fromkeys(u for u in units if u))


def _survey_url(site_url: str, code: str) -> str:
    # The code travels in the fragment: it never reaches a server log.
    return f"{site_url.rstrip('/')}/survey/#code={code}"


def sheet_html(quarter: str, building: str, codes: list[tuple[str, str]], site_url: str, closes_at: datetime) -> str:
    """A printable A4 sheet for one building: one slip per household to cut out."""
    import segno

    slips = []
    for unit, code in codes:
        url = _survey_url(site_url, code)
        qr = segno.make(url, error="m").svg_inline(scale=2, dark="#000", omitsize=False)
        slips.append(
            f'<section class="slip"><h2>{html.escape(unit)}</h2>'
            f'<div class="qr" role="img" aria-label="问卷二维码">{qr}</div>'
            f'<p>邀请码 <strong class="code">{html.escape(code)}</strong></p>'
            f'<p class="how">扫码答卷，或打开 {html.escape(site_url.rstrip("/"))}/survey/ 输入邀请码。'
            f'每户一次，{closes_at.astimezone(SHANGHAI):%-m 月 %-d 日}截止。</p></section>')
    title = f"{surveys.quarter_label(quarter)}业主满意度调查 · {building}号楼邀请码"
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
@page {{ size: A4; margin: 10mm; }}
body {{ font-family: "Noto Sans CJK SC", sans-serif; margin: 0; }}
h1 {{ font-size: 14pt; margin: 0 0 4mm; }}
.note {{ font-size: 9pt; margin: 0 0 4mm; }}
.slips {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 0; }}
.slip {{ border: 1px dashed #555; padding: 3mm; break-inside: avoid; text-align: center; }}
.slip h2 {{ font-size: 12pt; margin: 0; }}
.code {{ font-family: monospace; font-size: 13pt; letter-spacing: 1px; }}
.how {{ font-size: 8pt; margin: 1mm 0 0; }}
.qr svg {{ width: 32mm; height: 32mm; }}
</style></head>
<body><h1>{html.escape(title)}</h1>
<p class="note">沿虚线剪开，每户一张，投入信箱或当面交给业主。邀请码只能使用一次，请妥善保管本页，发放完毕后销毁。</p>
<div class="slips">{''.join(slips)}</div></body></html>
"""


def _building(unit: str) -> str:
    return unit.split("-", 1)[0]


def write_sheets(directory: Path, quarter: str, codes: list[tuple[str, str]], site_url: str,
                 closes_at: datetime) -> list[Path]:
    by_building: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for unit, code in codes:
        by_building[_building(unit)].append((unit, code))
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for building, rows in sorted(by_building.items(), key=lambda item: (len(item[0]), item[0])):
        path = directory / f"{quarter}-{building}号楼.html"
        if path.exists():
            raise UsageError(f"{path} 已经存在：请换一个目录，旧的邀请码单不要覆盖。")
        written.append(path)
    for path, (building, rows) in zip(written, sorted(by_building.items(), key=lambda i: (len(i[0]), i[0]))):
        path.write_text(sheet_html(quarter, building, rows, site_url, closes_at), encoding="utf-8")
    return written


# ---------------------------------------------------------------------- commands
def survey_open(ctx: Context, args: argparse.Namespace) -> int:
    member = _require_role(ctx, OPENERS, "开启满意度调查")
    quarter = _quarter(args, ctx)
    site_url = args.site_url or os.environ.get("SITE_URL", "")
    if not site_url.startswith(("https://", "http://")):
        raise UsageError("请用 --site-url 指明网站地址（例如 https://wuye.example.cn），二维码会打开它的问卷页。")
    closes_at = None
    if args.closes:
        try:
            closes_at = datetime.combine(datetime.fromisoformat(args.closes).date(), time(23, 59, 59), SHANGHAI)
        except ValueError:
            raise UsageError(f"截止日期应写成 2027-01-15 这样的格式，而不是 {args.closes!r}。") from None
    units = read_households(Path(args.households))
    repo = _repo(ctx)
    if repo.campaign(quarter) is not None:
        raise CampaignExists()
    campaign = surveys.new_campaign(quarter, now=ctx.now, closes_at=closes_at, opened_by=member.id)
    codes = surveys.issue_codes(units)
    sheets = write_sheets(Path(args.sheets), quarter, codes, site_url, campaign.closes_at)
    try:
        service.open_campaign(repo, quarter, codes, now=ctx.now, closes_at=campaign.closes_at, opened_by=member.id)
    except BaseException:
        for path in sheets:  # without the campaign the codes on them are worthless
            path.unlink(missing_ok=True)
        raise
    out(f"已开启{campaign.label}满意度调查，截止 {render.local_time(campaign.closes_at)}（北京时间）。")
    out(f"  邀请 {len(codes)} 户，邀请码单 {len(sheets)} 张（每栋楼一张，可直接打印）：")
    for path in sheets:
        out(f"  {path}")
    out("邀请码只在这些文件里，系统只保存它们的摘要。发放完毕后请销毁文件。")
    return OK


def survey_close(ctx: Context, args: argparse.Namespace) -> int:
    _require_role(ctx, OPENERS, "结束满意度调查")
    quarter = _quarter(args, ctx)
    _repo(ctx).close_campaign(quarter, ctx.now)
    out(f"{surveys.quarter_label(quarter)}满意度调查已结束，之后提交的问卷将被拒绝。")
    return OK


def survey_status(ctx: Context, args: argparse.Namespace) -> int:
    quarter = _quarter(args, ctx)
    repo = _repo(ctx)
    campaign = repo.campaign(quarter)
    if campaign is None:
        raise NotFound(f"{surveys.quarter_label(quarter)}还没有开启满意度调查。")
    answered = sum(1 for _ in repo.responses_of(quarter))
    rate = surveys.percent(answered, campaign.invited)
    state = "进行中" if campaign.is_open(ctx.now) else "未开始" if campaign.not_started(ctx.now) else "已结束"
    out(f"{campaign.label}满意度调查（{state}）")
    out(render.table(("开始", "截止", "邀请户数", "已答卷", "答卷率"), [[
        render.local_time(campaign.opens_at), render.local_time(campaign.closed_at or campaign.closes_at),
        str(campaign.invited), str(answered), f"{rate}%" if rate is not None else render.EMPTY]]))
    return OK


def survey_export(ctx: Context, args: argparse.Namespace) -> int:
    quarter = _quarter(args, ctx)
    tally = service.final_tally(_repo(ctx), quarter, now=ctx.now)  # refused while the campaign is open
    if tally is None:
        raise NotFound(f"{surveys.quarter_label(quarter)}没有满意度调查，无法导出。")
    text = json.dumps(tally, ensure_ascii=False, indent=2) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        _, quarter_end = surveys.quarter_bounds(quarter)
        when = "随下次发布更新" if ctx.now >= quarter_end else f"在本季度结束后（{quarter_end:%Y-%m-%d} 起）的发布中公布"
        out(f"已导出 {args.out}：{tally['responses']} 份答卷。提交到仓库后，网站的调查结果页会{when}。")
    else:
        sys.stdout.write(text)
    return OK


def survey_comments(ctx: Context, args: argparse.Namespace) -> int:
    quarter = _quarter(args, ctx)
    rows = [r for r in _repo(ctx).responses_of(quarter) if r.answer.comment.strip()]
    if args.csv:
        write_csv(render.csv_table(COMMENT_COLUMNS, ({
            "response": r.id, "overall": r.answer.overall,
            "recommend": render.YES_NO[bool(r.answer.recommend)], "comment": r.answer.comment,
            "case": r.case_reference or ""} for r in rows)))
        return OK
    out(f"{surveys.quarter_label(quarter)}满意度调查的意见和建议（{len(rows)} 条）")
    # No time: an answer carries none (docs/surveys.md, "Unlinkable"); the order is the ids'.
    out(render.listing(("答卷编号", "总体", "意见", "已转工单"), [
        [r.id, str(r.answer.overall), render.clip(r.answer.comment, COMMENT_WIDTH),
         r.case_reference or render.EMPTY] for r in rows]))
    if rows:
        out(f"要跟进一条意见：{ctx.prog} --as 工号 survey-to-case <答卷编号> --kind complaint --topic <主题>")
    return OK


def survey_to_case(ctx: Context, args: argparse.Namespace) -> int:
    claim = COMPLAINT_WORKFLOW.action("claim")
    member = _require_role(ctx, claim.roles, "把调查意见转成咨询投诉建议")
    quarter = _quarter(args, ctx)
    repo = _repo(ctx)
    wanted = args.response.strip().upper()
    found = next((r for r in repo.responses_of(quarter) if r.id == wanted), None)
    if found is None or not found.answer.comment.strip():
        raise NotFound(f"{surveys.quarter_label(quarter)}没有编号为 {args.response} 的意见。")
    if found.case_reference:
        raise NotPermitted(f"这条意见已经转成 {found.case_reference}，不用重复登记。")
    filing = ComplaintFiling(kind=args.kind, topic=args.topic, description=found.answer.comment.strip()[:1000],
                             contact_name="", contact_phone="", unit=None, source="survey", received_by=member.id)
    case, _ = open_case(ctx.repo(COMPLAINT_KIND), lambda **new: new_case(filing, **new))
    repo.link_case(quarter, found.id, case.reference)
    out(f"已把这条意见登记为{COMPLAINT_KINDS[case.kind]} {case.reference}（{topic(case.topic).label}），"
        f"首问负责人：{member.name}（{member.id}）。调查是匿名的，没有业主联系方式：处理结果请在公告或下季度调查中反馈。")
    return OK


# ---------------------------------------------------------------------- command line
def add_commands(command: Callable[..., argparse.ArgumentParser]) -> None:
    def quarter_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--quarter", metavar="季度", help="例如 2026Q4（默认：当前季度）")

    child = command(
        "survey-open", "开启本季度满意度调查，生成每户的邀请码单（需管家）", survey_open,
        "开启本季度（北京时间）的满意度调查：按住户名单给每户生成一个邀请码，并按楼栋写出可打印的邀请码单"
        "（每户一张，带二维码）。邀请码只出现在这些文件里，系统只保存摘要。只能开启当前季度，"
        "截止日期最晚是本季度的最后一天。",
        "示例：\n  butler-staff --as gj-li survey-open --quarter 2026Q4 --closes 2027-01-15 "
        "--site-url https://wuye.example.cn --sheets 邀请码单/")
    quarter_option(child)
    child.add_argument("--closes", metavar="日期",
                       help="截止日期（北京时间当天 23:59，最晚本季度最后一天），默认开启后 4 周或季度末")
    child.add_argument("--households", metavar="文件", default=str(DEFAULT_HOUSEHOLDS),
                       help=f"住户名单 CSV（默认 {DEFAULT_HOUSEHOLDS}）")
    child.add_argument("--sheets", metavar="目录", required=True, help="邀请码单写到这个目录")
    child.add_argument("--site-url", metavar="网址", help="网站地址（默认取环境变量 SITE_URL）")

    child = command("survey-close", "提前结束满意度调查（需管家）", survey_close)
    quarter_option(child)
    child = command("survey-status", "满意度调查进展：邀请户数、已答卷、答卷率", survey_status)
    quarter_option(child)
    child = command("survey-export", "导出调查统计（网站结果页的数据文件）", survey_export,
                    "导出一个已结束季度的统计数字（只有各项各分数的人数，没有意见原文），"
                    "保存为 site/data/surveys/季度.json 并提交到仓库；调查进行中不能导出，"
                    "网站只公布已经过完的季度。")
    quarter_option(child)
    child.add_argument("--out", metavar="文件", help="写到文件（默认输出到屏幕）")
    child = command("survey-comments", "查看调查中业主写下的意见和建议", survey_comments)
    quarter_option(child)
    child.add_argument("--csv", action="store_true", help="输出 CSV（UTF-8 带 BOM）")
    child = command("survey-to-case", "把一条调查意见登记为咨询、投诉或建议（登记人即首问负责人）", survey_to_case)
    quarter_option(child)
    child.add_argument("response", metavar="答卷编号", help="survey-comments 列出的答卷编号")
    child.add_argument("--kind", choices=tuple(COMPLAINT_KINDS), required=True, metavar="类型",
                       help="、".join(f"{c} {label}" for c, label in COMPLAINT_KINDS.items()))
    child.add_argument("--topic", choices=[t.code for t in TOPICS], required=True, metavar="主题",
                       help="、".join(f"{t.code} {t.label}" for t in TOPICS))
