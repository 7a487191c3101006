"""The one parser of request bodies (the resolver's ``json_body_deserializer``).

A body reaches it only once ``lambda_entry`` has checked the media type, the size limit and
that it is UTF-8. What it accepts is I-JSON (RFC 7493), the JSON every client and proxy reads
the same way, with a nesting limit of its own:

* nested at most ``MAX_DEPTH`` arrays/objects deep (Python's parser would recurse until a
  ``RecursionError``; no request model of the API is deeper than two);
* numbers of at most ``MAX_NUMBER_CHARS`` characters that fit a double (a 4,301-digit
  integer is a ``ValueError`` in Python, ``1e999`` is infinity);
* no ``NaN``/``Infinity`` (not JSON), no lone surrogate (``"\\ud800"`` is no character),
  no name twice in one object (parsers disagree on which one counts).

Anything else is refused with ``400 INVALID_JSON`` in the error shape, never a 500.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

from butler.web.errors import ApiError

MAX_DEPTH = 16
MAX_NUMBER_CHARS = 40

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_SURROGATE = re.compile("[\ud800-\udfff]")

NOT_JSON = "提交的内容不是有效的 JSON，请检查后重试。"
TOO_DEEP = f"提交的内容层次太深（最多 {MAX_DEPTH} 层），不是这个接口接受的格式。"
BAD_NUMBER = "提交的内容里有位数过多或超出范围的数字，请检查后重试。"
BAD_CHARACTER = "提交的内容里有无效的字符（不成对的代理项），请检查后重试。"
DUPLICATE_NAME = "提交的内容里同一项出现了不止一次，请检查后重试。"


def refuse(message: str) -> NoReturn:
    raise ApiError(400, "INVALID_JSON", message)


def depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (brackets inside strings not counted),
    without recursion."""
    level = deepest = 0
    for bracket in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        level += 1 if bracket in "[{" else -1
        deepest = max(deepest, level)
    return deepest


def _number(text: str) -> float | int:
    if len(text) > MAX_NUMBER_CHARS:
        refuse(BAD_NUMBER)
    if "." in text or "e" in text or "E" in text:
        value = float(text)
        if not math.isfinite(value):
            refuse(BAD_NUMBER)
        return value
    return int(text)


def _constant(_: str) -> NoReturn:
    refuse(NOT_JSON)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        refuse(DUPLICATE_NAME)
    return value


def loads(text: str) -> Any:
    """``text`` as JSON, or ``ApiError(400, "INVALID_JSON")``; ``json.JSONDecodeError`` for
    text that is not JSON at all (the resolver answers it with the same 400)."""
    if depth(text) > MAX_DEPTH:
        refuse(TOO_DEEP)
    value = json.loads(text, parse_int=_number, parse_float=_number, parse_constant=_constant,
                       object_pairs_hook=_object)
    if "\\u" in text and _has_surrogate(value):  # UTF-8 text itself cannot hold one
        refuse(BAD_CHARACTER)
    return value


def _has_surrogate(value: Any) -> bool:
    """Whether a string in ``value`` (names too) holds a surrogate code point; iterative,
    the depth is bounded already."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
