"""What the resident forms take from the code: every length limit from the API's schema
(as data-min-chars / data-max-chars that forms.js counts like the server, never a
maxlength that cuts a paste silently), phones as the phone's keyboard and autofill write
them, the house number from the estate's layout, common-area categories from the domain."""
from __future__ import annotations

import pytest

from butler.domain.estate import load_estate
from butler.domain.repairs import CATEGORIES
from butler.web import schemas
from tests.site import scan

# page key, form id, request model, {control id: schema field} for controls not named after it
FORMS = [
    ("repairs", "repair-form", schemas.RepairReportIn, {}),
    ("complaints", "complaint-form", schemas.ComplaintIn, {}),
    ("survey", "survey-form", schemas.SurveyIn, {}),
    ("track", "rate-form", schemas.RatingIn, {"rating-comment": "comment"}),
    ("track", "not-fixed-form", schemas.NotFixedIn, {"not-fixed-reason": "reason"}),
    ("track", "not-satisfied-form", schemas.NotSatisfiedIn, {"not-satisfied-reason": "reason"}),
    ("track", "cancel-form", schemas.CancelIn, {"cancel-reason": "reason"}),
]
COMPOSED = {"unit"}  # built from pickers (unit-picker.js): building and unit chosen, room digits


def schema_limits(model) -> dict[str, tuple[str | None, str | None]]:
    found = {}
    for name, info in model.model_fields.items():
        low = next((str(m.min_length) for m in info.metadata if hasattr(m, "min_length")), None)
        high = next((str(m.max_length) for m in info.metadata if hasattr(m, "max_length")), None)
        if low or high:
            found[name] = (low, high)
    return found


def controls(html: str, form_id: str) -> list[scan.Element]:
    return [e for e in scan.elements(html)
            if e.tag in {"input", "textarea"} and e.inside("form", id=form_id)
            and e.attrs.get("type") not in {"radio", "file", "hidden"}]


@pytest.mark.parametrize("key, form_id, model, renamed", FORMS, ids=[f[1] for f in FORMS])
def test_every_text_field_counts_the_schemas_limits_and_cuts_nothing(page_html, key, form_id, model, renamed):
    limits = schema_limits(model)
    fields = {}
    for control in controls(page_html(key), form_id):
        assert "maxlength" not in control.attrs and "minlength" not in control.attrs, control.attrs["id"]
        field = renamed.get(control.attrs["id"], control.attrs.get("name") or control.attrs.get("data-field"))
        fields[field] = (control.attrs.get("data-min-chars"), control.attrs.get("data-max-chars"))

    expected = {name: limit for name, limit in limits.items() if name not in COMPOSED}
    assert {name: fields.get(name) for name in expected} == expected


def test_the_limits_follow_the_schema_and_can_fail(page_html):
    html = page_html("repairs")
    changed = html.replace('data-max-chars="500"', 'data-max-chars="400"')
    described = {e.attrs["name"]: e.attrs.get("data-max-chars") for e in controls(changed, "repair-form")
                 if e.attrs.get("name")}
    assert described["description"] == "400" != str(schema_limits(schemas.RepairReportIn)["description"][1])


@pytest.mark.parametrize("key", ["repairs", "complaints"])
def test_phones_take_what_autofill_writes(page_html, key):
    phone = scan.by_id(page_html(key))["field-contact_phone"]

    assert phone.attrs["type"] == "tel" and phone.attrs["autocomplete"] == "tel"
    # no pattern to refuse 139-0000-0077 or +86 139 0000 0077, no digits-only keypad
    assert "pattern" not in phone.attrs and "inputmode" not in phone.attrs


@pytest.mark.parametrize("key, form_id, required", [("repairs", "repair-form", True),
                                                    ("complaints", "complaint-form", False)])
def test_the_house_number_is_picked_from_the_estates_layout(page_html, key, form_id, required):
    ids = scan.by_id(page_html(key))
    group = ids["field-unit"]
    options = [e for e in scan.elements(page_html(key)) if e.tag == "option" and e.inside("select", id="field-unit-building")]

    assert group.tag == "fieldset" and "error-unit" in group.attrs["aria-describedby"]
    offered = [(o.attrs["value"], o.attrs.get("data-units"), o.attrs.get("data-floors"), o.attrs.get("data-rooms"))
               for o in options[1:]]
    assert offered == [(str(b.number), str(b.units), str(b.floors), str(b.rooms_per_floor))
                       for b in load_estate().buildings]
    assert ids["field-unit-entrance"].tag == "select"
    # only the room is typed, digits only: no hyphen needed, so a number pad is right for it
    assert ids["field-unit-room"].attrs.get("inputmode") == "numeric"
    assert all(e.attrs.get("inputmode") != "numeric" for e in controls(page_html(key), form_id)
               if e.attrs["id"] != "field-unit-room")
    assert ("必填" in group.text) is required


def test_categories_that_only_happen_in_common_areas_choose_the_public_area(page_html):
    options = {e.attrs["value"]: e.attrs.get("data-location") for e in scan.elements(page_html("repairs"))
               if e.tag == "option" and e.inside("select", id="field-category") and e.attrs.get("value")}

    assert {code for code, where in options.items() if where == "public"} == {
        c.code for c in CATEGORIES if c.public_area}
    assert options["elevator_entrapment"] == "public"


@pytest.mark.parametrize("key, what", [("repairs", "这条报修"), ("complaints", "这一条"), ("track", "这一条")])
def test_remembering_is_offered_and_says_what_it_keeps(page_html, key, what):
    boxes = [e for e in scan.elements(page_html(key)) if e.tag == "div" and "data-remember" in e.attrs]

    assert len(boxes) == 1 and "hidden" in boxes[0].attrs
    text = boxes[0].text
    for kept in ("编号", "查询码", "只在这台手机", "忘记", what):
        assert kept in text
