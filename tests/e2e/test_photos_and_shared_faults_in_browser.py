"""A resident attaches a photo to a report and sees it on the tracking page; a report
merged into a shared fault's order shows that order's progress."""
import struct
import time
import zlib

import pytest
from playwright.sync_api import expect

from butler.cli.main import main as staff_cli
from tests.support.browser import pick_unit, submit_and_track

pytestmark = pytest.mark.e2e


def png(width: int, height: int) -> bytes:
    raw = b"".join(b"\x00" + b"\xcc\x33\x33" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def report(phone, *, description, public=False, photo=None):
    phone.goto("/repairs/")
    phone.select_option("#field-category", "elevator" if public else "walls_ceilings")
    if public:
        phone.check("#field-location_type-public")
        phone.fill("#field-location", "2号楼1单元电梯")
    else:
        pick_unit(phone, "5-2-601")
    phone.fill("#field-description", description)
    phone.fill("#field-contact_name", "孔先生")
    phone.fill("#field-contact_phone", "13644445555")
    if photo:
        phone.set_input_files("#field-photos", files=[{"name": "leak.png", "mimeType": "image/png", "buffer": photo}])
    return submit_and_track(phone, "#submit-repair", "#repair-result", follow=False)


def photos_checked(local_stack, reference):
    """Wait until the photo check (S3 → EventBridge → function, pumped by the local stack)
    has seen every photo of ``reference``: each record verified or dropped."""
    for _ in range(100):
        (item,) = [i for i in local_stack.repairs() if i["reference"]["S"] == reference]
        photos = item.get("photos", {}).get("L", [])
        if all("verified_at" in p["M"] for p in photos):
            return len(photos)
        time.sleep(0.1)
    raise AssertionError("the photo check did not run")


def test_a_photo_goes_with_the_report_and_shows_on_the_tracking_page(phone, local_stack):
    reference = report(phone, description="卧室天花板渗水，有水渍。", photo=png(40, 30))

    expect(phone.locator("#result-photos")).to_have_text("照片已上传（1 张）。")
    assert photos_checked(local_stack, reference) == 1
    phone.click("#tracking-link")

    image = phone.locator("#track-photos img")
    expect(image).to_have_count(1)
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 40


def test_a_page_uploaded_as_a_photo_is_never_shown(phone, local_stack):
    page = b"<!doctype html><html><body><h1>not a photo</h1></body></html>"
    reference = report(phone, description="卧室天花板渗水，有水渍。", photo=page)

    expect(phone.locator("#result-photos")).to_have_text("照片已上传（1 张）。")
    assert photos_checked(local_stack, reference) == 0  # the file and its record dropped
    phone.click("#tracking-link")

    expect(phone.locator("#track-status")).to_be_visible()
    expect(phone.locator("#track-photos-section")).to_be_hidden()


def test_a_merged_report_shows_the_shared_orders_progress(phone, local_sdk):
    local_stack = local_sdk
    primary = report(phone, description="电梯停在三楼不动了。", public=True)
    duplicate = report(phone, description="电梯坏了，按了没反应。", public=True)
    cli = ["--endpoint-url", local_stack.dynamodb_endpoint, "--table", local_stack.repairs_table]

    assert staff_cli([*cli, "--as", "gj-li", "link", duplicate, "--primary-reference", primary]) == 0
    assert staff_cli([*cli, "--as", "gj-li", "dispatch", primary, "--technician", "wx-liu"]) == 0
    phone.click("#tracking-link")

    expect(phone.locator("#track-status")).to_contain_text("合并处理")
    expect(phone.locator("#track-primary-section")).to_be_visible()
    expect(phone.locator("#track-primary-reference")).to_have_text(primary)
    expect(phone.locator("#track-primary-status")).to_contain_text("已安排维修人员")
