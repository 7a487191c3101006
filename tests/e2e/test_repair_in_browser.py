"""A resident on a phone: report a repair, get a reference, follow it; and the error paths."""
import re

import pytest
from playwright.sync_api import expect

from tests.support import privacy

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"R-[0-9A-Z]{4}-[0-9A-Z]{4}")


def fill_home_report(page, *, phone="13655556666", description="客厅顶灯不亮，换了灯泡也不行。"):
    page.select_option("#field-category", "electrical")
    page.check("#field-location_type-home")
    page.fill("#field-unit", "6-1-0802")
    page.fill("#field-description", description)
    page.fill("#field-contact_name", "周先生")
    page.fill("#field-contact_phone", phone)


def test_resident_reports_a_repair_and_follows_it_with_the_private_link(phone, local_stack):
    before = len(local_stack.repairs())
    phone.goto("/repairs/")
    fill_home_report(phone)

    phone.click("#submit-repair")

    expect(phone.locator("#repair-result")).to_be_visible()
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
