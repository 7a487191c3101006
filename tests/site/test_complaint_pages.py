"""Inquiries, complaints and suggestions on the site: the form, the links to the process
page (the page itself is checked in test_process_pages), the standards, the tracking page
and the script the two forms share. Every check compares the built pages with
``butler.domain.complaints`` itself, so a page cannot drift from the code; the
``*_can_fail`` tests feed the same checks a broken page."""
from __future__ import annotations

import json
import re
from urllib.parse import urljoin

import pytest

from butler.domain.complaints import (
    COMPLAINT_WORKFLOW,
    FIRST_RESPONSE,
    KINDS,
    PROMISED_REPLY,
    RESIDENT_FIELDS,
    TOPICS,
    department,
)
from tests.site import scan
from tests.site.test_build import SCRIPTS, _code

FORM_FIELDS = ("kind", "topic", "description", "contact_name", "contact_phone", "unit")


# ------------------------------------------------------------------ readers


def _form(page: str) -> list[scan.Element]:
    return [e for e in scan.elements(page) if e.inside("form", id="complaint-form")]


def offered_kinds(page: str) -> list[tuple[str, str, str]]:
    """(value, id, data-label) of every kind radio inside the complaint form."""
    return [(e.attrs.get("value"), e.attrs.get("id"), e.attrs.get("data-label")) for e in _form(page)
            if e.tag == "input" and e.attrs.get("name") == "kind"]


def offered_topics(page: str) -> list[tuple[str, str, str]]:
    """(value, text, data-department) of every topic option inside the complaint form."""
    return [(e.attrs["value"], e.text.strip(), e.attrs.get("data-department")) for e in _form(page)
            if e.tag == "option" and e.inside("select", name="topic") and e.attrs.get("value")]


def _scripts(page: str) -> list[str]:
    return [e.attrs["src"].rsplit("/", 1)[-1] for e in scan.elements(page)
            if e.tag == "script" and "src" in e.attrs]


# ------------------------------------------------------------------ the form


def test_form_offers_every_kind_from_the_domain(page_html):
    kinds = offered_kinds(page_html("complaints"))
    assert kinds == [(code, f"field-kind-{code}", label) for code, label in KINDS.items()]
    labels = [e.text for e in _form(page_html("complaints"))
              if e.tag == "label" and "choice" in e.attrs.get("class", "").split()]
    assert [text.strip()[:len(label)] for text, label in zip(labels, KINDS.values())] == list(KINDS.values())


def test_form_offers_every_topic_with_its_department(page_html):
    topics = offered_topics(page_html("complaints"))
    assert topics == [(t.code, t.label, department(t.department).label) for t in TOPICS]


@pytest.mark.parametrize("name", FORM_FIELDS)
def test_every_field_has_its_id_and_a_linked_error(page_html, name):
    page = page_html("complaints")
    scan.linked_field(page, "complaint-form", name)
    controls = {e.attrs.get("name") or e.attrs.get("data-field") for e in _form(page)
                if e.tag in {"input", "select", "textarea"}}
    assert name in controls, f"no form control named {name}"


def test_form_limits_match_the_api_contract(page_html):
    ids = scan.by_id(page_html("complaints"))
    description = ids["field-description"]
    assert description.tag == "textarea"
    assert (description.attrs["data-min-chars"], description.attrs["data-max-chars"]) == ("5", "1000")
    assert "maxlength" not in description.attrs and "minlength" not in description.attrs
    assert ids["field-contact_phone"].attrs.get("type") == "tel"
    assert "required" not in ids["field-unit"].attrs, "the unit is optional"


def test_form_page_ids_the_scripts_and_tests_rely_on(page_html):
    ids = scan.by_id(page_html("complaints"))
    for required in ("complaint-form", "form-error", "submit-complaint", "complaint-result",
                     "complaint-result-title", "result-reference", "result-respond-by", "result-token",
                     "tracking-link", "complaint-again", "description-count"):
        assert required in ids, f"no element id={required}"
    assert ids["form-error"].attrs.get("role") == "alert"
    assert "hidden" in ids["form-error"].attrs and "hidden" in ids["complaint-result"].attrs
    assert ids["submit-complaint"].tag == "button" and ids["submit-complaint"].inside("form", id="complaint-form")
    assert not ids["result-reference"].inside("form", id="complaint-form")


def test_tracking_link_points_at_the_track_page(page_html):
    href = scan.by_id(page_html("complaints"))["tracking-link"].attrs["href"]
    assert "?" not in href
    assert urljoin("https://x.test/complaints/", href) == "https://x.test/track/"


def test_form_page_explains_first_contact_and_links_the_process(page_html, hooks):
    body = scan.article(page_html("complaints"))
    assert "首问负责" in body
    assert f"{hooks.duration(FIRST_RESPONSE)}内" in body
    hrefs = {urljoin("https://x.test/complaints/", e.attrs["href"]) for e in scan.elements(body)
             if e.tag == "a" and "href" in e.attrs}
    assert "https://x.test/service/complaint-process/" in hrefs
    assert "https://x.test/service/standards/#complaint-standards" in hrefs
    assert "<noscript>" in body


def test_form_checks_can_fail(page_html):
    page = page_html("complaints")
    without_topic = re.sub(r'<option value="parking"[^>]*>[^<]*</option>', "", page, count=1)
    assert "parking" not in [t[0] for t in offered_topics(without_topic)]
    without_kind = re.sub(r'<input type="radio" name="kind" id="field-kind-suggestion"[^>]*>', "", page)
    assert len(offered_kinds(without_kind)) == len(KINDS) - 1
    outside = page.replace('<form id="complaint-form"', '<form id="elsewhere"')
    assert offered_topics(outside) == []


# ------------------------------------------------------------------ the shared script


@pytest.mark.parametrize("key, own", [("repairs", "repair-form.js"), ("complaints", "complaint-form.js"),
                                      ("track", "track.js")])
def test_both_forms_load_the_shared_script_first(page_html, key, own):
    scripts = _scripts(page_html(key))
    assert "forms.js" in scripts and own in scripts, key
    assert scripts.index("forms.js") < scripts.index(own), key


def test_both_forms_file_through_the_shared_script():
    shared = _code(SCRIPTS / "forms.js")
    assert "function caseForm(" in shared and "caseForm: caseForm" in shared
    assert "'Idempotency-Key': pending.key" in shared
    assert "error.fields" in shared
    assert "'butler.repairs.v1'" in _code(SCRIPTS / "my-cases.js")
    for name, api in (("repair-form.js", "/api/repairs"), ("complaint-form.js", "/api/complaints")):
        code = _code(SCRIPTS / name)
        assert "B.caseForm(form, {" in code, name
        assert f"const API = '{api}'" in code, name
        # Nothing of the shared machinery is copied into the form scripts.
        for copied in ("Idempotency-Key", "localStorage", "randomUUID", "error.fields", "butler.repairs"):
            assert copied not in code, (name, copied)


def test_tracking_page_keeps_my_reports_in_the_shared_list():
    track = _code(SCRIPTS / "track.js")
    assert "B.reports.list()" in track and "B.rememberChoice(" in track
    assert "B.reports.remember(" not in track, "remembering is the resident's choice (my-cases.js)"
    assert "localStorage" not in track, "the tracking page reads 'my reports' through my-cases.js"


# ------------------------------------------------------------------ links to the process page


@pytest.mark.parametrize("key, base", [("home", "https://x.test/"), ("complaints", "https://x.test/complaints/"),
                                       ("standards", "https://x.test/service/standards/")])
def test_pages_link_to_the_complaint_process(page_html, key, base):
    hrefs = {urljoin(base, e.attrs["href"]) for e in scan.elements(scan.article(page_html(key)))
             if e.tag == "a" and "href" in e.attrs}
    assert "https://x.test/service/complaint-process/" in hrefs


# ------------------------------------------------------------------ standards page


def complaint_targets(page: str) -> dict[str, dict[str, str]]:
    """{kind: {"label", "first_response", "promised_reply"}} from the standards table."""
    found = {}
    for row in scan.rows(page, "complaint-targets"):
        cells = {c.attrs.get("data-target"): c.text.strip() for c in row.cells}
        found[row.attrs["data-kind"]] = {"label": row.cells[0].text.strip(),
                                         "first_response": cells.get("first_response"),
                                         "promised_reply": cells.get("promised_reply")}
    return found


def test_standards_show_first_response_and_every_promised_reply(page_html, hooks):
    page = page_html("standards")
    targets = complaint_targets(page)
    assert list(targets) == list(KINDS)
    assert set(PROMISED_REPLY) == set(KINDS)
    for code, label in KINDS.items():
        assert targets[code] == {"label": label,
                                 "first_response": f"{hooks.duration(FIRST_RESPONSE)}内",
                                 "promised_reply": f"{hooks.duration(PROMISED_REPLY[code])}内"}, code
    first = scan.by_id(page)["complaint-first-response"]
    assert first.text == hooks.duration(FIRST_RESPONSE)
    assert "complaint-standards" in scan.by_id(page)


def test_standards_checks_can_fail(page_html, hooks):
    page = page_html("standards")
    shown = hooks.duration(PROMISED_REPLY["complaint"])
    changed = re.sub(r'(<tr data-kind="complaint">.*?data-target="promised_reply"[^>]*>)' + re.escape(shown),
                     r"\g<1>99 天", page, count=1, flags=re.S)
    assert complaint_targets(changed)["complaint"]["promised_reply"] == "99 天内"


def test_promised_replies_differ_by_kind():
    # Otherwise one number would do, and the table would test nothing per kind.
    assert len(set(PROMISED_REPLY.values())) > 1


def test_hook_refuses_a_kind_without_a_promised_reply(hooks, monkeypatch):
    from mkdocs.exceptions import PluginError

    assert [k.code for k in hooks._complaint_kinds()] == list(KINDS)
    monkeypatch.setattr(hooks.complaints, "PROMISED_REPLY",
                        {k: v for k, v in PROMISED_REPLY.items() if k != "suggestion"})
    with pytest.raises(PluginError, match="suggestion"):
        hooks._complaint_kinds()


# ------------------------------------------------------------------ tracking page


def test_track_page_has_the_complaint_view_and_forms(page_html):
    # The rating and "not satisfied" forms are checked with the repair ones in test_service_pages.
    page = page_html("track")
    ids = scan.required_ids(
        page,
        required=("track-result-kind", "track-complaint-details", "track-kind", "track-topic", "track-owner",
                  "track-department", "track-reply-by", "track-reopen-count", "track-reply-section",
                  "track-reply", "track-complaint-record", "not-satisfied"),
        hidden=("track-complaint-details", "track-reply-section", "track-reply-by", "track-reopen-count"))
    radios = [e for e in scan.elements(page) if e.tag == "input" and e.attrs.get("name") == "satisfaction"]
    assert radios and not any("required" in r.attrs for r in radios), "the rating is optional"
    for done in ("satisfied-form", "not-satisfied-form"):
        assert re.search(r"[\u4e00-\u9fff]", ids[done].attrs.get("data-done", "")), done


def test_track_page_carries_the_complaint_step_labels(page_html):
    record = scan.by_id(page_html("track"))["track-complaint-record"]
    fields = json.loads(record.attrs["data-step-fields"])
    assert [f["name"] for f in fields] == list(RESIDENT_FIELDS)
    labels = {f.name: f.label for a in COMPLAINT_WORKFLOW.actions for f in a.fields}
    assert all(f["label"] == labels[f["name"]] for f in fields)


def test_track_script_asks_the_api_by_the_reference_prefix():
    shared = _code(SCRIPTS / "forms.js")
    assert "charAt(0).toUpperCase() === 'C' ? 'complaint' : 'repair'" in shared
    track = _code(SCRIPTS / "track.js")
    assert "complaint: '/api/complaints/'" in track and "repair: '/api/repairs/'" in track
    assert "'/satisfied'" in track and "'/not-satisfied'" in track
    assert "offered('confirm_satisfied')" in track and "offered('not_satisfied')" in track
    assert "data.reply_by" in track and "details.reply" in track and "data.owner_name" in track
