"""Pages generated from the domain: the diagram layout on any workflow, the service
standards, the step labels on the tracking page, and the forms residents answer a case with
there (repairs and complaints alike). The process pages are checked in test_process_pages.
Each check compares the built page with ``butler.domain`` itself, so a page cannot drift
from what the code enforces."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from types import SimpleNamespace
from urllib.parse import urljoin

import pytest

from butler.domain import service_levels
from butler.domain.complaints import COMPLAINT_WORKFLOW
from butler.domain.repairs import CATEGORIES, REPAIR_WORKFLOW, RESIDENT_FIELDS, RESIDENT_URGENCIES
from butler.domain.workflow import Action, State, StepField, Workflow
from butler.web import schemas
from butler.web.routes import complaints as complaint_routes
from butler.web.routes import repairs as repair_routes
from tests.site import scan

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
    assert scan.state_labels(svg) == {s.code: s.label for s in workflow.states}
    labels = scan.arrow_labels(svg)
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
    assert scan.state_labels(svg)["on_hold"] == "挂起待议"
    assert "挂起" in "".join(scan.arrow_labels(svg)["hold"])


# ------------------------------------------------------------------ standards page


def test_standards_page_lists_every_urgency_with_its_targets(page_html, hooks):
    page = page_html("standards")
    rows = {r.attrs["data-urgency"]: r for r in scan.rows(page, "urgency-targets")}
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
    rows = {r.attrs["data-category"]: r for r in scan.rows(page, "category-targets")}
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


@dataclass(frozen=True)
class Answers:
    """How a resident answers a case on the tracking page: a 1-5 rating, or "not done" with a
    reason, in a form a toggle opens. The ids of one kind of case."""
    section: str  # the <section> around the resident's forms
    rating: str  # the radios' name; their ids are <rating>-1 … <rating>-5; error-<rating>
    rating_form: str
    rating_submit: str
    not_done: str  # <not_done>-toggle opens <not_done>-form: <not_done>-reason, submit-<not_done>
    not_done_model: type  # the request model of the "not done" route: the reason's limits


ANSWERS = {
    "repair": Answers("resident-actions", "rating", "rate-form", "submit-rating", "not-fixed", schemas.NotFixedIn),
    "complaint": Answers("complaint-actions", "satisfaction", "satisfied-form", "submit-satisfied", "not-satisfied",
                         schemas.NotSatisfiedIn),
}


def schema_chars(model, field: str) -> tuple[str | None, str | None]:
    """(minLength, maxLength) of a request model's field in the API's JSON schema, as the
    page's data-min-chars / data-max-chars carry them."""
    prop = model.model_json_schema()["properties"][field]
    return (str(prop["minLength"]) if "minLength" in prop else None,
            str(prop["maxLength"]) if "maxLength" in prop else None)


def counted_chars(control: scan.Element) -> tuple[str | None, str | None]:
    """The limits forms.js counts in characters; never a maxlength/minlength, which counts
    UTF-16 units and cuts a paste silently."""
    assert "maxlength" not in control.attrs and "minlength" not in control.attrs, control.attrs
    return control.attrs.get("data-min-chars"), control.attrs.get("data-max-chars")


@pytest.mark.parametrize("answers", ANSWERS.values(), ids=ANSWERS.keys())
def test_track_page_has_the_rating_and_not_done_forms(page_html, answers):
    page = page_html("track")
    not_done = answers.not_done
    ids = scan.required_ids(
        page,
        required=(answers.section, answers.rating_form, answers.rating_submit, f"error-{answers.rating}",
                  f"{not_done}-toggle", f"{not_done}-form", f"{not_done}-reason", f"submit-{not_done}",
                  f"error-{not_done}-reason", "action-error", "action-done"),
        hidden=(answers.section, answers.rating_form, f"{not_done}-form", "action-error", "action-done"))
    for shared in ("action-error", "action-done"):
        assert not ids[shared].inside("section", id=answers.section), \
            f"{shared}: a 409 hides the actions; its message must stay visible"
    radios = [e for e in scan.elements(page) if e.tag == "input" and e.attrs.get("name") == answers.rating]
    assert [(r.attrs["id"], r.attrs["value"], r.attrs["type"]) for r in radios] == [
        (f"{answers.rating}-{n}", str(n), "radio") for n in range(1, 6)]
    assert all(r.inside("form", id=answers.rating_form) for r in radios)
    reason = ids[f"{not_done}-reason"]
    assert reason.tag == "textarea" and reason.inside("form", id=f"{not_done}-form")
    assert counted_chars(reason) == schema_chars(answers.not_done_model, "reason") == ("2", "300")
    assert ids[f"{not_done}-toggle"].attrs.get("aria-controls") == f"{not_done}-form"
    assert ids[answers.rating_submit].tag == "button" and ids[f"submit-{not_done}"].tag == "button"


def test_track_page_has_the_repair_record_and_rating_comment(page_html):
    ids = scan.required_ids(page_html("track"), required=("track-record", "rating-comment", "error-rating-comment"),
                            hidden=("track-record-section",))
    assert ids["action-error"].attrs.get("role") == "alert"
    assert ids["rating-comment"].tag == "textarea"
    assert counted_chars(ids["rating-comment"]) == schema_chars(schemas.RatingIn, "comment") == (None, "200")


def test_track_page_has_the_cancel_form_with_a_confirmation(page_html):
    page = page_html("track")
    ids = scan.required_ids(
        page,
        required=("cancel-actions", "cancel-toggle", "cancel-form", "cancel-reason", "error-cancel-reason",
                  "hint-cancel-reason", "cancel-ask", "submit-cancel", "cancel-confirm", "cancel-confirm-question",
                  "cancel-confirm-yes", "cancel-confirm-no"),
        hidden=("cancel-actions", "cancel-form", "cancel-confirm", "error-cancel-reason"))
    assert ids["cancel-toggle"].attrs.get("aria-controls") == "cancel-form"
    reason = ids["cancel-reason"]
    assert reason.tag == "textarea" and reason.inside("form", id="cancel-form") and "required" in reason.attrs
    assert counted_chars(reason) == schema_chars(schemas.CancelIn, "reason")
    assert reason.attrs["aria-describedby"].split() == ["hint-cancel-reason", "error-cancel-reason"]
    assert ids["submit-cancel"].attrs.get("type") == "submit" and ids["submit-cancel"].inside("div", id="cancel-ask")
    confirm = ids["cancel-confirm"]
    assert confirm.inside("form", id="cancel-form")
    assert confirm.attrs.get("aria-labelledby") == "cancel-confirm-question"
    assert "确定取消这张报修单吗？" in ids["cancel-confirm-question"].text
    for button in ("cancel-confirm-yes", "cancel-confirm-no"):
        assert ids[button].tag == "button" and ids[button].attrs.get("type") == "button"
        assert ids[button].inside("div", id="cancel-confirm"), button
    for shared in ("action-error", "action-done"):
        assert not ids[shared].inside("section", id="cancel-actions"), shared


@pytest.mark.parametrize("workflow, routes", [(REPAIR_WORKFLOW, repair_routes), (COMPLAINT_WORKFLOW, complaint_routes)],
                         ids=["repair", "complaint"])
def test_the_tracking_page_offers_every_resident_action_of_the_workflow(workflow, routes):
    # resident_actions lists the workflow's resident actions: each has its step on the page,
    # shown when offered and posted to its route.
    from tests.site.test_build import SCRIPTS, _code

    code = _code(SCRIPTS / "track.js")
    for action in (a.code for a in workflow.actions if "resident" in a.roles):
        assert f"offered('{action}')" in code, action
        assert "'/" + routes.RESIDENT_ROUTES[action].rsplit("/", 1)[1] + "'" in code, action


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


@pytest.mark.parametrize("key", ["standards", "process", "track"])
def test_the_rating_window_shown_is_the_one_the_workflow_enforces(page_html, hooks, key):
    page = page_html(key)
    days = hooks.duration(service_levels.RATING_WINDOW)

    assert scan.by_id(page)["rating-window"].text == days
    assert REPAIR_WORKFLOW.action("archive").wait.period == service_levels.RATING_WINDOW
    assert "系统自动归档" in scan.article(page)
