"""The work-order repository: repair work orders in the repairs table."""
from __future__ import annotations

from functools import partial
from typing import Any

from pynamodb.exceptions import UpdateError

from butler.domain.repairs import REPAIR, WORK_STATES, WorkOrder
from butler.repository.cases import CaseRepository, ConsoleImage, ReferenceTaken, _check_failed
from butler.repository.models import PhotoAttribute, WorkOrderItem, bound

__all__ = ["WorkOrderRepository", "ConsoleImage", "ReferenceTaken"]


class WorkOrderRepository(CaseRepository[WorkOrder]):
    kind = REPAIR
    model_for = staticmethod(partial(bound, WorkOrderItem))
    extra = {"photos"}

    def derived(self, order: WorkOrder) -> dict[str, Any]:
        return {
            "emergency": order.emergency,
            "technician_open": order.technician if order.status in WORK_STATES else None,
            "photos": [PhotoAttribute(**photo) for photo in order.photos],
        }

    def loaded(self, item: WorkOrderItem) -> dict[str, Any]:
        return {"photos": [{**photo.as_dict(), "size": int(photo.size)} for photo in item.photos]}

    def technician_jobs(self, technician: str) -> list[WorkOrder]:
        return [self._from_item(i) for i in self.model.technician_index.query(technician)]

    def unit_history(self, unit: str) -> list[WorkOrder]:
        return [self._from_item(i) for i in self.model.unit_index.query(unit)]

    def linked_to(self, reference: str) -> list[str]:
        return [item.reference for item in self.model.linked_index.query(reference)]

    def drop_photo_records(self, order: WorkOrder) -> bool:
        """After an anonymisation deleted the photo files: drop their records and take the
        order out of the ``closed-with-contact`` index, if nobody wrote it since."""
        model = self.model
        item = model(order.reference)
        item.version = order.version
        try:
            item.update(actions=[model.photos.set([]), model.contact_held.remove()],
                        condition=model.contact_held.exists() & (model.status == order.status))
        except UpdateError as error:
            if _check_failed(error):
                return False
            raise
        order.photos = []
        order.version = item.version
        return True
