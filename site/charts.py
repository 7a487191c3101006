"""Survey charts drawn at build time: inline SVG from numbers that are already computed.

Pure functions, no domain import: the hook (``site/hooks.py``) turns the results of
``butler.domain.surveys.results()`` into ``Bar`` and ``Column`` values and the text to
show, so every number on a chart is the same string as in the tables beside it. Like the
workflow diagrams (docs/decisions/0004), a chart needs no script, font or request: it
reads without JavaScript, scales with its ``viewBox`` and prints as is.

* ``bar_chart``: horizontal bars, one row per key (the scores of one service area),
  each bar's length the row's value divided by the sum of all values (zero when nothing
  was counted); the row's text at the end of its bar.
* ``column_chart``: vertical bars on a fixed scale with grid lines (a mean per quarter,
  0 to 5); a column without a value is drawn as "—".

Both carry ``role="img"``, a Chinese ``<title>`` and a ``<desc>`` that states every number,
and colours with at least 4.5:1 contrast on white.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = 15.0  # the page's text is 17 px; a chart is drawn at its natural size on a phone
SMALL = 14.0
MARGIN = 4.0
TEXT = "#1f2328"
HINT = "#5f6368"  # 6.1:1 on white
TRACK = "#eef0f2"  # the full length behind a bar: decoration only
GRID = "#c4c8cc"
TONES = {
    "good": "#17604d",  # 7.4:1 on white
    "neutral": "#4d5257",  # 7.9:1
    "poor": "#b3261e",  # 6.5:1
}

# bar_chart
LABEL_W = 84.0  # the row labels, e.g. "5 非常满意"
BAR_LEN = 156.0  # a bar of the whole (100 %)
VALUE_W = 104.0  # room for the text after the longest bar, e.g. "170 户 38.9%"
ROW_H = 34.0
BAR_H = 22.0

# column_chart
AXIS_W = 28.0
PLOT_H = 150.0
COLUMN_W = 36.0
COLUMN_GAP = 22.0
VALUE_ROOM = 22.0  # above the tallest column, for its value
LABEL_ROOM = 40.0  # under the axis, two lines of column label


@dataclass(frozen=True)
class Bar:
    key: str  # e.g. the score "5"
    label: str  # row label, e.g. "5 非常满意"
    value: int  # what the bar's length stands for (a count)
    text: str  # shown after the bar, e.g. "170 户 38.9%"
    tone: str = "good"  # a key of TONES


@dataclass(frozen=True)
class Column:
    key: str  # e.g. the quarter "2026Q4"
    lines: tuple[str, ...]  # label under the axis, one or two short lines
    value: float | None  # None: nothing to draw
    text: str  # shown above the column, e.g. "4.09"


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _svg(chart_id: str, css: str, width: float, height: float, title: str, desc: str, body: str,
         data: str = "") -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="survey-chart__svg {css}" id="{escape(chart_id)}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" height="{_num(height)}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc"{data}>'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def _text(x: float, y: float, text: str, *, size: float = FONT, anchor: str = "start", colour: str = TEXT,
          bold: bool = False, css: str = "") -> str:
    weight = ' font-weight="700"' if bold else ""
    cls = f' class="{css}"' if css else ""
    return (f'<text{cls} x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" text-anchor="{anchor}" '
            f'fill="{colour}"{weight}>{escape(text)}</text>')


def bar_lengths(values: Sequence[int], full: float = BAR_LEN) -> list[float]:
    """Each value's share of the sum, as a length out of ``full`` (all zero for an empty sum)."""
    total = sum(values)
    return [full * v / total if total else 0.0 for v in values]


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, desc: str) -> str:
    """Horizontal bars, in the order given; ``desc`` should state what the bars show."""
    width = LABEL_W + BAR_LEN + VALUE_W + 2 * MARGIN
    height = len(bars) * ROW_H + 2 * MARGIN
    x0 = MARGIN + LABEL_W
    rows = []
    for i, (bar, length) in enumerate(zip(bars, bar_lengths([b.value for b in bars]))):
        top = MARGIN + i * ROW_H
        bar_y = top + (ROW_H - BAR_H) / 2
        baseline = top + ROW_H / 2 + FONT * 0.35
        rows.append(
            f'<g class="survey-row" data-key="{escape(bar.key)}">'
            + _text(MARGIN, baseline, bar.label)
            + f'<rect class="survey-track" x="{_num(x0)}" y="{_num(bar_y)}" width="{_num(BAR_LEN)}" '
              f'height="{_num(BAR_H)}" rx="2" fill="{TRACK}"/>'
            + f'<rect class="survey-bar" data-key="{escape(bar.key)}" data-value="{bar.value}" '
              f'x="{_num(x0)}" y="{_num(bar_y)}" width="{length:.2f}" height="{_num(BAR_H)}" rx="2" '
              f'fill="{TONES[bar.tone]}"/>'
            + _text(x0 + length + 6, baseline, bar.text, size=SMALL, css="survey-value")
            + "</g>")
    return _svg(chart_id, "survey-chart__svg--bars", width, height, title, desc, "".join(rows))


def column_chart(columns: Sequence[Column], *, chart_id: str, title: str, desc: str,
                 maximum: float, ticks: Sequence[float]) -> str:
    """Vertical bars from 0 to ``maximum`` with a grid line at every tick, in the order given."""
    pitch = COLUMN_W + COLUMN_GAP
    width = MARGIN + AXIS_W + len(columns) * pitch + MARGIN
    top = MARGIN + VALUE_ROOM
    bottom = top + PLOT_H
    height = bottom + LABEL_ROOM + MARGIN
    x_axis = MARGIN + AXIS_W

    def y_of(value: float) -> float:
        return bottom - PLOT_H * value / maximum

    parts = ['<g class="survey-grid">']
    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<path d="M{_num(x_axis)},{_num(y)} H{_num(width - MARGIN)}" stroke="{GRID}" '
                     f'stroke-width="1"/>')
        parts.append(_text(x_axis - 5, y + SMALL * 0.35, _num(tick), size=SMALL, anchor="end", colour=HINT))
    parts.append(f'<path d="M{_num(x_axis)},{_num(bottom)} H{_num(width - MARGIN)}" stroke="{TEXT}" '
                 f'stroke-width="1.2"/></g>')
    for i, column in enumerate(columns):
        left = x_axis + COLUMN_GAP / 2 + i * pitch
        cx = left + COLUMN_W / 2
        parts.append(f'<g class="survey-column" data-key="{escape(column.key)}">')
        if column.value is not None:
            y = y_of(column.value)
            parts.append(f'<rect class="survey-bar" data-key="{escape(column.key)}" data-value="{column.value}" '
                         f'x="{_num(left)}" y="{y:.2f}" width="{_num(COLUMN_W)}" height="{bottom - y:.2f}" '
                         f'fill="{TONES["good"]}"/>')
            label_y = y - 5
        else:
            label_y = bottom - 5
        parts.append(_text(cx, label_y, column.text, size=SMALL, anchor="middle", bold=True, css="survey-value"))
        for n, line in enumerate(column.lines):
            parts.append(_text(cx, bottom + 17 + n * 16, line, size=SMALL - 1, anchor="middle", colour=HINT))
        parts.append("</g>")
    return _svg(chart_id, "survey-chart__svg--columns", width, height, title, desc, "".join(parts))
