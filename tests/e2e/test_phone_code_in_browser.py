"""A report taken by phone: the resident opens the link from the SMS (the reference filled
in), types the short code staff read out, in any letter case, and sees the case; the
code works once."""
import io
import re
from contextlib import redirect_stdout

import pytest
from playwright.sync_api import expect

from butler.cli.main import main as staff_cli
from tests.support import privacy

pytestmark = pytest.mark.e2e


def taken_by_phone(local_stack) -> tuple[str, str, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert staff_cli(["--endpoint-url", local_stack.dynamodb_endpoint, "--table", local_stack.repairs_table,
                          "--as", "kf-zhang", "report", "--source", "phone", "--category", "plumbing",
                          "--unit", "3-2-1201", "--location", "厨房", "--description", "厨房下水堵塞，水排不下去。",
                          "--contact-name", "陈女士", "--contact-phone", "13912345678"]) == 0
    text = out.getvalue()
    privacy.remember_token(re.search(r"&token=(\S+)", text).group(1))
    code = privacy.remember_code(re.search(r"短码：(\w{4}-\w{4})", text).group(1))
    page = re.search(r"查询页：(\S+?)（", text).group(1)
    return re.search(r"编号：(R-\w{4}-\w{4})", text).group(1), code, page


def test_a_caller_types_the_short_code_and_sees_the_report_once(phone, local_sdk, monkeypatch):
    monkeypatch.setenv("SITE_URL", local_sdk.url)
    reference, code, sms_link = taken_by_phone(local_sdk)
    assert sms_link == f"{local_sdk.url}/track/#ref={reference}"

    phone.goto(sms_link)
    expect(phone.locator("#track-reference")).to_have_value(reference)
    phone.fill("#track-token", code.lower().replace("-", " "))
    phone.click("#track-submit")

    expect(phone.locator("#track-result-reference")).to_have_text(reference)
    expect(phone.locator("#track-status")).to_contain_text("已收到您的报修")
    assert "token" not in phone.url and code not in phone.url

    phone.click("#track-other")
    phone.fill("#track-reference", reference)
    phone.fill("#track-token", code)
    phone.click("#track-submit")
    expect(phone.locator("#error-track-token")).to_contain_text("短码已失效")
