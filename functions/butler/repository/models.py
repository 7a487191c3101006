"""PynamoDB models. Attribute names are plain English so staff can read items in the
DynamoDB console. Table names come from settings at call time: ``work_order_model``
returns the model class bound to a table name (cached per name).
"""
from __future__ import annotations

from functools import lru_cache

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class TimelineEntryAttribute(MapAttribute):
    at = UnicodeAttribute()
    action = UnicodeAttribute()
    from_status = UnicodeAttribute(null=True)
    to_status = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    note = UnicodeAttribute(default="")


class StaffNoteAttribute(MapAttribute):
    at = UnicodeAttribute()
    author = UnicodeAttribute()
    text = UnicodeAttribute()


class QueueIndex(GlobalSecondaryIndex):
    """Open work by status, earliest response deadline first (console: 按队列查询)."""

    class Meta:
        index_name = "queue-by-respond-by"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    respond_by = UnicodeAttribute(range_key=True)


class UnitIndex(GlobalSecondaryIndex):
    """The house archive (房屋档案): every repair of one unit, newest last."""

    class Meta:
        index_name = "unit-by-created-at"
        projection = AllProjection()

    unit = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class WorkOrderItem(Model):
    class Meta:
        table_name = "unbound"  # replaced per call by work_order_model()

    reference = UnicodeAttribute(hash_key=True)
    token_hash = UnicodeAttribute()
    status = UnicodeAttribute()
    queue = UnicodeAttribute()
    category = UnicodeAttribute()
    emergency = BooleanAttribute()
    urgency = UnicodeAttribute()
    location_type = UnicodeAttribute()
    unit = UnicodeAttribute(null=True)
    location = UnicodeAttribute(default="")
    description = UnicodeAttribute()
    contact_name = UnicodeAttribute()
    contact_phone = UnicodeAttribute()
    preferred_time = UnicodeAttribute(default="")
    source = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    respond_by = UnicodeAttribute()
    complete_by = UnicodeAttribute()
    timeline = ListAttribute(of=TimelineEntryAttribute, default=list)
    staff_notes = ListAttribute(of=StaffNoteAttribute, default=list)
    version = VersionAttribute()

    queue_index = QueueIndex()
    unit_index = UnitIndex()


@lru_cache(maxsize=8)
def work_order_model(table_name: str) -> type[WorkOrderItem]:
    meta = type("Meta", (), {"table_name": table_name})
    return type("WorkOrderItem", (WorkOrderItem,), {"Meta": meta})


# Used by the template checks: each model class and the environment variable that names its table.
MODELS_BY_TABLE_ENV = {"REPAIRS_TABLE": WorkOrderItem}
