"""The retention rule (butler.domain.retention): which closed cases are due, what their
anonymisation clears, and what it keeps for statistics and the house archive."""
import copy
from datetime import datetime, timedelta, timezone

import pytest

from butler.domain import retention
from butler.domain.complaints import COMPLAINT, ComplaintFiling, new_case
from butler.domain.repairs import REPAIR, RepairReport, new_work_order
from butler.domain.retention import (
    PHONE_REMOVED,
    awaits_anonymisation,
    closed_at,
    is_due,
    plan,
)
from butler.roster import load_roster

from tests.support.flow import ARCHIVED_REPAIR

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
YEAR = timedelta(days=365)
ROSTER = load_roster()
REPAIRED = list(ARCHIVED_REPAIR)  # reported → … → rated (a phone number in the comment) → archived


def repair(steps=REPAIRED, *, at=NOW - timedelta(days=400), **changes):
    values = dict(category="plumbing", description="厨房下水堵塞，来前打13912345678或0571-88880000",
                  location_type="home", unit="3-2-1201", location="厨房", contact_name="陈女士",
                  contact_phone="13912345678", preferred_time="晚上，或打 139 1234 5678")
    values.update(changes)
    order = new_work_order(RepairReport(**values), reference="R-AAAA-BBBB", token_hash="h", now=at)
    order.photos = [{"id": "p1", "kind": "resident", "key": "photo-uploads/R-AAAA-BBBB/resident-p1.jpg",
                     "content_type": "image/jpeg", "size": 10, "at": "", "by": "resident"}]
    for number, (action, role, actor, values) in enumerate(steps, start=1):
        REPAIR.advance(order, action, role=role, actor=actor, values=values, roster=ROSTER,
                       now=at + timedelta(hours=number))
    return order


def complaint(*, closed=True, at=NOW - timedelta(days=400)):
    case = new_case(ComplaintFiling("complaint", "cleaning", "垃圾桶三天没清运。", "钱女士", "13933334444",
                                    unit="5-1-101"), reference="C-AAAA-BBBB", token_hash="h", now=at)
    steps = [("claim", "customer_service", "kf-zhang", {"owner": "kf-zhang"}),
             ("answer", "customer_service", "kf-zhang", {"reply": "今天清运。"})]
    if closed:
        steps.append(("confirm_satisfied", "resident", "resident", {"rating": 5}))
    for number, (action, role, actor, values) in enumerate(steps, start=1):
        COMPLAINT.advance(case, action, role=role, actor=actor, values=values, roster=ROSTER,
                          now=at + timedelta(hours=number))
    return case


def test_a_case_is_closed_at_the_step_into_its_final_state():
    order, case = repair(), complaint()

    assert closed_at(order, REPAIR) == NOW - timedelta(days=400) + timedelta(hours=len(REPAIRED))
    assert closed_at(case, COMPLAINT) == NOW - timedelta(days=400) + timedelta(hours=3)
    assert closed_at(repair(REPAIRED[:-1]), REPAIR) is None  # rated, not archived: open
    assert closed_at(complaint(closed=False), COMPLAINT) is None


def test_the_final_states_come_from_the_workflows():
    assert {s.code for s in REPAIR.workflow.states if s.final} == {"archived", "cancelled"}
    assert {s.code for s in COMPLAINT.workflow.states if s.final} == {"closed"}
    cancelled = repair([("cancel", "customer_service", "kf-zhang", {"cancel_reason": "业主已自行修好"})])

    assert closed_at(cancelled, REPAIR) == NOW - timedelta(days=400) + timedelta(hours=1)


@pytest.mark.parametrize("age, due", [(YEAR + timedelta(hours=8), True), (YEAR + timedelta(hours=7), True),
                                      (YEAR + timedelta(hours=6, minutes=59), False), (timedelta(days=30), False)])
def test_due_once_closed_for_the_retention_period(age, due):
    order = repair(at=NOW - age)  # closed 7 hours after it was reported

    assert is_due(order, REPAIR, NOW, YEAR) is due


def test_open_cases_are_never_due_whatever_their_age():
    for order in (repair([]), repair(REPAIRED[:-1]), repair(REPAIRED[:3])):
        assert not is_due(order, REPAIR, NOW, YEAR) and not awaits_anonymisation(order, REPAIR)
    assert not is_due(complaint(closed=False), COMPLAINT, NOW, YEAR)


def test_a_repair_loses_the_contact_the_photos_and_phone_numbers_in_text_and_keeps_the_rest():
    order = repair()
    before = copy.deepcopy(order)

    change = plan(order, REPAIR)
    retention.apply(order, change, NOW)

    assert change.cleared == ("contact_name", "contact_phone")
    assert change.photo_keys == ("photo-uploads/R-AAAA-BBBB/resident-p1.jpg",)
    assert set(change.texts) == {"description", "preferred_time", "rating_comment"}
    assert (order.contact_name, order.contact_phone, order.photos) == ("", "", [])
    assert order.description == f"厨房下水堵塞，来前打{PHONE_REMOVED}或{PHONE_REMOVED}"
    assert order.preferred_time == f"晚上，或打 {PHONE_REMOVED}"
    assert order.details["rating_comment"] == f"师傅很好，下次还找他：{PHONE_REMOVED}"
    assert order.anonymised_at == NOW
    # What statistics, the scorecards and the house archive read.
    for name in ("status", "category", "urgency", "unit", "location", "location_type", "created_at",
                 "respond_by", "complete_by", "timeline", "staff_notes", "alerted", "source"):
        assert getattr(order, name) == getattr(before, name), name
    kept = {k: v for k, v in before.details.items() if k != "rating_comment"}
    assert {k: order.details[k] for k in kept} == kept
    assert not awaits_anonymisation(order, REPAIR)


def test_a_complaint_also_loses_the_unit_which_points_at_the_household():
    case = complaint()

    retention.apply(case, plan(case, COMPLAINT), NOW)

    assert (case.contact_name, case.contact_phone, case.unit) == ("", "", None)
    assert case.details["rating"] == 5 and case.details["owner"] == "kf-zhang"
    assert case.kind == "complaint" and case.topic == "cleaning" and case.description == "垃圾桶三天没清运。"
    assert not awaits_anonymisation(case, COMPLAINT)


def test_planning_again_after_anonymising_changes_nothing_and_keeps_the_first_time():
    order = repair()
    retention.apply(order, plan(order, REPAIR), NOW)

    again = plan(order, REPAIR)
    retention.apply(order, again, NOW + timedelta(days=1))

    assert not again.changes_anything
    assert order.anonymised_at == NOW


def test_a_closed_case_without_personal_data_does_not_await_anonymisation():
    suggestion = new_case(ComplaintFiling("suggestion", "activities", "建议周末办读书会。"),
                          reference="C-AAAA-CCCC", token_hash="h", now=NOW)
    suggestion.status = "closed"

    assert not awaits_anonymisation(suggestion, COMPLAINT)
    assert awaits_anonymisation(complaint(), COMPLAINT) and awaits_anonymisation(repair(), REPAIR)


@pytest.mark.parametrize("text, found", [
    ("请打13912345678", True), ("请打 139 1234 5678", True), ("139-1234-5678", True),
    ("座机 0571-88880000", True), ("座机 010 12345678", True),
    ("3号楼2单元1201室", False), ("工时 50 分钟", False), ("R-7KQ4-M2XP", False),
    ("订单号 A13912345678", False), ("2026-11-28T02:00:00Z", False), ("12345678901", False),
])
def test_phone_numbers_in_text_are_found_and_other_numbers_are_not(text, found):
    assert (retention.remove_phones(text) != text) is found


@pytest.mark.parametrize("days", [29, 1096, 0])
def test_a_retention_outside_the_template_bounds_is_refused(days):
    with pytest.raises(ValueError):
        retention.retention_period(days)


def test_the_retention_period_in_days():
    assert retention.retention_period(365) == YEAR
