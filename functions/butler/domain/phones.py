"""Mainland phone numbers as people write them, stored in one normal form.

Accepted (``INPUT``, also the OpenAPI ``pattern``): a mobile (11 digits, ``1[3-9]…``) or a
landline (area code ``010``, ``02x`` or ``0xxx`` and a 7–8 digit number), with

* spaces, dashes and dots between any digits (``139-0000-0077``, ``139 0000 0077``),
* the country code in front: ``+86``, ``0086`` or ``(+86)`` (``+86 139 0000 0077``,
  ``+86-13900000077``; a landline then without its leading 0, or with ``(0)``),
* the area code in brackets: ``(0571) 8888 0000``,
* full-width digits, brackets, plus and dashes (a Chinese input method's full-width mode).

Other scripts' digits (``१२३``) are not read as digits. Stored (``normal``): a mobile as its
11 digits (``13900000077``), a landline as area code, dash, number (``0571-88880000``).
"""
from __future__ import annotations

import re

FULL_WIDTH = str.maketrans({**{chr(0xFF10 + d): str(d) for d in range(10)},
                            "＋": "+", "（": "(", "）": ")"})


def _digit(ascii_range: str) -> str:
    """A character class of ``ascii_range`` ("0-9", "3-9", "0") and its full-width twins."""
    low, _, high = ascii_range.partition("-")
    high = high or low
    return f"[{low}-{high}{chr(0xFF10 + int(low))}-{chr(0xFF10 + int(high))}]"


D = _digit("0-9")
ZERO = _digit("0")
SEP = "[ .\\-\u00a0\u2010-\u2015\u3000\uff0d]?"
COUNTRY = f"(?:(?:[+＋]|00|{ZERO}{ZERO})86|[(（][+＋]86[)）]){SEP}"
AREA_AFTER_ZERO = f"(?:{_digit('1')}{ZERO}|{_digit('2')}{D}|{_digit('3-9')}{D}{D})"
MOBILE_INPUT = f"(?:{COUNTRY})?{_digit('1')}{SEP}{_digit('3-9')}(?:{SEP}{D}){{9}}"
AREA = (f"(?:{ZERO}{AREA_AFTER_ZERO}|[(（]{ZERO}{AREA_AFTER_ZERO}[)）]"
        f"|{COUNTRY}(?:[(（]{ZERO}[)）]{SEP})?{AREA_AFTER_ZERO})")
LANDLINE_INPUT = f"{AREA}{SEP}{_digit('1-9')}(?:{SEP}{D}){{6,7}}"
INPUT = f"^(?:{MOBILE_INPUT}|{LANDLINE_INPUT})$"
_INPUT = re.compile(INPUT)
_NOT_DIGIT = re.compile(r"[^0-9]")
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
MESSAGE = "请填写正确的手机号（11 位）或带区号的固定电话，例如 13812345678 或 0571-88880000。"


def normal(text: str) -> str | None:
    """``text`` in the normal form, or None when it is not a mainland mobile or landline."""
    text = text.strip()
    if not _INPUT.match(text):
        return None
    ascii_text = text.translate(FULL_WIDTH)
    digits = _NOT_DIGIT.sub("", ascii_text)
    if ascii_text.lstrip("(").startswith(("+", "00")):  # the country code: 86 or 0086
        digits = digits.removeprefix("00").removeprefix("86")
        if not MOBILE.match(digits) and not digits.startswith("0"):
            digits = "0" + digits  # a landline's area code without its trunk 0
    if MOBILE.match(digits):
        return digits
    area = 3 if digits[1] in "12" else 4
    return f"{digits[:area]}-{digits[area:]}"
