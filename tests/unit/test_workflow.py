from datetime import datetime, timedelta, timezone

import pytest

from butler.domain.errors import InvalidTransition, NotPermitted
from butler.domain.repairs import REPAIR_WORKFLOW, RepairReport, advance, advance_to, new_work_order
from butler.roster import load_roster
from tests.support.flow import CANCEL_STEP, CLOSE_WITH_PRIMARY, PLAN_WALK, link_step

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


def order():
    report = RepairReport("plumbing", "下水堵塞", "home", "3-2-1201", "", "甲", "13900000000")
    return new_work_order(report, reference="R-AAAA-BBBB", token_hash="h", now=NOW)


ROSTER = load_roster()


def walk(work, steps):
    for step in steps:
        advance(work, step.action, role=step.role, actor=step.actor, values=step.values,
                roster=ROSTER, now=NOW)
        assert work.status == step.target, step.action
    return work


def test_the_plan_flow_from_report_to_archive_is_allowed_step_by_step():
    work = walk(order(), PLAN_WALK)

    assert work.status == "archived"
    assert [e.to_status for e in work.timeline][-3:] == ["accepted", "rated", "archived"]
    assert all(e.from_status for e in work.timeline[1:])
    assert work.technician == "wx-wang"
    assert work.details["rating"] == 4 and work.details["labour_minutes"] == 90
    assert any("墙内管道老化" in note["text"] for note in work.staff_notes)
    assert all("墙内管道老化" not in e.note for e in work.timeline)


def test_a_duplicate_is_merged_and_closed_with_its_primary():
    duplicate = walk(order(), [link_step("r-bbbb-cccc"), CLOSE_WITH_PRIMARY])

    assert duplicate.details["primary_reference"] == "R-BBBB-CCCC"
    assert [e.to_status for e in duplicate.timeline] == ["reported", "merged", "archived"]


def test_only_the_system_closes_a_merged_report():
    merged = walk(order(), [link_step("R-BBBB-CCCC")])

    with pytest.raises(NotPermitted):
        advance(merged, "close_with_primary", role="butler", now=NOW)


def test_the_walks_cover_every_action_of_the_workflow():
    taken = {step.action for step in (*PLAN_WALK, CANCEL_STEP, link_step("R-0000-0000"),
                                      CLOSE_WITH_PRIMARY)}

    assert taken == {action.code for action in REPAIR_WORKFLOW.actions}


def test_a_status_change_is_read_as_the_one_step_it_implies():
    work = order()

    action = advance_to(work, "dispatched", role="butler", actor="gj-li",
                        values={"technician": "wx-zhao"}, roster=ROSTER, now=NOW)

    assert action.code == "dispatch" and work.technician == "wx-zhao"


def test_a_step_without_its_record_is_refused_in_chinese():
    with pytest.raises(InvalidTransition) as refused:
        advance(order(), "dispatch", role="butler", values={}, roster=ROSTER, now=NOW)

    assert "维修人员" in refused.value.message


def test_dispatch_to_someone_who_is_not_a_technician_is_refused():
    with pytest.raises(InvalidTransition) as refused:
        advance(order(), "dispatch", role="butler", values={"technician": "gj-sun"},
                roster=ROSTER, now=NOW)

    assert "维修人员" in refused.value.message


def test_ratings_are_whole_numbers_from_one_to_five():
    work = walk(order(), PLAN_WALK[:7] + PLAN_WALK[9:10])
    for bad in (0, 6, "五"):
        with pytest.raises(InvalidTransition):
            advance(work, "rate", role="resident", values={"rating": bad}, now=NOW)
    assert work.status == "accepted"


def test_a_console_jump_over_steps_names_the_steps_that_are_possible():
    with pytest.raises(InvalidTransition) as refused:
        advance_to(order(), "completed", role="technician", actor="wx-wang", values={},
                   roster=ROSTER, now=NOW)

    assert "派单" in refused.value.message


def test_a_step_out_of_order_is_refused_in_chinese():
    with pytest.raises(InvalidTransition) as refused:
        advance(order(), "complete", role="technician", now=NOW)

    assert "已报修" in refused.value.message


def test_a_step_by_the_wrong_role_is_refused():
    with pytest.raises(NotPermitted) as refused:
        advance(order(), "dispatch", role="technician", now=NOW)

    assert "物业管家" in refused.value.message


def test_cancel_is_possible_only_before_work_starts():
    work = walk(order(), PLAN_WALK[:3])

    with pytest.raises(InvalidTransition):
        advance(work, "cancel", role="butler", values={"cancel_reason": "不修了"}, now=NOW)


def test_cancel_needs_a_reason():
    with pytest.raises(InvalidTransition):
        advance(order(), "cancel", role="resident", values={}, now=NOW)
    assert walk(order(), [CANCEL_STEP]).status == "cancelled"


def test_every_state_is_reachable_and_only_final_states_have_no_way_out():
    reachable = {REPAIR_WORKFLOW.initial}
    frontier = [REPAIR_WORKFLOW.initial]
    while frontier:
        state = frontier.pop()
        for action in REPAIR_WORKFLOW.available(state):
            if action.target not in reachable:
                reachable.add(action.target)
                frontier.append(action.target)

    assert reachable == {s.code for s in REPAIR_WORKFLOW.states}
    for state in REPAIR_WORKFLOW.states:
        assert bool(REPAIR_WORKFLOW.available(state.code)) != state.final


# ---------------------------------------------------------------- a fair window for the resident
def accepted():
    """A repair accepted at NOW (PLAN_WALK up to the first acceptance)."""
    return walk(order(), PLAN_WALK[:7] + PLAN_WALK[9:10])


def test_the_rating_window_is_the_one_in_the_service_levels():
    from butler.domain.service_levels import RATING_WINDOW

    wait = REPAIR_WORKFLOW.action("archive").wait
    assert (wait.since, wait.period, wait.unless) == ("accept", RATING_WINDOW, ("rated",))
    assert f"验收满 {RATING_WINDOW.days} 天后" in wait.when


def test_an_accepted_repair_is_not_archived_before_the_window_to_the_second():
    from butler.domain.errors import TooEarly
    from butler.domain.service_levels import RATING_WINDOW

    work = accepted()
    with pytest.raises(TooEarly) as refused:
        advance(work, "archive", role="system", actor="system", now=NOW + RATING_WINDOW - timedelta(seconds=1))

    assert work.status == "accepted" and work.timeline[-1].action == "accept"
    assert refused.value.code == "TOO_EARLY"
    assert f"业主评价后或验收满 {RATING_WINDOW.days} 天后由系统自动归档" in refused.value.message
    assert "2026-12-05 16:00" in refused.value.message  # NOW + 7 days, Beijing time


def test_an_accepted_repair_is_archived_by_the_system_once_the_window_has_passed():
    from butler.domain.service_levels import RATING_WINDOW

    work = advance(accepted(), "archive", role="system", actor="system", now=NOW + RATING_WINDOW)

    assert work.status == "archived" and work.timeline[-1].actor == "system"


def test_the_window_runs_from_the_last_acceptance():
    from butler.domain.errors import TooEarly
    from butler.domain.service_levels import RATING_WINDOW

    work = accepted()  # accepted at NOW, then not fixed, completed and accepted again later
    later = NOW + timedelta(days=3)
    for step in PLAN_WALK[10:13]:
        advance(work, step.action, role=step.role, actor=step.actor, values=step.values, roster=ROSTER, now=later)
    with pytest.raises(TooEarly):
        advance(work, "archive", role="system", actor="system", now=NOW + RATING_WINDOW)
    assert advance(work, "archive", role="system", now=later + RATING_WINDOW).status == "archived"


def test_a_rated_repair_is_archived_at_once():
    work = walk(accepted(), [PLAN_WALK[13]])

    assert advance(work, "archive", role="system", actor="system", now=NOW).status == "archived"


@pytest.mark.parametrize("rated", [False, True])
def test_staff_cannot_archive_by_a_step_nor_by_a_console_edit(rated):
    from butler.domain.service_levels import RATING_WINDOW

    late = NOW + RATING_WINDOW * 2
    for take in (lambda w: advance(w, "archive", role="butler", actor="gj-li", now=late),
                 lambda w: advance_to(w, "archived", role="butler", actor="gj-li", values={}, roster=ROSTER,
                                      now=late)):
        work = walk(accepted(), [PLAN_WALK[13]] if rated else [])
        with pytest.raises(NotPermitted) as refused:
            take(work)
        assert work.status == ("rated" if rated else "accepted")
        assert f"业主评价后或验收满 {RATING_WINDOW.days} 天后由系统自动归档" in refused.value.message


def test_the_staff_guide_states_the_rating_window_of_the_service_levels():
    import re
    from pathlib import Path

    from butler.domain.service_levels import RATING_WINDOW

    guide = (Path(__file__).resolve().parents[2] / "docs" / "staff-guide.zh.md").read_text(encoding="utf-8")
    assert REPAIR_WORKFLOW.action("archive").wait.when in guide
    stated = re.findall(r"验收满 (\d+) 天", guide)
    assert stated and set(stated) == {str(RATING_WINDOW.days)}
