"""The tracking token on the resident's phone: the private link's fragment is read once and
leaves the address bar and the history; nothing is remembered on the phone unless the
resident asks, the page says what remembering keeps, and a remembered case can be opened
and forgotten."""
import re

import pytest
from playwright.sync_api import expect

from tests.support import privacy
from tests.support.browser import assert_in_view, pick_unit

pytestmark = pytest.mark.e2e


def file_repair(phone, description="阳台地漏反水，地面一直湿。"):
    phone.goto("/repairs/")
    phone.select_option("#field-category", "plumbing")
    pick_unit(phone, "2-1-1502")
    phone.fill("#field-description", description)
    phone.fill("#field-contact_name", "吴先生")
    phone.fill("#field-contact_phone", "139 0000 0077")
    phone.click("#submit-repair")
    expect(phone.locator("#repair-result")).to_be_visible()
    reference = phone.locator("#result-reference").inner_text().strip()
    token = re.search(r"token=([^&]+)", phone.locator("#tracking-link").get_attribute("href")).group(1)
    privacy.remember_token(token)
    return reference, token


def stored(phone) -> str:
    return phone.evaluate("() => JSON.stringify(Object.assign({}, localStorage))")


def test_the_link_is_read_once_and_leaves_no_token_in_the_address_bar_or_history(phone):
    reference, token = file_repair(phone)

    phone.click("#tracking-link")

    expect(phone.locator("#track-result-reference")).to_have_text(reference)
    assert_in_view(phone, "#track-result-title")
    assert token not in phone.url and phone.url.endswith("/track/"), phone.url
    phone.reload()  # the case stays on screen in this tab, without a token in any URL
    expect(phone.locator("#track-result-reference")).to_have_text(reference)
    assert token not in phone.url
    phone.go_back()
    assert token not in phone.url and "/repairs/" in phone.url
    phone.go_forward()
    assert token not in phone.url
    assert token not in stored(phone), "nothing remembered without the resident asking"


def test_typing_the_reference_and_code_puts_nothing_in_the_address_bar(phone):
    reference, token = file_repair(phone, description="卫生间门锁坏了，关不上。")
    phone.goto("/track/")
    entries = phone.evaluate("() => window.history.length")

    phone.fill("#track-reference", reference)
    phone.fill("#track-token", token)
    phone.click("#track-submit")

    expect(phone.locator("#track-result-reference")).to_have_text(reference)
    assert token not in phone.url
    assert phone.evaluate("() => window.history.length") == entries, "no history entry carries the token"


def test_remembering_is_the_residents_choice_and_each_case_can_be_forgotten(phone):
    reference, token = file_repair(phone, description="厨房吊柜门铰链松了。")
    box = phone.locator("#repair-result [data-remember]")
    expect(box).to_be_visible()
    expect(box).to_contain_text("编号、查询码")
    expect(box).to_contain_text("只在这台手机的浏览器里")
    assert token not in stored(phone)

    box.locator("[data-remember-button]").click()

    expect(box.locator("[data-remember-on]")).to_be_visible()
    assert token in stored(phone)
    phone.goto("/track/")
    item = phone.locator("#my-repairs-list li", has_text=reference)
    expect(item).to_have_count(1)
    expect(phone.locator("#my-repairs")).to_contain_text("只在这台手机的浏览器里")
    item.get_by_role("button", name=f"查看 {reference}").click()
    expect(phone.locator("#track-result-reference")).to_have_text(reference)
    assert token not in phone.url, "opening a remembered case writes no token into the URL"

    item.get_by_role("button", name=f"从本机忘记 {reference}").click()

    expect(phone.locator("#my-repairs-list li", has_text=reference)).to_have_count(0)
    expect(phone.locator("#my-repairs-status")).to_contain_text(f"已从本机移除 {reference}")
    assert token not in stored(phone)
    # the result on screen offers to remember it again, and says it is not remembered now
    expect(phone.locator("#track-result [data-remember-off]")).to_be_visible()
