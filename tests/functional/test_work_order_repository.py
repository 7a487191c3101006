"""The repository writes a work order in one piece and reads back exactly what it wrote."""
from datetime import datetime, timezone

import pytest

from butler.domain.repairs import RepairReport, advance, new_work_order
from butler.repository.work_orders import ReferenceTaken, WorkOrderRepository
from butler.roster import load_roster
from tests.support.flow import PLAN_WALK

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


def advanced_order(reference="R-AAAA-BBBB"):
    report = RepairReport("plumbing", "下水堵塞", "home", "3-2-1201", "卫生间", "甲", "13900000009")
    order = new_work_order(report, reference=reference, token_hash="hash", now=NOW)
    for step in PLAN_WALK[:4]:
        advance(order, step.action, role=step.role, actor=step.actor, values=step.values,
                roster=load_roster(), now=NOW)
    order.staff_notes.append({"at": "2026-11-28T08:05:00Z", "author": "管家", "text": "材料库有货"})
    return order


def test_round_trip_keeps_every_field_timeline_and_staff_note(stack):
    repo = WorkOrderRepository(stack["RepairsTable"])
    order = advanced_order()

    repo.add(order)

    assert repo.get(order.reference) == order
    assert order.details["survey_plan"] and order.version == 1


def test_a_reference_is_never_written_twice(stack):
    repo = WorkOrderRepository(stack["RepairsTable"])
    repo.add(advanced_order())

    with pytest.raises(ReferenceTaken):
        repo.add(advanced_order())


def test_unknown_reference_reads_as_none(stack):
    assert WorkOrderRepository(stack["RepairsTable"]).get("R-ZZZZ-ZZZZ") is None


def test_queue_and_house_archive_indexes_find_the_order(stack):
    repo = WorkOrderRepository(stack["RepairsTable"])
    repo.add(advanced_order())

    assert [o.reference for o in repo.queue("in_repair")] == ["R-AAAA-BBBB"]
    assert [o.reference for o in repo.unit_history("3-2-1201")] == ["R-AAAA-BBBB"]
    assert [o.reference for o in repo.technician_jobs("wx-wang")] == ["R-AAAA-BBBB"]
    assert repo.queue("reported") == []


def test_a_stale_copy_is_not_saved(stack):
    repo = WorkOrderRepository(stack["RepairsTable"])
    repo.add(advanced_order())
    first, second = repo.get("R-AAAA-BBBB"), repo.get("R-AAAA-BBBB")

    first.description = "改过了"
    assert repo.save(first) is True
    second.description = "也想改"
    assert repo.save(second) is False
    assert repo.get("R-AAAA-BBBB").description == "改过了"


def test_an_alert_is_recorded_once(stack):
    repo = WorkOrderRepository(stack["RepairsTable"])
    repo.add(advanced_order())
    key = "completion:2026-12-01T08:00:00Z"
    first, second = repo.get("R-AAAA-BBBB"), repo.get("R-AAAA-BBBB")

    assert repo.mark_alerted(first, key, overdue=True)
    assert not repo.mark_alerted(second, key, overdue=True)  # read before the first mark
    assert not repo.mark_alerted(repo.get("R-AAAA-BBBB"), key, overdue=True)
    assert key in repo.get("R-AAAA-BBBB").alerted
