"""How long a closed case keeps the resident's contact details, and what is removed then.

Personal information is kept only as long as its purpose needs it (PIPL art. 6 and 19,
minimum necessary). A case's contact details serve the work itself, the follow-up after
it and any dispute about it; once the case has been closed for the retention period
(``CONTACT_RETENTION_DAYS``, docs/architecture.md "Data retention"), they go:

- the kind's ``personal`` attributes are cleared: the contact name and phone, and for an
  inquiry, complaint or suggestion the unit, which points at the household (a repair's
  unit stays: the house archive, 房屋档案, is the unit's history, not the person's);
- every photo of a repair: the files and their records (pictures of a home, of people);
- phone numbers typed into the case's free text (the description, the preferred time, the
  text step fields) are replaced by ``PHONE_REMOVED``; the text itself stays, it is the
  record of the fault. Names in free text cannot be told from other words and are not
  looked for: staff keep names and numbers out of notes (staff guide).

Everything statistics, scorecards and the house archive read stays: status, timeline,
deadlines, category, urgency, kind, topic, owner, technician, department, ratings,
alerts, reopen count, the unit of a repair.

"Closed" is a final state of the case's workflow (repairs: archived, cancelled;
complaints: closed); the retention period runs from the step that reached it
(``closed_at``). A case awaits anonymisation while it is closed and still holds personal
data (``awaits_anonymisation``): the repository keeps exactly those cases in a sparse
index, which the scheduled function reads.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from butler.domain.cases import CaseKind

DEFAULT_RETENTION_DAYS = 365
CONTACT_HELD = "closed"  # the index key of a case that awaits anonymisation
MIN_RETENTION_DAYS = 30  # the template's bounds for ContactRetentionDays
MAX_RETENTION_DAYS = 1095
FREE_TEXT = ("description", "preferred_time", "location")  # top-level text a case may have
CLEARED_AS = {"unit": None}  # a cleared attribute is empty text, or removed (an index key cannot be empty)
PHONE_REMOVED = "（电话已删除）"
# A mainland mobile (also written 139 0000 0001 or 139-0000-0001) or a landline with its
# area code, not inside a longer run of digits or letters.
PHONE_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:1[3-9]\d(?:[ -]?\d{4}){2}|0\d{2,3}[ -]?\d{7,8})(?![0-9A-Za-z])")


def retention_period(days: int) -> timedelta:
    if not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise ValueError(f"contact retention must be {MIN_RETENTION_DAYS}–{MAX_RETENTION_DAYS} days, not {days}")
    return timedelta(days=days)


def is_closed(case: Any, kind: CaseKind) -> bool:
    return kind.workflow.state(case.status).final


def closed_at(case: Any, kind: CaseKind) -> datetime | None:
    """When the case reached its final state (the last step into it); None while open."""
    if not is_closed(case, kind):
        return None
    for entry in reversed(case.timeline):
        if entry.to_status == case.status:
            return entry.at
    return case.timeline[-1].at if case.timeline else case.created_at


def remove_phones(text: str) -> str:
    return PHONE_IN_TEXT.sub(PHONE_REMOVED, text)


def text_fields(case: Any, kind: CaseKind) -> dict[str, str]:
    """The case's free text, by attribute name: its own text and the text step fields."""
    texts = {name: getattr(case, name) for name in FREE_TEXT if isinstance(getattr(case, name, None), str)}
    step_text = {f.name for a in kind.workflow.actions for f in a.fields if f.kind == "text"}
    texts.update({name: value for name, value in case.details.items()
                  if name in step_text and isinstance(value, str)})
    return texts


def holds_personal_data(case: Any, kind: CaseKind) -> bool:
    return (any(getattr(case, name) for name in kind.personal) or bool(getattr(case, "photos", None))
            or any(PHONE_IN_TEXT.search(text) for text in text_fields(case, kind).values()))


def awaits_anonymisation(case: Any, kind: CaseKind) -> bool:
    """Closed and still holding personal data: the work the scheduled function has left."""
    return is_closed(case, kind) and holds_personal_data(case, kind)


def is_due(case: Any, kind: CaseKind, now: datetime, retention: timedelta) -> bool:
    """Closed for at least ``retention``. A case reopened (or closed again later) is not."""
    closed = closed_at(case, kind)
    return closed is not None and closed <= now - retention


@dataclass(frozen=True)
class Anonymisation:
    """What anonymising one case changes."""

    reference: str
    status: str  # the (final) status it was read in
    cleared: tuple[str, ...]  # personal attributes that still hold a value
    texts: dict[str, tuple[str, str]]  # attribute → (as read, without phone numbers)
    photo_keys: tuple[str, ...]  # files to delete

    @property
    def changes_anything(self) -> bool:
        return bool(self.cleared or self.texts or self.photo_keys)


def plan(case: Any, kind: CaseKind) -> Anonymisation:
    texts = {}
    for name, text in text_fields(case, kind).items():
        cleaned = remove_phones(text)
        if cleaned != text:
            texts[name] = (text, cleaned)
    return Anonymisation(
        reference=case.reference, status=case.status,
        cleared=tuple(name for name in kind.personal if getattr(case, name)),
        texts=texts,
        photo_keys=tuple(photo["key"] for photo in getattr(case, "photos", None) or ()),
    )


def apply(case: Any, change: Anonymisation, now: datetime) -> None:
    """The anonymisation, on the case in memory (the repository writes the same)."""
    for name in change.cleared:
        setattr(case, name, CLEARED_AS.get(name, ""))
    for name, (_, cleaned) in change.texts.items():
        if name in case.details:
            case.details[name] = cleaned
        else:
            setattr(case, name, cleaned)
    if change.photo_keys:
        case.photos = []
    case.anonymised_at = case.anonymised_at or now
