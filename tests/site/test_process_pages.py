"""The process pages generated from the workflows: the repair process and the complaint
process each draw their workflow (an inline SVG), explain every state for residents, list
every step in a table and publish the Mermaid source. Every check compares the built page
with ``butler.domain`` itself, so a page cannot drift from what the code enforces; the
``*_can_fail`` tests feed the same checks a broken page."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pytest

from butler.domain.complaints import COMPLAINT_WORKFLOW
from butler.domain.repairs import REPAIR_WORKFLOW
from butler.domain.workflow import ROLE_LABELS, Workflow
from tests.site import scan

PHONE_WIDTH = 360  # CSS px: the figure spans the whole screen on a phone


@dataclass(frozen=True)
class Process:
    key: str  # the page, by its key in conftest.PAGES
    workflow: Workflow
    prefix: str  # ids on the page: wf-<prefix>, <prefix>-stages, <prefix>-steps, <prefix>-mermaid
    explained: int  # a state's explanation is longer than its label by more than this
    # What the *_can_fail tests break: a state box to drop, a single-source step's arrow
    # label to drop, a state to give another name.
    dropped_state: str
    dropped_label: str
    renamed_state: str

    @property
    def drawn(self):
        """The steps that change the state: each is an arrow. Self-loops are left out."""
        return [a for a in self.workflow.actions if any(s != a.target for s in a.sources)]

    @property
    def self_loops(self):
        return [a for a in self.workflow.actions if a not in self.drawn]


PROCESSES = [
    Process("process", REPAIR_WORKFLOW, "repair", 15,
            dropped_state="paused", dropped_label="reject", renamed_state="archived"),
    Process("complaint_process", COMPLAINT_WORKFLOW, "complaint", 10,
            dropped_state="transferred", dropped_label="transfer", renamed_state="closed"),
]
REPAIR = PROCESSES[0]


@pytest.fixture(params=PROCESSES, ids=[p.prefix for p in PROCESSES])
def process(request) -> Process:
    return request.param


@pytest.fixture
def page(page_html, process) -> str:
    return page_html(process.key)


@pytest.fixture
def svg(page, process) -> str:
    return scan.diagram(page, process.prefix)


# ------------------------------------------------------------------ checks (shared with *_can_fail)


def check_states(svg: str, workflow: Workflow) -> None:
    assert scan.state_labels(svg) == {s.code: s.label for s in workflow.states}


def check_arrows(svg: str, process: Process) -> None:
    labels = scan.arrow_labels(svg)
    arrows = scan.arrows(svg)
    assert process.drawn, "no actions to draw?"
    for action in process.drawn:
        assert action.code in arrows, f"no arrow for {action.code}"
        assert action.code in labels, f"no label for {action.code}"
        assert all(action.label in text for text in labels[action.code]), action.code
    # Each drawn arrow stands for real transitions only.
    assert set(labels) <= {a.code for a in process.drawn}


# ------------------------------------------------------------------ the diagram


def test_diagram_is_an_accessible_scalable_inline_svg(svg):
    root = scan.elements(svg)[0]
    assert root.attrs.get("role") == "img"
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.attrs.get("viewbox", "")), "no viewBox"
    title = re.search(r'<title id="([^"]+)">([^<]+)</title>', svg)
    assert title and re.search(r"[\u4e00-\u9fff]", title.group(2)), "no Chinese <title>"
    assert title.group(1) in root.attrs.get("aria-labelledby", "").split()
    assert "<script" not in svg and "<style" not in svg and "<foreignobject" not in svg.lower()
    assert not re.search(r'(?:xlink:)?href="(?!#)', svg), "the diagram refers to something outside itself"
    assert 'url(#' in svg and not re.search(r"url\((?!#)", svg)


def test_diagram_shows_every_state_with_its_label(svg, process):
    check_states(svg, process.workflow)


def test_diagram_labels_every_arrow_with_its_action(svg, process):
    check_arrows(svg, process)


def test_diagram_checks_can_fail(svg, process):
    dropped = process.dropped_state
    broken = re.sub(rf'<g class="wf-state" data-state="{dropped}".*?</g>', "", svg, count=1, flags=re.S)
    assert dropped not in scan.state_labels(broken)
    with pytest.raises(AssertionError):
        check_states(broken, process.workflow)

    renamed = process.workflow.state(process.renamed_state)
    relabelled = svg.replace(f">{renamed.label}<", ">改过的名字<")
    assert scan.state_labels(relabelled)[renamed.code] != renamed.label
    with pytest.raises(AssertionError):
        check_states(relabelled, process.workflow)

    dropped = process.dropped_label
    broken = re.sub(rf'<g class="wf-label" data-action="{dropped}">.*?</g>', "", svg, count=1, flags=re.S)
    assert dropped not in scan.arrow_labels(broken)
    with pytest.raises(AssertionError):
        check_arrows(broken, process)


def test_self_loops_are_left_out_of_the_drawing_and_named_in_the_caption(page, svg, process):
    figure = re.search(rf'<figure\b[^>]*id="wf-{process.prefix}-figure".*?</figure>', page, re.S)
    assert figure
    caption = figure.group(0).split("</svg>")[1]
    for action in process.self_loops:
        assert action.code not in scan.arrows(svg)
        assert action.label in caption, f"caption does not name {action.label}"


def test_diagram_text_stays_readable_on_a_phone(svg, hooks):
    width = float(scan.elements(svg)[0].attrs["viewbox"].split()[2])
    smallest = min(hooks.diagrams.EDGE_FONT, hooks.diagrams.STATE_FONT)
    assert smallest * PHONE_WIDTH / width >= 11.5, f"diagram {width} wide: text under 11.5 px on a phone"


def test_repair_main_path_runs_top_to_bottom_with_side_states_beside_it(page_html, hooks):
    svg = scan.diagram(page_html(REPAIR.key), REPAIR.prefix)
    boxes = {}
    for element in scan.elements(svg):
        if element.tag == "rect" and element.ancestors and element.ancestors[-1][1].get("class") == "wf-state":
            code = element.ancestors[-1][1]["data-state"]
            boxes[code] = (float(element.attrs["x"]), float(element.attrs["y"]))
    spine = hooks.diagrams.longest_path(REPAIR_WORKFLOW)
    assert spine[:8] == ["reported", "dispatched", "surveyed", "in_repair", "completed", "accepted",
                         "rated", "archived"]
    assert len({boxes[c][0] for c in spine}) == 1, "main path is not one column"
    ys = [boxes[c][1] for c in spine]
    assert ys == sorted(ys) and len(set(ys)) == len(ys), "main path does not run downwards"
    for code in ("paused", "cancelled"):
        assert boxes[code][0] > boxes["reported"][0], f"{code} is not beside the main path"


def test_repair_back_edges_are_curves_on_the_left(page_html):
    svg = scan.diagram(page_html(REPAIR.key), REPAIR.prefix)
    spine_x = min(float(e.attrs["x"]) for e in scan.elements(svg)
                  if e.tag == "rect" and e.ancestors and e.ancestors[-1][1].get("data-state") == "reported")
    for code in ("reject", "report_not_fixed"):
        path = next(e for e in scan.elements(svg) if e.tag == "path" and e.attrs.get("data-action") == code)
        d = path.attrs["d"]
        assert " Q" in d, f"{code} is not curved"
        xs = [float(x) for x in re.findall(r"(-?[\d.]+),", d)]
        assert min(xs) < spine_x, f"{code} is not drawn on the left of the main path"


# ------------------------------------------------------------------ steps table, explanations, Mermaid


def test_steps_table_has_a_row_per_action(page, process):
    workflow = process.workflow
    rows = scan.rows(page, f"{process.prefix}-steps")
    assert [r.attrs.get("data-action") for r in rows] == [a.code for a in workflow.actions]
    for row, action in zip(rows, workflow.actions):
        cells = [c.text.strip() for c in row.cells]
        assert len(cells) == 5, action.code
        step, sources, target, roles, records = cells
        assert step == action.label
        assert sources == "、".join(workflow.state(s).label for s in action.sources)
        assert target.startswith(workflow.state(action.target).label)
        assert roles == "、".join(ROLE_LABELS[r] for r in action.roles)
        required = [f.label for f in action.fields if f.required]
        assert records == ("、".join(required) if required else "—"), action.code


def test_steps_table_headings(page, process):
    heads = [e.text for e in scan.elements(page) if e.tag == "th" and e.inside("table", id=f"{process.prefix}-steps")]
    assert heads == ["步骤", "从", "到", "谁来做", "需要记录"]


def test_every_state_is_explained_for_residents(page, process):
    items = {e.attrs["data-state"]: e.text for e in scan.elements(page)
             if e.tag == "li" and e.inside("ol", id=f"{process.prefix}-stages")}
    assert list(items) == [s.code for s in process.workflow.states]
    for state in process.workflow.states:
        assert items[state.code].startswith(state.label)
        assert len(items[state.code]) > len(state.label) + process.explained, f"no explanation for {state.code}"


def test_mermaid_source_is_published_collapsed(page, process):
    match = re.search(rf'<details\b(?![^>]*\bopen\b)[^>]*>.*?<code id="{process.prefix}-mermaid">(.*?)</code>'
                      r'.*?</details>', scan.article(page), re.S)
    assert match, "no collapsed <details> with the Mermaid source"
    assert html.unescape(match.group(1)) == process.workflow.mermaid()


def test_state_notes_fail_the_build_when_they_drift(hooks, process):
    import jinja2

    workflow = process.workflow
    notes = {s.code: "说明" for s in workflow.states}
    assert [s.code for s, _ in hooks.state_notes(workflow, notes)] == [s.code for s in workflow.states]
    missing = dict(notes)
    del missing[process.dropped_state]
    with pytest.raises(jinja2.UndefinedError, match=process.dropped_state):
        hooks.state_notes(workflow, missing)
    with pytest.raises(jinja2.UndefinedError, match="gone"):
        hooks.state_notes(workflow, {**notes, "gone": "x"})
