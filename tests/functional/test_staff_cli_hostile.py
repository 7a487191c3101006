"""Resident text is inert in every staff output: terminal escapes (window title, clear
screen, OSC 8 links, OSC 52 clipboard), carriage returns and bidi overrides planted in every
field people type reach ``butler-staff`` tables, ``show``, CSV exports and the survey
comments only as visible escapes, and CSV cells never start a formula."""
import re
from datetime import timedelta

import pytest

from butler.cli import render
from butler.domain.timefmt import utc_now
from butler.repository.complaints import ComplaintRepository
from butler.repository.work_orders import WorkOrderRepository
from butler.services.alerts import sweep_overdue
from tests.functional import test_staff_cli
from tests.functional.test_staff_cli_surveys import answer, households, opened, repo  # noqa: F401 (fixtures)
from tests.support import staff_csv
from tests.support.console import console_edit, item
from tests.support.flow import BUTLER, TECHNICIAN
from tests.support.reports import home_report
from tests.support.terminal_tricks import TEXT, assert_inert, assert_inert_csv

cli = test_staff_cli.cli  # butler-staff in this process, output captured (a shared fixture)
JSON = {"Content-Type": "application/json"}
UNIT = home_report()["unit"]
OWNER = "kf-zhang"
FORMULA = "=HYPERLINK(\"https://evil.example\",\"点我\")"
REPAIR_FIELDS = ("description", "location", "contact_name", "contact_phone", "preferred_time")
COMPLAINT_FIELDS = ("description", "contact_name", "contact_phone")


def planted(dynamodb, table, reference, fields):
    """Every field people type set to the hostile text, as a console edit (or a form that
    let it through) would store it; checked to be stored raw, so the checks below are real."""
    console_edit(dynamodb, table, reference, **{name: TEXT for name in fields})
    stored = item(dynamodb, table, reference)
    assert all(TEXT in stored[name] for name in fields)


@pytest.fixture
def hostile_order(api, cli, dynamodb, stack):
    """A home repair, dispatched with hostile notes and a hostile step record, every typed
    field hostile, and overdue."""
    response = api.call("POST", "/api/repairs", json_body=home_report(), headers=JSON)
    assert response.status == 201, response.text
    reference = response.json["reference"]
    planted(dynamodb, stack["RepairsTable"], reference, REPAIR_FIELDS)
    steps = [("--as", BUTLER, "dispatch", reference, "--technician", TECHNICIAN, "--note", TEXT,
              "--staff-note", TEXT),
             ("--as", TECHNICIAN, "survey", reference, "--survey-plan", TEXT, "--materials-planned", FORMULA)]
    for argv in steps:
        run = cli(*argv)
        assert run.code == 0, run.err
    repo = WorkOrderRepository(stack["RepairsTable"])
    assert sweep_overdue(repo, test_staff_cli.Inbox(), now=utc_now() + timedelta(days=30))
    planted(dynamodb, stack["RepairsTable"], reference, ("guard_message",))  # why an edit was put back
    return reference


@pytest.fixture
def hostile_complaint(api, cli, dynamodb, stack):
    """A complaint claimed, transferred and answered with hostile text, every typed field hostile."""
    body = {"kind": "complaint", "topic": "cleaning", "description": "楼道垃圾两天没清运，味道很大。",
            "contact_name": "钱女士", "contact_phone": "13933334444", "unit": UNIT}
    response = api.call("POST", "/api/complaints", json_body=body, headers=JSON)
    assert response.status == 201, response.text
    reference = response.json["reference"]
    planted(dynamodb, stack["ComplaintsTable"], reference, COMPLAINT_FIELDS)
    for argv in (("--as", OWNER, "claim", reference, "--owner", OWNER, "--staff-note", TEXT),
                 ("--as", OWNER, "transfer", reference, "--department", "environment", "--note", TEXT),
                 ("--as", "bj-zhou", "investigate", reference, "--findings", TEXT)):
        run = cli(*argv)
        assert run.code == 0, run.err
    repo = ComplaintRepository(stack["ComplaintsTable"])
    assert sweep_overdue(repo, test_staff_cli.Inbox(), now=utc_now() + timedelta(days=30))
    planted(dynamodb, stack["ComplaintsTable"], reference, ("guard_message",))
    return reference


REPAIR_OUTPUTS = {
    "show": ["--as", BUTLER, "show", "{ref}"],
    "queue": ["queue", "surveyed"],
    "mine": ["--as", TECHNICIAN, "mine"],
    "overdue": ["overdue"],
    "history": ["history", UNIT],
}


@pytest.mark.parametrize("argv", REPAIR_OUTPUTS.values(), ids=REPAIR_OUTPUTS.keys())
def test_every_repair_output_shows_resident_text_inert(cli, hostile_order, argv):
    run = cli(*[part.replace("{ref}", hostile_order) for part in argv])

    assert run.code == 0, run.err
    assert hostile_order in run.out
    assert_inert(run.out, argv[-1])


def test_show_keeps_each_typed_field_on_its_own_lines(cli, hostile_order):
    out = cli("--as", BUTLER, "show", hostile_order).out

    for label in ("问题描述", "联系人", "方便上门时间", "控制台修改被退回", "维修方案"):
        line = next(line for line in out.splitlines() if f"{label}：" in line)
        assert "\\x1b]0;" in line and "\\u202e" in line and "\\x0d" in line, label
    assert not any(line.startswith("状态：已验收") for line in out.splitlines())  # the CR's fake line


@pytest.mark.parametrize("argv", [["queue", "surveyed"], ["history", UNIT], ["overdue"],
                                  ["--as", TECHNICIAN, "mine"]], ids=["queue", "history", "overdue", "mine"])
def test_every_repair_csv_is_inert_and_starts_no_formula(cli, hostile_order, argv):
    for extra in ((), ("--with-contact",)):
        run = cli(*argv, "--csv", *extra)
        assert run.code == 0, run.err
        rows = assert_inert_csv(run.out, " ".join(argv))
        (row,) = staff_csv.read(run.out, render.CSV_COLUMNS)
        assert row["reference"] == hostile_order
        assert row["description"].startswith("楼道漏水\\x1b]0;")
    assert rows[0][0] == "编号"


COMPLAINT_OUTPUTS = {
    "show": ["--as", OWNER, "show", "{ref}"],
    "queue": ["queue", "investigating"],
    "mine": ["--as", OWNER, "mine", "--kind", "complaint"],
    "department": ["department", "environment"],
    "overdue": ["overdue", "--kind", "complaint"],
}


@pytest.mark.parametrize("argv", COMPLAINT_OUTPUTS.values(), ids=COMPLAINT_OUTPUTS.keys())
def test_every_complaint_output_shows_resident_text_inert(cli, hostile_complaint, argv):
    run = cli(*[part.replace("{ref}", hostile_complaint) for part in argv])

    assert run.code == 0, run.err
    assert hostile_complaint in run.out
    if argv[-1] == "{ref}":
        assert_inert(run.out, "show")
    else:  # the lists show no typed text: nothing raw either
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", run.out)


@pytest.mark.parametrize("argv", [COMPLAINT_OUTPUTS[name] for name in ("queue", "mine", "department", "overdue")],
                         ids=("queue", "mine", "department", "overdue"))
def test_every_complaint_csv_is_inert(cli, hostile_complaint, argv):
    run = cli(*argv, "--csv", "--with-contact")

    assert run.code == 0, run.err
    assert_inert_csv(run.out, argv[0])
    (row,) = staff_csv.read(run.out, render.COMPLAINT_CSV_COLUMNS)
    assert row["contact_name"].startswith("楼道漏水\\x1b")


def test_survey_comments_show_and_export_a_hostile_comment_inert(api, cli, opened):  # noqa: F811
    _, _, codes = opened
    first, second = list(codes.values())[:2]
    answer(api, first, 2, comment=TEXT)
    answer(api, second, 3, comment=FORMULA)

    listed, exported = cli("survey-comments"), cli("survey-comments", "--csv")

    assert listed.code == exported.code == 0, listed.err + exported.err
    assert_inert(listed.out, "survey-comments")
    rows = assert_inert_csv(exported.out, "survey-comments --csv")
    (comment,) = [cell for row in rows for cell in row if "HYPERLINK" in cell]
    assert comment.startswith("'=HYPERLINK(")


def test_a_cell_that_looks_like_a_formula_gets_an_apostrophe_and_numbers_stay_numbers():
    columns = (("text", "文字"), ("count", "件数"), ("rate", "比率"), ("minus", "差"))
    from decimal import Decimal

    text = render.csv_table(columns, [
        {"text": value, "count": 3, "rate": Decimal("87.5"), "minus": -2}
        for value in ("=1+1", "+8613900000000", "-1", "@SUM(A1)", "\t=1", "\r=1", "普通文字", "")])

    lines = text.splitlines()
    assert lines[0] == "文字,件数,比率,差"
    assert [line.rsplit(",", 3)[0] for line in lines[1:]] == [
        "'=1+1", "'+8613900000000", "'-1", "'@SUM(A1)", "\\x09=1", "\\x0d=1", "普通文字", ""]
    assert all(line.endswith(",3,87.5,-2") for line in lines[1:])
