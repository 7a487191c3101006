"""The scorecards of the generated demo quarters (infra/demo_cases.py), recomputed here by
plain arithmetic from the cases' timelines, alerts, ratings and a survey tally, without the
scorecard module's helpers: both must agree to the last digit."""
from collections import Counter
from dataclasses import asdict

import pytest

from butler.domain.complaints import DEPARTMENTS
from butler.domain.scorecards import scorecards
from butler.domain.surveys import results
from butler.domain.timefmt import iso
from infra.demo_cases import generate
from tests.support.scorecards_by_hand import (
    COMPLAINT_BREACHES,
    DEPARTMENT_OF_LABEL,
    HANDLING,
    ROSTER,
    by_hand,
    measures_by_hand,
    survey_by_hand,
)

TALLY_AREAS = {  # score → answers, per area; community had no answers this quarter
    "reception": {"1": 1, "2": 2, "3": 5, "4": 9, "5": 7},
    "facilities": {"1": 2, "2": 3, "3": 6, "4": 8, "5": 5},
    "environment": {"1": 0, "2": 1, "3": 4, "4": 10, "5": 9},
    "security": {"1": 0, "2": 0, "3": 3, "4": 12, "5": 9},
    "community": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
}
TALLY = {"quarter": "2026Q4", "label": "2026 年第四季度", "invited": 40, "responses": 24, "areas": TALLY_AREAS,
         "overall": {"1": 1, "2": 2, "3": 5, "4": 9, "5": 7}, "recommend": {"yes": 20, "no": 4}}


@pytest.fixture(scope="module")
def demo():
    return generate()


@pytest.mark.parametrize("quarter", ["2026Q3", "2026Q4"])
def test_the_scorecards_of_the_demo_quarters_match_plain_arithmetic(demo, quarter):
    rows = by_hand(quarter, demo)

    cards = scorecards(quarter, demo.repairs, demo.complaints, ROSTER, results(TALLY))

    staff = [m.id for m in ROSTER.values() if m.role in HANDLING]
    assert [row.staff_id for row in cards.staff] == staff  # every case counts for someone in the roster
    for row in cards.staff:
        department = DEPARTMENT_OF_LABEL[ROSTER[row.staff_id].department]
        expected = measures_by_hand([r for r in rows if r[0] == row.staff_id], survey_by_hand(department, TALLY_AREAS))
        assert asdict(row.measures) == expected, row.staff_id
    assert [row.code for row in cards.departments] == [d.code for d in DEPARTMENTS]
    for row in cards.departments:
        expected = measures_by_hand([r for r in rows if r[1] == row.code], survey_by_hand(row.code, TALLY_AREAS))
        assert asdict(row.measures) == expected, row.code
    assert sum(row.measures.handled for row in cards.departments) == len(rows)


@pytest.mark.parametrize("quarter", ["2026Q3", "2026Q4"])
def test_the_demo_quarters_hold_every_case_the_definitions_tell_apart(demo, quarter):
    rows = by_hand(quarter, demo)
    late_repairs = Counter(key.split(":")[0] for o in demo.repairs for key in o.alerted)
    late_complaints = Counter(key.split(":")[0] for c in demo.complaints for key in c.alerted)

    assert 150 <= len(rows) <= 280  # about 150 repairs and 80 complaint cases reported per quarter
    late = sum(row[2] for row in rows)
    assert 0.05 * len(rows) < late < 0.3 * len(rows)  # most on time, some late
    assert 0 < sum(row[3] for row in rows) < 0.25 * len(rows)  # a few sent back
    assert 0 < sum(row[4] is None for row in rows) < len(rows) / 2  # most rated, not all
    assert {row[4] for row in rows} - {None} == {1, 2, 3, 4, 5}
    assert all(late_repairs[name] for name in ("response", "completion", "emergency"))
    assert all(late_complaints[name] for name in ("response", "promised_reply"))
    assert {o.technician for o in demo.repairs} == {"wx-wang", "wx-zhao", "wx-liu"}
    assert {c.owner for c in demo.complaints} == {"gj-li", "gj-sun", "kf-zhang", "kf-he"}
    assert len({c.department for c in demo.complaints}) == len(DEPARTMENTS)
    assert {row[0] for row in rows} == {"wx-wang", "wx-zhao", "wx-liu", "gj-li", "gj-sun", "kf-zhang", "kf-he"}


def test_the_demo_covers_reopening_on_both_sides_and_cases_outside_the_quarters(demo):
    actions = Counter(e.action for o in demo.repairs for e in o.timeline)
    statuses = Counter(o.status for o in [*demo.repairs, *demo.complaints])

    assert actions["reject"] and actions["report_not_fixed"] and actions["pause"]
    assert any(c.reopen_count for c in demo.complaints)
    assert statuses["cancelled"] and set(statuses) - {"archived", "closed", "cancelled"}  # some still open
    assert by_hand("2026Q2", demo)  # reported in the last days of June, handled before Q3
    assert any(e.action == "close_after_follow_up" for c in demo.complaints for e in c.timeline)


def test_the_generator_is_seeded_and_sized():
    demo, again, other = generate(seed=11), generate(seed=11), generate(seed=12)

    assert demo.repairs == again.repairs and demo.complaints == again.complaints
    assert demo.repairs != other.repairs
    assert (len(demo.repairs), len(demo.complaints)) == (300, 160)
    references = [case.reference for case in [*demo.repairs, *demo.complaints]]
    assert len(set(references)) == len(references)


def test_missed_deadlines_are_recorded_under_the_sweeps_keys(demo):
    for order in demo.repairs:
        allowed = {"emergency", f"response:{iso(order.respond_by)}", f"completion:{iso(order.complete_by)}"}
        assert order.alerted <= allowed, order.reference
        assert ("emergency" in order.alerted) == order.emergency
        dispatched = next((e.at for e in order.timeline if e.action == "dispatch"), None)
        if dispatched is not None:  # the sweep runs every five minutes
            late_dispatch = (dispatched - order.respond_by).total_seconds() > 300
            assert (f"response:{iso(order.respond_by)}" in order.alerted) >= late_dispatch, order.reference
    for case in demo.complaints:
        for key in case.alerted:
            name, _, deadline = key.partition(":")
            assert name in COMPLAINT_BREACHES and deadline.endswith("Z"), key
