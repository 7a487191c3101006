"""The survey form on a phone: the code from the printed QR link (#code=...) fills the form
and leaves the address bar, codes are tidied as the domain tidies them, missing answers
are marked next to each question without a request to the API, and answers reach the
local stack once; a used code, an unknown code and a closed campaign are explained."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from butler.domain.surveys import AREAS, COMMENT_MAX, code_hash, issue_codes, normalize_code, quarter_bounds, quarter_label, quarter_of
from butler.domain.timefmt import utc_now
from butler.repository.surveys import SurveyRepository
from butler.services.surveys import open_campaign
from tests.support.browser import assert_in_view

pytestmark = pytest.mark.e2e


def test_code_from_the_qr_link_fills_the_form_and_leaves_the_address_bar(phone):
    phone.goto("/survey/#code=k7q2m%20xp9ro")
    expect(phone.locator("#field-code")).to_have_value(normalize_code("k7q2m xp9ro"))
    assert phone.url.endswith("/survey/"), phone.url


def test_a_code_opened_on_the_open_page_fills_the_form_again(phone):
    phone.goto("/survey/#code=K7Q2M-XP9RT")
    expect(phone.locator("#field-code")).to_have_value("K7Q2M-XP9RT")

    phone.evaluate("() => { window.location.hash = 'code=m3n4p-q5r6s'; }")  # a second QR scanned, same tab

    expect(phone.locator("#field-code")).to_have_value(normalize_code("m3n4p-q5r6s"))
    phone.wait_for_function("() => window.location.hash === ''")
    assert phone.url.endswith("/survey/"), phone.url


def test_a_long_comment_is_kept_whole_and_said_to_be_too_long(phone):
    phone.goto("/survey/")
    phone.locator("#field-comment").focus()
    phone.keyboard.insert_text("好" * (COMMENT_MAX + 200))  # one paste, 200 characters too many

    assert len(phone.input_value("#field-comment")) == COMMENT_MAX + 200
    expect(phone.locator("#error-comment")).to_contain_text(f"最多 {COMMENT_MAX} 字，现在是 {COMMENT_MAX + 200} 字")
    expect(phone.locator("#comment-count")).to_contain_text("超出 200 字")


def test_missing_answers_are_marked_next_to_each_question(phone):
    api_calls = []
    phone.on("request", lambda request: api_calls.append(request.url) if "/api/" in request.url else None)
    phone.goto("/survey/")
    phone.fill("#field-code", "k7q2m_xp9rl")
    phone.click(f"label[for=score-{AREAS[0].code}-5]")
    expect(phone.locator("#field-code")).to_have_value(normalize_code("k7q2m_xp9rl"))
    phone.click("#submit-survey")

    expect(phone.locator("#form-error")).to_be_visible()
    expect(phone.locator(f"[id='error-scores.{AREAS[0].code}']")).to_be_hidden()
    for area in AREAS[1:]:
        expect(phone.locator(f"[id='error-scores.{area.code}']")).to_be_visible()
        expect(phone.locator(f"[id='field-scores.{area.code}']")).to_have_attribute("aria-invalid", "true")
    for name in ("overall", "recommend"):
        expect(phone.locator(f"#error-{name}")).to_be_visible()
    expect(phone.locator("#error-code")).to_be_hidden()
    expect(phone.locator(f"#score-{AREAS[1].code}-1")).to_be_focused()

    phone.click(f"label[for=score-{AREAS[1].code}-3]")
    expect(phone.locator(f"[id='error-scores.{AREAS[1].code}']")).to_be_hidden()
    assert api_calls == []


@pytest.fixture(scope="module")
def codes(local_stack):
    """This quarter's campaign on the local stack (started without demo data), opened once
    for the module; each test takes fresh codes from it."""
    repo = SurveyRepository(local_stack.repairs_table.replace("-repairs", "-surveys"))
    issued = issue_codes([f"9-1-{n}01" for n in range(1, 9)])
    with pytest.MonkeyPatch.context() as patch:  # local_sdk, for a module-scoped fixture
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
            patch.setenv(name, local_stack.dynamodb_endpoint)
        quarter = quarter_of(utc_now())
        if repo.campaign(quarter) is None:
            opened = max(utc_now() - timedelta(hours=1), quarter_bounds(quarter)[0])
            open_campaign(repo, quarter, issued, now=opened, opened_by="gj-li")
        else:  # the fuzz run on the same stack opened it (only the current quarter takes answers)
            repo.add_invitations(quarter, ((unit, code_hash(code)) for unit, code in issued), utc_now())
    return iter(code for _, code in issued)


def answer_everything(phone, score):
    for area in AREAS:
        phone.click(f"label[for=score-{area.code}-{score}]")
    phone.click(f"label[for=overall-{score}]")
    phone.click("label[for=recommend-yes]")


def responses(local_sdk, quarter=None):
    repo = SurveyRepository(local_sdk.repairs_table.replace("-repairs", "-surveys"))
    return list(repo.responses_of(quarter or quarter_of(utc_now())))


def test_answers_reach_the_service_desk_once_and_the_resident_is_thanked(phone, codes, local_sdk):
    code = next(codes)
    before = len(responses(local_sdk))
    phone.goto(f"/survey/#code={code}")
    answer_everything(phone, 4)
    phone.fill("#field-comment", "电梯维修后比以前安静多了。")
    phone.click("#submit-survey")

    expect(phone.locator("#survey-result")).to_be_visible()
    assert_in_view(phone, "#survey-result-title")
    expect(phone.locator("#survey-result-quarter")).to_contain_text(quarter_label(quarter_of(utc_now())))
    expect(phone.locator("#survey-form")).to_be_hidden()
    stored = responses(local_sdk)
    assert len(stored) == before + 1
    assert any(r.answer.comment == "电梯维修后比以前安静多了。" and r.answer.overall == 4 for r in stored)


def test_a_used_code_is_explained_next_to_the_code(phone, codes, local_sdk):
    code = next(codes)
    before = len(responses(local_sdk))
    for score in (5, 2):
        phone.goto("about:blank")  # a fresh page load, not only a change of fragment
        phone.goto(f"/survey/#code={code}")
        answer_everything(phone, score)
        phone.click("#submit-survey")
        if score == 5:
            expect(phone.locator("#survey-result")).to_be_visible()

    expect(phone.locator("#error-code")).to_contain_text("只能提交一次")
    expect(phone.locator("#survey-result")).to_be_hidden()
    assert len(responses(local_sdk)) == before + 1


def test_an_unknown_code_is_explained_next_to_the_code(phone, codes):
    phone.goto("/survey/#code=ZZZZZ-ZZZZZ")
    answer_everything(phone, 3)
    phone.click("#submit-survey")

    expect(phone.locator("#error-code")).to_contain_text("邀请码不正确")
    expect(phone.locator("#field-code")).to_have_attribute("aria-invalid", "true")


def test_a_closed_campaign_is_explained(phone, local_sdk):
    repo = SurveyRepository(local_sdk.repairs_table.replace("-repairs", "-surveys"))
    ((_, code),) = issue_codes(["9-2-101"])
    start, end = quarter_bounds("2025Q1")  # a past quarter's campaign, opened in its quarter
    open_campaign(repo, "2025Q1", [("9-2-101", code)], now=start + timedelta(days=3), closes_at=end)

    phone.goto(f"/survey/#code={code}")
    answer_everything(phone, 3)
    phone.click("#submit-survey")

    expect(phone.locator("#form-error")).to_contain_text("已经结束")
    assert responses(local_sdk, "2025Q1") == []


def test_a_second_households_code_after_sending_opens_a_new_form(phone, codes):
    first, second = next(codes), next(codes)
    phone.goto(f"/survey/#code={first}")
    answer_everything(phone, 4)
    phone.click("#submit-survey")
    expect(phone.locator("#survey-result")).to_be_visible()

    phone.evaluate("(code) => { window.location.hash = 'code=' + code; }", second)

    expect(phone.locator("#survey-form")).to_be_visible()
    expect(phone.locator("#survey-result")).to_be_hidden()
    expect(phone.locator("#field-code")).to_have_value(second)
    expect(phone.locator("#overall-4")).not_to_be_checked()
