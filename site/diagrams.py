"""Workflow diagrams drawn at build time: any ``butler.domain.workflow.Workflow`` as inline SVG.

No JavaScript, no fonts, no requests: the page carries the finished drawing, which scales
with its ``viewBox`` and reads on a 360-px phone (see docs/decisions/0004).

Layout, top to bottom:

* **spine**: the longest simple path from the initial state (or the one given), one row
  per state, in a centre column;
* **side states**: every other state, in a column on the right, on the free row nearest
  the spine states it connects to;
* **edges**, each labelled with its action's label:

  - spine row to the next row: a straight arrow down, the label on the arrow;
  - spine to an earlier row (sent back): a curved arrow on the left, its label inside the loop;
  - spine to a later, not adjacent row (skipping): a curved arrow on the right;
  - spine to or from a side state: horizontal arrows; an action with several sources
    joins them on a vertical bus first, so its label is drawn once;
  - self-loops (steps that record something without changing state) are not drawn; they
    are returned in ``Diagram.omitted`` so the page can say so.

The module knows nothing about repairs: it reads ``states`` (code, label, final),
``actions`` (code, label, sources, target) and ``initial`` only.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

# ---------------------------------------------------------------------------- metrics

STATE_FONT = 15.0
EDGE_FONT = 12.5
STATE_LINE = STATE_FONT * 1.3
EDGE_LINE = EDGE_FONT * 1.3
BOX_PAD_X = 9.0
BOX_PAD_Y = 8.0
SPINE_TEXT = STATE_FONT * 6  # at most six characters a line in a spine box
SIDE_TEXT = STATE_FONT * 4
EDGE_TEXT = EDGE_FONT * 5  # labels of arrows to and from side states: five characters a line
LOOP_TEXT = EDGE_FONT * 4  # labels inside the loops at the sides: four
MIN_BOX_W = 96.0
MIN_GAP = 40.0  # between a box and the next row
ARROW_ROOM = 11.0  # visible line above and below a label on a straight arrow
LANE_STEP = 14.0  # between neighbouring lanes on one side
LABEL_PAD = 4.0
MIN_CONNECTOR = 56.0  # from the spine to the side column
MARGIN = 6.0
START_DROP = 26.0  # from the start dot to the first box
CORNER = 12.0  # radius of the curves at the side

COLOURS = {
    "main": "#17604d",  # forward along the spine (7.4:1 on white)
    "back": "#8a5300",  # sent back to an earlier step (6.2:1)
    "side": "#4d5257",  # to and from side states (7.9:1)
}
TEXT = "#1f2328"
SPINE_FILL = "#e8f3ef"
SIDE_FILL = "#f3f4f5"
HALO = "#ffffff"

HANGING = "，。、；：！？"  # may hang past the measure at the end of a line
BREAK_AFTER = HANGING + "）)/"
BREAK_BEFORE = "（("


# ---------------------------------------------------------------------------- text


def char_em(ch: str) -> float:
    """Advance of one character in em: CJK and full-width forms 1, the rest about half."""
    return 1.0 if ord(ch) >= 0x2E80 else 0.56


def text_width(text: str, size: float) -> float:
    return size * sum(char_em(c) for c in text)


def _fit_width(text: str, size: float) -> float:
    if text and text[-1] in HANGING:
        return text_width(text[:-1], size)
    return text_width(text, size)


def wrap(text: str, max_width: float, size: float, max_lines: int = 4) -> list[str]:
    """Break a short label into balanced lines, preferring breaks at punctuation."""
    text = " ".join(text.split())
    if _fit_width(text, size) <= max_width or len(text) < 2:
        return [text]
    n = len(text)
    best: tuple[float, list[str]] | None = None
    for count in range(2, min(max_lines, n) + 1):
        for cuts in itertools.combinations(range(1, n), count - 1):
            bounds = (0, *cuts, n)
            parts = [text[a:b].strip() for a, b in itertools.pairwise(bounds)]
            if not all(parts):
                continue
            widths = [_fit_width(p, size) / size for p in parts]
            overflow = sum(max(0.0, w - max_width / size) for w in widths)
            soft = sum(0 if text[c - 1] in BREAK_AFTER or text[c] in BREAK_BEFORE else 1 for c in cuts)
            split_word = sum(1 for c in cuts if text[c - 1].isascii() and text[c - 1].isalnum()
                             and text[c].isascii() and text[c].isalnum())
            bad_start = sum(1 for p in parts[1:] if p[0] in BREAK_AFTER)
            score = (100 * overflow + 10 * count + 5 * soft + 50 * split_word + 50 * bad_start
                     + (max(widths) - min(widths))
                     + 0.1 * sum(max(0.0, b - a) for a, b in itertools.pairwise(widths)))
            if best is None or score < best[0]:
                best = (score, parts)
    assert best is not None
    return best[1]


def lines_width(lines: Sequence[str], size: float) -> float:
    return max(text_width(line, size) for line in lines)


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text.removesuffix(".0")


# ---------------------------------------------------------------------------- model


@dataclass
class Box:
    code: str
    label: str
    lines: list[str]
    final: bool
    side: bool
    row: int
    x: float = 0.0
    y: float = 0.0  # top
    w: float = 0.0
    h: float = 0.0

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass(eq=False)  # compared by identity
class Edge:
    """One drawn arrow: one or more actions between the same ends (``sources`` > 1: a bus)."""

    actions: list[Any]
    sources: list[str]
    target: str
    kind: str  # down | back | skip | to_side | from_side | side_side
    lines: list[str] = field(default_factory=list)
    lane: int = 0
    lane_x: float = 0.0
    label_row: int = 0  # for loops: the gap (between rows r and r+1) holding the label
    rows: tuple[int, int] = (0, 0)  # first and last row the edge touches

    @property
    def codes(self) -> str:
        return " ".join(a.code for a in self.actions)

    @property
    def label(self) -> str:
        return "、".join(a.label for a in self.actions)

    def set_rows(self, rows: Iterable[int]) -> None:
        rows = list(rows)
        self.rows = (min(rows), max(rows))


@dataclass(frozen=True)
class Diagram:
    svg: str
    spine: tuple[str, ...]
    omitted: tuple[Any, ...]  # actions not drawn (self-loops)
    width: float
    height: float


# ---------------------------------------------------------------------------- layout


def longest_path(workflow) -> list[str]:
    """The longest simple path from the initial state (ties: the order actions are declared)."""
    following: dict[str, list[str]] = {s.code: [] for s in workflow.states}
    for action in workflow.actions:
        for source in action.sources:
            if source != action.target and action.target not in following[source]:
                following[source].append(action.target)
    best: list[str] = [workflow.initial]

    def walk(path: list[str]) -> None:
        nonlocal best
        if len(path) > len(best):
            best = list(path)
        for nxt in following[path[-1]]:
            if nxt not in path:
                path.append(nxt)
                walk(path)
                path.pop()

    walk([workflow.initial])
    return best


def _place_side_states(workflow, spine: list[str]) -> dict[str, tuple[int, int]]:
    """Row and column (1, 2, ...) of every state not on the spine.

    A side state goes next to the spine states it branches off from (the sources of the
    actions leading to it), or else next to where it leads; on the nearest free row.
    """
    row = {code: i for i, code in enumerate(spine)}
    incoming: dict[str, list[int]] = {}
    outgoing: dict[str, list[int]] = {}
    for action in workflow.actions:
        for source in action.sources:
            if action.target not in row and source in row:
                incoming.setdefault(action.target, []).append(row[source])
            if source not in row and action.target in row:
                outgoing.setdefault(source, []).append(row[action.target])
    taken: set[tuple[int, int]] = set()
    placed: dict[str, tuple[int, int]] = {}
    last_row = len(spine) - 1
    for state in workflow.states:
        if state.code in row:
            continue
        rows = incoming.get(state.code) or outgoing.get(state.code)
        wanted = int(sum(rows) / len(rows) + 0.5) if rows else last_row
        spot = None
        for column in itertools.count(1):
            for delta in (0, 1, -1, 2, -2):
                candidate = wanted + delta
                if 0 <= candidate <= max(last_row, wanted) and (candidate, column) not in taken:
                    spot = (candidate, column)
                    break
            if spot:
                break
        taken.add(spot)
        placed[state.code] = spot
    return placed


def _overlaps(a: Edge, b: Edge) -> bool:
    return a.rows[0] <= b.rows[1] and b.rows[0] <= a.rows[1]


def _assign_lanes(edges: list[Edge], inner_room, blocked_gaps: Iterable[int] = ()) -> None:
    """Nest edges on one side: shorter spans inside; ``lane_x`` grows outwards.

    ``inner_room(edge)`` is the least distance from the reference line to the lane. Each
    edge also gets ``label_row``: a gap between rows, inside its span, that no inner edge
    passes through (and not in ``blocked_gaps`` when that can be helped).
    """
    blocked = set(blocked_gaps)
    done: list[Edge] = []
    for edge in sorted(edges, key=lambda e: (e.rows[1] - e.rows[0], e.rows[0])):
        inner = [d for d in done if _overlaps(d, edge)]
        edge.lane = 1 + max((d.lane for d in inner), default=-1)
        edge.lane_x = max([inner_room(edge)] + [d.lane_x + LANE_STEP for d in inner])
        gaps = list(range(edge.rows[0], edge.rows[1]))
        free = [g for g in gaps if not any(d.rows[0] <= g < d.rows[1] for d in inner)]
        choices = [g for g in free if g not in blocked] or free or gaps
        middle = (edge.rows[0] + edge.rows[1] - 1) / 2
        if choices:
            edge.label_row = min(choices, key=lambda g: (abs(g - middle), g))
        done.append(edge)


class Canvas:
    """Collects the SVG pieces in drawing order: buses, arrows, boxes, labels."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.under: list[str] = []  # bus lines, drawn first so arrows cross over them
        self.paths: list[str] = []
        self.shapes: list[str] = []
        self.labels: list[str] = []

    def _stroke(self, d: str, colour: str, extra: str = "") -> str:
        # A white casing under every line: where two lines cross, the later one shows a gap.
        return (f'<path d="{d}" fill="none" stroke="{HALO}" stroke-width="5"/>'
                f'<path d="{d}" fill="none" stroke="{COLOURS[colour]}" stroke-width="1.6"{extra}/>')

    def arrow(self, d: str, edge: Edge | None, colour: str) -> None:
        extra = f' marker-end="url(#{self.prefix}-arrow-{colour})"'
        if edge is not None:
            extra += (f' data-action="{escape(edge.codes)}" data-from="{escape(" ".join(edge.sources))}"'
                      f' data-to="{escape(edge.target)}"')
        self.paths.append(self._stroke(d, colour, extra))

    def line(self, d: str, colour: str, under: bool = False) -> None:
        (self.under if under else self.paths).append(self._stroke(d, colour))

    def label(self, edge: Edge, cx: float, cy: float, colour: str, *, anchor: str = "middle",
              halo: bool = True) -> None:
        width = lines_width(edge.lines, EDGE_FONT)
        height = len(edge.lines) * EDGE_LINE
        left = {"middle": cx - width / 2, "end": cx - width, "start": cx}[anchor]
        parts = [f'<g class="wf-label" data-action="{escape(edge.codes)}">']
        if halo:
            parts.append(f'<rect x="{_num(left - 3)}" y="{_num(cy - height / 2 - 1)}" '
                         f'width="{_num(width + 6)}" height="{_num(height + 2)}" rx="3" fill="{HALO}"/>')
        parts.append(_text(edge.lines, left + width / 2, cy, EDGE_FONT, EDGE_LINE, COLOURS[colour]))
        parts.append("</g>")
        self.labels.append("".join(parts))

    def note(self, lines: Sequence[str], cx: float, cy: float, colour: str) -> None:
        """Words among the labels that belong to no single arrow (e.g. inside a loop)."""
        self.labels.append(_text(lines, cx, cy, EDGE_FONT, EDGE_LINE, COLOURS[colour]))

    def start(self, first: Box) -> None:
        """The start dot above the first box, with an arrow down into it."""
        self.shapes.append(f'<circle cx="{_num(first.cx)}" cy="{_num(MARGIN + 5)}" r="5" '
                           f'fill="{COLOURS["main"]}"/>')
        self.arrow(f"M{_num(first.cx)},{_num(MARGIN + 10)} L{_num(first.cx)},{_num(first.y - 1)}", None, "main")

    def box(self, box: Box) -> None:
        """A state: a rounded box with its label; side states lighter, final ones bolder."""
        fill = SIDE_FILL if box.side else SPINE_FILL
        stroke = COLOURS["side"] if box.side else COLOURS["main"]
        final = ' data-final="true"' if box.final else ""
        dashed = ' stroke-dasharray="5 3"' if box.side and not box.final else ""
        self.shapes.append(
            f'<g class="wf-state" data-state="{escape(box.code)}"{final}>'
            f'<rect x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.w)}" height="{_num(box.h)}" '
            f'rx="8" fill="{fill}" stroke="{stroke}" stroke-width="{3 if box.final else 1.5}"{dashed}/>'
            + _text(box.lines, box.cx, box.cy, STATE_FONT, STATE_LINE, TEXT, bold=not box.side)
            + "</g>")

    def svg(self, width: float, height: float, title: str, desc: str, data: str = "") -> str:
        """The finished drawing: an accessible, scalable ``<svg>`` (``data``: extra attributes)."""
        prefix = self.prefix
        markers = "".join(
            f'<marker id="{prefix}-arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
            f'markerHeight="6" markerUnits="strokeWidth" orient="auto">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
            for name, colour in COLOURS.items())
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="workflow-diagram__svg" id="{prefix}" '
            f'viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" height="{_num(height)}" '
            f'role="img" aria-labelledby="{prefix}-title {prefix}-desc"{data}>'
            f'<title id="{prefix}-title">{escape(title)}</title>'
            f'<desc id="{prefix}-desc">{escape(desc)}</desc>'
            f"<defs>{markers}</defs>"
            f'<g class="wf-edges">{"".join(self.under)}{"".join(self.paths)}</g>'
            f'<g class="wf-states">{"".join(self.shapes)}</g>'
            f'<g class="wf-labels">{"".join(self.labels)}</g>'
            "</svg>"
        )


def rounded(points: list[tuple[float, float]]) -> str:
    """A polyline with rounded corners: the curved arrows at the sides."""
    d = [f"M{_num(points[0][0])},{_num(points[0][1])}"]
    for (x0, y0), (x1, y1), (x2, y2) in zip(points, points[1:], points[2:]):
        r = min(CORNER, (abs(x1 - x0) + abs(y1 - y0)) / 2, (abs(x2 - x1) + abs(y2 - y1)) / 2)
        ax, ay = x1 - r * _sign(x1 - x0), y1 - r * _sign(y1 - y0)
        bx, by = x1 + r * _sign(x2 - x1), y1 + r * _sign(y2 - y1)
        d.append(f"L{_num(ax)},{_num(ay)} Q{_num(x1)},{_num(y1)} {_num(bx)},{_num(by)}")
    d.append(f"L{_num(points[-1][0])},{_num(points[-1][1])}")
    return " ".join(d)


def _edges(workflow, boxes: dict[str, Box], row: dict[str, int]) -> tuple[list[Edge], list[Any]]:
    """The arrows to draw, and the actions left out (they do not change the state)."""
    omitted: list[Any] = []
    pairs: dict[tuple[str, str], list[Any]] = {}
    edges: list[Edge] = []
    for action in workflow.actions:
        target_on_side = boxes[action.target].side
        spine_sources = [s for s in action.sources if s in row and s != action.target]
        if target_on_side and spine_sources:
            edges.append(Edge([action], spine_sources, action.target, "to_side"))
        for source in action.sources:
            if source == action.target:
                if action not in omitted:
                    omitted.append(action)
            elif not (target_on_side and source in row):
                pairs.setdefault((source, action.target), []).append(action)
    for (source, target), actions in pairs.items():
        if source in row and target in row:
            step = row[target] - row[source]
            kind = "down" if step == 1 else ("back" if step < 0 else "skip")
        elif target in row:
            kind = "from_side"
        else:
            kind = "side_side"
        edges.append(Edge(actions, [source], target, kind))
    for edge in edges:
        edge.set_rows([boxes[s].row for s in edge.sources] + [boxes[edge.target].row])
    return edges, omitted


def render(workflow, *, title: str, spine: Sequence[str] | None = None,
           id_prefix: str | None = None) -> Diagram:
    """Lay out and draw ``workflow``; ``title`` is the diagram's accessible name."""
    prefix = id_prefix or f"wf-{workflow.name}"
    states = {s.code: s for s in workflow.states}
    spine = list(spine or longest_path(workflow))
    unknown = [c for c in spine if c not in states]
    if unknown:
        raise ValueError(f"{workflow.name}: spine names unknown states {unknown}")
    row = {code: i for i, code in enumerate(spine)}
    side = _place_side_states(workflow, spine)
    n_rows = max([len(spine)] + [r + 1 for r, _ in side.values()])

    # --- boxes: text, then sizes (at least two lines high, so the column looks even)
    boxes: dict[str, Box] = {}
    for state in workflow.states:
        on_spine = state.code in row
        lines = wrap(state.label, SPINE_TEXT if on_spine else SIDE_TEXT, STATE_FONT)
        box = Box(state.code, state.label, lines, state.final, not on_spine,
                  row[state.code] if on_spine else side[state.code][0])
        box.h = max(len(lines), 2) * STATE_LINE + 2 * BOX_PAD_Y
        boxes[state.code] = box
    spine_w = max([MIN_BOX_W] + [lines_width(b.lines, STATE_FONT) + 2 * BOX_PAD_X
                                 for b in boxes.values() if not b.side])
    side_w = max([MIN_BOX_W * 0.8] + [lines_width(b.lines, STATE_FONT) + 2 * BOX_PAD_X
                                      for b in boxes.values() if b.side])
    row_h = [max([b.h for b in boxes.values() if b.row == r], default=0.0) for r in range(n_rows)]
    side_rows = {r for r, _ in side.values()}

    edges, omitted = _edges(workflow, boxes, row)
    for edge in edges:
        width = {"down": spine_w - 2 * LABEL_PAD, "back": LOOP_TEXT,
                 "skip": LOOP_TEXT}.get(edge.kind, EDGE_TEXT)
        edge.lines = wrap(edge.label, width, EDGE_FONT)

    def label_w(edge: Edge) -> float:
        return lines_width(edge.lines, EDGE_FONT)

    def label_h(edge: Edge) -> float:
        return len(edge.lines) * EDGE_LINE

    def loop_room(edge: Edge) -> float:
        return label_w(edge) + 2 * LABEL_PAD

    # --- lanes. Left of the spine: edges back to earlier rows, labels inside their loops.
    back = [e for e in edges if e.kind == "back"]
    _assign_lanes(back, loop_room)
    # Right of the spine: skips (labels inside the loop) and buses to side states.
    skips = [e for e in edges if e.kind == "skip"]
    _assign_lanes(skips, loop_room)
    buses = [e for e in edges if e.kind == "to_side" and e.rows[0] != e.rows[1]]
    _assign_lanes(buses, lambda e: 12.0)

    def beyond_buses(edge: Edge) -> float:
        """Where a bus's arrow label may start: right of every bus passing its row."""
        r = boxes[edge.target].row
        return max([e.lane_x for e in buses if e.rows[0] <= r <= e.rows[1]] + [edge.lane_x])

    # Side states back to a spine row elsewhere: outside the side column ("far" lanes),
    # labelled beside the lane on a row gap clear of side boxes.
    far = [e for e in edges if e.kind == "from_side" and e.rows[0] != e.rows[1]]
    busy_gaps = {g for g in range(n_rows - 1) if g in side_rows or g + 1 in side_rows}
    _assign_lanes(far, lambda e: 12.0, busy_gaps | {e.label_row for e in skips})
    for edge in far:
        edge.lane += 1000  # outermost at the ports of the spine boxes

    level = [e for e in edges if e.kind in ("to_side", "from_side") and e.rows[0] == e.rows[1]]
    connector = max([MIN_CONNECTOR]
                    + [beyond_buses(e) + label_w(e) + 2 * LABEL_PAD + 6 for e in buses]
                    + [label_w(e) + 2 * LABEL_PAD + 6 for e in level])

    # --- x positions
    gutter = max([e.lane_x for e in back], default=0.0)
    spine_x = MARGIN + gutter + (4 if back else 0)
    spine_r = spine_x + spine_w
    side_x = spine_r + connector
    columns = max([c for _, c in side.values()], default=0)
    side_r = side_x + columns * side_w + (columns - 1) * connector if columns else spine_r
    far_x0 = max(side_r, spine_r + max([e.lane_x for e in skips], default=0.0))

    # --- y positions: each gap big enough for the labels drawn in it
    gaps = [MIN_GAP] * max(n_rows - 1, 0)
    for edge in edges:
        if edge.kind == "down":
            r = boxes[edge.sources[0]].row
            gaps[r] = max(gaps[r], label_h(edge) + 2 * ARROW_ROOM)
        elif edge.kind in ("back", "skip") or edge in far:
            gaps[edge.label_row] = max(gaps[edge.label_row], label_h(edge) + 8)
    row_top: list[float] = []
    top = MARGIN + START_DROP
    for r in range(n_rows):
        row_top.append(top)
        top += row_h[r] + (gaps[r] if r < len(gaps) else 0)
    for box in boxes.values():
        box.y = row_top[box.row] + (row_h[box.row] - box.h) / 2
        if box.side:
            column = side[box.code][1]
            box.w = side_w
            box.x = side_x + (column - 1) * (side_w + connector)
        else:
            box.w = spine_w
            box.x = spine_x

    def gap_centre(g: int) -> float:
        return (row_top[g] + row_h[g] + row_top[g + 1]) / 2

    # --- ports: where edges meet the sides of boxes, spread so that lines do not cross
    ports: dict[tuple[str, str], list[tuple[tuple, Edge]]] = {}
    action_order = {a.code: i for i, a in enumerate(workflow.actions)}

    def add_port(code: str, where: str, other_row: int, edge: Edge) -> None:
        here = boxes[code].row
        order = action_order[edge.actions[0].code]
        if other_row < here:  # the line goes up: inner lanes on top
            key = (0, edge.lane, order)
        elif other_row == here:
            key = (1, 0, order)
        else:  # the line goes down: outer lanes on top
            key = (2, -edge.lane, order)
        ports.setdefault((code, where), []).append((key, edge))

    for edge in edges:
        target_row = boxes[edge.target].row
        if edge.kind == "back":
            add_port(edge.sources[0], "left", target_row, edge)
            add_port(edge.target, "left", boxes[edge.sources[0]].row, edge)
        elif edge.kind == "skip":
            add_port(edge.sources[0], "right", target_row, edge)
            add_port(edge.target, "right", boxes[edge.sources[0]].row, edge)
        elif edge.kind == "to_side":
            for source in edge.sources:
                add_port(source, "right", target_row, edge)
            add_port(edge.target, "left", boxes[edge.sources[0]].row, edge)
        elif edge.kind == "from_side":
            where = "right" if edge in far else "left"
            add_port(edge.sources[0], where, target_row, edge)
            add_port(edge.target, "right", boxes[edge.sources[0]].row, edge)

    port_y: dict[tuple[str, str, int], float] = {}
    port_rank: dict[tuple[str, str, int], tuple[int, int]] = {}
    for (code, where), entries in ports.items():
        entries.sort(key=lambda item: item[0])
        box = boxes[code]
        for i, (_, edge) in enumerate(entries):
            port_y[(code, where, id(edge))] = box.y + box.h * (i + 1) / (len(entries) + 1)
            port_rank[(code, where, id(edge))] = (i, len(entries))

    def py(code: str, where: str, edge: Edge) -> float:
        return port_y.get((code, where, id(edge)), boxes[code].cy)

    # --- draw the edges
    canvas = Canvas(prefix)
    for edge in edges:
        target = boxes[edge.target]
        source = boxes[edge.sources[0]]
        if edge.kind == "down":
            canvas.arrow(f"M{_num(source.cx)},{_num(source.bottom)} L{_num(target.cx)},{_num(target.y - 1)}",
                         edge, "main")
            canvas.label(edge, source.cx, (source.bottom + target.y) / 2, "main")
        elif edge.kind in ("back", "skip"):
            left = edge.kind == "back"
            colour = "back" if left else "main"
            x0 = source.x if left else source.right
            lane = x0 - edge.lane_x if left else x0 + edge.lane_x
            end = x0 - 1 if left else x0 + 1
            y0, y1 = py(source.code, "left" if left else "right", edge), py(
                target.code, "left" if left else "right", edge)
            canvas.arrow(rounded([(x0, y0), (lane, y0), (lane, y1), (end, y1)]), edge, colour)
            canvas.label(edge, (lane + x0) / 2, gap_centre(edge.label_row), colour, halo=False)
        elif edge.kind == "to_side":
            ty = py(target.code, "left", edge)
            if edge.rows[0] == edge.rows[1]:
                y0 = py(source.code, "right", edge)
                canvas.arrow(f"M{_num(source.right)},{_num(y0)} L{_num(target.x - 1)},{_num(ty)}", edge, "side")
                _level_label(canvas, edge, source.right, target.x, y0,
                             port_rank[(target.code, "left", id(edge))], label_h(edge))
                continue
            bus_x = spine_r + edge.lane_x
            ys = [py(s, "right", edge) for s in edge.sources]
            canvas.line(f"M{_num(bus_x)},{_num(min(ys + [ty]))} L{_num(bus_x)},{_num(max(ys + [ty]))}",
                        "side", under=True)
            for s, y in zip(edge.sources, ys):
                canvas.line(f"M{_num(boxes[s].right)},{_num(y)} L{_num(bus_x)},{_num(y)}", "side")
            canvas.arrow(f"M{_num(bus_x)},{_num(ty)} L{_num(target.x - 1)},{_num(ty)}", edge, "side")
            canvas.label(edge, (spine_r + beyond_buses(edge) + target.x) / 2, ty - 4 - label_h(edge) / 2, "side")
        elif edge.kind == "from_side" and edge not in far:
            y0 = py(source.code, "left", edge)
            ty = py(target.code, "right", edge)
            canvas.arrow(f"M{_num(source.x)},{_num(y0)} L{_num(target.right + 1)},{_num(ty)}", edge, "side")
            _level_label(canvas, edge, target.right, source.x, y0,
                         port_rank[(source.code, "left", id(edge))], label_h(edge))
        elif edge.kind == "from_side":
            lane = far_x0 + edge.lane_x
            y0 = py(source.code, "right", edge)
            ty = py(target.code, "right", edge)
            canvas.arrow(rounded([(source.right, y0), (lane, y0), (lane, ty), (target.right + 1, ty)]),
                         edge, "side")
            canvas.label(edge, lane - 4, gap_centre(edge.label_row), "side", anchor="end")
        else:  # between two side states: straight, between the nearest sides
            if source.row == target.row:
                x0, x1 = (source.right, target.x - 1) if source.x < target.x else (source.x, target.right + 1)
                y0 = y1 = source.cy
            else:
                x0 = x1 = source.cx
                y0, y1 = ((source.bottom, target.y - 1) if source.row < target.row
                          else (source.y, target.bottom + 1))
            canvas.arrow(f"M{_num(x0)},{_num(y0)} L{_num(x1)},{_num(y1)}", edge, "side")
            canvas.label(edge, (x0 + x1) / 2, (y0 + y1) / 2, "side")

    # --- the start marker and the boxes
    canvas.start(boxes[spine[0]])
    for state in workflow.states:
        canvas.box(boxes[state.code])

    # --- size and words
    width = max([side_r, spine_r] + [far_x0 + e.lane_x for e in far]
                + [spine_r + e.lane_x for e in skips]) + MARGIN + 2
    height = max(b.bottom for b in boxes.values()) + MARGIN + 2
    desc = f"主线自上而下：{' → '.join(boxes[c].label for c in spine)}。"
    others = [boxes[s.code].label for s in workflow.states if s.code not in row]
    if others:
        desc += f"旁边的状态：{'、'.join(others)}。"
    desc += "每个箭头旁写着对应的步骤；各步骤的说明见图下的表格。"
    svg = canvas.svg(width, height, title, desc, f' data-workflow="{escape(workflow.name)}"')
    return Diagram(svg, tuple(spine), tuple(omitted), width, height)


def _sign(value: float) -> float:
    return (value > 0) - (value < 0)


def _level_label(canvas: Canvas, edge: Edge, x_left: float, x_right: float, y: float,
                 rank: tuple[int, int], height: float) -> None:
    """Label a horizontal arrow: above it, or below when it is the lower of several."""
    index, count = rank
    below = count > 1 and index == count - 1
    cy = y + 4 + height / 2 if below else y - 4 - height / 2
    canvas.label(edge, (x_left + x_right) / 2, cy, "side")


def _text(lines: Sequence[str], cx: float, cy: float, size: float, leading: float, colour: str,
          bold: bool = False) -> str:
    first = cy - leading * (len(lines) - 1) / 2 + size * 0.35
    weight = ' font-weight="700"' if bold else ""
    spans = "".join(
        f'<tspan x="{_num(cx)}" y="{_num(first + i * leading)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines))
    return (f'<text font-size="{_num(size)}" text-anchor="middle" fill="{colour}"{weight}>'
            f"{spans}</text>")


# ---------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class StepRow:
    """One line of the steps table under a diagram."""

    code: str
    label: str
    sources: tuple[str, ...]  # state labels
    target: str
    roles: tuple[str, ...]  # role labels
    records: tuple[str, ...]  # labels of the fields the step must record
    changes_state: bool


def step_rows(workflow, role_labels: dict[str, str]) -> list[StepRow]:
    rows = []
    for action in workflow.actions:
        rows.append(StepRow(
            code=action.code,
            label=action.label,
            sources=tuple(workflow.state(s).label for s in action.sources),
            target=workflow.state(action.target).label,
            roles=tuple(role_labels[r] for r in action.roles),
            records=tuple(f.label for f in action.fields if f.required),
            changes_state=any(s != action.target for s in action.sources),
        ))
    return rows


def resident_fields(workflow) -> list[dict[str, str]]:
    """The step fields residents may read, once each, in workflow order."""
    seen: dict[str, dict[str, str]] = {}
    for action in workflow.actions:
        for f in action.fields:
            if f.resident_visible and f.name not in seen:
                seen[f.name] = {"name": f.name, "label": f.label, "kind": f.kind}
    return list(seen.values())
