"""The staff command-line tool (butler-staff), called in process against tables under moto
server; residents' steps go through the API routes."""
import io
import json
import re
import unicodedata
import urllib.request
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from butler.cli.main import build_parser, main
from butler.cli.zh_argparse import chinese_argparse
from butler.domain.complaints import COMPLAINT_WORKFLOW
from butler.domain.repairs import REPAIR_WORKFLOW
from butler.domain.timefmt import SHANGHAI, utc_now
from butler.domain.workflow import StepField
from butler.repository.work_orders import WorkOrderRepository
from butler.services.alerts import sweep_overdue
from tests.support import privacy, staff_csv
from tests.support.console import console_edit, item
from tests.support.flow import BUTLER, PLAN_WALK, TECHNICIAN, cli_argv, sweep_archive, take_resident_step
from tests.support.reports import home_report, public_report

JSON = {"Content-Type": "application/json"}
PHONE = home_report()["contact_phone"]
UNIT = home_report()["unit"]
REFERENCE = re.compile(r"R-[0-9A-Z]{4}-[0-9A-Z]{4}")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Run:
    code: int
    out: str
    err: str


def _terminal():
    """A text stream over bytes, like a real stdout, so the tool's byte-level writes (the
    CSV's byte-order mark) are what gets checked."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="", write_through=True)


@pytest.fixture
def cli():
    """butler-staff in this process, its stdout and stderr captured around each call.

    Not capsys: powertools' loggers keep the sys.stdout they were created with, and the
    handlers the tests call through the API would then write to a closed capsys stream.
    What the tool prints stays here, out of the suite's log scan (staff see full phone
    numbers by design)."""
    def run(*argv: object) -> Run:
        out, err = _terminal(), _terminal()
        with redirect_stdout(out), redirect_stderr(err):
            code = main([str(a) for a in argv])
        return Run(code, out.buffer.getvalue().decode("utf-8"), err.buffer.getvalue().decode("utf-8"))
    return run


@pytest.fixture
def repo(stack):
    return WorkOrderRepository(stack["RepairsTable"])


class Inbox:
    """A notifier that keeps what the overdue sweep publishes."""

    def __init__(self):
        self.messages = []

    def publish(self, subject, message):
        self.messages.append((subject, message))


def reported(api, body=None):
    response = api.call("POST", "/api/repairs", json_body=body or home_report(), headers=JSON)
    assert response.status == 201, response.text
    return response.json["reference"], response.json["token"]


def line_of(text, needle):
    (line,) = [line for line in text.splitlines() if needle in line]
    return line


def width(text):
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def shanghai(moment):
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


# ---------------------------------------------------------------------- the whole flow
def test_the_whole_plan_through_the_cli_and_the_resident_routes(api, cli, repo):
    reference, token = reported(api)

    for number, step in enumerate(PLAN_WALK, start=1):
        if step.role == "resident":
            take_resident_step(api, reference, token, step)
        elif step.role == "system":  # archived by the sweep once rated, never by staff
            assert sweep_archive() == [reference]
        else:
            result = cli(*cli_argv(step, reference), "--note", f"第{number}步",
                         "--staff-note", f"内部{number}")
            assert (result.code, result.err) == (0, ""), (step.action, result.err)
            assert f"当前状态：{REPAIR_WORKFLOW.state(step.target).label}。" in result.out
            assert step.target not in result.out  # a label, not the code after it
        order = repo.get(reference)
        assert order.status == step.target, step.action
        assert (order.timeline[-1].action, order.timeline[-1].actor) == (step.action, step.actor)

    order = repo.get(reference)
    assert [e.action for e in order.timeline] == ["report", *[s.action for s in PLAN_WALK]]
    assert [e.to_status for e in order.timeline[1:]] == [s.target for s in PLAN_WALK]
    assert [e.actor for e in order.timeline[1:]] == [s.actor for s in PLAN_WALK]
    assert [e.note for e in order.timeline[1:] if e.actor not in ("resident", "system")] == [
        f"第{n}步" for n, s in enumerate(PLAN_WALK, start=1) if s.role not in ("resident", "system")]
    assert order.details["technician"] == TECHNICIAN
    assert order.details["accepted_by"] == BUTLER
    assert order.details["labour_minutes"] == 90
    assert order.details["rating"] == 4
    notes = [note["text"] for note in order.staff_notes]
    assert "内部1" in notes
    assert any("墙内管道老化" in text for text in notes)

    view = api.call("GET", f"/api/repairs/{reference}", headers={"Authorization": f"Bearer {token}"}).json
    assert view["status"] == "archived"
    assert "第1步" in [entry["note"] for entry in view["timeline"]]
    assert "内部1" not in json.dumps(view, ensure_ascii=False)


# ---------------------------------------------------------------------- refusals
REFUSALS = {
    "wrong role": (["--as", TECHNICIAN, "dispatch", "{ref}", "--technician", TECHNICIAN], "需要由"),
    "missing field": (["--as", BUTLER, "dispatch", "{ref}"], "请填写“维修人员”"),
    "not a technician": (["--as", BUTLER, "dispatch", "{ref}", "--technician", "kf-zhang"], "应为维修人员"),
    "wrong order": (["--as", BUTLER, "accept", "{ref}", "--accepted-by", BUTLER], "状态下不能"),
    "unknown reference": (["--as", BUTLER, "dispatch", "R-0000-0000", "--technician", TECHNICIAN], "没有找到"),
}


@pytest.mark.parametrize("argv, expected", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refused_step_exits_1_in_chinese_and_changes_nothing(api, cli, dynamodb, stack, argv, expected):
    reference, _ = reported(api)
    before = item(dynamodb, stack["RepairsTable"], reference)

    result = cli(*[part.replace("{ref}", reference) for part in argv])

    assert result.code == 1
    assert expected in result.err
    assert "Traceback" not in result.err and result.out == ""
    assert item(dynamodb, stack["RepairsTable"], reference) == before


def test_who_runs_the_tool_must_be_on_the_roster(api, cli):
    reference, _ = reported(api)

    unknown = cli("--as", "nobody", "dispatch", reference, "--technician", TECHNICIAN)
    anonymous = cli("dispatch", reference, "--technician", TECHNICIAN)

    assert unknown.code == 1 and "nobody 不在员工名册中" in unknown.err and unknown.out == ""
    assert anonymous.code == 2 and "--as" in anonymous.err and "用法：" in anonymous.err


def test_a_wrong_command_line_is_a_usage_error_in_chinese(cli):
    unknown = cli("--as", BUTLER, "frobnicate")
    bad_status = cli("queue", "finished")
    missing = cli("history")

    assert (unknown.code, bad_status.code, missing.code) == (2, 2, 2)
    assert "无效的选项：'frobnicate'" in unknown.err
    assert "无效的选项：'finished'" in bad_status.err
    assert "缺少必需的参数：房号" in missing.err
    assert all(r.err.startswith("用法：") and r.out == "" for r in (unknown, bad_status, missing))


# ---------------------------------------------------------------------- generated from the workflow
@pytest.mark.parametrize("workflow, example", [(REPAIR_WORKFLOW, "R-7KQ4-M2XP"),
                                               (COMPLAINT_WORKFLOW, "C-7KQ4-M2XP")])
def test_every_staff_step_of_each_workflow_is_a_command_with_its_fields(cli, workflow, example):
    overview = cli("--help")
    assert overview.code == 0 and overview.out.startswith("用法：")

    for action in workflow.actions:
        name = action.code.replace("_", "-")
        listed = re.search(rf"^\s+{name}\s", overview.out, re.MULTILINE) is not None
        # the system's waiting steps (archive) are commands too: they refuse and say when they happen
        if set(action.roles) <= {"resident", "system"} and not action.wait:
            assert not listed and cli(name, "--help").code == 2, name
            continue
        assert listed, name
        result = cli(name, "--help")
        assert result.code == 0, name
        assert action.label in result.out and example in result.out, name
        for step_field in action.fields:
            assert f"--{step_field.name.replace('_', '-')}" in result.out, (name, step_field.name)
            assert step_field.label in result.out


def test_a_field_added_to_the_workflow_becomes_an_option_of_its_command():
    extra = StepField("photo_ref", "照片编号", required=False)
    workflow = replace(REPAIR_WORKFLOW, actions=tuple(
        replace(a, fields=(*a.fields, extra)) if a.code == "survey" else a for a in REPAIR_WORKFLOW.actions))

    with chinese_argparse():
        args = build_parser(workflow).parse_args(["survey", "R-7KQ4-M2XP", "--photo-ref", "P-1"])

    assert args.photo_ref == "P-1"
    assert "photo_ref" in args.field_names


# ---------------------------------------------------------------------- lists
def test_queue_mine_and_overdue(api, cli, repo):
    first, _ = reported(api)
    second, _ = reported(api, home_report(unit="5-1-0301"))
    assert cli("--as", BUTLER, "dispatch", first, "--technician", TECHNICIAN).code == 0

    waiting = cli("--as", BUTLER, "queue", "reported")
    dispatched = cli("queue", "dispatched")
    mine = cli("mine", "--as", TECHNICIAN)  # --as may also follow the command
    someone_else = cli("--as", "wx-zhao", "mine")
    assert waiting.code == dispatched.code == mine.code == someone_else.code == 0
    assert set(REFERENCE.findall(waiting.out)) == {second}
    assert set(REFERENCE.findall(dispatched.out)) == {first}
    assert set(REFERENCE.findall(mine.out)) == {first}
    assert REFERENCE.findall(someone_else.out) == [] and "没有记录" in someone_else.out

    order = repo.get(second)
    row = line_of(waiting.out, second)
    header = line_of(waiting.out, "编号")
    for heading, cell in (("状态", "已报修，待派单"), ("类别", "给排水"), ("位置", "5-1-301 厨房"),
                          ("报修时间", shanghai(order.created_at)), ("当前期限", shanghai(order.respond_by))):
        assert cell in row, heading
        assert width(row[:row.index(cell)]) == width(header[:header.index(heading)]), heading
    assert shanghai(repo.get(first).complete_by) in line_of(mine.out, first)

    assert "没有记录" in cli("overdue").out
    inbox = Inbox()
    assert len(sweep_overdue(repo, inbox, now=utc_now() + timedelta(days=10))) == 2
    overdue = cli("overdue")
    assert overdue.code == 0
    assert set(REFERENCE.findall(overdue.out)) == {first, second}
    assert len(inbox.messages) == 2


def test_history_is_the_house_archive_of_one_unit(api, cli):
    first, _ = reported(api)
    second, _ = reported(api, home_report(category="walls_ceilings", description="卫生间天花板渗水，有水渍。"))
    reported(api, home_report(unit="5-1-0301"))
    reported(api, public_report())

    result = cli("history", UNIT.lower())

    assert result.code == 0
    assert set(REFERENCE.findall(result.out)) == {first, second}
    assert "墙面与渗漏" in line_of(result.out, second)
    assert "共 2 条" in result.out


def test_history_reads_a_house_number_as_the_forms_do_and_names_a_home_the_estate_lacks(api, cli):
    padded, _ = reported(api, home_report(unit="5-1-0301"))  # stored as 5-1-301

    found = cli("history", "5－1－0301")
    refused = cli("history", "9-1-0101")

    assert found.code == 0 and set(REFERENCE.findall(found.out)) == {padded}
    assert refused.code == 2 and "没有 9 号楼" in refused.err and refused.out == ""


@pytest.fixture
def listed_everywhere(api, cli, repo):
    """One order that every list shows: dispatched to the technician, then overdue."""
    reference, _ = reported(api)
    assert cli("--as", BUTLER, "dispatch", reference, "--technician", TECHNICIAN).code == 0
    assert sweep_overdue(repo, Inbox(), now=utc_now() + timedelta(days=10))
    return reference


LISTS = {"queue": ["queue", "dispatched"], "mine": ["--as", TECHNICIAN, "mine"],
         "overdue": ["overdue"], "history": ["history", UNIT]}


@pytest.mark.parametrize("argv", LISTS.values(), ids=LISTS.keys())
def test_csv_export_opens_in_excel_and_masks_the_phone(cli, repo, listed_everywhere, argv):
    order = repo.get(listed_everywhere)

    row = staff_csv.only_row(cli, argv, order, contact=(PHONE, "陈女士"), masked=("139****5678", "陈**"))

    assert row["status"] == "dispatched" and row["status_label"] == "已派单"
    assert row["category_label"] == "给排水"
    assert row["technician"] == TECHNICIAN
    assert datetime.fromisoformat(row["next_due"]) == order.complete_by


# ---------------------------------------------------------------------- one order
def test_show_gives_staff_the_full_contact_notes_timeline_and_their_next_steps(api, cli, dynamodb, stack):
    reference, _ = reported(api)
    assert cli("--as", BUTLER, "dispatch", reference, "--technician", TECHNICIAN,
               "--staff-note", "业主家有狗，敲门前先打电话").code == 0

    technician = cli("--as", TECHNICIAN, "show", reference.lower())
    butler = cli("--as", BUTLER, "show", reference)

    assert technician.code == butler.code == 0
    out = technician.out
    assert PHONE in out and "陈女士" in out
    assert "员工备注（仅员工可见" in out and "业主家有狗，敲门前先打电话" in out
    assert "（新建） → 已报修，待派单" in out
    assert re.search(r"已报修，待派单 → 已派单\s+李管家（gj-li，物业管家）\s+已派单给维修人员", out)
    assert "维修人员：wx-wang 王师傅" in out
    assert f"survey {reference} --survey-plan <文字> --materials-planned <文字>" in out
    assert f"cancel {reference}" not in out  # a technician may not cancel
    assert f"cancel {reference} --cancel-reason <文字>" in butler.out
    assert f"survey {reference}" not in butler.out
    assert "控制台修改被退回" not in out

    console_edit(dynamodb, stack["RepairsTable"], reference, guard_message="不能从“已派单”直接改为“已完工，待验收”")
    assert "控制台修改被退回：不能从“已派单”直接改为“已完工，待验收”" in cli("show", reference).out


def test_show_of_an_unknown_reference_exits_1(cli, stack):
    result = cli("show", "R-0000-0000")

    assert result.code == 1 and "没有找到报修编号 R-0000-0000" in result.err and result.out == ""


# ---------------------------------------------------------------------- report on a resident's behalf
REPORT = ["report", "--category", "plumbing", "--unit", UNIT, "--location", "厨房",
          "--description", "厨房下水堵塞，水排不下去。", "--contact-name", "陈女士", "--contact-phone", PHONE]


@pytest.mark.parametrize("source, actor, role", [("phone", "kf-zhang", "customer_service"),
                                                  ("inspection", "gj-li", "butler")])
def test_report_records_the_call_with_the_staff_member_as_first_actor(api, cli, repo, source, actor, role):
    result = cli("--as", actor, *REPORT, "--source", source)

    assert result.code == 0, result.err
    reference, token = re.search(r"/track/#ref=(R-\w{4}-\w{4})&token=([\w-]+)", result.out).groups()
    privacy.remember_token(token)
    assert "查询码只显示这一次" in result.out
    order = repo.get(reference)
    assert order.source == source
    assert order.timeline[0].actor == actor and order.timeline[0].actor_role == role
    assert (order.unit, order.location, order.contact_phone) == (UNIT, "厨房", PHONE)
    tracked = api.call("GET", f"/api/repairs/{reference}", headers={"Authorization": f"Bearer {token}"})
    assert tracked.status == 200 and tracked.json["status"] == "reported"


def test_a_report_with_wrong_fields_is_refused_field_by_field(cli, dynamodb, stack):
    argv = [part if part != PHONE else "12345" for part in REPORT]
    argv = [part if part != "厨房下水堵塞，水排不下去。" else "堵了" for part in argv]

    result = cli("--as", "kf-zhang", *argv)
    anonymous = cli(*REPORT)

    assert result.code == 1
    assert "--contact-phone（联系电话）：请填写正确的手机号" in result.err
    assert "--description（问题描述）：至少需要 5 个字" in result.err
    assert anonymous.code == 2 and "--as" in anonymous.err
    assert dynamodb.scan(TableName=stack["RepairsTable"])["Count"] == 0


# ---------------------------------------------------------------------- connection
def test_endpoint_url_points_the_tool_at_that_dynamodb(cli, dynamodb, stack, moto_endpoint, monkeypatch):
    nowhere = "http://127.0.0.1:9"  # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL", nowhere)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", nowhere)
    monkeypatch.delenv("REPAIRS_TABLE")

    result = cli("--endpoint-url", moto_endpoint, "--table", stack["RepairsTable"], "--as", "kf-zhang", *REPORT)

    assert result.code == 0, result.err
    (reference,) = set(REFERENCE.findall(result.out))
    privacy.remember_token(re.search(r"token=([\w-]+)", result.out).group(1))
    (stored,) = dynamodb.scan(TableName=stack["RepairsTable"])["Items"]
    assert stored["reference"]["S"] == reference


def test_without_a_table_name_the_tool_says_how_to_give_one(cli, monkeypatch):
    monkeypatch.delenv("REPAIRS_TABLE", raising=False)

    result = cli("queue", "reported")

    assert result.code == 2 and "--table" in result.err and "REPAIRS_TABLE" in result.err


# ---------------------------------------------------------------------- shared faults, photos
def test_link_merges_a_duplicate_into_the_primary_and_show_lists_it(api, cli, repo):
    primary, _ = reported(api, public_report())
    duplicate, _ = reported(api, public_report(description="楼道灯坏了好几天了。"))

    to_itself = cli("--as", BUTLER, "link", duplicate, "--primary-reference", duplicate)
    linked = cli("--as", BUTLER, "link", duplicate, "--primary-reference", primary.lower())

    assert to_itself.code == 1 and "不能把报修合并到它自己" in to_itself.err
    assert linked.code == 0, linked.err
    order = repo.get(duplicate)
    assert order.status == "merged" and order.details["primary_reference"] == primary
    assert f"合并到本报修的同一故障报修：{duplicate}" in cli("show", primary).out


JPEG = (Path(__file__).parent.parent / "support" / "images" / "python.jpg").read_bytes()


def test_a_technician_adds_a_photo_and_show_links_to_it(api, cli, repo, provisioned, moto_endpoint, tmp_path):
    reference, _ = reported(api)
    picture = tmp_path / "before.jpg"
    picture.write_bytes(JPEG)

    added = cli("--as", TECHNICIAN, "photo", reference, picture, "--kind", "before")
    shown = cli("show", reference, "--site-url", "https://wuye.example.cn/")

    assert added.code == 0, added.err
    (photo,) = repo.get(reference).photos
    assert (photo["kind"], photo["by"], photo["content_type"], photo["size"]) == (
        "before", TECHNICIAN, "image/jpeg", len(JPEG))
    bucket = provisioned.messaging.buckets["PhotosBucket"]
    link = re.search(rf"https://wuye\.example\.cn(/photo-uploads/{reference}/before-\S+)", shown.out)
    assert link and "维修前" in line_of(shown.out, "/photo-uploads/")
    with urllib.request.urlopen(f"{moto_endpoint}/{bucket}{link.group(1)}", timeout=10) as response:
        assert response.read() == JPEG  # the link opens the uploaded file


def test_a_photo_of_the_wrong_type_is_refused_and_not_recorded(api, cli, repo, tmp_path):
    reference, _ = reported(api)
    picture = tmp_path / "before.gif"
    picture.write_bytes(b"GIF89a" + b"0" * 100)

    result = cli("--as", TECHNICIAN, "photo", reference, picture, "--kind", "before")
    missing = cli("--as", TECHNICIAN, "photo", reference, tmp_path / "nothing.jpg", "--kind", "after")

    assert result.code == 1 and "只能上传 JPG、PNG 或 WebP" in result.err
    assert missing.code == 2 and "无法读取文件" in missing.err
    assert repo.get(reference).photos == []


def test_a_file_that_is_not_the_picture_its_name_says_is_refused_and_not_recorded(api, cli, repo, tmp_path):
    reference, _ = reported(api)
    page = tmp_path / "before.jpg"
    page.write_bytes(b"<!doctype html><script>alert(1)</script>")

    result = cli("--as", TECHNICIAN, "photo", reference, page, "--kind", "before")

    assert result.code == 1 and "不是有效的 JPG、PNG 或 WebP 照片" in result.err
    assert repo.get(reference).photos == []


def test_cancel_before_work_starts_through_the_cli(api, cli, repo):
    from tests.support.flow import CANCEL_STEP

    reference, _ = reported(api)

    without_reason = cli("--as", CANCEL_STEP.actor, "cancel", reference)
    cancelled = cli(*cli_argv(CANCEL_STEP, reference))

    assert without_reason.code != 0
    assert cancelled.code == 0, cancelled.err
    order = repo.get(reference)
    assert order.status == "cancelled" and order.details["cancel_reason"] == CANCEL_STEP.values["cancel_reason"]
