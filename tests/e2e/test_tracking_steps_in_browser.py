"""The resident's tracking page at every step of the plan's flow: staff take their steps
with the staff CLI against the running local stack, the resident rates and says "not
fixed" on the page itself, and may cancel a repair until work starts."""
import json

import pytest
from playwright.sync_api import expect

from butler.cli.main import main as staff_cli
from butler.domain.repairs import REPAIR_WORKFLOW
from butler.domain.timefmt import utc_now
from butler.repository.work_orders import WorkOrderRepository
from butler.services.archiving import archive_settled
from tests.e2e.test_accessibility import axe_violations
from tests.support.browser import assert_in_view, pick_unit, submit_and_track
from tests.support.flow import PLAN_WALK, cli_argv

pytestmark = pytest.mark.e2e


def report_repair(phone, unit="8-1-301", description="厨房下水管接口一直滴水。") -> str:
    phone.goto("/repairs/")
    phone.select_option("#field-category", "plumbing")
    pick_unit(phone, unit)
    phone.fill("#field-description", description)
    phone.fill("#field-contact_name", "冯女士")
    phone.fill("#field-contact_phone", "13622223333")
    reference = submit_and_track(phone, "#submit-repair", "#repair-result")
    expect(phone.locator("#track-status")).to_have_text(REPAIR_WORKFLOW.state("reported").resident_label)
    return reference


def cancel_offered(state: str) -> bool:
    return "cancel" in [a.code for a in REPAIR_WORKFLOW.available(state, "resident")]


def staff_step(local_stack, step, reference, capsys) -> None:
    code = staff_cli(["--endpoint-url", local_stack.dynamodb_endpoint,
                      "--table", local_stack.repairs_table, *cli_argv(step, reference)])
    assert code == 0, capsys.readouterr()


def test_the_tracking_page_follows_every_step(phone, local_sdk, capsysbinary):
    local_stack = local_sdk
    reference = report_repair(phone)
    expect(phone.locator("#cancel-toggle")).to_be_visible()

    for step in PLAN_WALK:
        if step.action == "rate":
            expect(phone.locator("#rate-form")).to_be_visible()
            phone.click("label[for=rating-4]")
            phone.fill("#rating-comment", step.values["rating_comment"])
            phone.click("#submit-rating")
            expect(phone.locator("#action-done")).to_be_visible()
        elif step.action == "report_not_fixed":
            phone.click("#not-fixed-toggle")
            phone.fill("#not-fixed-reason", step.values["not_fixed_reason"])
            phone.click("#submit-not-fixed")
            expect(phone.locator("#action-done")).to_be_visible()
        elif step.role == "system":  # rated: the overdue sweep archives it (one run of its archiving;
            # the stack is shared with other tests, whose rated repairs it archives too, and its
            # own schedule may have got there first: the page below shows the outcome)
            archived = archive_settled(WorkOrderRepository(local_stack.repairs_table), utc_now())
            assert reference in archived or WorkOrderRepository(local_stack.repairs_table).get(
                reference).status == "archived"
            phone.reload()
        else:
            staff_step(local_stack, step, reference, capsysbinary)
            phone.reload()
        expect(phone.locator("#track-status")).to_have_text(
            REPAIR_WORKFLOW.state(step.target).resident_label)
        # cancel until work starts (reported, dispatched, surveyed), never once it has
        cancel = phone.locator("#cancel-toggle")
        expect(cancel).to_be_visible() if cancel_offered(step.target) else expect(cancel).to_be_hidden()
        if step.action == "complete":
            expect(phone.locator("#track-record")).to_contain_text(step.values["work_done"])
        if step.action == "accept":
            expect(phone.locator("#rate-form")).to_be_visible()
        else:
            expect(phone.locator("#rate-form")).to_be_hidden()

    timeline = phone.locator("#track-timeline li")
    visible_steps = [s for s in PLAN_WALK if s.action != "note_situation"]
    expect(timeline).to_have_count(1 + len(visible_steps))
    expect(phone.locator("#track-record")).to_contain_text("4 分")
    assert "墙内管道老化" not in phone.content()  # the technician's situation report is staff-only


def test_the_resident_cancels_a_just_reported_repair(phone):
    reference = report_repair(phone, unit="6-2-1101", description="次卧空调不制冷，吹出来是热风。")
    cancelled = REPAIR_WORKFLOW.state("cancelled").resident_label

    phone.click("#cancel-toggle")
    phone.click("#submit-cancel")  # no reason yet
    expect(phone.locator("#error-cancel-reason")).to_contain_text("请至少写")
    phone.fill("#cancel-reason", "空调重启后已经好了")
    phone.click("#submit-cancel")
    expect(phone.locator("#cancel-confirm")).to_be_visible()
    expect(phone.locator("#cancel-confirm-question")).to_contain_text("确定取消这张报修单吗？")
    assert_in_view(phone, "#cancel-confirm-question")
    assert axe_violations(phone) == []  # the form and its question, open
    phone.click("#cancel-confirm-no")  # nothing is sent
    expect(phone.locator("#cancel-confirm")).to_be_hidden()
    phone.reload()
    expect(phone.locator("#track-status")).to_have_text(REPAIR_WORKFLOW.state("reported").resident_label)

    phone.click("#cancel-toggle")
    phone.fill("#cancel-reason", "空调重启后已经好了")
    phone.click("#submit-cancel")
    phone.click("#cancel-confirm-yes")

    expect(phone.locator("#action-done")).to_be_visible()
    expect(phone.locator("#track-status")).to_have_text(cancelled)
    expect(phone.locator("#track-record")).to_contain_text("空调重启后已经好了")
    expect(phone.locator("#cancel-toggle")).to_be_hidden()
    phone.reload()
    expect(phone.locator("#track-result-reference")).to_have_text(reference)
    expect(phone.locator("#track-status")).to_have_text(cancelled)
    expect(phone.locator("#cancel-toggle")).to_be_hidden()


def test_no_cancel_once_work_has_started(phone, local_sdk, capsysbinary):
    # The page still offers cancel when staff start the repair: the API refuses (409), the
    # page says so and shows where the repair is now, without the cancel button.
    reference = report_repair(phone, unit="3-1-502", description="客厅吊灯不亮，换了灯泡也不行。")
    phone.click("#cancel-toggle")
    phone.fill("#cancel-reason", "想自己找师傅修")
    phone.click("#submit-cancel")
    for step in PLAN_WALK[:3]:  # dispatch, survey, start repair
        staff_step(local_sdk, step, reference, capsysbinary)

    phone.click("#cancel-confirm-yes")

    expect(phone.locator("#action-error")).to_contain_text("页面已更新为最新进度")
    expect(phone.locator("#track-status")).to_have_text(REPAIR_WORKFLOW.state("in_repair").resident_label)
    expect(phone.locator("#cancel-toggle")).to_be_hidden()
    phone.reload()
    expect(phone.locator("#track-status")).to_have_text(REPAIR_WORKFLOW.state("in_repair").resident_label)
    expect(phone.locator("#cancel-actions")).to_be_hidden()


def test_the_apis_field_message_shows_next_to_the_reason(phone):
    # What the server refuses reaches the field in the API's own words: here the page's
    # request is forwarded with a reason longer than the schema allows.
    report_repair(phone, unit="5-1-201", description="卫生间排风扇噪音很大。")
    answers = []

    def too_long(route):
        response = route.fetch(post_data=json.dumps({"reason": "太长" * 200}))
        answers.append(response.json())
        route.fulfill(response=response)

    phone.route("**/api/repairs/*/cancel", too_long)
    phone.click("#cancel-toggle")
    phone.fill("#cancel-reason", "不需要了")
    phone.click("#submit-cancel")
    with phone.expect_response("**/api/repairs/*/cancel"):
        phone.click("#cancel-confirm-yes")

    assert answers[0]["error"]["code"] and "reason" in answers[0]["error"]["fields"], answers
    message = answers[0]["error"]["fields"]["reason"]
    expect(phone.locator("#error-cancel-reason")).to_have_text(message)
    expect(phone.locator("#cancel-reason")).to_have_attribute("aria-invalid", "true")
    expect(phone.locator("#action-error")).to_contain_text(answers[0]["error"]["message"])
    expect(phone.locator("#track-status")).to_have_text(REPAIR_WORKFLOW.state("reported").resident_label)
    expect(phone.locator("#cancel-toggle")).to_be_visible()
