"""``butler-staff scorecard``: the quarterly service-quality scorecards (考核) per staff member
and per department, as an aligned report in Chinese or as CSV with Chinese column headers
(written by ``render.csv_table``, the staff tool's one CSV writer).

The numbers come from ``butler.domain.scorecards`` (definitions in ``docs/scorecards.md``);
this module only reads the tables and prints.
"""
from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Optional

from butler.cli import render
from butler.cli.commands import OK, Context, UsageError, out, write_csv
from butler.cli.kinds import COMPLAINT_KIND, REPAIR_KIND
from butler.domain.scorecards import DepartmentRow, Measures, Scorecards, StaffRow
from butler.domain.surveys import check_quarter
from butler.domain.workflow import ROLE_LABELS
from butler.services.scorecards import quarter_scorecards, survey_results

MEASURES = tuple(f.name for f in dataclasses.fields(Measures))
PERCENTS = ("on_time_rate", "reopen_rate")
MEASURE_HEADERS = ("办结", "按时", "按时率", "评价数", "平均评分", "返工", "返工率", "满意度调查")
STAFF_HEADERS = ("工号", "姓名", "岗位", "部门", *MEASURE_HEADERS)
DEPARTMENT_HEADERS = ("部门", "代码", *MEASURE_HEADERS)
CSV_COLUMNS = (("quarter", "季度"), ("scope", "范围"), ("id", "工号或部门代码"), ("name", "姓名或部门"),
               ("role", "岗位"), ("department", "部门代码"),
               *((m, f"{h}（%）" if m in PERCENTS else h) for m, h in zip(MEASURES, MEASURE_HEADERS, strict=True)))
SCOPES = {"staff": "员工", "department": "部门"}
NOT_LISTED = "（不在名册）"
EXPLANATION = (
    "说明：办结＝本季度首次完工的报修（计入维修人员和工程维修部）和本季度办结的咨询投诉建议"
    "（计入首问负责人和所属部门）；按时＝没有超时记录（响应、完工或约定回复）；平均评分＝业主评分"
    "（1–5 分）的平均，评价数为给了评分的件数；返工＝验收不合格返修、业主反馈未修好或业主不满意"
    "重新跟进过的件数；满意度调查＝本季度满意度调查中本部门负责的服务方面的平均分。"
    f"比率保留一位小数，平均分保留两位小数（四舍五入）；“{render.EMPTY}”表示没有可计算的数据。")

EPILOG = """\
示例：
  butler-staff scorecard --quarter 2026Q4                   员工和部门的考核表
  butler-staff scorecard --quarter 2026Q4 --staff           只看员工
  butler-staff scorecard --quarter 2026Q4 --csv > 考核.csv  导出 CSV（Excel 可直接打开）"""


def add_command(command: Callable[..., argparse.ArgumentParser]) -> None:
    child = command(
        "scorecard", "季度服务考核：按员工、按部门统计办结量、按时率、业主评分、返工率和满意度",
        run, "按季度统计每位员工和每个部门的服务质量：办结件数、按时率、业主平均评分、返工率，以及"
        "满意度调查中本部门负责方面的平均分。读取报修表和咨询投诉建议表的全部记录（需要两个表名），"
        "满意度得分读取满意度调查表。", EPILOG)
    child.add_argument("--quarter", metavar="季度", required=True, help="季度，例如 2026Q4（按北京时间）")
    only = child.add_mutually_exclusive_group()
    only.add_argument("--staff", action="store_true", help="只列员工")
    only.add_argument("--departments", action="store_true", help="只列部门")
    child.add_argument("--csv", action="store_true", help="输出 CSV（UTF-8 带 BOM，Excel 可直接打开）而不是表格")


def run(ctx: Context, args: argparse.Namespace) -> int:
    try:
        quarter = check_quarter(args.quarter.strip().upper())
    except ValueError as error:
        raise UsageError(str(error)) from None
    survey = survey_results(ctx.tables.get("surveys", ""), quarter)  # --surveys-table or SURVEYS_TABLE
    cards = quarter_scorecards(quarter, ctx.repo(REPAIR_KIND), ctx.repo(COMPLAINT_KIND), ctx.roster, survey)
    staff = () if args.departments else cards.staff
    departments = () if args.staff else cards.departments
    if args.csv:
        write_csv(csv_text(cards, staff, departments))
    else:
        out(report(cards, staff, departments))
    return OK


# ---------------------------------------------------------------------- text
def cell(name: str, value: Optional[Any]) -> str:
    if value is None:
        return render.EMPTY
    return f"{value}%" if name in PERCENTS else str(value)


def cells(measures: Measures) -> list[str]:
    return [cell(name, getattr(measures, name)) for name in MEASURES]


def staff_cells(row: StaffRow) -> list[str]:
    return [row.staff_id, row.name or NOT_LISTED, ROLE_LABELS.get(row.role, row.role or render.EMPTY),
            row.department_label or render.EMPTY, *cells(row.measures)]


def department_cells(row: DepartmentRow) -> list[str]:
    return [row.label, row.code, *cells(row.measures)]


def report(cards: Scorecards, staff: Sequence[StaffRow], departments: Sequence[DepartmentRow]) -> str:
    last_day = cards.end - timedelta(days=1)
    lines = [f"服务考核：{cards.label}（{cards.start:%Y-%m-%d} 至 {last_day:%Y-%m-%d}，北京时间）"]
    if staff:
        lines += ["", "按员工", render.listing(STAFF_HEADERS, [staff_cells(r) for r in staff])]
    if departments:
        lines += ["", "按部门", render.listing(DEPARTMENT_HEADERS, [department_cells(r) for r in departments])]
    survey = cards.survey
    lines.append("")
    if survey is None:
        lines.append(f"满意度调查：本季度没有调查结果（未指定满意度调查表，或本季度没有开展调查），"
                     f"满意度一栏显示为“{render.EMPTY}”。")
    else:
        lines.append(f"满意度调查：{survey.label}，邀请 {survey.invited} 户，收回 {survey.responses} 份。")
    lines.append(EXPLANATION)
    return "\n".join(lines)


# ---------------------------------------------------------------------- CSV
def csv_text(cards: Scorecards, staff: Sequence[StaffRow], departments: Sequence[DepartmentRow]) -> str:
    """One row per staff member (范围 员工) and per department (部门); rates in percent,
    numbers as numbers, empty where there is nothing to compute."""
    rows = [*(("staff", r.staff_id, r.name, ROLE_LABELS.get(r.role, r.role), r.department or "", r.measures)
              for r in staff),
            *(("department", r.code, r.label, "", r.code, r.measures) for r in departments)]
    return render.csv_table(CSV_COLUMNS, ({
        "quarter": cards.quarter, "scope": SCOPES[scope], "id": key, "name": name, "role": role,
        "department": department, **{field: getattr(measures, field) for field in MEASURES},
    } for scope, key, name, role, department, measures in rows))
