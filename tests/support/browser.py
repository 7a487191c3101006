"""What every browser test does after filling a form: submit it, read the reference the
success panel shows, remember the token (for the privacy guard) and open the tracking page."""
from __future__ import annotations

import re

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
