"""PynamoDB models. Attribute names are plain English so staff can read and edit items in
the DynamoDB console: the status, the step fields (``technician``, ``work_done`` ...) and
the inputs ``edited_by``, ``resident_note``, ``staff_note`` are top-level attributes.
Table names come from settings at call time: ``work_order_model`` returns the model class
bound to a table name (cached per name).
"""
from __future__ import annotations

from functools import lru_cache

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model


class TimelineEntryAttribute(MapAttribute):
    at = UnicodeAttribute()
    action = UnicodeAttribute()
    from_status = UnicodeAttribute(null=True)
    to_status = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    actor = UnicodeAttribute(default="")
    note = UnicodeAttribute(default="")


class StaffNoteAttribute(MapAttribute):
    at = UnicodeAttribute()
    author = UnicodeAttribute()
    text = UnicodeAttribute()


class QueueIndex(GlobalSecondaryIndex):
    """Every work order by status, oldest first (console: 新报修 = reported, 待验收 = completed)."""

    class Meta:
        index_name = "queue-by-created-at"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class TechnicianIndex(GlobalSecondaryIndex):
    """A technician's open jobs, nearest deadline first."""

    class Meta:
        index_name = "technician-by-due"
        projection = AllProjection()

    technician_open = UnicodeAttribute(hash_key=True)
    next_due = UnicodeAttribute(range_key=True)


class OpenIndex(GlobalSecondaryIndex):
    """Everything with a running deadline (due_queue = "open"): what the overdue sweep reads."""

    class Meta:
        index_name = "open-by-due"
        projection = KeysOnlyProjection()

    due_queue = UnicodeAttribute(hash_key=True)
    next_due = UnicodeAttribute(range_key=True)


class OverdueIndex(GlobalSecondaryIndex):
    """What the sweep found past its deadline (overdue = "overdue") and is still open."""

    class Meta:
        index_name = "overdue-by-due"
        projection = AllProjection()

    overdue = UnicodeAttribute(hash_key=True)
    next_due = UnicodeAttribute(range_key=True)


class UnitIndex(GlobalSecondaryIndex):
    """The house archive (房屋档案): every repair of one unit, oldest first."""

    class Meta:
        index_name = "unit-by-created-at"
        projection = AllProjection()

    unit = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class LinkedIndex(GlobalSecondaryIndex):
    """Reports merged into one shared fault's work order (primary_reference = its reference)."""

    class Meta:
        index_name = "linked-by-primary"
        projection = KeysOnlyProjection()

    primary_reference = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class PhotoAttribute(MapAttribute):
    id = UnicodeAttribute()
    kind = UnicodeAttribute()
    key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    at = UnicodeAttribute()
    by = UnicodeAttribute()


class CaseItem(Model):
    """Attributes every case table shares (repairs, complaints)."""

    class Meta:
        table_name = "unbound"  # each concrete model is bound per call to a table name

    reference = UnicodeAttribute(hash_key=True)
    token_hash = UnicodeAttribute()
    status = UnicodeAttribute()
    applied_status = UnicodeAttribute()  # the last status the workflow accepted
    queue = UnicodeAttribute()
    source = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    next_due = UnicodeAttribute(null=True)
    due_queue = UnicodeAttribute(null=True)
    overdue = UnicodeAttribute(null=True)
    alerted = UnicodeSetAttribute(null=True)  # breaches and emergencies already alerted
    timeline = ListAttribute(of=TimelineEntryAttribute, default=list)
    staff_notes = ListAttribute(of=StaffNoteAttribute, default=list)
    # Console inputs, consumed by the staff-edit guard.
    edited_by = UnicodeAttribute(null=True)
    resident_note = UnicodeAttribute(null=True)
    staff_note = UnicodeAttribute(null=True)
    guard_message = UnicodeAttribute(null=True)  # why the guard put an edit back, in Chinese
    version = VersionAttribute()


class WorkOrderItem(CaseItem):
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
    respond_by = UnicodeAttribute()
    complete_by = UnicodeAttribute()
    technician_open = UnicodeAttribute(null=True)
    photos = ListAttribute(of=PhotoAttribute, default=list)
    # Step fields (butler.domain.repairs.STEP_FIELDS), as text so that a value typed in the
    # console as a string still reads; the domain parses numbers.
    technician = UnicodeAttribute(null=True)
    survey_plan = UnicodeAttribute(null=True)
    materials_planned = UnicodeAttribute(null=True)
    situation = UnicodeAttribute(null=True)
    pause_reason = UnicodeAttribute(null=True)
    work_done = UnicodeAttribute(null=True)
    materials_used = UnicodeAttribute(null=True)
    labour_minutes = UnicodeAttribute(null=True)
    accepted_by = UnicodeAttribute(null=True)
    reject_reason = UnicodeAttribute(null=True)
    rating = UnicodeAttribute(null=True)
    rating_comment = UnicodeAttribute(null=True)
    not_fixed_reason = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)
    primary_reference = UnicodeAttribute(null=True)

    queue_index = QueueIndex()
    technician_index = TechnicianIndex()
    open_index = OpenIndex()
    overdue_index = OverdueIndex()
    unit_index = UnitIndex()
    linked_index = LinkedIndex()


@lru_cache(maxsize=16)
def work_order_model(table_name: str) -> type[WorkOrderItem]:
    meta = type("Meta", (), {"table_name": table_name})
    return type("WorkOrderItem", (WorkOrderItem,), {"Meta": meta})


# Used by the template checks: each model class and the environment variable that names its table.
MODELS_BY_TABLE_ENV = {"REPAIRS_TABLE": WorkOrderItem}


class OwnerIndex(GlobalSecondaryIndex):
    """A first-contact owner's open cases (首问负责), oldest first; it includes the ones
    waiting for the resident, which have no deadline of ours."""

    class Meta:
        index_name = "owner-by-created-at"
        projection = AllProjection()

    owner_open = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class DepartmentIndex(GlobalSecondaryIndex):
    """Cases transferred to a department, promised reply first."""

    class Meta:
        index_name = "department-by-due"
        projection = AllProjection()

    department_open = UnicodeAttribute(hash_key=True)
    next_due = UnicodeAttribute(range_key=True)


class ComplaintItem(CaseItem):
    kind = UnicodeAttribute()
    topic = UnicodeAttribute()
    description = UnicodeAttribute()
    contact_name = UnicodeAttribute(default="")
    contact_phone = UnicodeAttribute(default="")
    unit = UnicodeAttribute(null=True)
    respond_by = UnicodeAttribute()
    reply_by = UnicodeAttribute(null=True)
    reopen_count = NumberAttribute(default=0)
    owner_open = UnicodeAttribute(null=True)
    department_open = UnicodeAttribute(null=True)
    # Step fields (butler.domain.complaints.STEP_FIELDS), as text.
    owner = UnicodeAttribute(null=True)
    reply = UnicodeAttribute(null=True)
    department = UnicodeAttribute(null=True)
    promised_hours = UnicodeAttribute(null=True)
    findings = UnicodeAttribute(null=True)
    solution = UnicodeAttribute(null=True)
    rating = UnicodeAttribute(null=True)
    not_satisfied_reason = UnicodeAttribute(null=True)
    follow_up = UnicodeAttribute(null=True)

    queue_index = QueueIndex()
    owner_index = OwnerIndex()
    department_index = DepartmentIndex()
    open_index = OpenIndex()
    overdue_index = OverdueIndex()


@lru_cache(maxsize=16)
def complaint_model(table_name: str) -> type[ComplaintItem]:
    meta = type("Meta", (), {"table_name": table_name})
    return type("ComplaintItem", (ComplaintItem,), {"Meta": meta})


MODELS_BY_TABLE_ENV["COMPLAINTS_TABLE"] = ComplaintItem
