"""The resident's tracking page at every step of the plan's flow: staff take their steps
with the staff CLI against the running local stack, the resident rates and says "not
fixed" on the page itself."""
import pytest
from playwright.sync_api import expect

from butler.cli.main import main as staff_cli
from butler.domain.repairs import REPAIR_WORKFLOW
from tests.support.browser import pick_unit, submit_and_track
from tests.support.flow import PLAN_WALK, cli_argv

pytestmark = pytest.mark.e2e


def test_the_tracking_page_follows_every_step(phone, local_sdk, capsysbinary):
    local_stack = local_sdk
    phone.goto("/repairs/")
    phone.select_option("#field-category", "plumbing")
    pick_unit(phone, "8-1-301")
    phone.fill("#field-description", "厨房下水管接口一直滴水。")
    phone.fill("#field-contact_name", "冯女士")
    phone.fill("#field-contact_phone", "13622223333")
    reference = submit_and_track(phone, "#submit-repair", "#repair-result")
    expect(phone.locator("#track-status")).to_have_text(REPAIR_WORKFLOW.state("reported").resident_label)

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
        else:
            code = staff_cli(["--endpoint-url", local_stack.dynamodb_endpoint,
                              "--table", local_stack.repairs_table, *cli_argv(step, reference)])
            assert code == 0, capsysbinary.readouterr()
            phone.reload()
        expect(phone.locator("#track-status")).to_have_text(
            REPAIR_WORKFLOW.state(step.target).resident_label)
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
