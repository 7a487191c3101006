"""Short codes for reports taken by phone: issue one with a new case's token, exchange it
once for the token (butler.domain.phone_codes says why it is safe)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from butler.domain import identifiers, phone_codes
from butler.domain.phone_codes import CodeRefused, StoredCode
from butler.repository.cases import CaseRepository

ATTEMPTS = 3  # optimistic-lock retries when the case is written at the same time


def issue_code(repo: CaseRepository, case: Any, token: str, now: datetime) -> str:
    """Give ``case`` (just opened, ``token`` its tracking token) a short code; returns it."""
    code, stored = phone_codes.issue(token, now)
    case.phone_code = stored.to_text()
    repo.save_or_conflict(case)
    return code


def exchange_code(repo: CaseRepository, reference: str, typed: str, now: datetime) -> tuple[str, str]:
    """The case's reference and token for the right code, once; ``CodeRefused`` otherwise
    (the same for an unknown reference)."""
    reference = identifiers.normalize_reference(reference)
    for _ in range(ATTEMPTS):
        case = repo.get(reference) if identifiers.is_reference(reference) else None
        stored = StoredCode.from_text(case.phone_code) if case is not None else None
        result = phone_codes.exchange(stored, typed, now)
        if result.changed:
            case.phone_code = result.keep.to_text() if result.keep else None
            if not repo.save(case):
                continue  # written meanwhile: try again on the fresh copy
        if result.token is None:
            raise CodeRefused()
        return case.reference, result.token
    raise CodeRefused()
