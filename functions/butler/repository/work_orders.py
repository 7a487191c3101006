"""The work-order repository: domain ``WorkOrder`` in, DynamoDB item out, and back."""
from __future__ import annotations

from dataclasses import fields
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError

from butler.domain.repairs import TimelineEntry, WorkOrder
from butler.domain.timefmt import iso, parse_iso, utc_now
from butler.repository.models import (
    StaffNoteAttribute,
    TimelineEntryAttribute,
    WorkOrderItem,
    work_order_model,
)


class ReferenceTaken(Exception):
    """A new work order's reference is already in use (the caller draws another)."""


class WorkOrderRepository:
    def __init__(self, table_name: str):
        self.model = work_order_model(table_name)

    def add(self, order: WorkOrder) -> None:
        """Write a new work order in one conditional put: all of it or nothing."""
        item = self._to_item(order)
        try:
            item.save(condition=self.model.reference.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise ReferenceTaken(order.reference) from error
            raise

    def get(self, reference: str) -> WorkOrder | None:
        try:
            item = self.model.get(reference)
        except DoesNotExist:
            return None
        return self._from_item(item)

    def _to_item(self, order: WorkOrder) -> WorkOrderItem:
        values = {name: _stored(getattr(order, name)) for name in _PLAIN_FIELDS}
        return self.model(
            **values,
            queue=order.status,
            emergency=order.emergency,
            updated_at=iso(utc_now()),
            timeline=[
                TimelineEntryAttribute(
                    at=iso(e.at), action=e.action, from_status=e.from_status,
                    to_status=e.to_status, actor_role=e.actor_role, note=e.note,
                )
                for e in order.timeline
            ],
            staff_notes=[StaffNoteAttribute(**note) for note in order.staff_notes],
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
                              e.actor_role, e.note)
                for e in item.timeline
            ],
            staff_notes=[note.as_dict() for note in item.staff_notes],
        )


# WorkOrder fields stored under the same name; times as UTC ISO text.
_PLAIN_FIELDS = tuple(f.name for f in fields(WorkOrder) if f.name not in ("timeline", "staff_notes"))
_TIME_FIELDS = tuple(f.name for f in fields(WorkOrder) if f.type in ("datetime", datetime))


def _stored(value: object) -> object:
    return iso(value) if isinstance(value, datetime) else value
