"""The quarterly survey against the tables in moto: a code works once, reuse / unknown code /
closed campaign are refused with the error shape, retries are harmless, concurrent
submissions with one code record one response, only the current quarter opens and takes
answers, and nothing in the whole table ties an answer to its household."""
import json
import re
import threading
from datetime import timedelta

import pytest

from butler.domain.errors import CampaignExists, QuarterNotCurrent
from butler.domain.surveys import (
    AREA_CODES,
    RESPONSE_ID_PATTERN,
    Answer,
    Campaign,
    code_hash,
    issue_codes,
    previous_quarter,
    quarter_bounds,
    quarter_label,
    quarter_of,
)
from butler.domain.timefmt import utc_now
from butler.repository.surveys import SurveyRepository
from butler.services import surveys as service
from infra.template import load_template

JSON = {"Content-Type": "application/json"}
UNITS = ["1-1-0101", "1-1-0102", "1-1-0201", "1-1-0202"]
QUARTER = quarter_of(utc_now())  # only the current quarter opens (Beijing time)


def opening_time():
    """A day ago, or the quarter's first moment if that is later."""
    return max(utc_now() - timedelta(days=1), quarter_bounds(QUARTER)[0])


@pytest.fixture
def repo(stack):
    return SurveyRepository(stack["SurveysTable"])


@pytest.fixture
def codes(repo):
    issued = issue_codes(UNITS)
    service.open_campaign(repo, QUARTER, issued, now=opening_time(), opened_by="gj-li")
    return [code for _, code in issued]


def answers(score=4, **changes):
    body = {"code": "", "scores": {a: score for a in AREA_CODES}, "overall": score, "recommend": True,
            "comment": "楼道保洁比上季度好多了。"}
    body.update(changes)
    return body


def submit(api, code, key=None, **changes):
    headers = {**JSON, **({"Idempotency-Key": key} if key else {})}
    return api.call("POST", "/api/surveys", json_body=answers(code=code, **changes), headers=headers)


def stored(repo, quarter=QUARTER):
    return list(repo.responses_of(quarter))


def test_a_code_records_one_response_and_marks_the_invitation_used(api, repo, dynamodb, stack, codes):
    response = submit(api, codes[0], score=5)

    assert response.status == 201, response.text
    assert response.json == {"quarter": QUARTER, "label": quarter_label(QUARTER), "status": "recorded"}
    (only,) = stored(repo)
    assert only.answer.scores == {a: 5 for a in AREA_CODES} and only.answer.recommend is True
    assert repo.invitation(code_hash(codes[0])).used is True
    assert repo.invitation(code_hash(codes[1])).used is False
    table = json.dumps(dynamodb.scan(TableName=stack["SurveysTable"])["Items"], ensure_ascii=False)
    assert codes[0] not in table and "1-1-0101" in table  # the code only as its digest


def test_typed_codes_are_forgiving_about_case_spaces_and_look_alikes(api, repo, codes):
    typed = codes[0].lower().replace("-", " ").replace("0", "o").replace("1", "l")

    assert submit(api, typed).status == 201
    assert len(stored(repo)) == 1


def test_a_used_code_is_refused_with_the_error_shape(api, repo, codes):
    assert submit(api, codes[0], score=5).status == 201

    again = submit(api, codes[0], score=1)

    assert again.status == 409
    error = again.json["error"]
    assert error["code"] == "INVITATION_USED" and "只能提交一次" in error["message"]
    assert set(error["fields"]) == {"code"}
    assert [r.answer.overall for r in stored(repo)] == [5]


@pytest.mark.parametrize("code", ["ABCDE-FGHJK", "123", "请问邀请码在哪"])
def test_an_unknown_code_is_refused_with_the_error_shape(api, repo, codes, code):
    response = submit(api, code)

    assert response.status == 422
    assert response.json["error"]["code"] == "INVITATION_UNKNOWN"
    assert "邀请码不正确" in response.json["error"]["fields"]["code"]
    assert stored(repo) == []


def test_a_closed_campaign_is_refused_and_records_nothing(api, repo, codes):
    repo.close_campaign(QUARTER, utc_now())

    response = submit(api, codes[0])

    assert response.status == 409
    assert response.json["error"]["code"] == "CAMPAIGN_CLOSED" and "已经结束" in response.json["error"]["message"]
    assert stored(repo) == [] and repo.invitation(code_hash(codes[0])).used is False


def test_a_campaign_past_its_closing_time_is_closed(api, repo):
    # Last quarter's campaign, opened in its quarter: it is over, whatever its closing date said.
    quarter = previous_quarter(QUARTER)
    start, end = quarter_bounds(quarter)
    ((_, code),) = issue_codes(["2-1-0101"])
    service.open_campaign(repo, quarter, [("2-1-0101", code)], now=start + timedelta(days=3),
                          closes_at=end)

    response = submit(api, code)

    assert response.status == 409 and response.json["error"]["code"] == "CAMPAIGN_CLOSED"
    assert stored(repo, quarter) == []


def test_a_retry_with_its_idempotency_key_is_harmless(api, repo, codes):
    first = submit(api, codes[0], key="survey-retry-0001")
    same_key = submit(api, codes[0], key="survey-retry-0001")

    assert first.status == same_key.status == 201 and first.json == same_key.json
    assert len(stored(repo)) == 1


def test_a_resend_after_the_idempotency_record_is_gone_is_still_recognised(repo, codes):
    answer = Answer({a: 3 for a in AREA_CODES}, 3, True)
    first = service.submit(repo, codes[0], answer, now=utc_now(), idempotency_key="survey-retry-0002")

    again = service.submit(repo, codes[0], answer, now=utc_now(), idempotency_key="survey-retry-0002")

    assert again == first and len(stored(repo)) == 1


def test_without_a_key_a_used_code_is_refused_even_with_the_same_answers(api, repo, codes):
    """Recognising "the same answers" needs something on the invitation computed from them,
    which whoever holds the code could match against the responses: nothing of it is kept."""
    assert submit(api, codes[0]).status == 201

    again = submit(api, codes[0])

    assert again.status == 409 and again.json["error"]["code"] == "INVITATION_USED"
    assert len(stored(repo)) == 1


def test_invalid_answers_name_each_field_in_chinese(api, repo, codes):
    scores = {a: 4 for a in AREA_CODES}
    scores["reception"] = 6
    del scores["community"]

    response = submit(api, codes[0], scores=scores, overall=0, comment="长" * 1001)

    assert response.status == 422
    fields = response.json["error"]["fields"]
    assert fields["scores.reception"] == "请选择 1 到 5 分。" and fields["overall"] == "请选择 1 到 5 分。"
    assert "scores.community" in fields and "1000" in fields["comment"]
    assert stored(repo) == [] and repo.invitation(code_hash(codes[0])).used is False


def test_concurrent_submissions_with_one_code_record_one_response(stack, codes):
    outcomes = []
    start = threading.Barrier(6)

    def answer(score):
        repo = SurveyRepository(stack["SurveysTable"])
        start.wait()
        try:
            # The same client retrying sends the same Idempotency-Key with the same answers.
            service.submit(repo, codes[0], Answer({a: score for a in AREA_CODES}, score, True), now=utc_now(),
                           idempotency_key=f"client-{score}-0001")
            outcomes.append("recorded")
        except Exception as error:  # noqa: BLE001 - the refusal is what is counted
            outcomes.append(getattr(error, "code", repr(error)))

    threads = [threading.Thread(target=answer, args=(score,)) for score in range(1, 6)] + [
        threading.Thread(target=answer, args=(5,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    responses = stored(SurveyRepository(stack["SurveysTable"]))
    assert len(responses) == 1
    # One score won; a second thread with the winner's exact answers counts as its retry.
    winner = responses[0].answer.overall
    recorded = outcomes.count("recorded")
    assert recorded == (2 if winner == 5 else 1), outcomes
    assert outcomes.count("INVITATION_USED") == 6 - recorded, outcomes


def test_the_tally_counts_every_answer_by_area_and_score(repo, codes):
    for score, code in zip((5, 4, 4, 2), codes):
        service.submit(repo, code, Answer({a: score for a in AREA_CODES}, score, score >= 4), now=utc_now())

    tally = service.tally_for(repo, QUARTER)

    assert tally["invited"] == 4 and tally["responses"] == 4
    assert tally["areas"]["security"] == {"1": 0, "2": 1, "3": 0, "4": 2, "5": 1}
    assert tally["recommend"] == {"yes": 3, "no": 1}
    assert "comment" not in json.dumps(tally)
    assert service.tally_for(repo, "2025Q1") is None


def test_a_quarter_opens_once(repo, codes):
    with pytest.raises(CampaignExists):
        service.open_campaign(repo, QUARTER, issue_codes(["9-9-9999"]), now=utc_now())
    assert repo.campaign(QUARTER).invited == len(UNITS)


# ---------------------------------------------------------------------- only the current quarter
def next_quarter(quarter):
    return quarter_of(quarter_bounds(quarter)[1])


@pytest.mark.parametrize("quarter", [next_quarter(QUARTER), previous_quarter(QUARTER)])
def test_only_the_current_quarter_opens_and_nothing_is_stored_otherwise(repo, quarter):
    with pytest.raises(QuarterNotCurrent) as refused:
        service.open_campaign(repo, quarter, issue_codes(["1-1-0101"]), now=utc_now())

    assert refused.value.code == "QUARTER_NOT_CURRENT" and quarter_label(QUARTER) in refused.value.message
    assert repo.campaign(quarter) is None


def test_an_early_campaign_stored_before_the_rule_takes_no_answer(api, repo):
    """A next-quarter campaign already in the table (opened early before this was refused):
    answers wait for its quarter, with a code and a Chinese message of their own."""
    quarter = next_quarter(QUARTER)
    repo.create_campaign(Campaign(quarter, opens_at=utc_now() - timedelta(days=1),
                                  closes_at=quarter_bounds(quarter)[1]))
    ((unit, code),) = issue_codes(["1-1-0101"])
    repo.add_invitations(quarter, [(unit, code_hash(code))], utc_now())

    response = submit(api, code)

    assert response.status == 409, response.text
    assert response.json["error"]["code"] == "CAMPAIGN_NOT_STARTED" and "还没有开始" in response.json["error"]["message"]
    assert stored(repo, quarter) == [] and repo.invitation(code_hash(code)).used is False


def test_a_campaign_takes_no_answer_after_its_quarter_even_if_its_closing_date_is_later(repo):
    quarter = previous_quarter(QUARTER)
    start, end = quarter_bounds(quarter)
    repo.create_campaign(Campaign(quarter, opens_at=start, closes_at=end + timedelta(days=40)))
    ((unit, code),) = issue_codes(["1-1-0101"])
    repo.add_invitations(quarter, [(unit, code_hash(code))], start)
    answer = Answer({a: 4 for a in AREA_CODES}, 4, True)

    with pytest.raises(Exception) as refused:
        service.submit(repo, code, answer, now=end + timedelta(days=1))

    assert getattr(refused.value, "code", None) == "CAMPAIGN_CLOSED"
    assert stored(repo, quarter) == []


# ---------------------------------------------------------------------- unlinkable
# A date, a time of day, a compact ISO stamp or an epoch number (a random id has 8 characters).
TIME = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|\d{8}T|^\d{9,}(\.\d+)?$")


def _values(item: dict) -> dict[str, str]:
    """Every attribute of a scanned item as text (strings, numbers, booleans)."""
    return {name: str(next(iter(value.values()))) for name, value in item.items()}


def _scan(dynamodb, table: str) -> list[dict]:
    items, start = [], {}
    while True:
        page = dynamodb.scan(TableName=table, **start)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def test_reading_the_whole_table_ties_no_answer_to_its_household(api, repo, dynamodb, stack):
    """Twelve households invited, ten answer one after the other through the API (half with
    an Idempotency-Key, each with its own comment): in everything a reader of the table sees,
    no value, time or order of a response points at the invitation it used."""
    issued = issue_codes(f"2-1-{n:02d}01" for n in range(1, 13))
    service.open_campaign(repo, QUARTER, issued, now=opening_time(), opened_by="gj-li")
    for n, (_, code) in enumerate(issued[:10]):
        sent = submit(api, code, key=f"client-key-{n:04d}" if n % 2 else None, comment=f"第 {n} 份意见",
                      scores={a: 1 + (n + i) % 5 for i, a in enumerate(AREA_CODES)}, overall=1 + n % 5,
                      recommend=n % 3 > 0)
        assert sent.status == 201, sent.text

    items = _scan(dynamodb, stack["SurveysTable"])
    responses = [_values(i) for i in items if i["sk"]["S"].startswith("RESPONSE#")]
    invitations = {i["pk"]["S"]: _values(i) for i in items if i["sk"]["S"] == "CODE"}
    used = {k for k, i in invitations.items() if i.get("used") == "True"}
    assert len(responses) == len(used) == 10 and len(invitations) == 12

    # No time on an answer; on an invitation only the campaign's opening, the same on all.
    for response in responses:
        assert [n for n, v in response.items() if TIME.search(v)] == [], response
    assert {tuple(n for n, v in i.items() if TIME.search(v)) for i in invitations.values()} == {("issued_at",)}
    assert len({i["issued_at"] for i in invitations.values()}) == 1

    # No value of a response singles out invitations: each is held by none of them, by every
    # used one, or by all (the quarter; ``True``).
    for response in responses:
        for name, value in response.items():
            holders = {k for k, i in invitations.items() if value in i.values()}
            assert holders in (set(), used, set(invitations)), (name, value, holders)

    # Used invitations all look alike: the same attributes, each of the same length.
    shapes = {tuple(sorted((n, len(v)) for n, v in invitations[k].items() if n not in ("pk", "unit")))
              for k in used}
    assert len(shapes) == 1, shapes

    # No order: the ids are random; in key order the answers are not in the order they came.
    ids = [r["sk"].removeprefix("RESPONSE#") for r in responses]
    assert all(RESPONSE_ID_PATTERN.match(i) for i in ids), ids
    arrival = [int(re.search(r"\d+", r["comment"]).group()) for r in sorted(responses, key=lambda r: r["sk"])]
    assert arrival != sorted(arrival)  # random ids: in order by chance once in 10! = 3,628,800


def test_the_surveys_table_has_no_stream():
    """docs/surveys.md says no stream record carries an answer and its invitation together."""
    table = load_template()["Resources"]["SurveysTable"]["Properties"]
    assert "StreamSpecification" not in table
