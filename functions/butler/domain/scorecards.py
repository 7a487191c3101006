"""Service-quality scorecards (考核, plan §5.3): per staff member and per department, per
quarter. Pure: cases, the roster and the quarter's survey results in, rows out.

The definitions are written as formulas in ``docs/scorecards.md``; code and document say
the same thing:

- a repair is *handled* in the quarter of its first ``complete`` step, and counts for the
  technician of record and for ``engineering``; an inquiry, complaint or suggestion is
  handled in the quarter of its first step into ``closed``, and counts for its
  first-contact owner and its department;
- it is *on time* when the overdue sweep recorded no missed deadline of its kind for it
  (a key ``<breach>:<deadline>`` in ``alerted``);
- it was *sent back* when the butler rejected the repair or the resident said it was not
  fixed, or when the resident was not satisfied with the answer (``reopen_count``);
- the *survey score* is the mean of the quarter's survey means of the areas that the
  member's or the department's department serves.

Rates are percentages to one decimal and means have two decimals, rounded half up, by the
survey's helpers; an empty denominator gives None (shown as "—").
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Iterable, Optional

from butler.domain.cases import CaseKind, TimelineEntry
from butler.domain.complaints import COMPLAINT, DEPARTMENTS, ComplaintCase
from butler.domain.repairs import REPAIR, WorkOrder
from butler.domain.staff import Roster
from butler.domain.surveys import TWO_PLACES, Results, areas_of_department, mean, percent
from butler.domain.surveys import quarter_bounds, quarter_label

HANDLING_ROLES = ("technician", "maintenance_lead", "customer_service", "butler")  # listed even without cases
REPAIR_DEPARTMENT = "engineering"  # every repair counts for the engineering department
CLOSED = "closed"  # the state in which an inquiry, complaint or suggestion is handled
SENT_BACK = ("reject", "report_not_fixed")  # repair steps that send the work back
RATINGS = range(1, 6)
DEPARTMENT_BY_LABEL = {d.label: d.code for d in DEPARTMENTS}  # the roster names departments in Chinese


# ---------------------------------------------------------------------- one case
def breach_names(kind: CaseKind) -> frozenset[str]:
    """The deadlines a case of ``kind`` can miss (``response``, ``completion``,
    ``promised_reply``); ``emergency`` is an alert, not a missed deadline."""
    return frozenset(name for _, name in kind.deadlines.values())


def _first(timeline: Iterable[TimelineEntry], marks: Callable[[TimelineEntry], bool]) -> Optional[datetime]:
    return next((entry.at for entry in timeline if marks(entry)), None)


def handled_at(case: WorkOrder | ComplaintCase) -> Optional[datetime]:
    """When the case was handled: a repair's first completion, a complaint case's first
    step into ``closed``; None if it has not been."""
    if isinstance(case, WorkOrder):
        return _first(case.timeline, lambda entry: entry.action == "complete")
    return _first(case.timeline, lambda entry: entry.to_status == CLOSED)


def on_time(case: WorkOrder | ComplaintCase) -> bool:
    """No missed deadline recorded by the overdue sweep (``<breach>:<deadline>`` keys)."""
    kind = REPAIR if isinstance(case, WorkOrder) else COMPLAINT
    missed = breach_names(kind)
    return not any(key.split(":", 1)[0] in missed for key in case.alerted)


def sent_back(case: WorkOrder | ComplaintCase) -> bool:
    """Sent back at least once: a repair rejected at acceptance or reported not fixed, a
    complaint case the resident was not satisfied with."""
    if isinstance(case, WorkOrder):
        return any(entry.action in SENT_BACK for entry in case.timeline)
    return case.reopen_count > 0


def rating(case: WorkOrder | ComplaintCase) -> Optional[int]:
    """The resident's rating (1–5), if they gave one."""
    value = case.details.get("rating")
    return value if isinstance(value, int) and not isinstance(value, bool) and value in RATINGS else None


@dataclass(frozen=True)
class Handled:
    """A case handled in the quarter, reduced to what the scorecards count."""

    reference: str
    at: datetime
    staff: Optional[str]  # the technician of record, or the first-contact owner
    department: str  # a DEPARTMENTS code
    on_time: bool
    rating: Optional[int]
    reopened: bool


def handled(case: WorkOrder | ComplaintCase) -> Optional[Handled]:
    at = handled_at(case)
    if at is None:
        return None
    if isinstance(case, WorkOrder):
        staff, department = case.technician, REPAIR_DEPARTMENT
    else:
        staff, department = case.owner, case.department
    return Handled(case.reference, at, staff, department, on_time(case), rating(case), sent_back(case))


def handled_in(quarter: str, cases: Iterable[WorkOrder | ComplaintCase]) -> list[Handled]:
    """The cases handled in ``quarter`` (Shanghai time, [start, end))."""
    start, end = quarter_bounds(quarter)
    found = (handled(case) for case in cases)
    return [h for h in found if h is not None and start <= h.at < end]


# ---------------------------------------------------------------------- measures
@dataclass(frozen=True)
class Measures:
    handled: int
    on_time: int
    on_time_rate: Optional[Decimal]  # percent, one decimal
    ratings: int
    mean_rating: Optional[Decimal]  # two decimals
    reopened: int
    reopen_rate: Optional[Decimal]  # percent, one decimal
    survey_score: Optional[Decimal]  # two decimals


def measures(cases: Iterable[Handled], survey_score: Optional[Decimal]) -> Measures:
    cases = list(cases)
    ratings = [case.rating for case in cases if case.rating is not None]
    punctual = sum(case.on_time for case in cases)
    reopened = sum(case.reopened for case in cases)
    return Measures(
        handled=len(cases), on_time=punctual, on_time_rate=percent(punctual, len(cases)),
        ratings=len(ratings), mean_rating=mean(Counter(str(r) for r in ratings)),
        reopened=reopened, reopen_rate=percent(reopened, len(cases)), survey_score=survey_score,
    )


def survey_score(department: Optional[str], survey: Optional[Results]) -> Optional[Decimal]:
    """Mean of the survey means of the areas ``department`` serves (areas without answers
    left out), two decimals half up; None without results, department or areas."""
    if survey is None or department is None:
        return None
    means = [survey.area(code).mean for code in areas_of_department(department)]
    means = [m for m in means if m is not None]
    if not means:
        return None
    return (sum(means) / len(means)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------- rows
@dataclass(frozen=True)
class StaffRow:
    staff_id: str
    name: str  # "" for someone no longer in the roster
    role: str
    department: Optional[str]  # DEPARTMENTS code, from the roster's label
    department_label: str  # as the roster writes it
    measures: Measures


@dataclass(frozen=True)
class DepartmentRow:
    code: str
    label: str
    measures: Measures


@dataclass(frozen=True)
class Scorecards:
    quarter: str
    label: str
    start: datetime  # Shanghai time, inclusive
    end: datetime  # exclusive
    staff: tuple[StaffRow, ...]
    departments: tuple[DepartmentRow, ...]
    survey: Optional[Results]


def scorecards(quarter: str, repairs: Iterable[WorkOrder], complaints: Iterable[ComplaintCase],
               roster: Roster, survey: Optional[Results] = None) -> Scorecards:
    """Every department, and every member of the roster who handles cases (plus anyone
    else a handled case counts for), in roster order."""
    cases = handled_in(quarter, [*repairs, *complaints])
    listed = [m.id for m in roster.values() if m.role in HANDLING_ROLES]
    others = sorted({c.staff for c in cases if c.staff and c.staff not in listed})
    staff_rows = []
    for staff_id in (*listed, *others):
        member = roster.get(staff_id)
        label = member.department if member else ""
        code = DEPARTMENT_BY_LABEL.get(label)
        staff_rows.append(StaffRow(
            staff_id, member.name if member else "", member.role if member else "", code, label,
            measures((c for c in cases if c.staff == staff_id), survey_score(code, survey))))
    department_rows = tuple(
        DepartmentRow(d.code, d.label, measures((c for c in cases if c.department == d.code),
                                                survey_score(d.code, survey)))
        for d in DEPARTMENTS)
    start, end = quarter_bounds(quarter)
    return Scorecards(quarter, quarter_label(quarter), start, end, tuple(staff_rows), department_rows, survey)

