"""Reading pages on a phone: the Chinese 404 page the local front serves for any unknown
address, the budget table that fits the screen, the outage notice at the top of the home page
(a site built at a set date), and the tracking page's photo list without list bullets."""
from __future__ import annotations

import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from bench.site_scale import build

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
COMMUNITY = yaml.safe_load((ROOT / "site" / "data" / "community.yml").read_text(encoding="utf-8"))
PHONE = {"width": 390, "height": 844}
OLD_BUDGET_HEIGHT = 6400  # px: the budget as one card per row, on this phone
BUILD_TIME = "2026-12-04T10:00:00+08:00"  # four days before the power cut of buildings 1 and 2


@pytest.mark.parametrize("address", ["/no-such-page/", "/charter/no-such-section/", "/notices/2026/12/gone.html"])
def test_unknown_address_shows_the_chinese_404_page(phone, local_stack, address):
    response = phone.goto(address)
    assert response.status == 404
    expect(phone.locator("h1")).to_have_text("找不到这个页面")
    expect(phone.get_by_text("Not found")).to_have_count(0)
    phones = COMMUNITY["phones"]
    for key in COMMUNITY["emergency_page_phones"]:
        link = phone.locator(f'a.call-button[href="tel:{phones[key]["dial"]}"]')
        expect(link).to_have_count(1)
        expect(link).to_contain_text(phones[key]["display"])
    hotline = phone.locator(f'a.call-button[href="tel:{phones["hotline"]["dial"]}"]')
    expect(hotline).to_be_visible()  # on the first screen, without scrolling
    assert hotline.bounding_box()["y"] < PHONE["height"]

    phone.locator("#not-found-home").click()
    expect(phone).to_have_url(local_stack.url + "/")
    expect(phone.locator("h1")).to_have_text(COMMUNITY["name"])


def test_budget_table_fits_a_phone(phone):
    phone.goto("/charter/budget/")
    table = phone.locator("#budget-table")
    expect(table).to_be_visible()
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    overflow = phone.evaluate("() => { const t = document.querySelector('#budget-table').parentElement;"
                              " return t.scrollWidth - t.clientWidth; }")
    assert overflow <= 0, "the table scrolls sideways"
    assert box["height"] < OLD_BUDGET_HEIGHT / 3, box  # about two screens for the whole table
    height = phone.evaluate("() => document.documentElement.scrollHeight")
    assert height < OLD_BUDGET_HEIGHT * 0.6, height
    for fact in ("budget-per-household", "budget-per-square-metre"):
        expect(phone.locator(f"#{fact}")).to_have_text(re.compile(r"^\d+\.\d\d$"))
    expect(table).not_to_contain_text("备注")


def test_tracking_photos_are_a_grid_without_bullets(phone):
    phone.goto("/track/")
    style = phone.evaluate("""() => {
        const list = document.getElementById('track-photos');
        document.getElementById('track-photos-section').hidden = false;
        const item = document.createElement('li');
        item.innerHTML = '<img alt="照片" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">';
        list.appendChild(item);
        const li = getComputedStyle(item), ul = getComputedStyle(list);
        return {bullet: li.listStyleType, listBullet: ul.listStyleType, indent: li.marginLeft, display: ul.display};
    }""")
    assert style == {"bullet": "none", "listBullet": "none", "indent": "0px", "display": "grid"}


@pytest.fixture(scope="module")
def dated_site(tmp_path_factory):
    """The site built at BUILD_TIME, served as static files on 127.0.0.1 (the outage list
    is decided at build time, so the home page needs no API)."""
    out = tmp_path_factory.mktemp("dated-site")
    result = build(ROOT, out, BUTLER_BUILD_TIME=BUILD_TIME)
    assert result.returncode == 0, result.stdout + result.stderr
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_home_page_shows_the_coming_power_cut_on_the_first_screen(browser, dated_site):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", base_url=dated_site)
    try:
        page = context.new_page()
        page.goto("/")
        notices = page.locator("#home-outages li")
        expect(notices).to_have_count(1)
        expect(notices).to_contain_text("即将开始")
        expect(notices).to_contain_text("12 月 8 日 08:00 至 12:00")
        link = notices.get_by_role("link", name="12 月 8 日 1 号楼、2 号楼计划停电")
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"], "the notice is below the first screen"
        link.click()
        expect(page.locator("h1")).to_have_text("12 月 8 日 1 号楼、2 号楼计划停电")
    finally:
        context.close()
