"""The staff command-line tool (butler-staff) on inquiries, complaints and suggestions:
staff steps through the tool, residents' steps through the API routes, tables under moto
server. The reference's prefix (R-, C-) tells the tool which kind of case it works on."""
import io
import re
from contextlib import redirect_stdout
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from butler.cli.main import build_parser
from butler.cli.zh_argparse import chinese_argparse
from butler.domain.complaints import COMPLAINT_WORKFLOW, REPLY_STATES
from butler.domain.repairs import REPAIR_WORKFLOW
from butler.domain.timefmt import SHANGHAI, utc_now
from butler.domain.workflow import Action, StepField
from butler.repository.complaints import ComplaintRepository
from butler.services.alerts import sweep_overdue

from tests.functional import test_staff_cli
from tests.support import privacy, staff_csv
from tests.support.console import item
from tests.support.flow import Step, cli_argv
from tests.support.reports import home_report

cli = test_staff_cli.cli  # butler-staff in this process, output captured (a shared fixture)

JSON = {"Content-Type": "application/json"}
OWNER = "kf-zhang"  # customer service: takes the case and owns it to the end
OTHER = "kf-he"  # customer service too, but not the owner
ENVIRONMENT_HEAD = "bj-zhou"  # 环境卫生部
SECURITY_HEAD = "ab-wu"  # 安全秩序部
PHONE = "13933334444"
CASE = re.compile(r"C-[0-9A-Z]{4}-[0-9A-Z]{4}")


def filing(**changes):
    body = {"kind": "complaint", "topic": "neighbours",
            "description": "隔壁装修的垃圾在楼道里堆了一个星期，晚上十点后还在电钻施工。",
            "contact_name": "钱女士", "contact_phone": PHONE}
    body.update(changes)
    return body


def filed(api, **changes):
    """A case filed on the site: its reference and tracking token."""
    response = api.call("POST", "/api/complaints", json_body=filing(**changes), headers=JSON)
    assert response.status == 201, response.text
    return response.json["reference"], response.json["token"]


def resident_step(api, reference, token, step):
    path, body = {"confirm_satisfied": ("satisfied", {"rating": step.values.get("rating")}),
                  "not_satisfied": ("not-satisfied", {"reason": step.values.get("not_satisfied_reason")}),
                  }[step.action]
    response = api.call("POST", f"/api/complaints/{reference}/{path}", json_body=body,
                        headers={**JSON, "Authorization": f"Bearer {token}"})
    assert response.status == 200, response.text
    return response.json


def tracked(api, reference, token):
    response = api.call("GET", f"/api/complaints/{reference}", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200, response.text
    return response.json


def shanghai(moment):
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def line_of(text, needle):
    (line,) = [line for line in text.splitlines() if needle in line]
    return line


@pytest.fixture
def complaints(stack):
    return ComplaintRepository(stack["ComplaintsTable"])


def take(cli, step, reference):
    result = cli(*cli_argv(step, reference))
    assert (result.code, result.err) == (0, ""), (step.action, result.err)
    label = COMPLAINT_WORKFLOW.state(step.target).label
    assert f"{reference}：已{COMPLAINT_WORKFLOW.action(step.action).label}。当前状态：{label}。" \
        in result.out, step.action
    return result


def walk(api, cli, complaints, reference, token, steps):
    """Take every step (staff through the tool, the resident through the API); after each,
    the stored case has the step's status and the owner has not changed."""
    for step in steps:
        before = complaints.get(reference)
        if step.role == "resident":
            resident_step(api, reference, token, step)
        else:
            take(cli, step, reference)
        case = complaints.get(reference)
        assert case.status == step.target, step.action
        assert (case.timeline[-1].action, case.timeline[-1].actor) == (step.action, step.actor)
        assert len(case.timeline) == len(before.timeline) + 1, step.action
        assert case.owner == OWNER, step.action  # first contact owns it to the end (首问负责)


CLAIM = Step("claim", "received", "customer_service", OWNER, {"owner": OWNER})
ANSWER = Step("answer", "answered", "customer_service", OWNER,
              {"reply": "已联系装修户：垃圾今天清走，晚上八点后不再施工。"})
SATISFIED = Step("confirm_satisfied", "closed", "resident", "resident", {"rating": 5})


def transfer(department, hours):
    return Step("transfer", "transferred", "customer_service", OWNER,
                {"department": department, "promised_hours": hours})


def investigate(head, findings=None):
    return Step("investigate", "investigating", "department_head", head,
                {"findings": findings} if findings else {})


def propose(head, solution):
    return Step("propose", "solution_proposed", "department_head", head, {"solution": solution})


def reply(text):
    return Step("reply", "replied", "customer_service", OWNER, {"reply": text})


NOT_SATISFIED = Step("not_satisfied", "received", "resident", "resident",
                     {"not_satisfied_reason": "垃圾清走了，但晚上还在施工"})

LONG_WALK = (
    CLAIM,
    transfer("environment", 48),
    investigate(ENVIRONMENT_HEAD, "装修垃圾未按规定袋装清运"),
    propose(ENVIRONMENT_HEAD, "当天清运，并督促装修户预约清运"),
    reply("装修垃圾已清运，之后由保洁每天检查。"),
    NOT_SATISFIED,
    transfer("security", 24),
    investigate(SECURITY_HEAD),
    propose(SECURITY_HEAD, "巡逻岗晚间检查施工时间，违规即停工"),
    reply("已安排晚间巡查，十点后施工会被当场制止。"),
    SATISFIED,
)


# ---------------------------------------------------------------------- the two paths
def test_the_simple_path_claim_answer_satisfied(api, cli, complaints):
    reference, token = filed(api)
    assert complaints.get(reference).status == "submitted"

    walk(api, cli, complaints, reference, token, (CLAIM, ANSWER, SATISFIED))

    case = complaints.get(reference)
    assert [e.action for e in case.timeline] == ["submit", "claim", "answer", "confirm_satisfied"]
    assert case.details["reply"] == ANSWER.values["reply"] and case.details["rating"] == 5
    assert case.reply_by is None and "department" not in case.details  # never transferred
    view = tracked(api, reference, token)
    assert (view["status"], view["final"], view["owner_name"]) == ("closed", True, "张客服")
    assert view["details"]["reply"] == ANSWER.values["reply"]


def test_the_long_path_through_two_departments_until_the_resident_is_satisfied(api, cli, complaints):
    reference, token = filed(api)

    for step in LONG_WALK:
        walk(api, cli, complaints, reference, token, (step,))
        case = complaints.get(reference)
        if step.action == "transfer":  # the promised reply time counts from the transfer
            assert case.details["department"] == step.values["department"]
            assert case.reply_by - case.timeline[-1].at == timedelta(hours=step.values["promised_hours"])
        for department in ("environment", "security"):  # the department's list while it has the case
            listed = cli("--as", OWNER, "department", department)
            assert listed.code == 0, listed.err
            expected = case.status in REPLY_STATES and case.department == department
            assert (reference in listed.out) == expected, (step.action, department)
        mine = cli("--as", OWNER, "mine", "--kind", "complaint")
        assert (reference in mine.out) == (case.status != "closed"), step.action

    case = complaints.get(reference)
    assert [e.action for e in case.timeline] == ["submit", *[s.action for s in LONG_WALK]]
    assert [e.to_status for e in case.timeline[1:]] == [s.target for s in LONG_WALK]
    assert case.reopen_count == 1
    assert case.details["department"] == "security" and case.details["reply"] == LONG_WALK[-2].values["reply"]
    assert case.owner == OWNER
    notes = " ".join(note["text"] for note in case.staff_notes)
    assert "装修垃圾未按规定袋装清运" in notes and "巡逻岗晚间检查施工时间" in notes
    view = tracked(api, reference, token)
    assert view["status"] == "closed" and view["reopen_count"] == 1
    assert view["department_label"] == "安全秩序部" and view["owner_name"] == "张客服"


def test_a_transfer_prints_the_promised_reply_time(api, cli, complaints):
    reference, _ = filed(api)
    take(cli, CLAIM, reference)

    result = take(cli, transfer("environment", 48), reference)

    case = complaints.get(reference)
    assert f"当前期限：{shanghai(case.reply_by)}（北京时间）" in result.out
    assert case.reply_by > utc_now() + timedelta(hours=47)


# ---------------------------------------------------------------------- refusals
def _at(api, cli, steps):
    reference, _ = filed(api)
    for step in steps:
        take(cli, step, reference)
    return reference


REFUSALS = {
    "a non-owner replies": ((CLAIM, transfer("environment", 48), investigate(ENVIRONMENT_HEAD),
                             propose(ENVIRONMENT_HEAD, "当天清运")),
                            ["--as", OTHER, "reply", "{ref}", "--reply", "已处理"], "只能由首问负责人 kf-zhang 操作"),
    "a non-owner answers": ((CLAIM,), ["--as", OTHER, "answer", "{ref}", "--reply", "已处理"],
                            "只能由首问负责人 kf-zhang 操作"),
    "a non-owner transfers": ((CLAIM,), ["--as", OTHER, "transfer", "{ref}", "--department", "security"],
                              "只能由首问负责人 kf-zhang 操作"),
    "a second claim": ((CLAIM,), ["--as", OTHER, "claim", "{ref}", "--owner", OTHER], "状态下不能“认领"),
    "a technician claims": ((), ["--as", "wx-wang", "claim", "{ref}", "--owner", "wx-wang"], "需要由客服、物业管家"),
    "a repair step": ((CLAIM,), ["--as", "gj-li", "dispatch", "{ref}", "--technician", "wx-wang"],
                      "“派单”是报修工单的步骤"),
}


@pytest.mark.parametrize("before, argv, expected", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refused_step_exits_1_in_chinese_and_changes_nothing(api, cli, dynamodb, stack, before, argv, expected):
    reference = _at(api, cli, before)
    stored = item(dynamodb, stack["ComplaintsTable"], reference)

    result = cli(*[part.replace("{ref}", reference) for part in argv])

    assert result.code == 1, result.err
    assert expected in result.err
    assert "Traceback" not in result.err and result.out == ""
    assert item(dynamodb, stack["ComplaintsTable"], reference) == stored


def test_an_unknown_department_is_a_usage_error_and_changes_nothing(api, cli, dynamodb, stack):
    reference = _at(api, cli, (CLAIM,))
    stored = item(dynamodb, stack["ComplaintsTable"], reference)

    result = cli("--as", OWNER, "transfer", reference, "--department", "canteen")

    assert result.code == 2 and result.err.startswith("用法：") and "“转交部门”应为以下之一" in result.err
    assert item(dynamodb, stack["ComplaintsTable"], reference) == stored


def test_a_complaint_step_on_a_repair_is_refused(api, cli, dynamodb, stack):
    response = api.call("POST", "/api/repairs", json_body=home_report(), headers=JSON)
    reference = response.json["reference"]
    stored = item(dynamodb, stack["RepairsTable"], reference)

    result = cli("--as", OWNER, "claim", reference, "--owner", OWNER)

    assert result.code == 1
    assert "“认领（首问负责）”是咨询投诉建议的步骤" in result.err and "dispatch" in result.err
    assert item(dynamodb, stack["RepairsTable"], reference) == stored


def test_an_unknown_reference_of_either_kind_exits_1(cli, stack):
    complaint = cli("--as", OWNER, "claim", "C-0000-0000", "--owner", OWNER)
    shown = cli("show", "C-0000-0000")
    neither = cli("show", "X-0000-0000")

    assert complaint.code == shown.code == neither.code == 1
    assert "没有找到咨询投诉建议编号 C-0000-0000" in complaint.err
    assert "没有找到咨询投诉建议编号 C-0000-0000" in shown.err
    assert "没有找到编号 X-0000-0000" in neither.err and "C-7KQ4-M2XP" in neither.err


# ---------------------------------------------------------------------- filed by staff
@pytest.mark.parametrize("source, actor", [("phone", OWNER), ("visit", "gj-li")])
def test_file_records_a_call_or_visit_with_the_staff_member_as_owner(api, cli, complaints, source, actor):
    result = cli("--as", actor, "file", "--source", source, "--kind", "complaint", "--topic", "cleaning",
                 "--description", "5号楼垃圾桶三天没清运，味道很大。", "--contact-name", "钱女士",
                 "--contact-phone", PHONE, "--unit", "5-1-0301")

    assert result.code == 0, result.err
    reference, token = re.search(r"/track/#ref=(C-\w{4}-\w{4})&token=([\w-]+)", result.out).groups()
    privacy.remember_token(token)
    assert "查询码只显示这一次" in result.out and "首问负责人：" in result.out
    case = complaints.get(reference)
    assert (case.source, case.owner, case.status) == (source, actor, "received")
    assert [(e.action, e.actor) for e in case.timeline] == [("submit", actor), ("claim", actor)]
    assert (case.unit, case.contact_phone, case.topic, case.kind) == ("5-1-301", PHONE, "cleaning", "complaint")
    view = tracked(api, reference, token)
    assert view["status"] == "received"
    assert view["owner_name"] == {"kf-zhang": "张客服", "gj-li": "李管家"}[actor]
    assert reference in cli("--as", actor, "mine", "--kind", "complaint").out


def test_a_filing_is_checked_like_the_form_and_only_the_front_desk_may_file(cli, dynamodb, stack):
    argv = ["file", "--kind", "complaint", "--topic", "cleaning", "--description", "太脏",
            "--contact-name", "钱女士", "--contact-phone", "12345"]

    wrong = cli("--as", OWNER, *argv)
    no_phone = cli("--as", OWNER, *argv[:-2])
    technician = cli("--as", "wx-wang", *[p if p != "太脏" else "楼道很脏，没人打扫。" for p in argv])
    anonymous = cli(*argv)

    assert wrong.code == 1
    assert "--contact-phone（联系电话）：请填写正确的手机号" in wrong.err
    assert "--description（具体情况）：至少需要 5 个字" in wrong.err
    assert no_phone.code == 1 and "--contact-phone（联系电话）：请留下联系电话" in no_phone.err
    assert technician.code == 1 and "需要由客服、物业管家操作" in technician.err
    assert anonymous.code == 2 and "--as" in anonymous.err
    assert dynamodb.scan(TableName=stack["ComplaintsTable"])["Count"] == 0


# ---------------------------------------------------------------------- lists
def test_mine_lists_the_open_cases_a_staff_member_owns(api, cli):
    claimed = _at(api, cli, (CLAIM,))
    transferred = _at(api, cli, (CLAIM, transfer("environment", 48)))
    closed, token = filed(api)
    for step in (CLAIM, ANSWER):
        take(cli, step, closed)
    resident_step(api, closed, token, SATISFIED)
    others = _at(api, cli, (replace(CLAIM, actor=OTHER, values={"owner": OTHER}),))
    waiting, _ = filed(api)

    mine = cli("--as", OWNER, "mine", "--kind", "complaint")
    theirs = cli("mine", "--kind", "complaint", "--as", OTHER)
    repairs = cli("--as", OWNER, "mine")

    assert mine.code == theirs.code == repairs.code == 0
    assert set(CASE.findall(mine.out)) == {claimed, transferred}
    assert set(CASE.findall(theirs.out)) == {others}
    assert CASE.findall(repairs.out) == [] and "mine --kind complaint" in repairs.out
    row = line_of(mine.out, transferred)
    assert "已转交部门" in row and "环境卫生部" in row and "kf-zhang 张客服" in row
    assert waiting not in mine.out + theirs.out


def test_department_lists_what_was_transferred_to_it(api, cli):
    environment = _at(api, cli, (CLAIM, transfer("environment", 48)))
    investigating = _at(api, cli, (CLAIM, transfer("environment", 48), investigate(ENVIRONMENT_HEAD)))
    security = _at(api, cli, (CLAIM, transfer("security", 24)))
    only_claimed = _at(api, cli, (CLAIM,))  # its topic's department, but not transferred

    by_code = cli("department", "environment")
    by_member = cli("--as", ENVIRONMENT_HEAD, "department")  # the head's own department
    nobody = cli("department")

    assert by_code.code == by_member.code == 0
    assert set(CASE.findall(by_code.out)) == {environment, investigating}
    assert set(CASE.findall(by_member.out)) == {environment, investigating}
    assert "转交环境卫生部、" in by_member.out and "（environment）" not in by_member.out
    assert security not in by_code.out and only_claimed not in by_code.out
    assert "部门调查核实中" in line_of(by_code.out, investigating)
    assert nobody.code == 2 and "environment 环境卫生部" in nobody.err


def test_queue_and_overdue_take_the_kind(api, cli, complaints):
    waiting, _ = filed(api)
    claimed = _at(api, cli, (CLAIM,))

    submitted = cli("queue", "submitted", "--kind", "complaint")
    received = cli("queue", "received", "--kind", "complaint")
    repairs = cli("queue", "reported")
    wrong_state = cli("queue", "reported", "--kind", "complaint")

    assert submitted.code == received.code == repairs.code == 0
    assert set(CASE.findall(submitted.out)) == {waiting}
    assert set(CASE.findall(received.out)) == {claimed}
    assert CASE.findall(repairs.out) == []
    assert wrong_state.code == 2 and "咨询投诉建议没有状态 reported" in wrong_state.err

    assert "没有记录" in cli("overdue", "--kind", "complaint").out
    assert len(sweep_overdue(complaints, test_staff_cli.Inbox(), now=utc_now() + timedelta(days=2))) == 2
    overdue = cli("overdue", "--kind", "complaint")
    assert set(CASE.findall(overdue.out)) == {waiting, claimed}
    assert "没有记录" in cli("overdue").out  # the repairs' list is another table


def test_without_a_complaints_table_only_complaint_commands_stop(cli, stack, monkeypatch):
    monkeypatch.delenv("COMPLAINTS_TABLE")

    complaint = cli("queue", "submitted", "--kind", "complaint")
    repair = cli("queue", "reported")
    given = cli("--complaints-table", stack["ComplaintsTable"], "queue", "submitted", "--kind", "complaint")

    assert complaint.code == 2
    assert "--complaints-table" in complaint.err and "COMPLAINTS_TABLE" in complaint.err
    assert repair.code == 0 and given.code == 0 and "没有记录" in given.out


@pytest.fixture
def listed_everywhere(api, cli, complaints):
    """One case every complaint list shows: owned, transferred to environment, overdue."""
    reference = _at(api, cli, (CLAIM, transfer("environment", 48)))
    assert sweep_overdue(complaints, test_staff_cli.Inbox(), now=utc_now() + timedelta(days=10))
    return reference


LISTS = {"queue": ["queue", "transferred", "--kind", "complaint"],
         "mine": ["--as", OWNER, "mine", "--kind", "complaint"],
         "department": ["department", "environment"],
         "overdue": ["overdue", "--kind", "complaint"]}


@pytest.mark.parametrize("argv", LISTS.values(), ids=LISTS.keys())
def test_csv_export_of_complaints_masks_the_contact(cli, complaints, listed_everywhere, argv):
    case = complaints.get(listed_everywhere)

    row = staff_csv.only_row(cli, argv, case, contact=(PHONE, "钱女士"), masked=("139****4444", "钱**"))

    assert (row["kind"], row["kind_label"]) == ("complaint", "投诉")
    assert (row["status"], row["status_label"]) == ("transferred", "已转交部门")
    assert (row["department"], row["department_label"]) == ("environment", "环境卫生部")
    assert row["topic_label"] == "邻里、噪音与装修" and row["owner"] == OWNER
    assert datetime.fromisoformat(row["reply_by"]) == datetime.fromisoformat(row["next_due"]) == case.reply_by


# ---------------------------------------------------------------------- show
def test_show_gives_the_case_in_full_and_the_next_steps_of_each_role(api, cli, complaints):
    reference = _at(api, cli, (CLAIM, transfer("environment", 48)))
    take(cli, investigate(ENVIRONMENT_HEAD, "装修垃圾未袋装"), reference)
    assert cli(*cli_argv(propose(ENVIRONMENT_HEAD, "当天清运"), reference),
               "--staff-note", "装修户态度配合").code == 0
    case = complaints.get(reference)

    owner = cli("--as", OWNER, "show", reference.lower())
    other = cli("--as", OTHER, "show", reference)
    head = cli("--as", ENVIRONMENT_HEAD, "show", reference)

    assert owner.code == other.code == head.code == 0, owner.err
    out = owner.out
    assert out.startswith(f"投诉 {reference}")
    assert "类型：投诉\n" in out
    assert "主题：邻里、噪音与装修\n" in out
    assert "部门：环境卫生部，已转交" in out
    assert not re.search(r"[\u4e00-\u9fff]（[a-z_]+）", out), "a code after a Chinese label"
    assert "首问负责人：张客服（kf-zhang，客服）" in out
    assert f"约定回复时间：{shanghai(case.reply_by)}（北京时间，约定 48 小时内" in out
    assert "业主不满意、重新跟进：0 次" in out
    assert PHONE in out and "钱女士" in out  # staff call the resident back
    assert "状态：部门已提出方案，待负责人答复\n" in out
    assert re.search(r"已受理 → 已转交部门\s+张客服（kf-zhang，客服）\s+已转交相关部门处理", out)
    assert "员工备注（仅员工可见" in out and "装修户态度配合" in out and "调查情况：装修垃圾未袋装" in out
    assert f"reply {reference} --reply <文字>" in out
    assert "答复业主（0 次）" in out

    assert f"reply {reference}" not in other.out
    assert "答复业主：只能由首问负责人 张客服（kf-zhang，客服）操作" in other.out
    assert f"reply {reference}" not in head.out and "您的岗位现在没有可做的操作" in head.out


def test_show_counts_replies_and_reopenings(api, cli):
    reference, token = filed(api)
    for step in (CLAIM, ANSWER):
        take(cli, step, reference)
    resident_step(api, reference, token, NOT_SATISFIED)
    assert cli(*cli_argv(replace(ANSWER, values={"reply": "今晚起十点后禁止施工。"}), reference),
               "--note", "已再次联系装修户").code == 0

    shown = cli("--as", ENVIRONMENT_HEAD, "show", reference)

    assert shown.code == 0
    assert "业主不满意、重新跟进：1 次" in shown.out
    assert "答复业主（2 次）" in shown.out
    assert "最新答复内容：今晚起十点后禁止施工。" in shown.out
    assert "给业主的说明：已再次联系装修户" in shown.out
    assert "不满意的原因：垃圾清走了，但晚上还在施工" in shown.out
    assert "约定回复时间：—" in shown.out  # never transferred


# ---------------------------------------------------------------------- generated from the workflows
def test_a_step_only_the_owner_may_take_says_so_in_its_help(cli):
    assert "只能由首问负责人" in cli("reply", "--help").out
    assert "R-7KQ4-M2XP" not in cli("claim", "--help").out


def test_an_action_name_both_workflows_use_is_one_command_for_both():
    withdraw = Action("cancel", "撤回", ("submitted",), "closed", ("customer_service",), "",
                      (StepField("withdraw_reason", "撤回原因"),))
    complaint = replace(COMPLAINT_WORKFLOW, actions=(*COMPLAINT_WORKFLOW.actions, withdraw))

    help_text = io.StringIO()
    with chinese_argparse():
        parser = build_parser(REPAIR_WORKFLOW, complaint)
        repair = parser.parse_args(["cancel", "R-7KQ4-M2XP", "--cancel-reason", "已自行修好"])
        both = parser.parse_args(["cancel", "C-7KQ4-M2XP", "--withdraw-reason", "业主撤回"])
        with redirect_stdout(help_text), pytest.raises(SystemExit):
            parser.parse_args(["cancel", "--help"])
    help_text = help_text.getvalue()

    assert repair.action_code == both.action_code == "cancel"
    assert set(repair.field_names) == {"cancel_reason", "withdraw_reason"}
    assert (repair.cancel_reason, both.withdraw_reason) == ("已自行修好", "业主撤回")
    assert "报修工单：取消报修" in help_text and "咨询投诉建议：撤回" in help_text
    assert "（仅咨询投诉建议）" in help_text and "（仅报修工单）" in help_text
