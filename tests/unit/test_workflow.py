from datetime import datetime, timezone

import pytest

from butler.domain.errors import InvalidTransition, NotPermitted
from butler.domain.repairs import REPAIR_WORKFLOW, RepairReport, advance, new_work_order

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


def order():
    report = RepairReport("plumbing", "下水堵塞", "home", "3-2-1201", "", "甲", "13900000000")
    return new_work_order(report, reference="R-AAAA-BBBB", token_hash="h", now=NOW)


def test_the_plan_flow_from_report_to_archive_is_allowed_step_by_step():
    work = order()
    for action, role in [("dispatch", "butler"), ("survey", "technician"),
                         ("start_repair", "technician"), ("pause", "technician"),
                         ("resume", "technician"), ("complete", "technician"),
                         ("reject", "butler"), ("complete", "technician"),
                         ("accept", "butler"), ("rate", "resident"), ("archive", "butler")]:
        advance(work, action, role=role, now=NOW)

    assert work.status == "archived"
    assert [e.to_status for e in work.timeline][-3:] == ["accepted", "rated", "archived"]
    assert all(e.from_status for e in work.timeline[1:])


def test_a_step_out_of_order_is_refused_in_chinese():
    with pytest.raises(InvalidTransition) as refused:
        advance(order(), "complete", role="technician", now=NOW)

    assert "已报修" in refused.value.message


def test_a_step_by_the_wrong_role_is_refused():
    with pytest.raises(NotPermitted) as refused:
        advance(order(), "dispatch", role="technician", now=NOW)

    assert "物业管家" in refused.value.message


def test_cancel_is_possible_only_before_work_starts():
    work = order()
    advance(work, "dispatch", role="butler", now=NOW)
    advance(work, "survey", role="technician", now=NOW)
    advance(work, "start_repair", role="technician", now=NOW)

    with pytest.raises(InvalidTransition):
        advance(work, "cancel", role="butler", now=NOW)


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
