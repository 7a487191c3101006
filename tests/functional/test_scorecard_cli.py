"""``butler-staff scorecard`` against tables in moto: the generated demo quarters are saved
through the repositories and a survey is answered through the survey service; the CSV and
the report must show exactly what the pure computation gives for the same cases."""
import copy
import csv
import io
from datetime import timedelta

import pytest

from butler.domain.complaints import DEPARTMENTS
from butler.domain.scorecards import scorecards
from butler.domain.surveys import AREA_CODES, Answer, issue_codes, quarter_bounds, results, tally
from butler.repository.complaints import ComplaintRepository
from butler.repository.surveys import SurveyRepository
from butler.repository.work_orders import WorkOrderRepository
from butler.roster import load_roster
from butler.services import surveys as survey_service
from infra.demo_cases import generate
from butler.cli.scorecard import CSV_COLUMNS
from butler.domain.workflow import ROLE_LABELS
from tests.functional import test_staff_cli
from tests.support import staff_csv

cli = test_staff_cli.cli  # butler-staff in this process, output captured (a shared fixture)

ROSTER = load_roster()
BOM = "\ufeff"
EMPTY = "—"
MEASURES = ("handled", "on_time", "on_time_rate", "ratings", "mean_rating", "reopened", "reopen_rate",
            "survey_score")
PERCENT = ("on_time_rate", "reopen_rate")
SCORES = [  # one household a row: (per area in AREA_CODES order, overall, recommend)
    ((5, 4, 5, 4, 3), 5, True), ((4, 3, 4, 4, 2), 4, True), ((3, 2, 4, 5, 3), 3, False),
    ((5, 5, 4, 4, 4), 5, True), ((4, 2, 3, 3, 5), 3, False), ((2, 4, 5, 4, 3), 4, True),
    ((5, 3, 4, 5, 4), 4, True),
]
UNITS = [f"2-1-{floor}01" for floor in range(2, 12)]


@pytest.fixture(scope="module")
def demo():
    return generate()


@pytest.fixture(scope="module")
def small_demo():
    """Fewer cases, for what does not need the whole demo (moto scans slowly)."""
    return generate(seed=5, repairs_per_quarter=30, complaints_per_quarter=15)


def store(stack, demo):
    """The demo cases stored through the repositories; the table options of the tool."""
    repairs, complaints = WorkOrderRepository(stack["RepairsTable"]), ComplaintRepository(stack["ComplaintsTable"])
    for order in demo.repairs:
        repairs.add(copy.deepcopy(order))
    for case in demo.complaints:
        complaints.add(copy.deepcopy(case))
    return ["--table", stack["RepairsTable"], "--complaints-table", stack["ComplaintsTable"],
            "--surveys-table", stack["SurveysTable"]]


@pytest.fixture
def tables(stack, demo):
    return store(stack, demo)


@pytest.fixture
def survey(stack):
    """2026Q4's survey answered by seven of ten households; its results as computed from
    the answers themselves."""
    repo = SurveyRepository(stack["SurveysTable"])
    now = quarter_bounds("2026Q4")[0] + timedelta(days=30)  # inside the quarter whatever today is
    codes = issue_codes(UNITS)
    campaign = survey_service.open_campaign(repo, "2026Q4", codes, now=now - timedelta(days=1), opened_by="gj-li")
    answers = [Answer(dict(zip(AREA_CODES, scores)), overall, recommend) for scores, overall, recommend in SCORES]
    for (_, code), answer in zip(codes, answers):
        survey_service.submit(repo, code, answer, now=now)
    return results(tally(campaign, answers))


def expected_cards(demo, quarter, survey=None):
    return scorecards(quarter, demo.repairs, demo.complaints, ROSTER, survey)


def csv_rows(run):
    """The export's rows keyed by the columns' keys, after checking its BOM and its Chinese headers."""
    assert run.code == 0, run.err
    return staff_csv.read(run.out, CSV_COLUMNS)


def csv_cell(value):
    return "" if value is None else str(value)


def shown(name, value):
    if value is None:
        return EMPTY
    return f"{value}%" if name in PERCENT else str(value)


def section(text, title):
    """The table lines of one section of the report (after its title, up to its count)."""
    lines = text.splitlines()
    start = lines.index(title) + 3  # title, headers, rule
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("共 "))
    return [line.split() for line in lines[start:end]]


def test_the_csv_and_the_report_show_the_pure_computation_for_every_member_and_department(cli, tables, survey, demo):
    cards = expected_cards(demo, "2026Q4", survey)

    rows = csv_rows(cli("scorecard", "--quarter", "2026Q4", "--csv", *tables))

    header = next(csv.reader(io.StringIO(cli("scorecard", "--quarter", "2026Q4", "--csv", *tables).out)))
    assert header == [BOM + "季度", "范围", "工号或部门代码", "姓名或部门", "岗位", "部门代码", "办结", "按时",
                      "按时率（%）", "评价数", "平均评分", "返工", "返工率（%）", "满意度调查"]
    expected = [
        {"quarter": "2026Q4", "scope": "员工", "id": r.staff_id, "name": r.name, "role": ROLE_LABELS[r.role],
         "department": r.department, **{m: csv_cell(getattr(r.measures, m)) for m in MEASURES}}
        for r in cards.staff
    ] + [
        {"quarter": "2026Q4", "scope": "部门", "id": r.code, "name": r.label, "role": "",
         "department": r.code, **{m: csv_cell(getattr(r.measures, m)) for m in MEASURES}}
        for r in cards.departments
    ]
    assert rows == expected
    assert {row["id"] for row in rows if row["scope"] == "部门"} == {d.code for d in DEPARTMENTS}
    assert all(row["survey_score"] for row in rows)  # every area was answered
    assert rows[-4]["id"] == "engineering" and int(rows[-4]["handled"]) > 100

    run = cli("scorecard", "--quarter", "2026Q4", *tables)  # the same, as a report

    assert (run.code, run.err) == (0, "")
    assert run.out.startswith("服务考核：2026 年第四季度（2026-10-01 至 2026-12-31，北京时间）")
    assert [cells[0] for cells in section(run.out, "按员工")] == [r.staff_id for r in cards.staff]
    for cells, row in zip(section(run.out, "按员工"), cards.staff):
        assert cells[1:3] == [row.name, {"butler": "物业管家", "customer_service": "客服", "technician": "维修人员",
                                         "maintenance_lead": "维修主管"}[row.role]]
        assert cells[-8:] == [shown(m, getattr(row.measures, m)) for m in MEASURES], row.staff_id
    for cells, row in zip(section(run.out, "按部门"), cards.departments, strict=True):
        assert cells == [row.label, row.code, *(shown(m, getattr(row.measures, m)) for m in MEASURES)]
    assert f"邀请 {len(UNITS)} 户，收回 {len(SCORES)} 份" in run.out
    widths = {len(line) for line in run.out.splitlines() if line.startswith("----")}
    assert len(widths) == 2  # one rule per table: columns aligned


def test_one_side_only_and_a_quarter_without_a_survey(cli, stack, small_demo):
    tables = store(stack, small_demo)
    cards = expected_cards(small_demo, "2026Q3")

    staff_only = cli("scorecard", "--quarter", "2026q3", "--staff", *tables)
    departments = csv_rows(cli("scorecard", "--quarter", "2026Q3", "--departments", "--csv", *tables))

    assert staff_only.code == 0 and "按员工" in staff_only.out and "按部门" not in staff_only.out
    assert "本季度没有调查结果" in staff_only.out
    for cells, row in zip(section(staff_only.out, "按员工"), cards.staff, strict=True):
        assert cells[-8:] == [shown(m, getattr(row.measures, m)) for m in MEASURES], row.staff_id
        assert cells[-1] == EMPTY
    assert [row["scope"] for row in departments] == ["部门"] * len(DEPARTMENTS)
    assert [row["handled"] for row in departments] == [str(r.measures.handled) for r in cards.departments]
    assert [row["on_time_rate"] for row in departments] == [csv_cell(r.measures.on_time_rate) for r in cards.departments]
    assert {row["survey_score"] for row in departments} == {""}


def test_an_empty_quarter_lists_everyone_with_nothing_to_compute(cli, stack):
    run = cli("scorecard", "--quarter", "2026Q1", "--table", stack["RepairsTable"],
              "--complaints-table", stack["ComplaintsTable"])

    assert run.code == 0, run.err
    for cells in section(run.out, "按员工"):
        assert cells[-8:] == ["0", "0", EMPTY, "0", EMPTY, "0", EMPTY, EMPTY]
    assert len(section(run.out, "按部门")) == len(DEPARTMENTS)


@pytest.mark.parametrize("argv, message", [
    (["--quarter", "2026Q5"], "季度应写成 2026Q4"),
    (["--quarter", "2026Q4", "--staff", "--departments"], "不能与"),
    (["--quarter", "2026Q4", "--complaints-table", ""], "没有指定咨询投诉建议表"),
])
def test_a_wrong_command_line_exits_2_in_chinese(cli, stack, monkeypatch, argv, message):
    monkeypatch.delenv("COMPLAINTS_TABLE", raising=False)

    run = cli("scorecard", "--table", stack["RepairsTable"], *argv)

    assert run.code == 2 and message in run.err and run.out == ""
