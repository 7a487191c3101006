"""The complaint repository: inquiries, complaints and suggestions in the complaints table."""
from __future__ import annotations

from functools import partial
from typing import Any

from butler.domain.complaints import COMPLAINT, COMPLAINT_WORKFLOW, REPLY_STATES, ComplaintCase
from butler.repository.cases import CaseRepository
from butler.repository.models import ComplaintItem, bound


class ComplaintRepository(CaseRepository[ComplaintCase]):
    kind = COMPLAINT
    model_for = staticmethod(partial(bound, ComplaintItem))

    def derived(self, case: ComplaintCase) -> dict[str, Any]:
        final = COMPLAINT_WORKFLOW.state(case.status).final
        return {
            "owner_open": case.owner if case.owner and not final else None,
            "department_open": case.department if case.status in REPLY_STATES else None,
        }

    def owned_by(self, staff_id: str) -> list[ComplaintCase]:
        return [self._from_item(i) for i in self.model.owner_index.query(staff_id)]

    def with_department(self, department: str) -> list[ComplaintCase]:
        return [self._from_item(i) for i in self.model.department_index.query(department)]
