"""The quarterly survey against the tables in moto: a code works once, reuse / unknown code /
closed campaign are refused with the error shape, retries are harmless, and concurrent
submissions with one code record one response."""
import json
import threading
from datetime import timedelta

import pytest

from butler.domain.errors import CampaignExists
from butler.domain.surveys import AREA_CODES, Answer, code_hash, issue_codes
from butler.domain.timefmt import utc_now
from butler.repository.surveys import SurveyRepository
from butler.services import surveys as service

JSON = {"Content-Type": "application/json"}
UNITS = ["1-1-0101", "1-1-0102", "1-1-0201", "1-1-0202"]


@pytest.fixture
def repo(stack):
    return SurveyRepository(stack["SurveysTable"])


@pytest.fixture
def codes(repo):
    issued = issue_codes(UNITS)
    service.open_campaign(repo, "2026Q4", issued, now=utc_now() - timedelta(days=1), opened_by="gj-li")
    return [code for _, code in issued]


def answers(score=4, **changes):
    body = {"code": "", "scores": {a: score for a in AREA_CODES}, "overall": score, "recommend": True,
            "comment": "楼道保洁比上季度好多了。"}
    body.update(changes)
    return body


def submit(api, code, key=None, **changes):
    headers = {**JSON, **({"Idempotency-Key": key} if key else {})}
    return api.call("POST", "/api/surveys", json_body=answers(code=code, **changes), headers=headers)


def stored(repo, quarter="2026Q4"):
    return list(repo.responses_of(quarter))


def test_a_code_records_one_response_and_marks_the_invitation_used(api, repo, dynamodb, stack, codes):
    response = submit(api, codes[0], score=5)

    assert response.status == 201, response.text
    assert response.json == {"quarter": "2026Q4", "label": "2026 年第四季度", "status": "recorded"}
    (only,) = stored(repo)
    assert only.answer.scores == {a: 5 for a in AREA_CODES} and only.answer.recommend is True
    assert repo.invitation(code_hash(codes[0])).used_at is not None
    assert repo.invitation(code_hash(codes[1])).used_at is None
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
    repo.close_campaign("2026Q4", utc_now())

    response = submit(api, codes[0])

    assert response.status == 409
    assert response.json["error"]["code"] == "CAMPAIGN_CLOSED" and "已经结束" in response.json["error"]["message"]
    assert stored(repo) == [] and repo.invitation(code_hash(codes[0])).used_at is None


def test_a_campaign_past_its_closing_time_is_closed(api, repo):
    ((_, code),) = issue_codes(["2-1-0101"])
    service.open_campaign(repo, "2026Q3", [("2-1-0101", code)], now=utc_now() - timedelta(days=30),
                          closes_at=utc_now() - timedelta(minutes=1))

    response = submit(api, code)

    assert response.status == 409 and response.json["error"]["code"] == "CAMPAIGN_CLOSED"


def test_a_retry_of_the_same_submission_is_harmless_with_or_without_a_key(api, repo, codes):
    first = submit(api, codes[0], key="survey-retry-0001")
    same_key = submit(api, codes[0], key="survey-retry-0001")
    no_key = submit(api, codes[0])

    assert first.status == same_key.status == no_key.status == 201
    assert first.json == same_key.json == no_key.json
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
    assert stored(repo) == [] and repo.invitation(code_hash(codes[0])).used_at is None


def test_concurrent_submissions_with_one_code_record_one_response(stack, codes):
    outcomes = []
    start = threading.Barrier(6)

    def answer(score):
        repo = SurveyRepository(stack["SurveysTable"])
        start.wait()
        try:
            service.submit(repo, codes[0], Answer({a: score for a in AREA_CODES}, score, True), now=utc_now())
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

    tally = service.tally_for(repo, "2026Q4")

    assert tally["invited"] == 4 and tally["responses"] == 4
    assert tally["areas"]["security"] == {"1": 0, "2": 1, "3": 0, "4": 2, "5": 1}
    assert tally["recommend"] == {"yes": 3, "no": 1}
    assert "comment" not in json.dumps(tally)
    assert service.tally_for(repo, "2025Q1") is None


def test_a_quarter_opens_once(repo, codes):
    with pytest.raises(CampaignExists):
        service.open_campaign(repo, "2026Q4", issue_codes(["9-9-9999"]), now=utc_now())
    assert repo.campaign("2026Q4").invited == len(UNITS)
