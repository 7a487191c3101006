"""What every case repository shares: one item per case, written whole with optimistic
locking, read back into the domain dataclass, and read from stream images the way staff
left them in the console.

Every write by the application (API, staff CLI, staff-edit guard, sweep) bumps
``version``; a console edit does not. That is how the guard tells the two apart.
Subclasses name the model, the domain dataclass, the workflow and the index keys that
derive from a case.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, ClassVar, Generic, Iterator, TypeVar

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from butler.domain import retention
from butler.domain.cases import CaseKind, TimelineEntry, number_fields, step_fields
from butler.domain.errors import Conflict
from butler.domain.timefmt import iso, parse_iso, utc_now
from butler.repository.models import CaseItem, StaffNoteAttribute, TimelineEntryAttribute

C = TypeVar("C")
STRUCTURAL = {"timeline", "staff_notes", "details", "alerted", "version"}


class ReferenceTaken(Exception):
    """A new case's reference is already in use (the caller draws another)."""


@dataclass
class ConsoleImage(Generic[C]):
    """A stored image as a staff member left it: the case as the workflow last accepted
    it (``case``), and what the edit asks for."""

    case: C
    status: str  # the status in the item, possibly edited
    values: dict[str, Any]  # step fields as found in the item
    edited_by: str | None
    resident_note: str
    staff_note: str
    version: int | None


def _check_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


class CaseRepository(Generic[C]):
    kind: ClassVar[CaseKind]
    model_for: ClassVar[Callable[[str], type[CaseItem]]]
    extra: ClassVar[set[str]] = set()  # dataclass fields the subclass maps itself

    def __init__(self, table_name: str):
        self.model = type(self).model_for(table_name)
        names = [f for f in dataclasses.fields(self.kind.case_type)
                 if f.name not in STRUCTURAL | self.extra]
        self._plain = tuple(f.name for f in names)
        self._times = tuple(f.name for f in names if "datetime" in str(f.type))
        self._steps = step_fields(self.kind.workflow)
        self._numbers = number_fields(self.kind.workflow)

    # ------------------------------------------------------------------ hooks
    def derived(self, case: C) -> dict[str, Any]:
        """Index keys and other attributes computed from the case."""
        return {}

    def loaded(self, item: CaseItem) -> dict[str, Any]:
        """Dataclass fields in ``extra``, read from the item."""
        return {}

    # ------------------------------------------------------------------ writes
    def add(self, case: C) -> None:
        """Write a new case in one conditional put: all of it or nothing."""
        item = self._to_item(case)
        try:
            item.save(condition=self.model.reference.does_not_exist())
        except PutError as error:
            if _check_failed(error):
                raise ReferenceTaken(case.reference) from error
            raise
        case.version = item.version

    def withdraw(self, reference: str) -> None:
        """Delete a case just added whose submission could not be recorded under its
        idempotency key: the resident is told nothing was saved and sends it again. Within
        the seconds since it was added, only the stream function's alert mark is expected
        to have touched it, so the delete is unconditional."""
        self.model(reference).delete(add_version_condition=False)

    def save(self, case: C, *, guard_message: str | None = None,
             expected_status: str | None = None) -> bool:
        """Replace the stored case if nobody wrote it since it was read.

        ``expected_status`` also requires the stored status (for the guard, whose input is
        the edited status). Returns False when the stored copy moved on.
        """
        item = self._to_item(case)
        item.guard_message = guard_message
        condition = self.model.reference.exists()
        if expected_status is not None:
            condition &= self.model.status == expected_status
        try:
            item.save(condition=condition)
        except PutError as error:
            if _check_failed(error):
                return False
            raise
        case.version = item.version
        return True

    def save_or_conflict(self, case: C) -> None:
        if not self.save(case):
            raise Conflict()

    def mark_alerted(self, case: C, key: str, *, overdue: bool) -> bool:
        """Record that ``key`` was alerted for ``case`` as read; False if it already was,
        or if the case changed since it was read (the next run looks again). At most
        one alert per key."""
        if key in case.alerted:
            return False
        model = self.model
        item = model(case.reference)
        item.version = case.version  # PynamoDB adds "version unchanged" and bumps it
        actions = [model.alerted.add({key})]
        if overdue:
            actions.append(model.overdue.set("overdue"))
        try:
            item.update(actions=actions, condition=(
                model.alerted.does_not_exist() | ~model.alerted.contains(key)))
        except UpdateError as error:
            if _check_failed(error):
                return False
            raise
        case.alerted.add(key)
        case.version = item.version
        return True

    def unmark_alerted(self, reference: str, key: str) -> None:
        item = self.model.get(reference, consistent_read=True)
        item.update(actions=[self.model.alerted.delete({key})])

    def anonymise(self, case: C, change: retention.Anonymisation, now: datetime, *,
                  finished: bool) -> bool:
        """Write ``change`` to ``case`` as read: only if nobody wrote it since, it is still
        in the status it was read in and still awaits anonymisation, and its free text is
        still what was read (a console correction meanwhile). ``finished`` also takes it
        out of the ``closed-with-contact`` index (not while photo files are left to delete).
        False if the case moved on; it is then left as it is."""
        model = self.model
        item = model(case.reference)
        item.version = case.version  # PynamoDB adds "version unchanged" and bumps it
        actions = [getattr(model, name).remove() if getattr(model, name).null else getattr(model, name).set("")
                   for name in change.cleared]
        actions += [getattr(model, name).set(cleaned) for name, (_, cleaned) in change.texts.items()]
        actions.append(model.anonymised_at.set(model.anonymised_at | iso(now)))
        if finished:
            actions.append(model.contact_held.remove())
        condition = model.contact_held.exists() & (model.status == change.status)
        for name, (read, _) in change.texts.items():
            condition &= getattr(model, name) == read
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as error:
            if _check_failed(error):
                return False
            raise
        retention.apply(case, dataclasses.replace(change, photo_keys=()), now)
        case.anonymised_at = parse_iso(item.anonymised_at)
        case.version = item.version
        return True

    # ------------------------------------------------------------------ reads
    def get(self, reference: str) -> C | None:
        try:
            item = self.model.get(reference, consistent_read=True)
        except DoesNotExist:
            return None
        return self._from_item(item)

    def token_hash(self, reference: str) -> str | None:
        """The stored tracking-token hash of ``reference`` alone (a projected read), None if
        there is no such case: an unknown reference and a known one cost the same read of at
        most one attribute, so a 404 does not say which it was (``find_for_resident``)."""
        # The table connection's answer as it comes (no model built): both paths do the same.
        answer = self.model._get_connection().get_item(reference, consistent_read=True,
                                                       attributes_to_get=["token_hash"])
        return answer.get("Item", {}).get("token_hash", {}).get("S")

    def due_before(self, moment: datetime) -> Iterator[str]:
        """References of open cases whose current deadline is before ``moment``."""
        for item in self.model.open_index.query("open", self.model.next_due < iso(moment)):
            yield item.reference

    def queue(self, status: str) -> list[C]:
        return [self._from_item(i) for i in self.model.queue_index.query(status)]

    def in_status(self, status: str, *, created_by: datetime | None = None, limit: int) -> list[C]:
        """At most ``limit`` cases in ``status`` (created at or before ``created_by`` if
        given), oldest first: one Query on the queue index, which projects whole items (as
        an index read, they may lag: write them back conditionally)."""
        condition = self.model.created_at <= iso(created_by) if created_by else None
        return [self._from_item(i) for i in self.model.queue_index.query(status, condition, limit=limit)]

    def overdue(self) -> list[C]:
        return [self._from_item(i) for i in self.model.overdue_index.query("overdue")]

    def closed_with_contact(self, closed_by: datetime, page_size: int = 100) -> Iterator[str]:
        """References of closed cases still holding contact details that were closed at or
        before ``closed_by``, oldest first, page by page (a Query on a sparse index)."""
        for item in self.model.closed_index.query(retention.CONTACT_HELD,
                                                  self.model.closed_at <= iso(closed_by),
                                                  page_size=page_size):
            yield item.reference

    def count_in(self, status: str) -> int:
        """Cases in one status: a counting Query on the queue index."""
        return self.model.queue_index.count(status)

    def count_overdue(self) -> int:
        return self.model.overdue_index.count("overdue")

    def scan_all(self) -> Iterator[C]:
        """Every case in the table, in no particular order.

        A full Scan (every item, page by page): for staff reports run by hand, such as the
        quarterly scorecards (``butler-staff scorecard``), never on a request path or in a
        function. No function's role allows ``dynamodb:Scan``.
        """
        for item in self.model.scan():
            yield self._from_item(item)

    def decode(self, image: dict[str, Any]) -> ConsoleImage[C]:
        """Read a stream image (DynamoDB JSON) the way the console left it."""
        item = self.model.from_raw_data(image)
        case = self._from_item(item)
        status = case.status
        case.status = item.applied_status
        return ConsoleImage(
            case=case, status=status,
            values={name: getattr(item, name) for name in self._steps},
            edited_by=item.edited_by, resident_note=item.resident_note or "",
            staff_note=item.staff_note or "", version=item.version,
        )

    # ------------------------------------------------------------------ mapping
    def _to_item(self, case: C) -> CaseItem:
        values = {name: _stored(getattr(case, name)) for name in self._plain}
        values.update({name: _as_text(case.details.get(name)) for name in self._steps})
        if case.version is not None:
            values["version"] = case.version
        due = self.kind.next_due(case)
        values.update(
            applied_status=case.status,
            queue=case.status,
            updated_at=iso(utc_now()),
            next_due=iso(due) if due else None,
            due_queue="open" if due else None,
            overdue="overdue" if self.kind.breach(case, utc_now()) else None,
            alerted=set(case.alerted) or None,
            timeline=[
                TimelineEntryAttribute(
                    at=iso(e.at), action=e.action, from_status=e.from_status,
                    to_status=e.to_status, actor_role=e.actor_role, actor=e.actor, note=e.note,
                )
                for e in case.timeline
            ],
            staff_notes=[StaffNoteAttribute(**note) for note in case.staff_notes],
            closed_at=_stored(retention.closed_at(case, self.kind)),
            contact_held=retention.CONTACT_HELD if retention.awaits_anonymisation(case, self.kind) else None,
        )
        values.update(self.derived(case))
        return self.model(**values)

    def _from_item(self, item: CaseItem) -> C:
        values = {name: getattr(item, name) for name in self._plain}
        for name in self._times:
            values[name] = parse_iso(values[name]) if values[name] else None
        return self.kind.case_type(
            **values,
            timeline=[
                TimelineEntry(parse_iso(e.at), e.action, e.from_status, e.to_status,
                              e.actor_role, e.note, e.actor)
                for e in item.timeline
            ],
            staff_notes=[note.as_dict() for note in item.staff_notes],
            details={name: self._parsed(name, getattr(item, name)) for name in self._steps
                     if getattr(item, name) not in (None, "")},
            alerted=set(item.alerted or ()),
            version=item.version,
            **self.loaded(item),
        )

    def _parsed(self, name: str, value: str) -> Any:
        if name in self._numbers:
            try:
                return int(value)
            except ValueError:
                return value  # left for the workflow to refuse with a reason
        return value


def _stored(value: object) -> object:
    return iso(value) if isinstance(value, datetime) else value


def _as_text(value: object) -> object:
    """Step fields are text attributes (a number typed in the console as a string still reads)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value
