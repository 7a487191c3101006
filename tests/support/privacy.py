"""Find residents' personal data in log output: phone numbers, and tracking tokens the
tests were handed (registered with ``remember_token``) and the short codes of phone
reports (``remember_code``)."""
from __future__ import annotations

import re

# Not inside longer runs of letters and digits (request ids, hashes, epoch milliseconds).
PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
_tokens: set[str] = set()
_codes: set[str] = set()
_leaks: list[tuple[str, str]] = []


def remember_token(token: str) -> str:
    _tokens.add(token)
    return token


def remember_code(code: str) -> str:
    """A short code staff read to a caller (butler.domain.phone_codes), as shown
    (``7KQ4-M2XP``): found in either form, with or without the dash, any letter case."""
    _codes.add(code.replace("-", "").upper())
    return code


def find(text: str) -> list[str]:
    found = PHONE.findall(text)
    found += [f"token {t[:6]}…" for t in _tokens if t in text]
    if _codes:
        folded = text.upper()
        found += [f"short code {c[:2]}…" for c in _codes if c in folded or f"{c[:4]}-{c[4:]}" in folded]
    return found


def scan(where: str, text: str) -> None:
    for what in find(text):
        _leaks.append((where, what))


def leaks() -> list[tuple[str, str]]:
    return list(_leaks)
