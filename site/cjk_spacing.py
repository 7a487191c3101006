"""No stray spaces between Chinese text and the names a page template puts into it.

Authors write ``为 {{ community.short_name }} 做什么`` so that the template stays readable,
and the page said "为 翠湖花园 做什么". Chinese puts no space between characters, so the
renderer of ``site/hooks.py`` marks every interpolated value while a page renders
(``mark`` is the Jinja environment's ``finalize``) and, once the page is whole, ``tidy``
drops the spaces between a Chinese character (or Chinese punctuation) and an interpolated
value that begins or ends with one, then removes the marks. Spaces next to digits and
Latin text stay (``收回 452 份答卷``), as do line breaks and spaces in text that was typed
rather than interpolated. One place, so every rendered page and macro gets it.
"""
from __future__ import annotations

import re

from markupsafe import Markup

OPEN, CLOSE = "\ue000", "\ue001"  # private-use characters: never in a page's own text
# CJK punctuation and symbols, kana, CJK ideographs (with extension A and compatibility
# ideographs), full-width forms: （）：，。、「」 and the like.
CJK = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACES = "[ \t\u00a0]+"
# A space with Chinese on both sides and an interpolated value's edge next to it; HTML tags
# may stand between (``{{ tel('hotline') }}`` is a link whose text ends in "（示例号码）").
_STRAY = re.compile(
    f"(?P<before>[{CJK}])(?P<left>(?:<[^<>]*>|{CLOSE})*){_SPACES}"
    f"(?P<right>(?:<[^<>]*>|{OPEN})*)(?P<after>[{CJK}])")


def mark(value):
    """Jinja ``finalize``: the value's text between the two marks (Markup stays Markup)."""
    if isinstance(value, Markup):
        return Markup(OPEN) + value + Markup(CLOSE)
    return f"{OPEN}{value}{CLOSE}"


def tidy(text: str) -> str:
    """``text`` without the stray spaces next to interpolated values, and without the marks."""
    def join(match: re.Match) -> str:
        if CLOSE not in match["left"] and OPEN not in match["right"]:
            return match[0]  # typed text: the author's own spacing
        return match["before"] + match["left"] + match["right"] + match["after"]

    previous = None
    while previous != text:  # "为 {{ a }} {{ b }} 做": each pass joins one more pair
        previous, text = text, _STRAY.sub(join, text)
    return text.replace(OPEN, "").replace(CLOSE, "")
