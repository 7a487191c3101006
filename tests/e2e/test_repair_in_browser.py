"""A resident on a phone: report a repair, get a reference, follow it; and the error paths."""
import re

import pytest
from playwright.sync_api import expect

from butler.domain.repairs import CATEGORIES
from tests.support import privacy
from tests.support.browser import assert_in_view, pick_unit

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"R-[0-9A-Z]{4}-[0-9A-Z]{4}")


def fill_home_report(page, *, phone="13655556666", description="客厅顶灯不亮，换了灯泡也不行。"):
    page.select_option("#field-category", "electrical")
    page.check("#field-location_type-home")
    pick_unit(page, "6-1-802")
    page.fill("#field-description", description)
    page.fill("#field-contact_name", "周先生")
    page.fill("#field-contact_phone", phone)


def test_resident_reports_a_repair_and_follows_it_with_the_private_link(phone, local_stack):
    before = len(local_stack.repairs())
    phone.goto("/repairs/")
    fill_home_report(phone)

    phone.click("#submit-repair")

    expect(phone.locator("#repair-result")).to_be_visible()
    assert_in_view(phone, "#repair-result-title")
    reference = phone.locator("#result-reference").inner_text().strip()
    assert REFERENCE.fullmatch(reference)
    assert len(local_stack.repairs()) == before + 1
    href = phone.locator("#tracking-link").get_attribute("href")
    assert "#" in href and "?" not in href and f"ref={reference}" in href
    privacy.remember_token(re.search(r"token=([^&]+)", href).group(1))

    phone.click("#tracking-link")

    expect(phone.locator("#track-status")).to_contain_text("已收到您的报修")
    expect(phone.locator("#track-result-reference")).to_have_text(reference)
    expect(phone.locator("#track-timeline li")).to_have_count(1)
    expect(phone.locator("#track-result")).to_contain_text("136****6666")
    assert "13655556666" not in phone.content()


def test_a_missing_field_shows_its_chinese_message_next_to_it_and_sends_nothing(phone, local_stack):
    before = len(local_stack.repairs())
    phone.goto("/repairs/")
    fill_home_report(phone)
    phone.fill("#field-description", "")

    phone.click("#submit-repair")

    message = phone.locator("#error-description")
    expect(message).to_be_visible()
    assert re.search(r"[\u4e00-\u9fff]", message.inner_text())
    expect(phone.locator("#field-description")).to_have_attribute("aria-invalid", "true")
    expect(phone.locator("#repair-result")).to_be_hidden()
    assert len(local_stack.repairs()) == before


def test_the_servers_field_messages_are_shown_next_to_the_field(phone, local_stack):
    """A page cached before a category was retired offers a code the API no longer takes."""
    before = len(local_stack.repairs())
    phone.goto("/repairs/")
    fill_home_report(phone)
    phone.evaluate("""() => {
        const option = document.querySelector('#field-category option[value="electrical"]');
        option.value = 'retired_category';
    }""")
    phone.select_option("#field-category", "retired_category")

    phone.click("#submit-repair")

    message = phone.locator("#error-category")
    expect(message).to_have_text("请从给定的选项中选择。")
    expect(phone.locator("#form-error")).to_be_visible()
    assert len(local_stack.repairs()) == before


def test_an_emergency_category_puts_call_now_first(phone):
    phone.goto("/repairs/")

    phone.select_option("#field-category", "gas_leak")

    call_now = phone.locator("#call-now")
    expect(call_now).to_be_visible()
    assert call_now.locator("a[href^='tel:']").count() >= 1
    assert call_now.bounding_box()["y"] < phone.locator("#field-description").bounding_box()["y"]


def test_tracking_by_typing_reference_and_code(phone, local_stack):
    phone.goto("/repairs/")
    fill_home_report(phone, phone="13677778888", description="次卧窗户关不严，漏风。")
    phone.click("#submit-repair")
    expect(phone.locator("#repair-result")).to_be_visible()
    reference = phone.locator("#result-reference").inner_text().strip()
    token = re.search(r"token=([^&]+)", phone.locator("#tracking-link").get_attribute("href")).group(1)
    privacy.remember_token(token)

    phone.goto("/track/")
    phone.evaluate("() => localStorage.clear()")
    phone.reload()
    phone.fill("#track-reference", reference.lower())
    phone.fill("#track-token", token)
    phone.locator("#track-form").evaluate("form => form.requestSubmit()")

    expect(phone.locator("#track-status")).to_contain_text("已收到您的报修")


@pytest.mark.parametrize("typed", ["139-0000-0077", "+86 139 0000 0077", "+86-13900000077"])
def test_phones_as_autofill_writes_them_are_sent_and_taken(phone, local_stack, typed):
    bodies = []
    phone.on("request", lambda r: bodies.append(r.post_data_json) if r.url.endswith("/api/repairs") else None)
    phone.goto("/repairs/")
    fill_home_report(phone, phone=typed)

    phone.click("#submit-repair")

    expect(phone.locator("#repair-result")).to_be_visible()
    assert bodies[-1]["contact_phone"] == typed  # as typed: the server keeps one normal form
    privacy.remember_token(re.search(r"token=([^&]+)", phone.locator("#tracking-link").get_attribute("href")).group(1))


def test_the_servers_message_for_a_phone_shows_next_to_it(phone, local_stack):
    before = len(local_stack.repairs())
    phone.goto("/repairs/")
    fill_home_report(phone, phone="12345678")  # eight digits: a number to the page, not to the server

    phone.click("#submit-repair")

    message = phone.locator("#error-contact_phone")
    expect(message).to_be_visible()
    assert re.search(r"[\u4e00-\u9fff]", message.inner_text())
    expect(phone.locator("#field-contact_phone")).to_have_attribute("aria-invalid", "true")
    assert len(local_stack.repairs()) == before


def test_a_house_number_outside_the_estate_is_named_before_sending(phone, local_stack):
    before = len(local_stack.repairs())
    phone.goto("/repairs/")
    fill_home_report(phone)
    pick_unit(phone, "3-2-1901")  # building 3 has 18 floors

    phone.click("#submit-repair")

    expect(phone.locator("#error-unit")).to_contain_text("3 号楼只有 18 层")
    expect(phone.locator("#field-unit-room")).to_be_focused()
    assert len(local_stack.repairs()) == before


def test_a_long_paste_is_kept_whole_and_said_to_be_too_long(phone, local_stack):
    before = len(local_stack.repairs())
    phone.goto("/repairs/")
    fill_home_report(phone)
    text = "水" * 320 + "管" * 320  # 640 characters; the API takes 500
    phone.fill("#field-description", "")

    phone.locator("#field-description").focus()
    phone.keyboard.insert_text(text)  # what a paste does: one input event, the whole text

    assert phone.input_value("#field-description") == text
    expect(phone.locator("#error-description")).to_contain_text("最多 500 字，现在是 640 字")
    expect(phone.locator("#description-count")).to_contain_text("超出 140 字")
    phone.click("#submit-repair")
    expect(phone.locator("#error-description")).to_be_visible()
    expect(phone.locator("#field-description")).to_be_focused()
    assert len(local_stack.repairs()) == before


def test_astral_characters_count_once_as_the_server_counts_them(phone):
    phone.goto("/repairs/")
    phone.locator("#field-description").focus()
    phone.keyboard.insert_text("𠮷" * 300)  # 300 characters, 600 UTF-16 units

    expect(phone.locator("#description-count")).to_contain_text("已写 300 / 500 字")
    expect(phone.locator("#error-description")).to_be_hidden()


@pytest.mark.parametrize("code", [c.code for c in CATEGORIES if c.public_area])
def test_a_common_area_category_chooses_the_public_area(phone, code):
    phone.goto("/repairs/")
    expect(phone.locator("#field-location_type-home")).to_be_checked()

    phone.select_option("#field-category", code)

    expect(phone.locator("#field-location_type-public")).to_be_checked()
    expect(phone.locator("#unit-field")).to_be_hidden()
    phone.select_option("#field-category", "plumbing")  # back to a home category: the resident's choice returns
    expect(phone.locator("#field-location_type-home")).to_be_checked()
