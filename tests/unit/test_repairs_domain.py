from datetime import datetime, timedelta, timezone

from butler.domain import service_levels
from butler.domain.repairs import (
    CATEGORIES,
    RepairReport,
    mask_phone,
    new_work_order,
    resident_view,
)

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


def report(**changes):
    values = dict(category="plumbing", description="下水堵塞", location_type="home",
                  unit="3-2-1201", location="卫生间", contact_name="甲", contact_phone="13912345678")
    values.update(changes)
    return RepairReport(**values)


def test_the_five_emergencies_of_the_plan_are_flagged():
    emergencies = {c.code for c in CATEGORIES if c.emergency}

    assert emergencies == {"elevator_entrapment", "gas_leak", "fire", "flooding", "power_outage"}


def test_an_emergency_category_overrides_the_urgency_the_resident_chose():
    order = new_work_order(report(category="elevator_entrapment", urgency="normal"),
                           reference="R-AAAA-BBBB", token_hash="h", now=NOW)

    assert order.emergency and order.urgency == "emergency"
    assert order.respond_by - NOW <= timedelta(minutes=15)


def test_deadlines_follow_the_service_level_table():
    for urgency in ("normal", "urgent"):
        order = new_work_order(report(urgency=urgency, category="doors_windows"),
                               reference="R-AAAA-BBBB", token_hash="h", now=NOW)
        level = service_levels.urgency(urgency)
        assert order.respond_by == NOW + level.respond_within
        assert order.complete_by == NOW + level.complete_within


def test_a_category_target_tightens_but_never_loosens_the_urgency_target():
    normal_leak = service_levels.target("normal", "plumbing")
    urgent_leak = service_levels.target("urgent", "plumbing")

    assert normal_leak.respond_within == timedelta(hours=2)
    assert urgent_leak.respond_within == timedelta(minutes=45)


def test_breaches_follow_the_current_deadline():
    from butler.domain.repairs import breach, next_due

    order = new_work_order(report(category="doors_windows"), reference="R-AAAA-BBBB",
                           token_hash="h", now=NOW)

    assert next_due(order) == order.respond_by
    assert breach(order, order.respond_by) is None
    assert breach(order, order.respond_by + timedelta(seconds=1)) == "response"
    order.status = "in_repair"
    assert breach(order, order.respond_by + timedelta(seconds=1)) is None
    assert breach(order, order.complete_by + timedelta(seconds=1)) == "completion"
    order.status = "accepted"
    assert next_due(order) is None


def test_urgent_repairs_are_attended_within_45_minutes():
    assert service_levels.urgency("urgent").respond_within <= timedelta(minutes=45)


def test_resident_view_hides_staff_notes_and_masks_the_phone():
    order = new_work_order(report(), reference="R-AAAA-BBBB", token_hash="secret-hash", now=NOW)
    order.staff_notes.append({"at": "2026-11-28T08:00:00Z", "author": "管家", "text": "业主脾气急"})

    view = resident_view(order)

    flat = repr(view)
    assert "业主脾气急" not in flat and "secret-hash" not in flat and "13912345678" not in flat
    assert view["contact_phone"] == "139****5678"
    assert view["created_at"] == "2026-11-28T08:00:00Z"
    assert view["location"] == "3-2-1201" and view["location_detail"] == "卫生间"


def test_phone_masking_keeps_only_the_ends():
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("0571-88880000") == "057****0000"
    assert mask_phone("123") == "***"
