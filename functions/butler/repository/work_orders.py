"""The work-order repository: domain ``WorkOrder`` in, DynamoDB item out, and back.

Every write by the application (API, staff CLI, staff-edit guard, sweep) bumps
``version``; a console edit does not. That is how the guard tells the two apart.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Iterator

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from butler.domain.errors import Conflict
from butler.domain.repairs import (
    NUMBER_FIELDS,
    STEP_FIELDS,
    WORK_STATES,
    TimelineEntry,
    WorkOrder,
    breach,
    next_due,
)
from butler.domain.timefmt import iso, parse_iso, utc_now
from butler.repository.models import (
    PhotoAttribute,
    StaffNoteAttribute,
    TimelineEntryAttribute,
    WorkOrderItem,
    work_order_model,
)


class ReferenceTaken(Exception):
    """A new work order's reference is already in use (the caller draws another)."""


@dataclass
class ConsoleImage:
    """A stored image as a staff member left it: the order as the workflow last accepted
    it (``order``), and what the edit asks for."""

    order: WorkOrder
    status: str  # the status in the item, possibly edited
    values: dict[str, Any]  # step fields as found in the item
    edited_by: str | None
    resident_note: str
    staff_note: str
    version: int | None


def _check_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


class WorkOrderRepository:
    def __init__(self, table_name: str):
        self.model = work_order_model(table_name)

    # ------------------------------------------------------------------ writes
    def add(self, order: WorkOrder) -> None:
        """Write a new work order in one conditional put: all of it or nothing."""
        item = self._to_item(order)
        try:
            item.save(condition=self.model.reference.does_not_exist())
        except PutError as error:
            if _check_failed(error):
                raise ReferenceTaken(order.reference) from error
            raise
        order.version = item.version

    def save(self, order: WorkOrder, *, guard_message: str | None = None,
             expected_status: str | None = None) -> bool:
        """Replace the stored order if nobody wrote it since it was read.

        ``expected_status`` also requires the stored status (for the guard, whose input is
        the edited status). Returns False when the stored copy moved on.
        """
        item = self._to_item(order)
        item.guard_message = guard_message
        condition = self.model.reference.exists()
        if expected_status is not None:
            condition &= self.model.status == expected_status
        try:
            item.save(condition=condition)
        except PutError as error:
            if _check_failed(error):
                return False
            raise
        order.version = item.version
        return True

    def save_or_conflict(self, order: WorkOrder) -> None:
        if not self.save(order):
            raise Conflict()

    def mark_alerted(self, order: WorkOrder, key: str, *, overdue: bool) -> bool:
        """Record that ``key`` was alerted for ``order`` as read; False if it already was,
        or if the order changed since it was read (the next run looks again). At most
        one alert per key."""
        if key in order.alerted:
            return False
        model = self.model
        item = model(order.reference)
        item.version = order.version  # PynamoDB adds "version unchanged" and bumps it
        actions = [model.alerted.add({key})]
        if overdue:
            actions.append(model.overdue.set("overdue"))
        try:
            item.update(actions=actions, condition=(
                model.alerted.does_not_exist() | ~model.alerted.contains(key)))
        except UpdateError as error:
            if _check_failed(error):
                return False
            raise
        order.alerted.add(key)
        order.version = item.version
        return True

    def unmark_alerted(self, reference: str, key: str) -> None:
        item = self.model.get(reference, consistent_read=True)
        item.update(actions=[self.model.alerted.delete({key})])

    # ------------------------------------------------------------------ reads
    def get(self, reference: str) -> WorkOrder | None:
        try:
            item = self.model.get(reference, consistent_read=True)
        except DoesNotExist:
            return None
        return self._from_item(item)

    def due_before(self, moment: datetime) -> Iterator[str]:
        """References of open work orders whose current deadline is before ``moment``."""
        for item in self.model.open_index.query("open", self.model.next_due < iso(moment)):
            yield item.reference

    def queue(self, status: str) -> list[WorkOrder]:
        return [self._from_item(i) for i in self.model.queue_index.query(status)]

    def technician_jobs(self, technician: str) -> list[WorkOrder]:
        return [self._from_item(i) for i in self.model.technician_index.query(technician)]

    def overdue(self) -> list[WorkOrder]:
        return [self._from_item(i) for i in self.model.overdue_index.query("overdue")]

    def unit_history(self, unit: str) -> list[WorkOrder]:
        return [self._from_item(i) for i in self.model.unit_index.query(unit)]

    def linked_to(self, reference: str) -> list[str]:
        return [item.reference for item in self.model.linked_index.query(reference)]

    def decode(self, image: dict[str, Any]) -> ConsoleImage:
        """Read a stream image (DynamoDB JSON) the way the console left it."""
        item = self.model.from_raw_data(image)
        order = self._from_item(item)
        status = order.status
        order.status = item.applied_status
        return ConsoleImage(
            order=order, status=status,
            values={name: getattr(item, name) for name in STEP_FIELDS},
            edited_by=item.edited_by, resident_note=item.resident_note or "",
            staff_note=item.staff_note or "", version=item.version,
        )

    # ------------------------------------------------------------------ mapping
    def _to_item(self, order: WorkOrder) -> WorkOrderItem:
        values = {name: _stored(getattr(order, name)) for name in _PLAIN_FIELDS}
        values.update({name: _stored(order.details.get(name)) for name in STEP_FIELDS})
        due = next_due(order)
        if order.version is not None:
            values["version"] = order.version
        return self.model(
            **values,
            applied_status=order.status,
            queue=order.status,
            emergency=order.emergency,
            updated_at=iso(utc_now()),
            next_due=iso(due) if due else None,
            due_queue="open" if due else None,
            technician_open=order.technician if order.status in WORK_STATES else None,
            overdue="overdue" if breach(order, utc_now()) else None,
            alerted=set(order.alerted) or None,
            timeline=[
                TimelineEntryAttribute(
                    at=iso(e.at), action=e.action, from_status=e.from_status,
                    to_status=e.to_status, actor_role=e.actor_role, actor=e.actor, note=e.note,
                )
                for e in order.timeline
            ],
            staff_notes=[StaffNoteAttribute(**note) for note in order.staff_notes],
            photos=[PhotoAttribute(**photo) for photo in order.photos],
        )

    @staticmethod
    def _from_item(item: WorkOrderItem) -> WorkOrder:
        values = {name: getattr(item, name) for name in _PLAIN_FIELDS}
        for name in _TIME_FIELDS:
            values[name] = parse_iso(values[name])
        return WorkOrder(
            **values,
            timeline=[
                TimelineEntry(parse_iso(e.at), e.action, e.from_status, e.to_status,
                              e.actor_role, e.note, e.actor)
                for e in item.timeline
            ],
            staff_notes=[note.as_dict() for note in item.staff_notes],
            details={name: _parsed(name, getattr(item, name)) for name in STEP_FIELDS
                     if getattr(item, name) not in (None, "")},
            alerted=set(item.alerted or ()),
            photos=[{**photo.as_dict(), "size": int(photo.size)} for photo in item.photos],
            version=item.version,
        )


# WorkOrder fields stored under the same name; times as UTC ISO text.
_DERIVED = {"timeline", "staff_notes", "details", "alerted", "photos", "version"}
_PLAIN_FIELDS = tuple(f.name for f in fields(WorkOrder) if f.name not in _DERIVED)
_TIME_FIELDS = tuple(f.name for f in fields(WorkOrder) if f.type in ("datetime", datetime))


def _stored(value: object) -> object:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _parsed(name: str, value: str) -> Any:
    if name in NUMBER_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value  # left for the workflow to refuse with a reason
    return value
