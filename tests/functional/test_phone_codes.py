"""Reports taken by phone: the staff CLI prints a full link and a short code; the tracking
page's route exchanges the reference and the code, once, for the tracking token."""
import re
from datetime import timedelta

import boto3
import pytest

from butler.domain import phone_codes
from butler.domain.timefmt import utc_now
from tests.functional import test_staff_cli
from tests.support import privacy

cli = test_staff_cli.cli  # butler-staff in this process, output captured (a shared fixture)
JSON = {"Content-Type": "application/json"}
SITE = "https://wuye.example.cn"
REPAIR = ["--as", "kf-zhang", "report", "--source", "phone", "--category", "plumbing", "--unit", "3-2-1201",
          "--location", "厨房", "--description", "厨房下水堵塞，水排不下去。", "--contact-name", "陈女士",
          "--contact-phone", "13912345678"]
COMPLAINT = ["--as", "kf-zhang", "file", "--source", "phone", "--kind", "complaint", "--topic", "cleaning",
             "--description", "5号楼垃圾桶三天没清运，味道很大。", "--contact-name", "钱女士",
             "--contact-phone", "13933334444", "--unit", "5-1-0301"]


def taken(cli, argv=REPAIR):
    result = cli(*argv)
    assert result.code == 0, result.err
    reference = re.search(r"编号：([RC]-\w{4}-\w{4})", result.out).group(1)
    code = privacy.remember_code(re.search(r"短码：(\w{4}-\w{4})", result.out).group(1))
    token = privacy.remember_token(re.search(r"&token=(\S+)", result.out).group(1))
    return reference, code, token, result.out


def exchange(api, reference, code):
    path = "/api/repairs/" if reference.startswith("R-") else "/api/complaints/"
    return api.call("POST", f"{path}{reference}/phone-code", json_body={"code": code}, headers=JSON)


@pytest.fixture
def site(monkeypatch):
    monkeypatch.setenv("SITE_URL", SITE + "/")


def test_the_printout_gives_a_full_link_a_short_code_and_an_sms_text(api, cli, site):
    reference, code, token, out = taken(cli)

    assert f"{SITE}/track/#ref={reference}&token={token}" in out
    assert f"查询页：{SITE}/track/#ref={reference}（打开后输入短码）" in out
    (sms,) = [line for line in out.splitlines() if line.strip().startswith("短信：")]
    assert reference in sms and code in sms and token not in sms  # the SMS carries no lasting secret
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code)
    assert token.startswith("tk_") and not re.match(r"[A-Z]-", token)  # not like a reference


@pytest.mark.parametrize("argv", [REPAIR, COMPLAINT], ids=["repair", "complaint"])
def test_the_code_opens_the_case_once(api, cli, argv):
    reference, code, token, _ = taken(cli, argv)

    first = exchange(api, reference, code.lower().replace("-", " ").replace("0", "o"))
    again = exchange(api, reference, code)

    assert first.status == 200 and first.json == {"reference": reference, "token": token}
    path = "/api/repairs/" if reference.startswith("R-") else "/api/complaints/"
    assert api.call("GET", path + reference, headers={"Authorization": f"Bearer {token}"}).status == 200
    assert again.status == 404 and again.json["error"]["code"] == "PHONE_CODE_REFUSED"


def test_a_wrong_code_and_an_unknown_reference_get_the_same_answer(api, cli):
    reference, code, _, _ = taken(cli)
    wrong = "ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ" else "YYYY-YYYY"

    by_wrong_code = exchange(api, reference, wrong)
    by_unknown_reference = exchange(api, "R-0000-0000", code)
    by_garbage = exchange(api, "R-0000-0000", "!!")

    assert by_wrong_code.status == by_unknown_reference.status == by_garbage.status == 404
    assert by_wrong_code.json == by_unknown_reference.json == by_garbage.json
    assert set(by_wrong_code.json["error"]) == {"code", "message", "fields"}
    assert exchange(api, reference, code).status == 200  # one wrong try does not burn it


def test_five_wrong_codes_burn_it(api, cli):
    reference, code, _, _ = taken(cli)
    for _ in range(phone_codes.MAX_TRIES):
        assert exchange(api, reference, "ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ" else "YYYY-YYYY").status == 404

    assert exchange(api, reference, code).status == 404


def test_an_expired_code_is_refused(api, cli, monkeypatch):
    reference, code, _, _ = taken(cli)
    later = utc_now() + timedelta(days=phone_codes.VALID_DAYS, minutes=1)
    monkeypatch.setattr("butler.web.phone_codes.utc_now", lambda: later)

    assert exchange(api, reference, code).status == 404


def test_a_body_that_is_not_a_code_is_refused_in_the_error_shape(api, cli):
    reference, _, _, _ = taken(cli)

    response = api.call("POST", f"/api/repairs/{reference}/phone-code", json_body={"code": "x" * 21},
                        headers=JSON)

    assert response.status == 422 and response.json["error"]["code"] == "VALIDATION_FAILED"


def test_neither_the_code_nor_the_token_is_kept_in_clear(api, cli, stack, moto_endpoint):
    reference, code, token, _ = taken(cli)

    item = boto3.client("dynamodb", endpoint_url=moto_endpoint).get_item(
        TableName=stack["RepairsTable"], Key={"reference": {"S": reference}})["Item"]

    stored = item["phone_code"]["S"]
    assert code.replace("-", "") not in stored.upper() and token not in stored
    assert token.encode().hex() not in stored


def test_the_log_guard_catches_a_short_code_in_either_form():
    code = privacy.remember_code("7KQ4-M2XQ")
    try:
        assert privacy.find(f"typed {code}") and privacy.find("typed 7kq4m2xq")
        assert not privacy.find("reference R-7KQ5-M2XQ")
    finally:
        privacy._codes.discard("7KQ4M2XQ")
