"""The scorecard definitions (docs/scorecards.md), one at a time, on cases taken through the
real workflows at chosen times."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from butler.domain import complaints, repairs, scorecards
from butler.domain.complaints import ComplaintFiling, new_case
from butler.domain.repairs import RepairReport, new_work_order
from butler.domain.scorecards import handled_at, on_time, rating, scorecards as build, sent_back
from butler.domain.staff import StaffMember
from butler.domain.surveys import AREA_CODES, results
from butler.roster import load_roster

ROSTER = load_roster()
UTC = timezone.utc
Q4_START = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # 2026-10-01 00:00 in Shanghai
Q4_END = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 2027-01-01 00:00 in Shanghai
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
BUTLER, TECHNICIAN, OTHER_TECHNICIAN, OWNER = "gj-li", "wx-wang", "wx-zhao", "kf-zhang"
HANDLING = ["gj-li", "gj-sun", "kf-zhang", "kf-he", "wx-chen", "wx-wang", "wx-zhao", "wx-liu"]  # roster order


# ---------------------------------------------------------------------- builders
def order(reported_at, technician=TECHNICIAN, reference="R-AAAA-0001"):
    report = RepairReport("plumbing", "厨房下水堵塞，水排不下去。", "home", "3-2-1201", "厨房", "陈女士",
                          "13900000001")
    work = new_work_order(report, reference=reference, token_hash="h", now=reported_at)
    step(work, "dispatch", "butler", BUTLER, reported_at + HOUR, technician=technician)
    step(work, "survey", "technician", technician, reported_at + 2 * HOUR, survey_plan="疏通",
         materials_planned="无")
    step(work, "start_repair", "technician", technician, reported_at + 3 * HOUR)
    return work


def step(case, action, role, actor, at, **values):
    kind = repairs if isinstance(case, repairs.WorkOrder) else complaints
    kind.advance(case, action, role=role, actor=actor, values=values, roster=ROSTER, now=at)
    return case


def complete(work, at):
    return step(work, "complete", "technician", work.technician, at, work_done="疏通", materials_used="无",
                labour_minutes=30)


def completed(at, **changes):
    """A repair whose first completion is at ``at``."""
    return complete(order(at - 5 * HOUR, **changes), at)


def accepted_and_rated(work, at, score):
    step(work, "accept", "butler", BUTLER, at, accepted_by=BUTLER)
    return step(work, "rate", "resident", "resident", at + HOUR, rating=score)


def case(filed_at, reference="C-AAAA-0001", owner=OWNER, topic="cleaning"):
    filing = ComplaintFiling("complaint", topic, "5号楼垃圾桶三天没清运。", "钱女士", "13900000002",
                             received_by=owner)
    return new_case(filing, reference=reference, token_hash="h", now=filed_at)


def closed(at, rating_=None, **changes):
    """A complaint answered on the spot and confirmed satisfied at ``at``."""
    found = case(at - 5 * HOUR, **changes)
    step(found, "answer", "customer_service", found.owner, at - 4 * HOUR, reply="已安排清运")
    return step(found, "confirm_satisfied", "resident", "resident", at, rating=rating_)


def q4(*repair_orders, cases=(), survey=None, roster=ROSTER):
    return build("2026Q4", repair_orders, cases, roster, survey)


def staff_row(cards, staff_id):
    (row,) = [r for r in cards.staff if r.staff_id == staff_id]
    return row.measures


def department_row(cards, code):
    (row,) = [r for r in cards.departments if r.code == code]
    return row.measures


# ---------------------------------------------------------------------- handled in the quarter
def test_a_repair_is_handled_at_its_first_completion_in_shanghai_time():
    inside = completed(Q4_START)  # 00:00 on 1 October in Shanghai: the first moment of Q4
    before = completed(Q4_START - SECOND, reference="R-AAAA-0002")  # 23:59:59 on 30 September
    last = completed(Q4_END - SECOND, reference="R-AAAA-0003")
    after = completed(Q4_END, reference="R-AAAA-0004")

    cards = q4(inside, before, last, after)

    assert handled_at(inside) == Q4_START
    assert [h.reference for h in scorecards.handled_in("2026Q4", [inside, before, last, after])] == [
        "R-AAAA-0001", "R-AAAA-0003"]
    assert staff_row(cards, TECHNICIAN).handled == 2
    assert department_row(cards, "engineering").handled == 2
    assert department_row(build("2026Q3", [before], [], ROSTER), "engineering").handled == 1


def test_a_repair_completed_twice_after_a_reject_counts_once_in_the_quarter_of_its_first_completion():
    work = completed(Q4_START - HOUR)  # first completed in Q3
    step(work, "reject", "butler", BUTLER, Q4_START + HOUR, reject_reason="仍渗水")
    complete(work, Q4_START + 2 * HOUR)  # completed again in Q4
    again = completed(Q4_START + 3 * HOUR, reference="R-AAAA-0002")
    step(again, "reject", "butler", BUTLER, Q4_START + 4 * HOUR, reject_reason="仍渗水")
    complete(again, Q4_START + 5 * HOUR)

    assert handled_at(work) == Q4_START - HOUR
    assert staff_row(q4(work), TECHNICIAN).handled == 0
    assert staff_row(build("2026Q3", [work], [], ROSTER), TECHNICIAN).handled == 1
    assert staff_row(q4(again), TECHNICIAN).handled == 1


def test_cases_not_completed_or_closed_are_not_handled():
    open_order = order(Q4_START + HOUR)
    cancelled = new_work_order(RepairReport("other", "信报箱门坏了。", "public", None, "1号楼大堂", "陈女士",
                                            "13900000001"), reference="R-AAAA-0002", token_hash="h",
                               now=Q4_START + HOUR)
    step(cancelled, "cancel", "customer_service", OWNER, Q4_START + 2 * HOUR, cancel_reason="已自行处理")
    answered = case(Q4_START + HOUR)
    step(answered, "answer", "customer_service", OWNER, Q4_START + 2 * HOUR, reply="已安排")

    cards = q4(open_order, cancelled, cases=[answered])

    assert handled_at(open_order) is None and handled_at(answered) is None
    assert all(row.measures.handled == 0 for row in (*cards.staff, *cards.departments))


def test_a_complaint_is_handled_when_it_first_reaches_closed_and_counts_for_its_owner_and_department():
    transferred = case(Q4_START - 50 * HOUR, owner="kf-he", topic="cleaning")
    step(transferred, "transfer", "customer_service", "kf-he", Q4_START - 49 * HOUR, department="security")
    step(transferred, "investigate", "department_head", "ab-wu", Q4_START - 48 * HOUR)
    step(transferred, "propose", "department_head", "ab-wu", Q4_START - 47 * HOUR, solution="加强巡逻")
    step(transferred, "reply", "customer_service", "kf-he", Q4_START - 46 * HOUR, reply="已加强巡逻")
    step(transferred, "close_after_follow_up", "customer_service", "kf-he", Q4_START + HOUR, follow_up="已回访")
    on_the_spot = closed(Q4_START + 2 * HOUR, reference="C-AAAA-0002", topic="greening")
    last_quarter = closed(Q4_START - HOUR, reference="C-AAAA-0003")

    cards = q4(cases=[transferred, on_the_spot, last_quarter])

    assert handled_at(transferred) == Q4_START + HOUR
    assert staff_row(cards, "kf-he").handled == 1 and staff_row(cards, OWNER).handled == 1
    assert department_row(cards, "security").handled == 1  # the transfer's department, not the topic's
    assert department_row(cards, "environment").handled == 1  # answered on the spot: the topic's
    assert department_row(cards, "engineering").handled == 0
    assert sum(row.measures.handled for row in cards.departments) == 2  # not the one of Q3


def test_a_repair_counts_for_the_technician_of_record_and_engineering_whoever_completed_it():
    work = order(Q4_START, technician=OTHER_TECHNICIAN)
    step(work, "complete", "maintenance_lead", "wx-chen", Q4_START + 6 * HOUR, work_done="更换", materials_used="无",
         labour_minutes=30)

    cards = q4(work)

    assert staff_row(cards, OTHER_TECHNICIAN).handled == 1
    assert staff_row(cards, "wx-chen").handled == 0
    assert department_row(cards, "engineering").handled == 1


# ---------------------------------------------------------------------- on time
@pytest.mark.parametrize("alerted, expected", [
    (set(), True),
    ({"emergency"}, True),  # an alert sent at once, not a missed deadline
    ({"response:2026-10-01T02:00:00Z"}, False),
    ({"completion:2026-10-03T02:00:00Z"}, False),
    ({"emergency", "completion:2026-10-03T02:00:00Z"}, False),
    ({"promised_reply:2026-10-03T02:00:00Z"}, True),  # a complaint's deadline, not a repair's
])
def test_a_repair_is_on_time_without_a_missed_deadline_of_its_kind(alerted, expected):
    work = completed(Q4_START + HOUR)
    work.alerted = set(alerted)

    assert on_time(work) is expected


@pytest.mark.parametrize("alerted, expected", [
    (set(), True),
    ({"response:2026-10-02T02:00:00Z"}, False),
    ({"promised_reply:2026-10-04T02:00:00Z"}, False),
    ({"completion:2026-10-03T02:00:00Z"}, True),  # a repair's deadline, not a complaint's
])
def test_a_complaint_is_on_time_without_a_missed_deadline_of_its_kind(alerted, expected):
    found = closed(Q4_START + HOUR)
    found.alerted = set(alerted)

    assert on_time(found) is expected


def test_the_on_time_share_is_a_percentage_to_one_decimal_half_up():
    orders = [completed(Q4_START + n * HOUR, reference=f"R-AAAA-{n:04d}") for n in range(1, 17)]
    orders[0].alerted = {"completion:2026-10-03T02:00:00Z"}

    measures = staff_row(q4(*orders), TECHNICIAN)

    assert (measures.handled, measures.on_time) == (16, 15)
    assert measures.on_time_rate == Decimal("93.8")  # 93.75


# ---------------------------------------------------------------------- ratings
def test_the_mean_rating_counts_only_the_cases_that_have_one_two_decimals_half_up():
    scores = [5, 5, 5, 5, 5, 5, 2, 1, None]  # 33 / 8 = 4.125
    orders = []
    for n, score in enumerate(scores, start=1):
        work = completed(Q4_START + n * HOUR, reference=f"R-AAAA-{n:04d}")
        if score is not None:
            accepted_and_rated(work, Q4_START + 30 * HOUR, score)
        orders.append(work)

    measures = staff_row(q4(*orders), TECHNICIAN)

    assert (measures.handled, measures.ratings, measures.mean_rating) == (9, 8, Decimal("4.13"))


def test_complaint_ratings_count_like_repair_ratings_for_the_department():
    cases = [closed(Q4_START + HOUR, 4, reference="C-AAAA-0001", topic="repair_quality"),
             closed(Q4_START + HOUR, None, reference="C-AAAA-0002", topic="repair_quality")]
    work = accepted_and_rated(completed(Q4_START + HOUR), Q4_START + 2 * HOUR, 5)

    cards = q4(work, cases=cases)

    assert department_row(cards, "engineering").ratings == 2
    assert department_row(cards, "engineering").mean_rating == Decimal("4.50")
    assert staff_row(cards, OWNER).mean_rating == Decimal("4.00")


def test_without_ratings_the_mean_is_none():
    measures = staff_row(q4(completed(Q4_START + HOUR)), TECHNICIAN)

    assert (measures.handled, measures.ratings, measures.mean_rating) == (1, 0, None)


@pytest.mark.parametrize("value, expected", [(4, 4), ("4", None), (0, None), (6, None), (True, None)])
def test_only_a_whole_number_from_1_to_5_is_a_rating(value, expected):
    work = completed(Q4_START + HOUR)
    work.details["rating"] = value

    assert rating(work) == expected


# ---------------------------------------------------------------------- sent back
def test_a_repair_rejected_or_reported_not_fixed_is_reopened():
    rejected = completed(Q4_START + HOUR, reference="R-AAAA-0001")
    step(rejected, "reject", "butler", BUTLER, Q4_START + 2 * HOUR, reject_reason="仍渗水")
    not_fixed = completed(Q4_START + HOUR, reference="R-AAAA-0002")
    step(not_fixed, "accept", "butler", BUTLER, Q4_START + 2 * HOUR, accepted_by=BUTLER)
    step(not_fixed, "report_not_fixed", "resident", "resident", Q4_START + 3 * HOUR, not_fixed_reason="又漏了")
    fine = completed(Q4_START + HOUR, reference="R-AAAA-0003")

    measures = staff_row(q4(rejected, not_fixed, fine), TECHNICIAN)

    assert [sent_back(o) for o in (rejected, not_fixed, fine)] == [True, True, False]
    assert (measures.reopened, measures.reopen_rate) == (2, Decimal("66.7"))


def test_a_complaint_the_resident_was_not_satisfied_with_is_reopened():
    again = case(Q4_START)
    step(again, "answer", "customer_service", OWNER, Q4_START + HOUR, reply="已安排")
    step(again, "not_satisfied", "resident", "resident", Q4_START + 2 * HOUR, not_satisfied_reason="没人来")
    step(again, "answer", "customer_service", OWNER, Q4_START + 3 * HOUR, reply="今天清运")
    step(again, "confirm_satisfied", "resident", "resident", Q4_START + 4 * HOUR)
    cases = [again, *(closed(Q4_START + HOUR, reference=f"C-AAAA-{n:04d}") for n in range(2, 17))]

    measures = staff_row(q4(cases=cases), OWNER)

    assert again.reopen_count == 1 and sent_back(again) and not sent_back(cases[1])
    assert (measures.handled, measures.reopened, measures.reopen_rate) == (16, 1, Decimal("6.3"))  # 6.25


# ---------------------------------------------------------------------- survey score
def tally(counts=None, **areas):
    """A survey tally: every area answered ``counts`` (score → number), some areas changed."""
    counts = counts or {"3": 1, "4": 2, "5": 1}
    full = {str(s): 0 for s in range(1, 6)}
    by_area = {code: {**full, **areas.get(code, counts)} for code in AREA_CODES}
    responses = sum(by_area[AREA_CODES[0]].values())
    return {"quarter": "2026Q4", "label": "2026 年第四季度", "invited": 10, "responses": responses,
            "areas": by_area, "overall": {**full, **counts}, "recommend": {"yes": 3, "no": 1}}


def test_the_survey_score_is_the_mean_of_the_areas_the_department_serves():
    survey = results(tally(facilities={"4": 2, "5": 1}, reception={"2": 1, "5": 2}, community={}))

    cards = q4(survey=survey)

    assert staff_row(cards, TECHNICIAN).survey_score == Decimal("4.33")  # 工程维修部 → facilities: 13 / 3
    assert staff_row(cards, OWNER).survey_score == Decimal("4.00")  # 客户服务部 → reception: 12 / 3
    assert department_row(cards, "environment").survey_score == Decimal("4.00")  # 16 / 4
    assert department_row(cards, "community").survey_score is None  # no answers in its area


def test_a_department_serving_several_areas_gets_the_mean_of_their_means(monkeypatch):
    survey = results(tally(facilities={"4": 1}, reception={"4": 3, "5": 1}))  # 4.00 and 4.25
    monkeypatch.setattr(scorecards, "areas_of_department",
                        lambda code: ("facilities", "reception") if code == "engineering" else ())

    cards = q4(survey=survey)

    assert department_row(cards, "engineering").survey_score == Decimal("4.13")  # 8.25 / 2 = 4.125, half up
    assert department_row(cards, "customer_service").survey_score is None  # no areas


def test_without_survey_results_or_a_known_department_there_is_no_survey_score():
    roster = {**ROSTER, "wx-new": StaffMember("wx-new", "新师傅", "technician", "外包维修队")}

    without = q4()
    with_survey = q4(survey=results(tally()), roster=roster)

    assert all(row.measures.survey_score is None for row in (*without.staff, *without.departments))
    new = [row for row in with_survey.staff if row.staff_id == "wx-new"][0]
    assert (new.department, new.department_label, new.measures.survey_score) == (None, "外包维修队", None)
    assert staff_row(with_survey, TECHNICIAN).survey_score == Decimal("4.00")


# ---------------------------------------------------------------------- rows
def test_without_cases_every_member_who_handles_cases_is_listed_with_nothing_to_compute():
    cards = q4()

    assert [row.staff_id for row in cards.staff] == HANDLING  # department heads handle no cases
    assert [row.code for row in cards.departments] == [d.code for d in complaints.DEPARTMENTS]
    for row in (*cards.staff, *cards.departments):
        m = row.measures
        assert (m.handled, m.on_time, m.ratings, m.reopened) == (0, 0, 0, 0)
        assert (m.on_time_rate, m.mean_rating, m.reopen_rate) == (None, None, None)
    assert (cards.quarter, cards.label) == ("2026Q4", "2026 年第四季度")
    assert (cards.start, cards.end) == (Q4_START, Q4_END)


def test_someone_no_longer_in_the_roster_is_listed_after_it_with_their_cases():
    roster = {k: v for k, v in ROSTER.items() if k != OTHER_TECHNICIAN}
    work = completed(Q4_START + HOUR, technician=OTHER_TECHNICIAN)

    cards = q4(work, roster=roster)

    last = cards.staff[-1]
    assert [row.staff_id for row in cards.staff] == [*[s for s in HANDLING if s != OTHER_TECHNICIAN], OTHER_TECHNICIAN]
    assert (last.name, last.role, last.department, last.measures.handled) == ("", "", None, 1)
