"""Short codes for reports taken by phone (docs/decisions/0007-short-codes-for-phone-reports.md).

A staff member taking a report by phone cannot read a 192-bit tracking token to the caller.
They read a short code instead: 8 characters of Crockford's base32 (40 bits, no I, L, O, U,
any letter case), shown as ``7KQ4-M2XP``. The tracking page exchanges the reference and the
code, once, for the real token (``POST /api/{kind}/{reference}/phone-code``); from then on
it works as if the resident had the token from the start.

At rest the case keeps ``phone_code``: a salt, a verifier and the token sealed under a key,
both drawn from scrypt of the code (``SCRYPT``: about 16 MiB and tens of milliseconds per
try), the expiry and the count of wrong tries. Nobody reading the table can get the token
from it without guessing the code offline at scrypt's price (2^40 codes); online, a code
works once, for ``VALID_DAYS`` days, and ``MAX_TRIES`` wrong codes burn it. An unknown
reference, a case without a code, a used, expired or burned code and a wrong code all get
the same answer after the same work (one scrypt), so the answer tells nothing.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Optional

from butler.domain.errors import NotFound
from butler.domain.identifiers import ALPHABET
from butler.domain.timefmt import iso, parse_iso

LENGTH = 8  # characters: 40 bits
VALID_DAYS = 14
MAX_TRIES = 5  # wrong codes before the code is burned
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024}
VERSION = "s1"  # the stored format below, should it ever change
_LOOK_ALIKES = str.maketrans("OIL", "011")
_DUMMY_SALT = bytes(16)
CODE_PATTERN = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")


class CodeRefused(NotFound):  # 404, like an unknown reference
    code = "PHONE_CODE_REFUSED"
    message = ("编号或短码不对，或短码已失效（只能用一次，{days} 天内有效，输错 {tries} 次后作废）。"
               "请核对后重试，或致电物业服务中心重新获取。").format(days=VALID_DAYS, tries=MAX_TRIES)


@dataclass(frozen=True)
class StoredCode:
    """What the case keeps (``phone_code`` attribute, one string: ``to_text``)."""

    salt: bytes
    verifier: bytes
    sealed: bytes
    expires_at: datetime
    tries: int = 0

    def to_text(self) -> str:
        return "$".join([VERSION, iso(self.expires_at), str(self.tries),
                         self.salt.hex(), self.verifier.hex(), self.sealed.hex()])

    @classmethod
    def from_text(cls, text: Optional[str]) -> Optional["StoredCode"]:
        parts = (text or "").split("$")
        if len(parts) != 6 or parts[0] != VERSION:
            return None
        _, expires, tries, salt, verifier, sealed = parts
        return cls(bytes.fromhex(salt), bytes.fromhex(verifier), bytes.fromhex(sealed),
                   parse_iso(expires), int(tries))


@dataclass(frozen=True)
class Exchange:
    """What a try gives: the token (or None), and what the case keeps from now on
    (``keep``: None clears the code; ``changed``: whether the case must be written)."""

    token: Optional[str]
    keep: Optional[StoredCode]
    changed: bool


def normalize(text: str) -> str:
    """What a resident types: spaces, dashes, lower case, O/I/L for 0/1."""
    return re.sub(r"[\s\-_－—–]", "", text or "").upper().translate(_LOOK_ALIKES)


def shown(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def _keys(code: str, salt: bytes, length: int) -> tuple[bytes, bytes]:
    key = hashlib.scrypt(code.encode("ascii"), salt=salt, dklen=32 + length, **SCRYPT)
    return key[:32], key[32:]


def issue(token: str, now: datetime) -> tuple[str, StoredCode]:
    """A new code for ``token``: the code to read to the caller (``shown`` form) and what
    the case keeps."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    salt = secrets.token_bytes(16)
    data = token.encode("ascii")
    verifier, pad = _keys(code, salt, len(data))
    sealed = bytes(a ^ b for a, b in zip(data, pad, strict=True))
    return shown(code), StoredCode(salt, verifier, sealed, now + timedelta(days=VALID_DAYS))


def exchange(stored: Optional[StoredCode], typed: str, now: datetime) -> Exchange:
    """Try ``typed`` against the case's code. Always one scrypt, whatever the case holds."""
    code = normalize(typed)
    usable = stored is not None and now < stored.expires_at and stored.tries < MAX_TRIES
    salt = stored.salt if stored is not None else _DUMMY_SALT
    length = len(stored.sealed) if stored is not None else 40
    verifier, pad = _keys(code if CODE_PATTERN.match(code) else "-" * LENGTH, salt, length)
    if stored is None:
        return Exchange(None, None, False)
    if not usable:
        return Exchange(None, None, True)  # expired or burned: nothing left worth keeping
    if CODE_PATTERN.match(code) and hmac.compare_digest(verifier, stored.verifier):
        token = bytes(a ^ b for a, b in zip(stored.sealed, pad, strict=True)).decode("ascii")
        return Exchange(token, None, True)  # once: the code is gone
    tries = stored.tries + 1
    return Exchange(None, replace(stored, tries=tries) if tries < MAX_TRIES else None, True)
