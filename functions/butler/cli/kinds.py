"""The kinds of case the staff tool works on, and how a reference tells which one it is.

Everything kind-specific the tool needs (the shared ``CaseKind``, its repository, its table
and how staff call it) is here, so that commands are written once for every kind.
"""
from __future__ import annotations

from dataclasses import dataclass

from butler.domain import identifiers
from butler.domain.cases import CaseKind
from butler.domain.complaints import COMPLAINT
from butler.domain.errors import NotFound
from butler.domain.repairs import REPAIR
from butler.domain.workflow import Workflow
from butler.repository.cases import CaseRepository
from butler.repository.complaints import ComplaintRepository
from butler.repository.work_orders import WorkOrderRepository


@dataclass(frozen=True)
class Kind:
    case: CaseKind
    label: str  # what staff call one case of this kind
    short: str  # marks its steps in the command overview
    example: str  # a reference, for help texts and messages
    repository: type[CaseRepository]
    table_option: str
    table_env: str
    table_setting: str  # the attribute of ``butler.settings.Settings``
    table_label: str

    @property
    def name(self) -> str:
        return self.case.name

    @property
    def workflow(self) -> Workflow:
        return self.case.workflow

    @property
    def table_dest(self) -> str:  # the parsed option's attribute
        return self.table_option.removeprefix("--").replace("-", "_")


REPAIR_KIND = Kind(REPAIR, "报修工单", "报修", "R-7KQ4-M2XP", WorkOrderRepository,
                   "--table", "REPAIRS_TABLE", "repairs_table", "报修表")
COMPLAINT_KIND = Kind(COMPLAINT, "咨询投诉建议", "咨询投诉", "C-7KQ4-M2XP", ComplaintRepository,
                      "--complaints-table", "COMPLAINTS_TABLE", "complaints_table", "咨询投诉建议表")

KINDS: dict[str, Kind] = {k.name: k for k in (REPAIR_KIND, COMPLAINT_KIND)}
_BY_PREFIX = {k.case.prefix: k for k in KINDS.values()}
_BY_WORKFLOW = {k.workflow.name: k for k in KINDS.values()}


def for_workflow(workflow: Workflow) -> Kind:
    return _BY_WORKFLOW[workflow.name]


def examples() -> str:
    return "、".join(f"{k.label} {k.example}" for k in KINDS.values())


def of_reference(text: str) -> tuple[Kind, str]:
    """The kind a reference belongs to (by its prefix) and the reference as stored; an
    unknown or malformed reference is ``NotFound`` with a Chinese hint."""
    reference = identifiers.normalize_reference(text)
    kind = _BY_PREFIX.get(reference[:1]) if identifiers.is_reference(reference) else None
    if kind is None:
        raise NotFound(f"没有找到编号 {text}：请核对编号（{examples()}）。")
    return kind, reference


def not_found(kind: Kind, text: str) -> NotFound:
    return NotFound(f"没有找到{kind.label.removesuffix('工单')}编号 {text}：请核对编号（例如 {kind.example}）。")
