"""What every service case has in common, whatever its workflow: a status, the values its
steps recorded, a timeline of every step, staff-only notes. Steps are taken here, for
repairs and complaints alike, by the workflow the case belongs to."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping, Protocol

from butler.domain.errors import NotPermitted
from butler.domain.staff import Roster
from butler.domain.timefmt import iso
from butler.domain.workflow import Action, Workflow


@dataclass
class TimelineEntry:
    at: datetime
    action: str
    from_status: str | None
    to_status: str
    actor_role: str
    note: str = ""  # resident-visible
    actor: str = ""  # staff id, "resident" or "system"


class Case(Protocol):
    status: str
    details: dict[str, Any]
    timeline: list[TimelineEntry]
    staff_notes: list[dict]


def take_step(case: Case, workflow: Workflow, action_code: str, *, role: str, now: datetime,
              actor: str = "", values: Mapping[str, Any] | None = None,
              roster: Roster | None = None, note: str = "", staff_note: str = "") -> Action:
    """Take one step: check it and its fields, move the status, record it."""
    action = workflow.take(case.status, action_code, role)
    _record(case, action, role=role, now=now, actor=actor or role, values=values or {},
            roster=roster, note=note, staff_note=staff_note)
    return action


def take_implied_step(case: Case, workflow: Workflow, target: str, *, role: str, now: datetime,
                      actor: str, values: Mapping[str, Any], roster: Roster | None = None,
                      note: str = "", staff_note: str = "") -> Action:
    """The step a new status implies (a console edit), checked like ``take_step``."""
    action = workflow.step_between(case.status, target, role)
    _record(case, action, role=role, now=now, actor=actor, values=values, roster=roster,
            note=note, staff_note=staff_note)
    return action


def _record(case: Case, action: Action, *, role: str, now: datetime, actor: str,
            values: Mapping[str, Any], roster: Roster | None, note: str, staff_note: str) -> None:
    action.check_wait(case.status, case.timeline, now)  # every way of taking a step passes here
    owner = case.details.get("owner")
    if action.owner_only and owner and actor != owner:
        raise NotPermitted(f"“{action.label}”只能由首问负责人 {owner} 操作。")
    checked = {f.name: f.check(values.get(f.name), roster) for f in action.fields}
    noted = [f"{f.label}：{checked[f.name]}" for f in action.fields if f.staff_note and checked[f.name]]
    staff_note = "；".join(filter(None, [*noted, staff_note.strip()]))
    case.details.update({name: value for name, value in checked.items() if value is not None})
    case.timeline.append(TimelineEntry(now, action.code, case.status, action.target, role,
                                       (note or action.resident_note).strip(), actor))
    if staff_note:
        case.staff_notes.append({"at": iso(now), "author": actor, "text": staff_note})
    case.status = action.target


def step_fields(workflow: Workflow) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.name for a in workflow.actions for f in a.fields))


def resident_fields(workflow: Workflow) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.name for a in workflow.actions for f in a.fields if f.resident_visible))


def number_fields(workflow: Workflow) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.name for a in workflow.actions for f in a.fields
                               if f.kind in ("minutes", "rating", "hours")))


def resident_timeline(case: Case, workflow: Workflow) -> list[dict[str, str]]:
    return [
        {"at": iso(e.at), "status": e.to_status, "status_label": workflow.state(e.to_status).label,
         "note": e.note}
        for e in case.timeline
        if e.note or e.from_status != e.to_status
    ]


@dataclass(frozen=True)
class CaseKind:
    """Everything the shared machinery needs to know about one kind of case."""

    name: str
    prefix: str  # of references: R-…, C-…
    workflow: Workflow
    case_type: type
    # The deadline each status works towards: status → (the case's attribute, breach name).
    deadlines: Mapping[str, tuple[str, str]]
    protected: tuple[str, ...] = ()  # fields staff may not change in the console, besides the common ones
    # The resident's personal data on the case, cleared once it has been closed for the
    # retention period (butler.domain.retention); the rest is kept for statistics.
    personal: tuple[str, ...] = ("contact_name", "contact_phone")
    after_step: Callable[[Any, Action, datetime], None] | None = None  # what a step changes beyond the record

    def next_due(self, case: Any) -> datetime | None:
        """The deadline the case is working towards now, if any."""
        deadline = self.deadlines.get(case.status)
        return getattr(case, deadline[0]) if deadline else None

    def breach(self, case: Any, now: datetime) -> str | None:
        """The name of the deadline the case has missed, if it has."""
        due = self.next_due(case)
        if due is None or now <= due:
            return None
        return self.deadlines[case.status][1]

    def advance(self, case: Any, action_code: str, *, role: str, now: datetime, actor: str = "",
                values: Mapping[str, Any] | None = None, roster: Roster | None = None,
                note: str = "", staff_note: str = "") -> Any:
        """Take one step of this kind's workflow (``take_step``) and its consequences."""
        action = take_step(case, self.workflow, action_code, role=role, now=now, actor=actor,
                           values=values, roster=roster, note=note, staff_note=staff_note)
        if self.after_step:
            self.after_step(case, action, now)
        return case

    def advance_to(self, case: Any, target: str, *, now: datetime, **step: Any) -> Action:
        """The step a new status implies (a console edit), with its consequences."""
        action = take_implied_step(case, self.workflow, target, now=now, **step)
        if self.after_step:
            self.after_step(case, action, now)
        return action
