"""PynamoDB models. Attribute names are plain English so staff can read and edit items in
the DynamoDB console: the status, the step fields (``technician``, ``work_done`` ...) and
the inputs ``edited_by``, ``resident_note``, ``staff_note`` are top-level attributes.
Table names come from settings at call time: ``bound`` returns a model class bound to a
table name (cached per model and name).
"""
from __future__ import annotations

from functools import lru_cache
from typing import TypeVar

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

from butler.domain.cases import step_fields
from butler.domain.complaints import COMPLAINT_WORKFLOW
from butler.domain.repairs import REPAIR_WORKFLOW
from butler.domain.workflow import Workflow

M = TypeVar("M", bound=Model)


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


def _index(name: str, hash_key: str, range_key: str, *, keys_only: bool = False) -> type[GlobalSecondaryIndex]:
    """A global secondary index class keyed by two string attributes of the item."""
    meta = type("Meta", (), {"index_name": name,
                             "projection": KeysOnlyProjection() if keys_only else AllProjection()})
    return type(name.title().replace("-", ""), (GlobalSecondaryIndex,), {
        "Meta": meta, hash_key: UnicodeAttribute(hash_key=True), range_key: UnicodeAttribute(range_key=True)})


# Every case table. Queues by status, oldest first (console: 新报修 = reported, 待验收 =
# completed); everything with a running deadline (due_queue = "open", what the overdue
# sweep reads); what the sweep found past its deadline and is still open.
QueueIndex = _index("queue-by-created-at", "queue", "created_at")
OpenIndex = _index("open-by-due", "due_queue", "next_due", keys_only=True)
OverdueIndex = _index("overdue-by-due", "overdue", "next_due")
# Closed cases still holding the resident's contact details (contact_held = "closed"), by
# closing time: what the anonymisation reads (butler.domain.retention).
ClosedIndex = _index("closed-with-contact", "contact_held", "closed_at", keys_only=True)

# Repairs. A technician's open jobs, nearest deadline first; the house archive (房屋档案):
# every repair of one unit; reports merged into one shared fault's work order.
TechnicianIndex = _index("technician-by-due", "technician_open", "next_due")
UnitIndex = _index("unit-by-created-at", "unit", "created_at")
LinkedIndex = _index("linked-by-primary", "primary_reference", "created_at", keys_only=True)

# Inquiries, complaints and suggestions. A first-contact owner's open cases (首问负责),
# including the ones waiting for the resident, which have no deadline of ours; cases
# transferred to a department, promised reply first.
OwnerIndex = _index("owner-by-created-at", "owner_open", "created_at")
DepartmentIndex = _index("department-by-due", "department_open", "next_due")


class PhotoAttribute(MapAttribute):
    id = UnicodeAttribute()
    kind = UnicodeAttribute()
    key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    at = UnicodeAttribute()
    by = UnicodeAttribute()
    verified_at = UnicodeAttribute(null=True)  # butler.domain.photos: checked to be a picture


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
    description = UnicodeAttribute()
    unit = UnicodeAttribute(null=True)
    contact_name = UnicodeAttribute(default="")  # personal data: never logged
    contact_phone = UnicodeAttribute(default="")
    created_at = UnicodeAttribute()
    respond_by = UnicodeAttribute()  # the first deadline every kind promises
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
    closed_at = UnicodeAttribute(null=True)  # when it reached a final state
    contact_held = UnicodeAttribute(null=True)  # "closed" while closed and holding personal data
    anonymised_at = UnicodeAttribute(null=True)  # when the personal data was removed
    phone_code = UnicodeAttribute(null=True)  # butler.domain.phone_codes.StoredCode: no code in clear
    version = VersionAttribute()

    queue_index = QueueIndex()
    open_index = OpenIndex()
    overdue_index = OverdueIndex()
    closed_index = ClosedIndex()


def _with_steps(workflow: Workflow) -> type[CaseItem]:
    """``CaseItem`` plus one attribute per step field of ``workflow``, as text so that a value
    typed in the console as a string still reads (the domain parses numbers)."""
    fields = {name: UnicodeAttribute(null=True) for name in step_fields(workflow)}
    return type(f"{workflow.name.title()}StepFields", (CaseItem,), fields)


class WorkOrderItem(_with_steps(REPAIR_WORKFLOW)):
    category = UnicodeAttribute()
    emergency = BooleanAttribute()
    urgency = UnicodeAttribute()
    location_type = UnicodeAttribute()
    location = UnicodeAttribute(default="")
    preferred_time = UnicodeAttribute(default="")
    complete_by = UnicodeAttribute()
    technician_open = UnicodeAttribute(null=True)
    photos = ListAttribute(of=PhotoAttribute, default=list)

    technician_index = TechnicianIndex()
    unit_index = UnitIndex()
    linked_index = LinkedIndex()


class ComplaintItem(_with_steps(COMPLAINT_WORKFLOW)):
    kind = UnicodeAttribute()
    topic = UnicodeAttribute()
    reply_by = UnicodeAttribute(null=True)
    reopen_count = NumberAttribute(default=0)
    owner_open = UnicodeAttribute(null=True)
    department_open = UnicodeAttribute(null=True)

    owner_index = OwnerIndex()
    department_index = DepartmentIndex()


@lru_cache(maxsize=32)
def bound(model: type[M], table_name: str) -> type[M]:
    """``model`` bound to the table named ``table_name`` (one class per model and name)."""
    meta = type("Meta", (), {"table_name": table_name})
    return type(model.__name__, (model,), {"Meta": meta})


class SurveyItem(Model):
    """The surveys table holds three kinds of item under one key schema (``pk``, ``sk``):
    a campaign (``CAMPAIGN#2026Q4`` / ``CAMPAIGN``), its responses (``CAMPAIGN#2026Q4`` /
    ``RESPONSE#<random id>``: no time, docs/surveys.md) and the invitations
    (``CODE#<sha256 of the code>`` / ``CODE``).
    The three are in ``butler.repository.survey_models``: only the surveys function loads
    them and the survey domain they are built from (docs/cold-start.md)."""

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


# Used by the template checks: each model class and the environment variable that names its table.
MODELS_BY_TABLE_ENV = {"REPAIRS_TABLE": WorkOrderItem, "COMPLAINTS_TABLE": ComplaintItem,
                       "SURVEYS_TABLE": SurveyItem}
