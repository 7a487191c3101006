"""What every browser test does after filling a form: submit it, read the reference the
success panel shows, remember the token (for the privacy guard) and open the tracking page."""
from __future__ import annotations

import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.support import privacy


def submit_and_track(page, submit: str, result: str, *, follow: bool = True) -> str:
    page.click(submit)
    expect(page.locator(result)).to_be_visible()
    reference = page.locator("#result-reference").inner_text().strip()
    link = page.locator("#tracking-link").get_attribute("href")
    privacy.remember_token(re.search(r"token=([^&]+)", link).group(1))
    if follow:
        page.click("#tracking-link")
    return reference


def pick_unit(page, unit: str) -> None:
    """Fill the house-number pickers (unit-picker.js) with ``3-2-1201``."""
    building, entrance, room = unit.split("-")
    page.select_option("#field-unit-building", building)
    page.select_option("#field-unit-entrance", entrance)
    page.fill("#field-unit-room", room)


# In the page: where an element is against the sticky header and the "back to top" button
# (whether shown or not: it appears as soon as the page scrolls up), and what is on top at
# its centre.
_PLACEMENT = """(selector) => {
    const el = document.querySelector(selector);
    const box = el.getBoundingClientRect();
    const header = document.querySelector('.md-header').getBoundingClientRect();
    const top = document.querySelector('.md-top');
    const button = top ? top.getBoundingClientRect() : null;
    const under = button && button.bottom > box.top && button.top < box.bottom &&
        button.right > box.left && button.left < box.right;
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return {top: box.top, bottom: box.bottom, header_bottom: header.bottom,
            button_bottom: button ? button.bottom : null, viewport: window.innerHeight,
            under_button: Boolean(under), on_top: Boolean(hit && el.contains(hit)),
            ok: box.top >= header.bottom && box.bottom <= window.innerHeight && !under && Boolean(hit && el.contains(hit))};
}"""


def assert_in_view(page, selector: str) -> None:
    """``selector`` is wholly in the viewport, below the sticky header, clear of the "back
    to top" button and not covered by anything (waits for scrolling to settle)."""
    try:
        page.wait_for_function(f"(s) => ({_PLACEMENT})(s).ok", arg=selector, timeout=5000)
    except PlaywrightTimeout:
        pass  # the assertion below says where it is
    placement = page.evaluate(_PLACEMENT, selector)
    assert placement["ok"], placement
