"""Use cases every kind of case shares: open one for a resident, find it by reference and
token, take a step (staff or resident), check steps that need other records."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Callable, Mapping

from butler.domain import identifiers
from butler.domain.errors import NotFound
from butler.domain.staff import Roster
from butler.domain.timefmt import utc_now
from butler.repository.cases import CaseRepository, ReferenceTaken

REFERENCE_ATTEMPTS = 5


def open_case(repo: CaseRepository, build: Callable[..., Any]) -> tuple[Any, str]:
    """Store a new case built by ``build(reference=, token_hash=, now=)``; returns it with
    its tracking token (handed to the resident once; only its hash is stored)."""
    token = identifiers.new_token()
    for _ in range(REFERENCE_ATTEMPTS):
        case = build(reference=identifiers.new_reference(repo.kind.prefix),
                     token_hash=identifiers.hash_token(token), now=utc_now())
        try:
            repo.add(case)
            return case, token
        except ReferenceTaken:
            continue
    raise RuntimeError("could not draw a free reference")


# What a token is compared with when the reference is unknown: the hash of a secret nobody
# holds, so that the comparison (and the hashing before it) happens on both paths.
UNKNOWN_TOKEN_HASH = identifiers.hash_token(secrets.token_urlsafe(32))


def find_for_resident(repo: CaseRepository, reference: str, token: str) -> Any:
    """The case behind ``reference`` if ``token`` is its tracking token.

    An unknown reference and a wrong token raise the same ``NotFound`` after the same work:
    one projected read of the token hash (no item or an item of one attribute, never the
    case), one constant-time comparison (with ``UNKNOWN_TOKEN_HASH`` when it does not). Only
    a right token reads the case itself (bench/tracking_timing.py, docs/architecture.md).
    """
    reference = identifiers.normalize_reference(reference)
    stored = repo.token_hash(reference) if identifiers.is_reference(reference) else None
    matches = identifiers.token_matches(token, UNKNOWN_TOKEN_HASH if stored is None else stored)
    case = repo.get(reference) if matches and stored is not None else None
    if case is None:
        raise NotFound()
    return case


def take_step(repo: CaseRepository, reference: str, action: str, *, actor: str, role: str,
              values: Mapping[str, Any] | None = None, note: str = "", staff_note: str = "",
              roster: Roster | None = None, now: datetime | None = None) -> Any:
    """One workflow step by staff (CLI), saved with optimistic locking."""
    case = repo.get(identifiers.normalize_reference(reference))
    if case is None:
        raise NotFound(f"没有编号为 {reference} 的记录。")
    repo.kind.advance(case, action, role=role, actor=actor, values=values, roster=roster,
                      note=note, staff_note=staff_note, now=now or utc_now())
    check_step(repo, case, action)
    repo.save_or_conflict(case)
    return case


def resident_step(repo: CaseRepository, reference: str, token: str, action: str,
                  values: Mapping[str, Any]) -> Any:
    """A resident's own step (rate, confirm …), proven by the tracking token."""
    case = find_for_resident(repo, reference, token)
    repo.kind.advance(case, action, role="resident", actor="resident", values=values, now=utc_now())
    repo.save_or_conflict(case)
    return case


def check_step(repo: CaseRepository, case: Any, action: str) -> None:
    """Checks of a step that need other records (the workflows themselves are pure)."""
    if action == "link":
        from butler.services.shared_faults import check_link

        check_link(repo, case)
