"""Bodies under the size limit that no route accepts and that break naive JSON parsing:
deep nesting (RecursionError), huge numbers (Python's 4,300-digit limit, infinity), not-JSON
constants, lone surrogates, repeated names. Every route with a body must answer each of them
with 400/422 in the error shape (tests/functional/test_hostile_bodies.py) and the fuzz run
sends them to every operation (tests/support/fuzz.py). ``butler.web.body`` is what refuses
them."""
from __future__ import annotations

DEEP = 2000  # far past Python's recursion limit (1000)
DIGITS = 5000  # past Python's int/str conversion limit (4300)

BODIES: dict[str, bytes] = {
    "deep array": ("[" * DEEP + "]" * DEEP).encode(),
    "deep object": ('{"a":' * DEEP + "1" + "}" * DEEP).encode(),
    "deep array in a field": ('{"description": ' + "[" * DEEP + "]" * DEEP + "}").encode(),
    "17 levels": ("[" * 17 + "]" * 17).encode(),
    "huge integer": ("9" * DIGITS).encode(),
    "huge negative integer in a field": ('{"rating": -' + "9" * DIGITS + "}").encode(),
    "huge integer in a nested field": ('{"scores": {"reception": ' + "1" * DIGITS + "}}").encode(),
    "overflowing float": b'{"rating": 1e999}',
    "long float": ('{"size": 0.' + "1" * DIGITS + "}").encode(),
    "NaN": b'{"rating": NaN}',
    "Infinity": b'{"size": -Infinity}',
    "lone surrogate": b'{"description": "\\ud800\\ud800 leaking"}',
    "lone surrogate in a name": b'{"\\udfff": 1}',
    "repeated name": b'{"rating": 5, "rating": 1}',
}
