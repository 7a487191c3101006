"""How much work is open, for the staff dashboard: cases in each open status of a
workflow and how many are past their deadline. One counting Query per open status."""
from __future__ import annotations

from dataclasses import dataclass

from butler.repository.cases import CaseRepository


@dataclass(frozen=True)
class Workload:
    kind: str  # repair, complaint
    open_by_status: dict[str, int]  # every open status of the workflow, zeros included
    overdue: int


def workload(repo: CaseRepository) -> Workload:
    kind = repo.kind
    return Workload(kind.name,
                    {state.code: repo.count_in(state.code) for state in kind.workflow.states if not state.final},
                    repo.count_overdue())
