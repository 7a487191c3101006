"""References residents can read over the phone, and secret tracking tokens.

A reference is a prefix plus eight characters of Crockford's base32 (no I, L, O, U),
grouped in fours: ``R-7KQ4-M2XP``. A token carries 192 random bits; only its SHA-256
digest is stored, so a leaked table does not let anyone read a resident's case.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TOKEN_BYTES = 24  # 192 bits
TOKEN_PREFIX = "tk_"  # never the start of a reference (a capital letter and a dash)
REFERENCE_PATTERN = re.compile(r"^[A-Z]-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def new_reference(prefix: str) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{prefix}-{body[:4]}-{body[4:]}"


def normalize_reference(text: str) -> str:
    """Accept what a resident types: lower case, spaces, and look-alike letters."""
    cleaned = re.sub(r"[\s\-_]", "", text).upper().translate(str.maketrans("OIL", "011"))
    if len(cleaned) != 9:
        return cleaned
    return f"{cleaned[0]}-{cleaned[1:5]}-{cleaned[5:]}"


def is_reference(text: str) -> bool:
    return bool(REFERENCE_PATTERN.match(text))


def new_token() -> str:
    """``tk_`` and 32 URL-safe characters: the prefix keeps a token that happens to begin
    with a letter and a dash (``C-…``) from being taken for a reference."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), token_hash)


def seal(secret: str, key: str) -> str:
    """Hide ``secret`` under ``key`` (a one-time pad drawn from SHA-256 of the key).

    Used for the copy of a fresh token that the idempotency store keeps, so that a
    retry can hand the same token back without the store ever holding it in clear.
    The key is the client's Idempotency-Key, which the store keeps only as a hash.
    """
    data = secret.encode("utf-8")
    pad = _pad(key, len(data))
    return bytes(a ^ b for a, b in zip(data, pad, strict=True)).hex()


def unseal(sealed: str, key: str) -> str:
    data = bytes.fromhex(sealed)
    pad = _pad(key, len(data))
    return bytes(a ^ b for a, b in zip(data, pad, strict=True)).decode("latin-1")  # tokens are ASCII


def _pad(key: str, length: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"butler-seal:{counter}:{key}".encode("utf-8")).digest()
        counter += 1
    return out[:length]
