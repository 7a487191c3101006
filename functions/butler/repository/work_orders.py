"""The work-order repository: domain ``WorkOrder`` in, DynamoDB item out, and back."""
from __future__ import annotations

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
        return self.model(
            reference=order.reference,
            token_hash=order.token_hash,
            status=order.status,
            queue=order.status,
            category=order.category,
            emergency=order.emergency,
            urgency=order.urgency,
            location_type=order.location_type,
            unit=order.unit,
            location=order.location,
            description=order.description,
            contact_name=order.contact_name,
            contact_phone=order.contact_phone,
            preferred_time=order.preferred_time,
            source=order.source,
            created_at=iso(order.created_at),
            updated_at=iso(utc_now()),
            respond_by=iso(order.respond_by),
            complete_by=iso(order.complete_by),
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
        return WorkOrder(
            reference=item.reference,
            token_hash=item.token_hash,
            status=item.status,
            category=item.category,
            urgency=item.urgency,
            location_type=item.location_type,
            unit=item.unit,
            location=item.location,
            description=item.description,
            contact_name=item.contact_name,
            contact_phone=item.contact_phone,
            preferred_time=item.preferred_time,
            source=item.source,
            created_at=parse_iso(item.created_at),
            respond_by=parse_iso(item.respond_by),
            complete_by=parse_iso(item.complete_by),
            timeline=[
                TimelineEntry(parse_iso(e.at), e.action, e.from_status, e.to_status,
                              e.actor_role, e.note)
                for e in item.timeline
            ],
            staff_notes=[note.as_dict() for note in item.staff_notes],
        )
