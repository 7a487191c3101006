"""The staff-edit guard: every edit a staff member makes to a case (work order, complaint) in the DynamoDB
console is checked against the workflow.

A console edit is a stream MODIFY whose ``version`` did not move (every application write
bumps it). A valid status change is taken as the step it implies and recorded in the
timeline; anything else is put back with the reason, in Chinese, in ``guard_message``.
Every write is conditional on the item still being what the record shows, so duplicate,
replayed and out-of-date records change nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from butler.domain.errors import DomainError, InvalidTransition
from butler.domain.staff import Roster
from butler.domain.timefmt import SHANGHAI, iso
from butler.repository.cases import CaseRepository
from butler.services.cases import check_step

# What a console edit may not change in any case: identity and history (each kind adds its
# deadlines and their basis, CaseKind.protected).
PROTECTED = ("token_hash", "timeline", "staff_notes", "created_at", "source", "alerted", "anonymised_at")


@dataclass(frozen=True)
class Outcome:
    kind: str  # ignored | unchanged | applied | noted | refused | stale
    action: str | None = None
    message: str | None = None


def check_console_edit(repo: CaseRepository, old_image: dict[str, Any],
                       new_image: dict[str, Any], roster: Roster, now: datetime) -> Outcome:
    try:
        old, new = repo.decode(old_image), repo.decode(new_image)
    except (ValueError, KeyError, TypeError, AttributeError):
        return _restore_unreadable(repo, old_image, new_image, now)
    if new.version != old.version:
        return Outcome("ignored")  # written by the application, already checked

    order = new.case
    tampered = [name for name in (*PROTECTED, *repo.kind.protected)
                if getattr(old.case, name) != getattr(order, name)]
    for name in tampered:
        setattr(order, name, getattr(old.case, name))
    fields_changed = new.values != old.values
    # A step records only its own fields: every other step field keeps its stored value
    # (so a transfer can never change the owner, nor a survey the technician).
    order.details = dict(old.case.details)
    reasons = []
    if tampered:
        reasons.append(f"这些字段不能在控制台修改，已恢复：{'、'.join(tampered)}。")

    kind, action = "unchanged", None
    if new.status != order.status or fields_changed:
        try:
            editor = roster.get(new.edited_by or "")
            if editor is None:
                raise InvalidTransition("修改前，请在 edited_by 填写您的员工工号（例如 gj-li）。")
            action = repo.kind.advance_to(order, new.status, role=editor.role, actor=editor.id,
                                values=new.values, roster=roster, note=new.resident_note,
                                staff_note=new.staff_note, now=now).code
            check_step(repo, order, action)
            kind = "applied"
        except DomainError as error:
            _put_back_step_fields(order, old.case)
            kind = "refused"
            reasons.insert(0, f"修改未生效：{error.message}")
    elif new.staff_note.strip():
        author = new.edited_by or "控制台"
        order.staff_notes.append({"at": iso(now), "author": author, "text": new.staff_note.strip()})
        kind = "noted"
    elif new.resident_note.strip():
        reasons.append("给业主的说明（resident_note）要和状态修改一起填写，本次未发布。")

    if kind == "unchanged" and not reasons and new.edited_by is None:
        return Outcome("unchanged")  # an ordinary data correction (description, phone ...)
    if tampered and kind == "unchanged":
        kind = "refused"
    message = None
    if reasons:
        message = f"{' '.join(reasons)}（{now.astimezone(SHANGHAI):%m-%d %H:%M}）"
    order.version = new.version
    if not repo.save(order, guard_message=message, expected_status=new.status):
        return Outcome("stale")
    return Outcome(kind, action, message)


def _restore_unreadable(repo: CaseRepository, old_image: dict[str, Any],
                        new_image: dict[str, Any], now: datetime) -> Outcome:
    """An edit that broke an attribute's type: put the previous image back."""
    try:
        old = repo.decode(old_image)
    except (ValueError, KeyError, TypeError, AttributeError):
        return Outcome("ignored")
    order = old.case
    order.version = int(new_image.get("version", {}).get("N", old.version or 0))
    message = f"修改未生效：有字段的类型不对（例如把数字改成了列表），已恢复。（{now.astimezone(SHANGHAI):%m-%d %H:%M}）"
    if not repo.save(order, guard_message=message):
        return Outcome("stale")
    return Outcome("refused", None, message)


def _put_back_step_fields(order: Any, before: Any) -> None:
    order.details = dict(before.details)
