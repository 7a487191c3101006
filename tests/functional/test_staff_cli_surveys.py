"""The survey commands of butler-staff against the tables in moto: open a campaign with
printable sheets, answers through the API, status, export, comments turned into a case,
close."""
import csv
import io
import json
import re
from datetime import timedelta

import pytest

from butler.domain.surveys import AREA_CODES, CODE_PATTERN, RESPONSE_ID_PATTERN, code_hash, quarter_bounds, quarter_of
from butler.domain.timefmt import utc_now
from butler.repository.complaints import ComplaintRepository
from butler.repository.surveys import SurveyRepository
from butler.cli.surveys import COMMENT_COLUMNS
from tests.functional import test_staff_cli
from tests.support import staff_csv

cli = test_staff_cli.cli  # butler-staff in this process, output captured (a shared fixture)
JSON = {"Content-Type": "application/json"}
SITE = "https://wuye.example.cn"
QUARTER = quarter_of(utc_now())


@pytest.fixture
def households(tmp_path):
    path = tmp_path / "households.csv"
    path.write_text("unit\n1-1-101\n1-1-102\n2-1-101\n2-2-1802\n1-1-101\n", encoding="utf-8")
    return path


@pytest.fixture
def repo(stack):
    return SurveyRepository(stack["SurveysTable"])


@pytest.fixture
def opened(cli, households, tmp_path, repo):
    """A campaign for this quarter; the codes as read back from the printed sheets."""
    sheets = tmp_path / "sheets"
    run = cli("--as", "gj-li", "survey-open", "--households", households, "--sheets", sheets, "--site-url", SITE)
    assert run.code == 0, run.err
    codes = {}
    for sheet in sorted(sheets.iterdir()):
        page = sheet.read_text(encoding="utf-8")
        for unit, code in re.findall(r"<h2>([^<]+)</h2>.*?<strong class=\"code\">([^<]+)</strong>", page, re.S):
            codes[unit] = code
    return run, sheets, codes


def answer(api, code, score, comment=""):
    body = {"code": code, "scores": {a: score for a in AREA_CODES}, "overall": score, "recommend": score > 3,
            "comment": comment}
    response = api.call("POST", "/api/surveys", json_body=body, headers=JSON)
    assert response.status == 201, response.text
    return response


def test_opening_prints_one_sheet_per_building_with_a_code_and_qr_per_household(opened, repo):
    run, sheets, codes = opened

    assert sorted(p.name for p in sheets.iterdir()) == [f"{QUARTER}-1号楼.html", f"{QUARTER}-2号楼.html"]
    assert sorted(codes) == ["1-1-101", "1-1-102", "2-1-101", "2-2-1802"]  # the duplicate line once
    assert all(CODE_PATTERN.match(code) for code in codes.values()) and len(set(codes.values())) == 4
    first = (sheets / f"{QUARTER}-1号楼.html").read_text(encoding="utf-8")
    assert first.count("<svg") == 2 and f"{SITE}/survey/" in first
    assert "邀请 4 户" in run.out and "邀请码单 2 张" in run.out
    assert repo.campaign(QUARTER).invited == 4
    for unit, code in codes.items():
        assert repo.invitation(code_hash(code)).unit == unit


def test_the_qr_code_opens_the_survey_with_the_code_in_the_fragment(opened):
    _, sheets, codes = opened
    code = codes["2-2-1802"]
    page = (sheets / f"{QUARTER}-2号楼.html").read_text(encoding="utf-8")
    import segno

    expected = segno.make(f"{SITE}/survey/#code={code}", error="m").svg_inline(scale=2, dark="#000",
                                                                                 omitsize=False)
    assert expected in page


def test_a_second_opening_of_the_quarter_is_refused_and_writes_no_sheet(cli, opened, households, tmp_path):
    again = tmp_path / "again"
    run = cli("--as", "gj-li", "survey-open", "--households", households, "--sheets", again, "--site-url", SITE)

    assert run.code == 1 and "已经开启过了" in run.err
    assert not again.exists() or not any(again.iterdir())


@pytest.mark.parametrize("argv, message", [
    (["--as", "kf-zhang"], "需要由物业管家操作"),
    ([], "--as"),
])
def test_only_a_butler_opens_a_campaign(cli, stack, households, tmp_path, argv, message):
    run = cli(*argv, "survey-open", "--households", households, "--sheets", tmp_path / "s", "--site-url", SITE)

    assert run.code in (1, 2) and message in run.err
    assert not (tmp_path / "s").exists()


def test_a_bad_households_file_is_named_with_its_line(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("unit\n1-1-101\n一号楼\n", encoding="utf-8")

    run = cli("--as", "gj-li", "survey-open", "--households", path, "--sheets", tmp_path / "s", "--site-url", SITE)

    assert run.code == 2 and "第 3 行" in run.err


def test_status_export_and_close(api, cli, opened, tmp_path):
    _, _, codes = opened
    for score, code in zip((5, 4, 2), codes.values()):
        answer(api, code, score)

    status = cli("survey-status")
    exported = tmp_path / f"{QUARTER}.json"
    too_early = cli("survey-export", "--out", exported)  # still open: nothing to publish yet
    written_early = exported.exists()
    closed = cli("--as", "gj-li", "survey-close")
    export = cli("survey-export", "--out", exported)
    late = api.call("POST", "/api/surveys", headers=JSON, json_body={
        "code": codes["2-2-1802"], "scores": {a: 3 for a in AREA_CODES}, "overall": 3, "recommend": True})

    assert status.code == 0 and "进行中" in status.out and re.search(r"\b4\s+3\s+75\.0%", status.out)
    assert too_early.code == 1 and "还没有结束" in too_early.err and not written_early
    data = json.loads(exported.read_text(encoding="utf-8"))
    assert export.code == 0 and data["responses"] == 3 and data["invited"] == 4
    assert "本季度结束后" in export.out  # the site publishes the quarter once it is over
    assert data["overall"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert closed.code == 0 and late.status == 409 and late.json["error"]["code"] == "CAMPAIGN_CLOSED"
    assert "已结束" in cli("survey-status").out


def test_a_comment_becomes_a_complaint_case_once(api, cli, opened, stack, repo):
    _, _, codes = opened
    answer(api, codes["1-1-101"], 2, comment="3号楼地下车库的灯坏了一个月了，晚上很黑。")
    answer(api, codes["1-1-102"], 5)

    listed = cli("survey-comments", "--csv")
    (row,) = staff_csv.read(listed.out, COMMENT_COLUMNS)
    made = cli("--as", "kf-zhang", "survey-to-case", row["response"], "--kind", "complaint", "--topic", "facilities")
    twice = cli("--as", "kf-he", "survey-to-case", row["response"], "--kind", "complaint", "--topic", "facilities")

    assert made.code == 0, made.err
    reference = re.search(r"C-[0-9A-Z]{4}-[0-9A-Z]{4}", made.out).group(0)
    case = ComplaintRepository(stack["ComplaintsTable"]).get(reference)
    assert case.source == "survey" and case.owner == "kf-zhang" and "地下车库" in case.description
    assert case.status == "received" and case.contact_phone == ""
    assert twice.code == 1 and reference in twice.err
    assert [r.case_reference for r in repo.responses_of(QUARTER) if r.answer.comment] == [reference]
    assert reference in cli("survey-comments").out


def test_sheets_are_removed_when_the_campaign_cannot_be_stored(cli, stack, households, tmp_path, monkeypatch):
    def unavailable(*args, **kwargs):
        raise RuntimeError("table unavailable")

    monkeypatch.setattr(SurveyRepository, "add_invitations", unavailable)
    sheets = tmp_path / "sheets"

    with pytest.raises(RuntimeError):
        cli("--as", "gj-li", "survey-open", "--households", households, "--sheets", sheets, "--site-url", SITE)

    assert not any(sheets.iterdir())


def test_export_of_a_quarter_without_a_campaign_is_refused(cli, stack):
    run = cli("survey-export", "--quarter", "2020Q1")

    assert run.code == 1 and "没有满意度调查" in run.err


def test_the_campaign_closes_by_itself_at_the_closing_date(cli, households, tmp_path, repo):
    last_day = (quarter_bounds(QUARTER)[1] - timedelta(seconds=1)).date()
    closes = min((utc_now() + timedelta(days=20)).date(), last_day).isoformat()
    run = cli("--as", "gj-li", "survey-open", "--households", households, "--sheets", tmp_path / "s",
              "--site-url", SITE, "--closes", closes)

    assert run.code == 0
    campaign = repo.campaign(QUARTER)
    assert campaign.closes_at.astimezone().date().isoformat() >= closes
    assert not campaign.is_open(campaign.closes_at + timedelta(seconds=1))


NEXT_QUARTER = quarter_of(quarter_bounds(QUARTER)[1])


@pytest.mark.parametrize("argv, message", [
    (["--quarter", NEXT_QUARTER], "只能开启本季度"),
    (["--closes", (quarter_bounds(QUARTER)[1] + timedelta(days=2)).date().isoformat()], "不晚于"),
], ids=["next quarter", "closing after the quarter"])
def test_a_campaign_opens_only_for_this_quarter_and_within_it(cli, households, tmp_path, repo, argv, message):
    run = cli("--as", "gj-li", "survey-open", "--households", households, "--sheets", tmp_path / "s",
              "--site-url", SITE, *argv)

    assert run.code == 1 and message in run.err, run.err
    assert "Traceback" not in run.err and not (tmp_path / "s").exists()
    assert repo.campaign(NEXT_QUARTER) is None and repo.campaign(QUARTER) is None


def test_the_comments_show_no_time_and_a_random_id(api, cli, opened):
    """An answer carries no time: the listing cannot be laid beside who answered when."""
    _, _, codes = opened
    for unit, comment in (("1-1-101", "电梯有异响。"), ("2-1-101", "门岗很负责。")):
        answer(api, codes[unit], 3, comment=comment)

    listed, exported = cli("survey-comments"), cli("survey-comments", "--csv")

    assert listed.code == exported.code == 0
    for text in (listed.out, exported.out):
        assert not re.search(r"\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}", text), text
    ids = re.findall(r"^\s*([0-9A-Z]{8})\s", listed.out, re.M)
    assert len(ids) == 2 and all(RESPONSE_ID_PATTERN.match(i) for i in ids), listed.out
