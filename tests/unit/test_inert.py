"""The one rule for text people typed, in every staff output (butler.domain.inert)."""
import unicodedata
from decimal import Decimal

import pytest

from butler.domain.inert import inert, spreadsheet_cell
from tests.support.terminal_tricks import ALL, TEXT, raw_characters

ESCAPES = {
    "\x1b]0;标题\x07": "\\x1b]0;标题\\x07",
    "\x1b[2J": "\\x1b[2J",
    "\x1b]8;;https://evil.example/\x1b\\点\x1b]8;;\x1b\\": "\\x1b]8;;https://evil.example/\\x1b\\点\\x1b]8;;\\x1b\\",
    "\x1b]52;c;eA==\x07": "\\x1b]52;c;eA==\\x07",
    "a\rb": "a\\x0db",
    "\u202e0101\u202c": "\\u202e0101\\u202c",
    "\u2066x\u2069": "\\u2066x\\u2069",
    "\u200e\u200f\u061c": "\\u200e\\u200f\\u061c",
    "\x9b31m": "\\x9b31m",  # C1 CSI
    "\x7f\x08\x00": "\\x7f\\x08\\x00",
    "a\u2028b\u2029c": "a\\u2028b\\u2029c",
    "\ufeff\u200b": "\\ufeff\\u200b",
    "\U000e0001": "\\U000e0001",
}


@pytest.mark.parametrize("raw, shown", ESCAPES.items())
def test_control_format_and_bidi_characters_are_shown_escaped(raw, shown):
    assert inert(raw) == shown
    assert not raw_characters(inert(raw))


def test_every_planted_trick_is_escaped_and_the_text_around_it_stays():
    for trick in ALL:
        assert not raw_characters(inert(trick)), repr(trick)
    assert inert(TEXT).startswith("楼道漏水\\x1b]0;工单已全部处理\\x07")


def test_ordinary_text_is_unchanged():
    for text in ("厨房水龙头关不紧，一直滴水。", "3-2-1201 厨房", "Tom's flat, №5 — ok?", "👨‍👩‍👧 全家都在", "\\x1b literally",
                 "é (e + combining acute): e\u0301", ""):
        assert inert(text) == text


def test_line_breaks_stay_only_where_a_field_is_shown_over_lines():
    assert inert("一行\n两行") == "一行\\x0a两行"
    assert inert("一行\n两行", newlines=True) == "一行\n两行"
    assert inert("一行\r\n两行\r三", newlines=True) == "一行\n两行\\x0d三"
    assert inert(None) == "" and inert(12) == "12"


def test_the_result_is_inert_for_every_character_of_the_basic_plane():
    every = "".join(chr(code) for code in range(0x10000) if not 0xD800 <= code < 0xE000)
    shown = inert(every, newlines=True)
    assert not raw_characters(shown)
    assert inert(shown, newlines=True) == shown  # applying it twice changes nothing
    kept = {ch for ch in every if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")}
    assert kept <= set(shown)


CELLS = {
    "=1+1": "'=1+1", "+8613900000000": "'+8613900000000", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)",
    "\t=1": "\\x09=1", "\r=1": "\\x0d=1", "=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
    "普通文字": "普通文字", "2026-12-04T20:00:00+08:00": "2026-12-04T20:00:00+08:00", "139****5678": "139****5678",
    "\x1b[2J=1": "\\x1b[2J=1",
}


@pytest.mark.parametrize("value, cell", CELLS.items())
def test_text_that_excel_would_run_as_a_formula_gets_an_apostrophe(value, cell):
    assert spreadsheet_cell(value) == cell


def test_numbers_the_program_computed_stay_numbers():
    for number in (0, 3, -2, 87.5, Decimal("4.25"), Decimal("-1.5")):
        assert spreadsheet_cell(number) == number
    assert spreadsheet_cell(None) == "" and spreadsheet_cell(True) == "True"
