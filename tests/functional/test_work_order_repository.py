"""The repository writes a work order in one piece and reads back exactly what it wrote."""
from datetime import datetime, timezone

import pytest

from butler.domain.repairs import RepairReport, advance, new_work_order
from butler.repository.work_orders import ReferenceTaken, WorkOrderRepository

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


def advanced_order(reference="R-AAAA-BBBB"):
    report = RepairReport("plumbing", "下水堵塞", "home", "3-2-1201", "卫生间", "甲", "13900000009")
    order = new_work_order(report, reference=reference, token_hash="hash", now=NOW)
    advance(order, "dispatch", role="butler", now=NOW)
    advance(order, "survey", role="technician", now=NOW, note="需要更换存水弯")
    order.staff_notes.append({"at": "2026-11-28T08:05:00Z", "author": "管家", "text": "材料库有货"})
    return order


def test_round_trip_keeps_every_field_timeline_and_staff_note(stack):
    repo = WorkOrderRepository(stack["RepairsTable"])
    order = advanced_order()

    repo.add(order)

    assert repo.get(order.reference) == order


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

    in_queue = list(repo.model.queue_index.query("surveyed"))
    archive = list(repo.model.unit_index.query("3-2-1201"))

    assert [item.reference for item in in_queue] == ["R-AAAA-BBBB"]
    assert [item.reference for item in archive] == ["R-AAAA-BBBB"]
