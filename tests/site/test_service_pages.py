"""Pages generated from the domain: the repair process (diagram, steps table, Mermaid), the
service standards, and the step labels on the tracking page. Each check compares the built
page with ``butler.domain`` itself, so a page cannot drift from what the code enforces."""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from urllib.parse import urljoin

import pytest

from butler.domain import service_levels
from butler.domain.repairs import CATEGORIES, REPAIR_WORKFLOW, RESIDENT_FIELDS, RESIDENT_URGENCIES
from butler.domain.workflow import ROLE_LABELS, Action, State, StepField, Workflow
from tests.site import scan

DRAWN = [a for a in REPAIR_WORKFLOW.actions if any(s != a.target for s in a.sources)]
SELF_LOOPS = [a for a in REPAIR_WORKFLOW.actions if a not in DRAWN]
PHONE_WIDTH = 360  # CSS px: the figure spans the whole screen on a phone


# ------------------------------------------------------------------ readers


def _svg(page_html) -> str:
    match = re.search(r'<svg\b[^>]*\bid="wf-repair".*?</svg>', scan.article(page_html("process")), re.S)
    assert match, "no inline SVG diagram (id wf-repair) on the process page"
    return match.group(0)


def _groups(svg: str, cls: str, attribute: str) -> dict[str, list[str]]:
    """Text of every <g class=cls>, by the value(s) of ``attribute`` (space-separated)."""
    found: dict[str, list[str]] = {}
    for element in scan.elements(svg):
        if element.tag == "g" and element.attrs.get("class") == cls:
            for code in element.attrs.get(attribute, "").split():
                found.setdefault(code, []).append(element.text)
    return found


def _state_labels(svg: str) -> dict[str, str]:
    return {code: texts[0] for code, texts in _groups(svg, "wf-state", "data-state").items()}


def _arrow_labels(svg: str) -> dict[str, list[str]]:
    return _groups(svg, "wf-label", "data-action")


def _arrows(svg: str) -> set[str]:
    return {code for e in scan.elements(svg) if e.tag == "path"
            for code in e.attrs.get("data-action", "").split()}


@dataclass
class Row:
    attrs: dict[str, str]
    cells: list[scan.Element] = field(default_factory=list)
    spans: list[list[scan.Element]] = field(default_factory=list)  # <span>s of each cell


def _rows(html_text: str, table_id: str) -> list[Row]:
    """The body rows of a table, each with its cells (one parse, in document order)."""
    rows: list[Row] = []
    for element in scan.elements(html_text):
        if not element.inside("table", id=table_id) or element.inside("thead"):
            continue
        if element.tag == "tr":
            rows.append(Row(element.attrs))
        elif element.tag == "td":
            rows[-1].cells.append(element)
            rows[-1].spans.append([])
        elif element.tag == "span" and rows and rows[-1].cells:
            rows[-1].spans[-1].append(element)
    return rows


# ------------------------------------------------------------------ process page: diagram


def test_diagram_is_an_accessible_scalable_inline_svg(page_html):
    svg = _svg(page_html)
    root = scan.elements(svg)[0]
    assert root.attrs.get("role") == "img"
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.attrs.get("viewbox", "")), "no viewBox"
    title = re.search(r'<title id="([^"]+)">([^<]+)</title>', svg)
    assert title and re.search(r"[\u4e00-\u9fff]", title.group(2)), "no Chinese <title>"
    assert title.group(1) in root.attrs.get("aria-labelledby", "").split()
    assert "<script" not in svg and "<style" not in svg and "<foreignobject" not in svg.lower()
    assert not re.search(r'(?:xlink:)?href="(?!#)', svg), "the diagram refers to something outside itself"
    assert 'url(#' in svg and not re.search(r"url\((?!#)", svg)


def test_diagram_shows_every_state_with_its_label(page_html):
    labels = _state_labels(_svg(page_html))
    assert labels == {s.code: s.label for s in REPAIR_WORKFLOW.states}


def test_diagram_labels_every_arrow_with_its_action(page_html):
    svg = _svg(page_html)
    labels = _arrow_labels(svg)
    arrows = _arrows(svg)
    assert DRAWN, "no actions to draw?"
    for action in DRAWN:
        assert action.code in arrows, f"no arrow for {action.code}"
        assert action.code in labels, f"no label for {action.code}"
        assert all(action.label in text for text in labels[action.code]), action.code
    # Each drawn arrow stands for real transitions only.
    assert set(labels) <= {a.code for a in DRAWN}


def test_self_loops_are_left_out_of_the_drawing_and_named_in_the_caption(page_html):
    svg = _svg(page_html)
    figure = re.search(r'<figure\b[^>]*id="wf-repair-figure".*?</figure>', page_html("process"), re.S)
    assert figure
    for action in SELF_LOOPS:
        assert action.code not in _arrows(svg)
        assert action.label in figure.group(0).split("</svg>")[1], f"caption does not name {action.label}"


def test_main_path_runs_top_to_bottom_with_side_states_beside_it(page_html, hooks):
    svg = _svg(page_html)
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


def test_back_edges_are_curves_on_the_left(page_html):
    svg = _svg(page_html)
    spine_x = min(float(e.attrs["x"]) for e in scan.elements(svg)
                  if e.tag == "rect" and e.ancestors and e.ancestors[-1][1].get("data-state") == "reported")
    for code in ("reject", "report_not_fixed"):
        path = next(e for e in scan.elements(svg) if e.tag == "path" and e.attrs.get("data-action") == code)
        d = path.attrs["d"]
        assert " Q" in d, f"{code} is not curved"
        xs = [float(x) for x in re.findall(r"(-?[\d.]+),", d)]
        assert min(xs) < spine_x, f"{code} is not drawn on the left of the main path"


def test_diagram_text_stays_readable_on_a_phone(page_html, hooks):
    width = float(scan.elements(_svg(page_html))[0].attrs["viewbox"].split()[2])
    smallest = min(hooks.diagrams.EDGE_FONT, hooks.diagrams.STATE_FONT)
    assert smallest * PHONE_WIDTH / width >= 11.5, f"diagram {width} wide: text under 11.5 px on a phone"


def test_diagram_checks_can_fail(page_html):
    svg = _svg(page_html)
    broken = re.sub(r'<g class="wf-state" data-state="paused".*?</g>', "", svg, count=1, flags=re.S)
    assert "paused" not in _state_labels(broken)
    broken = re.sub(r'<g class="wf-label" data-action="reject">.*?</g>', "", svg, count=1, flags=re.S)
    assert "reject" not in _arrow_labels(broken)


# ------------------------------------------------------------------ process page: table, prose, Mermaid


def test_steps_table_has_a_row_per_action(page_html):
    page = page_html("process")
    rows = _rows(page, "repair-steps")
    assert [r.attrs.get("data-action") for r in rows] == [a.code for a in REPAIR_WORKFLOW.actions]
    for row, action in zip(rows, REPAIR_WORKFLOW.actions):
        cells = [c.text.strip() for c in row.cells]
        assert len(cells) == 5, action.code
        step, sources, target, roles, records = cells
        assert step == action.label
        assert sources == "、".join(REPAIR_WORKFLOW.state(s).label for s in action.sources)
        assert target.startswith(REPAIR_WORKFLOW.state(action.target).label)
        assert roles == "、".join(ROLE_LABELS[r] for r in action.roles)
        required = [f.label for f in action.fields if f.required]
        assert records == ("、".join(required) if required else "—"), action.code


def test_steps_table_headings(page_html):
    heads = [e.text for e in scan.elements(page_html("process"))
             if e.tag == "th" and e.inside("table", id="repair-steps")]
    assert heads == ["步骤", "从", "到", "谁来做", "需要记录"]


def test_every_state_is_explained_for_residents(page_html):
    items = {e.attrs["data-state"]: e.text for e in scan.elements(page_html("process"))
             if e.tag == "li" and e.inside("ol", id="repair-stages")}
    assert list(items) == [s.code for s in REPAIR_WORKFLOW.states]
    for state in REPAIR_WORKFLOW.states:
        assert items[state.code].startswith(state.label)
        assert len(items[state.code]) > len(state.label) + 15, f"no explanation for {state.code}"


def test_mermaid_source_is_published_collapsed(page_html):
    body = scan.article(page_html("process"))
    match = re.search(r'<details\b(?![^>]*\bopen\b)[^>]*>.*?<code id="repair-mermaid">(.*?)</code>.*?</details>',
                      body, re.S)
    assert match, "no collapsed <details> with the Mermaid source"
    assert html.unescape(match.group(1)) == REPAIR_WORKFLOW.mermaid()


def test_state_notes_fail_the_build_when_they_drift(hooks):
    import jinja2

    notes = {s.code: "说明" for s in REPAIR_WORKFLOW.states}
    assert [s.code for s, _ in hooks.state_notes(REPAIR_WORKFLOW, notes)] == [s.code for s in REPAIR_WORKFLOW.states]
    missing = dict(notes)
    del missing["paused"]
    with pytest.raises(jinja2.UndefinedError, match="paused"):
        hooks.state_notes(REPAIR_WORKFLOW, missing)
    with pytest.raises(jinja2.UndefinedError, match="gone"):
        hooks.state_notes(REPAIR_WORKFLOW, {**notes, "gone": "x"})


# ------------------------------------------------------------------ the layout, on other workflows


def _toy() -> Workflow:
    """Another workflow: a bus from three states, a skip, a back edge, a self-loop."""
    return Workflow(
        name="toy", initial="a",
        states=(State("a", "收到", ""), State("b", "处理中", ""), State("c", "已答复", ""),
                State("d", "已确认满意", "", final=True), State("x", "已撤回", "", final=True)),
        actions=(Action("go", "开始处理", ("a",), "b", ("butler",)),
                 Action("reply", "答复业主", ("b",), "c", ("butler",)),
                 Action("fast", "当场解答", ("a",), "c", ("butler",)),
                 Action("ok", "业主满意", ("c",), "d", ("resident",)),
                 Action("again", "业主不满意", ("c",), "b", ("resident",)),
                 Action("note", "记一笔", ("b",), "b", ("butler",)),
                 Action("withdraw", "撤回", ("a", "b", "c"), "x", ("resident",))),
    )


def test_layout_is_generic_over_workflows(hooks):
    workflow = _toy()
    diagram = hooks.diagrams.render(workflow, title="测试流程")
    svg = diagram.svg
    assert diagram.spine == ("a", "b", "c", "d")
    assert [a.code for a in diagram.omitted] == ["note"]
    assert _state_labels(svg) == {s.code: s.label for s in workflow.states}
    labels = _arrow_labels(svg)
    for action in workflow.actions:
        if action.code == "note":
            assert action.code not in labels
        else:
            assert any(action.label in t for t in labels[action.code]), action.code
    assert svg.count('data-action="withdraw"') == 2, "a multi-source step should be one arrow and one label"
    assert 'id="wf-toy-title"' in svg and "测试流程" in svg


def test_layout_rejects_an_unknown_main_path(hooks):
    with pytest.raises(ValueError, match="nowhere"):
        hooks.diagrams.render(_toy(), title="x", spine=["a", "nowhere"])


def test_wrap_prefers_punctuation_and_keeps_every_character(hooks):
    wrap = hooks.diagrams.wrap
    assert wrap("已报修，待派单", 15 * 6, 15) == ["已报修，", "待派单"]
    assert wrap("已派单", 15 * 6, 15) == ["已派单"]
    for text in ("暂停（待料或待入户）", "合并到同一故障的报修", "完工并填写维修记录"):
        lines = wrap(text, 12.5 * 5, 12.5)
        assert "".join(lines) == text
        assert all(hooks.diagrams.text_width(line.rstrip("，"), 12.5) <= 12.5 * 5 for line in lines), lines


def test_new_workflow_states_reach_the_drawing(hooks):
    extended = replace(REPAIR_WORKFLOW, states=(*REPAIR_WORKFLOW.states, State("on_hold", "挂起待议", "")),
                       actions=(*REPAIR_WORKFLOW.actions,
                                Action("hold", "挂起", ("reported",), "on_hold", ("butler",))))
    svg = hooks.diagrams.render(extended, title="x").svg
    assert _state_labels(svg)["on_hold"] == "挂起待议"
    assert "挂起" in "".join(_arrow_labels(svg)["hold"])


# ------------------------------------------------------------------ standards page


def test_standards_page_lists_every_urgency_with_its_targets(page_html, hooks):
    page = page_html("standards")
    rows = {r.attrs["data-urgency"]: r for r in _rows(page, "urgency-targets")}
    assert list(rows) == [u.code for u in service_levels.URGENCIES]
    for u in service_levels.URGENCIES:
        cells = rows[u.code].cells
        by_target = {c.attrs.get("data-target"): c.text.strip() for c in cells}
        assert cells[0].text.strip() == u.label
        assert cells[1].text.strip() == u.description
        assert by_target["respond"] == hooks.duration(u.respond_within)
        assert by_target["complete"] == hooks.duration(u.complete_within)


def test_standards_page_shows_effective_targets_of_category_exceptions(page_html, hooks):
    page = page_html("standards")
    rows = {r.attrs["data-category"]: r for r in _rows(page, "category-targets")}
    assert set(rows) == set(service_levels.CATEGORY_TARGETS)
    assert service_levels.CATEGORY_TARGETS, "no category exceptions to show?"
    labels = {c.code: c.label for c in CATEGORIES}
    for code, row in rows.items():
        assert row.cells[0].text.strip().startswith(labels[code])
        by_urgency = {c.attrs.get("data-urgency"): spans for c, spans in zip(row.cells[1:], row.spans[1:])}
        assert list(by_urgency) == list(RESIDENT_URGENCIES)
        for urgency_code, cell_spans in by_urgency.items():
            target = service_levels.target(urgency_code, code)
            spans = {e.attrs["data-target"]: e.text for e in cell_spans if "data-target" in e.attrs}
            assert spans == {"respond": hooks.duration(target.respond_within),
                             "complete": hooks.duration(target.complete_within)}, (code, urgency_code)


def test_category_exceptions_are_stricter_somewhere():
    # Otherwise the exceptions table would repeat the urgency table and test nothing.
    assert any(service_levels.target(u, c) != service_levels.target(u, "other")
               for c in service_levels.CATEGORY_TARGETS for u in RESIDENT_URGENCIES)


# ------------------------------------------------------------------ links


@pytest.mark.parametrize("key, base", [("home", "https://x.test/"), ("repairs", "https://x.test/repairs/")])
def test_pages_link_to_process_and_standards(page_html, key, base):
    hrefs = {urljoin(base, e.attrs["href"]) for e in scan.elements(scan.article(page_html(key)))
             if e.tag == "a" and "href" in e.attrs}
    assert "https://x.test/service/repair-process/" in hrefs
    assert "https://x.test/service/standards/" in hrefs


def test_standards_link_sits_with_the_urgency_choice(page_html):
    link = scan.by_id(page_html("repairs"))["standards-link"]
    assert link.inside("fieldset", id="field-urgency")
    assert urljoin("https://x.test/repairs/", link.attrs["href"]) == "https://x.test/service/standards/"


# ------------------------------------------------------------------ tracking page


def test_track_page_carries_the_resident_step_labels_from_the_workflow(page_html):
    record = scan.by_id(page_html("track"))["track-record"]
    assert record.tag == "dl"
    fields = json.loads(record.attrs["data-step-fields"])
    expected = {}
    for action in REPAIR_WORKFLOW.actions:
        for f in action.fields:
            if f.resident_visible:
                expected.setdefault(f.name, {"name": f.name, "label": f.label, "kind": f.kind})
    assert fields == list(expected.values())
    assert [f["name"] for f in fields] == list(dict.fromkeys(RESIDENT_FIELDS))
    staff_only = {f.name for a in REPAIR_WORKFLOW.actions for f in a.fields if not f.resident_visible}
    assert staff_only and not staff_only & {f["name"] for f in fields}


def test_track_page_has_the_rating_and_not_fixed_forms(page_html):
    page = page_html("track")
    ids = scan.by_id(page)
    for required in ("track-record", "resident-actions", "action-error", "action-done", "rate-form",
                     "rating-comment", "submit-rating", "not-fixed-toggle", "not-fixed-form",
                     "not-fixed-reason", "submit-not-fixed", "error-rating", "error-rating-comment",
                     "error-not-fixed-reason"):
        assert required in ids, f"no element id={required}"
    for hidden in ("resident-actions", "rate-form", "not-fixed-form", "action-error", "action-done",
                   "track-record-section"):
        assert "hidden" in ids[hidden].attrs, f"{hidden} should start hidden"
    assert ids["action-error"].attrs.get("role") == "alert"
    assert not ids["action-error"].inside("section", id="resident-actions"), \
        "a 409 hides the actions; its message must stay visible"
    radios = [e for e in scan.elements(page) if e.tag == "input" and e.attrs.get("name") == "rating"]
    assert [(r.attrs["id"], r.attrs["value"], r.attrs["type"]) for r in radios] == [
        (f"rating-{n}", str(n), "radio") for n in range(1, 6)]
    assert all(r.inside("form", id="rate-form") for r in radios)
    assert ids["rating-comment"].tag == "textarea" and ids["rating-comment"].attrs["maxlength"] == "200"
    reason = ids["not-fixed-reason"]
    assert reason.tag == "textarea" and reason.inside("form", id="not-fixed-form")
    assert (reason.attrs["minlength"], reason.attrs["maxlength"]) == ("2", "300")
    assert ids["not-fixed-toggle"].attrs.get("aria-controls") == "not-fixed-form"
    assert ids["submit-rating"].tag == "button" and ids["submit-not-fixed"].tag == "button"


def test_residents_are_not_offered_cancel(page_html):
    from tests.site.test_build import SCRIPTS, _code

    for element in scan.elements(scan.article(page_html("track"))):
        named = " ".join(element.attrs.get(a, "") for a in ("id", "name", "value", "aria-controls"))
        assert "cancel" not in named, element
        assert element.tag not in ("button", "a") or "取消" not in element.text, element
    code = _code(SCRIPTS / "track.js")
    assert "/cancel" not in code and "'cancel'" not in code


def test_track_script_posts_resident_steps_with_the_bearer_header():
    from tests.site.test_build import SCRIPTS, _code

    code = _code(SCRIPTS / "track.js")
    assert "'/rating'" in code and "'/not-fixed'" in code
    assert "method: 'POST'" in code
    assert "'Content-Type': 'application/json'" in code
    assert code.count("Authorization: 'Bearer ' + token") == 2  # GET and POST, nowhere else
    assert "data.resident_actions" in code and "data.details" in code


def test_hook_exposes_the_generated_helpers(hooks):
    config = SimpleNamespace(extra={}, site_name="", site_description="")
    hooks.on_config(config)
    page = SimpleNamespace(meta={"render": True}, file=SimpleNamespace(src_uri="x.md"))
    out = hooks.on_page_markdown("{{ workflow_diagram(repair_workflow, '图') }}", page=page, config=config,
                                 files=None)
    assert out.startswith('<figure class="workflow-diagram"') and "<svg" in out
    assert "\n\n" not in out, "a blank line would end the raw HTML block in Markdown"


def test_step_field_kinds_the_script_formats_are_known():
    # track.js formats "rating" as "n 分（word）" and shows every other kind as text.
    kinds = {f.kind for a in REPAIR_WORKFLOW.actions for f in a.fields if f.resident_visible}
    assert "rating" in kinds
    assert StepField("x", "x").kind == "text"
