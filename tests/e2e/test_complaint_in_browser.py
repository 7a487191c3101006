"""A resident files a complaint on a phone and follows it: the simple path (answered on the
spot, satisfied) and the long path (transfer → investigation → solution → reply → not
satisfied → back to the owner → reply → satisfied → closed). Staff steps go through the
same service the staff CLI uses, against the running local stack."""
import pytest
from playwright.sync_api import expect

from butler.domain.complaints import COMPLAINT_WORKFLOW
from butler.repository.complaints import ComplaintRepository
from butler.roster import load_roster
from butler.services.cases import take_step
from tests.support.browser import assert_in_view, pick_unit, submit_and_track

pytestmark = pytest.mark.e2e
ROSTER = load_roster()


@pytest.fixture
def staff(local_sdk):
    repo = ComplaintRepository(local_sdk.repairs_table.replace("-repairs", "-complaints"))

    def step(reference, action, actor, **values):
        take_step(repo, reference, action, actor=actor, role=ROSTER[actor].role, values=values, roster=ROSTER)

    return step


def file_complaint(phone, kind="complaint", *, follow=True):
    phone.goto("/complaints/")
    phone.check(f"#field-kind-{kind}")
    phone.select_option("#field-topic", "parking")
    phone.fill("#field-description", "地下车库 B 区消防通道长期有车辆停放。")
    phone.fill("#field-contact_name", "孙先生")
    phone.fill("#field-contact_phone", "13677776666")
    reference = submit_and_track(phone, "#submit-complaint", "#complaint-result", follow=follow)
    assert reference.startswith("C-")
    return reference


def shows(phone, status):
    phone.reload()
    expect(phone.locator("#track-status")).to_have_text(COMPLAINT_WORKFLOW.state(status).resident_label)


def test_simple_path_answered_on_the_spot_and_confirmed(phone, staff):
    reference = file_complaint(phone, kind="inquiry")
    shows(phone, "submitted")

    staff(reference, "claim", "kf-he", owner="kf-he")
    shows(phone, "received")
    expect(phone.locator("#track-owner")).to_have_text("何客服")
    staff(reference, "answer", "kf-he", reply="消防通道已安排保安每日巡查，违停车辆会联系车主挪走。")
    shows(phone, "answered")
    expect(phone.locator("#track-reply")).to_contain_text("每日巡查")

    phone.click("label[for=satisfaction-5]")
    phone.click("#submit-satisfied")
    expect(phone.locator("#action-done")).to_be_visible()
    expect(phone.locator("#track-status")).to_have_text(COMPLAINT_WORKFLOW.state("closed").resident_label)


def test_long_path_until_the_resident_is_satisfied(phone, staff):
    reference = file_complaint(phone)
    staff(reference, "claim", "kf-zhang", owner="kf-zhang")
    staff(reference, "transfer", "kf-zhang", department="security")
    shows(phone, "transferred")
    expect(phone.locator("#track-reply-by")).to_be_visible()
    staff(reference, "investigate", "ab-wu", findings="夜间外来车辆")
    shows(phone, "investigating")
    staff(reference, "propose", "ab-wu", solution="增设隔离桩")
    shows(phone, "solution_proposed")
    staff(reference, "reply", "kf-zhang", reply="本周内在消防通道加装隔离桩。")
    shows(phone, "replied")

    phone.click("#not-satisfied-toggle")
    phone.fill("#not-satisfied-reason", "隔离桩装了但晚上还是有车停")
    phone.click("#submit-not-satisfied")
    expect(phone.locator("#action-done")).to_be_visible()
    expect(phone.locator("#track-status")).to_have_text(COMPLAINT_WORKFLOW.state("received").resident_label)
    expect(phone.locator("#track-owner")).to_have_text("张客服")

    # Back with the owner, who answers again (the owner's reply from "received" is "answer").
    staff(reference, "answer", "kf-zhang", reply="已安排夜班保安每两小时巡查一次。")
    shows(phone, "answered")
    phone.click("#submit-satisfied")
    expect(phone.locator("#action-done")).to_be_visible()
    expect(phone.locator("#track-status")).to_have_text(COMPLAINT_WORKFLOW.state("closed").resident_label)
    expect(phone.locator("#track-reopen-count")).to_be_visible()
    assert "夜间外来车辆" not in phone.content()  # the department's findings are staff-only


def test_a_reload_before_the_first_answer_still_shows_the_case(phone):
    # The page has read the link and cleared it from the address bar, and its first request
    # is still on its way (a slow network, a busy phone) when the resident reloads.
    reference = file_complaint(phone, kind="suggestion", follow=False)
    held = []

    def hold_the_first_request(route):
        if held:
            route.continue_()
        else:
            held.append(route)  # never answered: the reload abandons it

    phone.route("**/api/complaints/*", hold_the_first_request)
    with phone.expect_request(lambda request: f"/api/complaints/{reference}" in request.url):
        phone.click("#tracking-link")
    phone.wait_for_function("() => !window.location.hash")

    phone.reload()

    expect(phone.locator("#track-result-reference")).to_have_text(reference)
    expect(phone.locator("#track-status")).to_have_text(COMPLAINT_WORKFLOW.state("submitted").resident_label)
    assert "token=" not in phone.url


def test_the_success_heading_is_in_view_below_the_header(phone):
    phone.goto("/complaints/")
    phone.check("#field-kind-suggestion")
    phone.select_option("#field-topic", "greening")
    phone.fill("#field-description", "中心广场东侧的草坪可以多种些耐踩的草。")
    pick_unit(phone, "7-2-2601")
    phone.fill("#field-contact_phone", "+86 139 0000 0077")
    phone.fill("#field-contact_name", "钱女士")

    submit_and_track(phone, "#submit-complaint", "#complaint-result", follow=False)

    assert_in_view(phone, "#complaint-result-title")
