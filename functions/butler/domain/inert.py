"""Text that people typed, made inert for every staff output (terminal, CSV, alerts).

Residents are anonymous: a description, location, name or comment can carry terminal
escape sequences (ESC ... retitles the window, clears the screen, writes the clipboard
through OSC 52, makes OSC 8 links), a carriage return that overwrites what is printed before
it, or bidirectional overrides that show text in another order than it is stored. Every
renderer of the staff tool and of the staff alerts passes such text through ``inert``: the
characters that steer a terminal or the order of text are shown as visible escapes
(``\\x1b``, ``\\u202e``), so staff see that they were there and nothing acts on them.

``spreadsheet_cell`` is the one rule for a CSV cell that Excel will open: the same escapes,
and text that Excel would read as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) gets
a leading apostrophe (OWASP, "CSV Injection"); numbers the program computed stay numbers.

Pure: no I/O, standard library only.
"""
from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

# Unicode categories never shown as is: controls (C0, DEL, C1), format characters (bidi
# embeddings, overrides and isolates, marks, zero-width characters), line and paragraph
# separators, lone surrogates (they cannot even be encoded for the terminal).
ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# Format characters that are part of ordinary text: the zero-width joiner inside emoji
# sequences (👨‍👩‍👧) and the variation selectors' companion, the combining grapheme joiner.
KEPT = frozenset({"\u200d", "\u034f"})
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def is_inert(ch: str) -> bool:
    return ch in KEPT or unicodedata.category(ch) not in ESCAPED_CATEGORIES


def inert(text: Any, *, newlines: bool = False) -> str:
    """``text`` with every control, format and bidi character shown as a visible escape.

    With ``newlines`` a plain line break stays (a multi-line field shown over several lines;
    a Windows CR LF counts as one); otherwise it is escaped too, so one value is one line.
    """
    text = "" if text is None else str(text)
    if newlines:
        text = text.replace("\r\n", "\n")
    if all(is_inert(ch) for ch in text):  # the common case: nothing to do
        return text
    return "".join(ch if is_inert(ch) or (newlines and ch == "\n") else _escape(ch) for ch in text)


def spreadsheet_cell(value: Any) -> Any:
    """One CSV cell: numbers as numbers, text inert and never a formula for Excel.

    Only ``int``, ``float`` and ``Decimal`` values (numbers the program produced) are
    written as numbers, a negative one included; text that looks like a number, such as
    "-1" typed by a resident or "+86 139…", is text and gets the apostrophe.
    """
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = inert(value, newlines=True)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
