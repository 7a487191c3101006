import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from butler.domain import surveys
from butler.domain.errors import (
    CampaignClosed,
    CampaignNotStarted,
    ClosesOutsideQuarter,
    InvitationUnknown,
    InvitationUsed,
    QuarterNotCurrent,
)
from butler.domain.surveys import AREA_CODES, Answer, Campaign, Invitation
from infra.template import load_template

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "surveys.md"


def answer(score=4, **changes):
    values = {"scores": {a: score for a in AREA_CODES}, "overall": score, "recommend": True, "comment": ""}
    values.update(changes)
    return Answer(**values)


def campaign(**changes):
    values = {"quarter": "2026Q4", "opens_at": NOW - timedelta(days=1), "closes_at": NOW + timedelta(days=20)}
    values.update(changes)
    return Campaign(**values)


# ---------------------------------------------------------------------- codes
def test_issued_codes_are_distinct_well_formed_and_one_per_household():
    issued = surveys.issue_codes(["1-1-101", "1-1-102", "1-1-101"])

    assert [unit for unit, _ in issued] == ["1-1-101", "1-1-102"]
    assert all(surveys.is_code(code) for _, code in issued)
    assert len({code for _, code in issued}) == 2


@pytest.mark.parametrize("typed", ["k7q2m-xp9rt", "K7Q2M XP9RT", "k7q2mxp9rt", " K7Q2M—XP9RT "])
def test_typed_codes_normalise_to_the_printed_form(typed):
    assert surveys.normalize_code(typed) == "K7Q2M-XP9RT"
    assert surveys.code_hash(typed) == surveys.code_hash("K7Q2M-XP9RT")


def test_look_alike_letters_read_as_digits():
    assert surveys.normalize_code("OIL23-45678") == "01123-45678"


@pytest.mark.parametrize("text", ["K7Q2M-XP9R", "K7Q2M-XP9RTT", "K7Q2U-XP9RT", "请问-邀请码"])
def test_what_is_not_a_code_is_not_taken_for_one(text):
    assert not surveys.is_code(surveys.normalize_code(text))


# ---------------------------------------------------------------------- quarters
@pytest.mark.parametrize("moment, quarter", [
    (datetime(2026, 12, 31, 15, 59, tzinfo=timezone.utc), "2026Q4"),
    (datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc), "2027Q1"),  # midnight in Beijing
    (datetime(2026, 4, 1, 0, 0, tzinfo=timezone.utc), "2026Q2"),
])
def test_quarters_follow_beijing_time(moment, quarter):
    assert surveys.quarter_of(moment) == quarter


def test_quarter_arithmetic():
    assert surveys.previous_quarter("2027Q1") == "2026Q4"
    assert surveys.previous_quarter("2026Q3") == "2026Q2"
    assert surveys.quarter_label("2026Q4") == "2026 年第四季度"
    start, end = surveys.quarter_bounds("2026Q4")
    assert (start.isoformat(), end.isoformat()) == ("2026-10-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00")
    with pytest.raises(ValueError):
        surveys.check_quarter("2026-Q4")


# ---------------------------------------------------------------------- submissions
def test_an_answer_names_every_area_with_a_score_from_1_to_5():
    with pytest.raises(ValueError):
        Answer({"reception": 5}, 5, True)
    with pytest.raises(ValueError):
        answer(overall=6)


def test_a_fresh_invitation_in_an_open_campaign_is_accepted():
    invitation = Invitation("h", "2026Q4", "1-1-101")

    assert surveys.check_submission(invitation, campaign(), surveys.retry_digest("key-0001"), NOW) is True


def test_a_retry_is_recognised_by_its_idempotency_key_only():
    first = surveys.retry_digest("key-0001")
    used = Invitation("h", "2026Q4", "1-1-101", used=True, retry_digest=first)

    assert surveys.check_submission(used, campaign(), surveys.retry_digest("key-0001"), NOW) is False
    for other in (surveys.retry_digest("key-0002"), surveys.retry_digest(None), ""):
        with pytest.raises(InvitationUsed) as refused:
            surveys.check_submission(used, campaign(), other, NOW)
        assert refused.value.fields == {"code": InvitationUsed.message}


def test_the_retry_digest_reveals_nothing_of_the_answers_and_has_one_length():
    keyed, unkeyed = surveys.retry_digest("key-0001"), surveys.retry_digest(None)

    assert len(keyed) == len(unkeyed) == 64 and unkeyed != surveys.retry_digest(None)  # random without a key
    assert not hasattr(Answer, "digest"), "nothing derived from the answers is kept on the invitation"


def test_response_ids_are_random_and_carry_no_time():
    ids = {surveys.new_response_id() for _ in range(200)}

    assert len(ids) == 200 and all(surveys.RESPONSE_ID_PATTERN.match(i) for i in ids)


def test_unknown_codes_and_closed_campaigns_are_refused():
    retry = surveys.retry_digest(None)
    with pytest.raises(InvitationUnknown):
        surveys.check_submission(None, None, retry, NOW)
    fresh = Invitation("h", "2026Q4", "1-1-101")
    with pytest.raises(CampaignClosed):
        surveys.check_submission(fresh, campaign(closes_at=NOW), retry, NOW)
    with pytest.raises(CampaignClosed):
        surveys.check_submission(fresh, campaign(closed_at=NOW - timedelta(hours=1)), retry, NOW)


# ---------------------------------------------------------------------- the quarter's own campaign
def test_only_the_current_quarter_opens():
    with pytest.raises(QuarterNotCurrent) as early:
        surveys.new_campaign("2027Q1", now=NOW)
    assert early.value.code == "QUARTER_NOT_CURRENT" and "2026 年第四季度" in early.value.message
    with pytest.raises(QuarterNotCurrent):
        surveys.new_campaign("2026Q3", now=NOW)
    # Beijing time: 16:00 UTC on 31 December is already 2027Q1.
    assert surveys.new_campaign("2027Q1", now=datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)).quarter == "2027Q1"


def test_a_campaign_closes_by_the_end_of_its_quarter():
    late = datetime(2026, 12, 20, 2, 0, tzinfo=timezone.utc)
    _, end = surveys.quarter_bounds("2026Q4")

    assert surveys.new_campaign("2026Q4", now=late).closes_at == end  # four weeks would run into 2027
    assert surveys.new_campaign("2026Q4", now=NOW).closes_at == NOW + timedelta(weeks=4)
    for closes in (end + timedelta(seconds=1), NOW, NOW - timedelta(days=1)):
        with pytest.raises(ClosesOutsideQuarter) as refused:
            surveys.new_campaign("2026Q4", now=NOW, closes_at=closes)
        assert refused.value.code == "CLOSES_OUTSIDE_QUARTER" and "2026 年 12 月 31 日" in refused.value.message


def test_answers_are_taken_only_within_the_quarter():
    fresh, retry = Invitation("h", "2027Q1", "1-1-101"), surveys.retry_digest(None)
    _, end = surveys.quarter_bounds("2026Q4")
    early = campaign(quarter="2027Q1", opens_at=NOW, closes_at=NOW + timedelta(days=60))  # stored before the rule
    with pytest.raises(CampaignNotStarted) as refused:
        surveys.check_submission(fresh, early, retry, NOW + timedelta(days=1))
    assert refused.value.code == "CAMPAIGN_NOT_STARTED"
    running_over = campaign(closes_at=end + timedelta(days=30))
    assert running_over.is_open(end - timedelta(seconds=1)) and not running_over.is_open(end)
    assert running_over.has_ended(end) and not running_over.has_ended(end - timedelta(seconds=1))
    with pytest.raises(CampaignClosed):
        surveys.check_submission(Invitation("h", "2026Q4", "1-1-101"), running_over, retry, end)


# ---------------------------------------------------------------------- tally and results
def test_the_tally_counts_scores_and_keeps_no_text():
    data = surveys.tally(campaign(invited=10), [answer(5, comment="电话 13812345678"), answer(4), answer(4, recommend=False)])

    assert data["responses"] == 3 and data["invited"] == 10
    assert data["areas"]["reception"] == {"1": 0, "2": 0, "3": 0, "4": 2, "5": 1}
    assert data["recommend"] == {"yes": 2, "no": 1}
    assert "13812345678" not in repr(data)


def test_means_and_rates_round_half_up():
    counts = {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}  # 4.0
    assert surveys.mean(counts) == Decimal("4.00")
    assert surveys.mean({"1": 1, "2": 0, "3": 0, "4": 0, "5": 7}) == Decimal("4.50")
    assert surveys.mean({"1": 0, "2": 0, "3": 0, "4": 5, "5": 3}) == Decimal("4.38")  # 4.375 → 4.38
    assert surveys.percent(1, 8) == Decimal("12.5") and surveys.percent(1, 16) == Decimal("6.3")  # 6.25 → 6.3
    assert surveys.mean({s: 0 for s in "12345"}) is None and surveys.percent(3, 0) is None


def test_results_compare_with_the_previous_quarter():
    before = surveys.tally(campaign(quarter="2026Q3", invited=4), [answer(3), answer(4)])
    now = surveys.tally(campaign(invited=4), [answer(5), answer(4), answer(4)])

    shown = surveys.results(now, before)

    assert shown.response_rate == Decimal("75.0") and shown.recommend_rate == Decimal("100.0")
    assert shown.area("reception").mean == Decimal("4.33") and shown.area("reception").change == Decimal("0.83")
    assert shown.area("overall").shares["4"] == Decimal("66.7")
    assert [a.code for a in shown.areas] == [*AREA_CODES, "overall"]
    assert surveys.results(now).area("security").change is None


# ---------------------------------------------------------------------- the odds in docs/
def test_the_published_odds_of_guessing_a_code_follow_the_template_and_the_code_length():
    api = load_template()["Resources"]["Api"]["Properties"]
    (setting,) = [s for s in api["MethodSettings"] if s["ResourcePath"] == "/~1api~1surveys"]
    attempts = setting["ThrottlingRateLimit"] * 86400 * 28
    space = len(surveys.ALPHABET) ** surveys.CODE_LENGTH
    households = sum(1 for _ in (DOCS.parents[1] / "site" / "data" / "households.csv").open()) - 1
    chance = 1 - (1 - households / space) ** attempts

    doc = DOCS.read_text(encoding="utf-8")

    assert f"{space:,}" in doc and f"{attempts:,}" in doc and f"| {households} |" in doc
    assert f"at {setting['ThrottlingRateLimit']} per second" in doc
    assert f"about 1 in {round(1 / chance, -3):,.0f}" in doc
    assert re.search(rf"≈ {chance * 1e6:.1f} × 10⁻⁶", doc)
