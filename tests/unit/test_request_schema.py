import pytest
from pydantic import ValidationError

from butler.web.schemas import CancelIn, ComplaintIn, NotFixedIn, NotSatisfiedIn, RatingIn, RepairReportIn, SurveyIn
from tests.support.reports import home_report, public_report


def errors_of(data):
    with pytest.raises(ValidationError) as failed:
        RepairReportIn.model_validate(data)
    return {str(e["loc"][0]): e for e in failed.value.errors()}


def test_a_home_report_normalises_unit_and_phone():
    parsed = RepairReportIn.model_validate(home_report(unit="3－2－1201", contact_phone="139 1234 5678"))

    assert parsed.unit == "3-2-1201"
    assert parsed.contact_phone == "13912345678"


def test_a_public_report_drops_any_unit():
    parsed = RepairReportIn.model_validate(public_report(unit="3-2-1201"))

    assert parsed.unit is None
    assert parsed.to_domain().location == "5号楼2单元一楼楼道"


def test_landline_numbers_are_accepted():
    assert RepairReportIn.model_validate(home_report(contact_phone="0571-88880000"))


@pytest.mark.parametrize("field, value", [
    ("contact_phone", "13९१२३४५६७८"),  # other scripts' digits: Python's \d matched them
    ("contact_phone", "0571-٨٨٨٨٠٠٠٠"),  # Arabic-Indic digits: full-width ones are read, these not
    ("unit", "3-2-ßß"),  # upper-cased into "3-2-SSSS" before the check
])
def test_look_alike_characters_are_refused_not_stored(field, value):
    # Found with the patterns the OpenAPI document states (docs/fuzzing.md).
    assert field in errors_of(home_report(**{field: value}))


def test_cross_field_rules_name_the_field_in_chinese():
    missing_unit = errors_of(home_report(unit=None))
    missing_place = errors_of(public_report(location=""))

    assert "栋-单元-房号" in missing_unit["unit"]["msg"]
    assert "公共区域" in missing_place["location"]["msg"]


def test_personal_data_stays_out_of_the_model_repr():
    parsed = RepairReportIn.model_validate(home_report())

    assert "13912345678" not in repr(parsed) and "陈女士" not in repr(parsed)


@pytest.mark.parametrize("typed, stored", [
    ("139-0000-0077", "13900000077"),
    ("+86 139 0000 0077", "13900000077"),
    ("+86-13900000077", "13900000077"),
    ("0086 139 0000 0077", "13900000077"),
    ("(+86) 139.0000.0077", "13900000077"),
    ("１３９ ００００ ００７７", "13900000077"),  # full-width mode of a Chinese input method
    ("(0571) 8888 0000", "0571-88880000"),
    ("（０５７１）８８８８００００", "0571-88880000"),
    ("0571-88880000", "0571-88880000"),
    ("057188880000", "0571-88880000"),
    ("+86 571 8888 0000", "0571-88880000"),
    ("+86 (0)571 8888 0000", "0571-88880000"),
    ("010 8888 0000", "010-88880000"),
    ("+86 10 8888 0000", "010-88880000"),
    ("021-5555-0000", "021-55550000"),
])
def test_every_common_way_of_writing_a_phone_is_stored_in_one_form(typed, stored):
    assert RepairReportIn.model_validate(home_report(contact_phone=typed)).contact_phone == stored
    assert ComplaintIn.model_validate(complaint(contact_phone=typed)).contact_phone == stored


@pytest.mark.parametrize("typed", ["12345678901", "1390000007", "139000000777", "88880000", "0123-4567890",
                                   "+1 415 555 0100", "139-0000-0077 转 8", "+86 0571 8888 0000x"])
def test_what_is_no_mainland_phone_is_refused_with_the_forms_it_takes(typed):
    message = errors_of(home_report(contact_phone=typed))["contact_phone"]["msg"]

    assert "13812345678" in message and "0571-88880000" in message


@pytest.mark.parametrize("typed, message", [
    ("9-1-0101", "没有 9 号楼"),
    ("4-1-101", "没有 4 号楼"),
    ("3-3-101", "3 号楼只有 2 个单元"),
    ("3-2-9901", "3 号楼只有 18 层"),
    ("5-1-1201", "5 号楼只有 11 层"),
    ("3-2-0001", "3 号楼只有 18 层"),
    ("3-2-1203", "3 号楼每层只有 2 户"),
    ("5-1-1105", "5 号楼每层只有 4 户"),
    ("三栋二单元", "栋-单元-房号"),
])
def test_a_house_number_is_checked_against_the_estate_with_what_is_wrong(typed, message):
    for errors in (errors_of(home_report(unit=typed)), complaint_errors(complaint(unit=typed))):
        assert message in errors["unit"]["msg"]


@pytest.mark.parametrize("typed, stored", [("3-2-1201", "3-2-1201"), ("3－2－0101", "3-2-101"),
                                           ("５-１-１１０４", "5-1-1104"), (" 8 - 2 - 2602 ", "8-2-2602")])
def test_a_house_number_of_the_estate_is_stored_in_its_normal_form(typed, stored):
    assert RepairReportIn.model_validate(home_report(unit=typed)).unit == stored
    assert ComplaintIn.model_validate(complaint(unit=typed)).unit == stored


def complaint(**changes):
    return {"kind": "complaint", "topic": "neighbours", "description": "楼上深夜装修，电钻声很大。",
            "contact_name": "陈女士", "contact_phone": "13912345678", **changes}


def complaint_errors(data):
    with pytest.raises(ValidationError) as failed:
        ComplaintIn.model_validate(data)
    return {str(e["loc"][0]): e for e in failed.value.errors()}


MODELS = (RepairReportIn, ComplaintIn, RatingIn, NotFixedIn, CancelIn, NotSatisfiedIn, SurveyIn)
STRIPPED = [(model, name, info) for model in MODELS if model.model_config.get("str_strip_whitespace")
            for name, info in model.model_json_schema()["properties"].items() if info.get("minLength")]


@pytest.mark.parametrize("model, name, info", STRIPPED, ids=[f"{m.__name__}.{n}" for m, n, _ in STRIPPED])
def test_a_stripped_field_s_schema_refuses_what_the_server_refuses_once_stripped(model, name, info):
    """``minLength`` counts the spaces around the text; the server strips them first, so the
    schema states the limit with a pattern too (Schemathesis found "     x" accepted by the
    schema and refused by the server)."""
    import re

    from butler.web.schemas import stripped_pattern

    minimum = info["minLength"]
    padded = " \u3000\t" + "字" * (minimum - 1) + "\n\u00a0 "  # long enough raw, too short stripped
    assert len(padded) >= minimum and "pattern" in info
    assert not re.search(info["pattern"], padded)
    if info["pattern"] == stripped_pattern(minimum):  # free text (a code has its own format)
        assert re.search(info["pattern"], "  " + "字" * minimum + "  ")


def test_every_stripped_model_of_the_api_is_covered_by_the_schema_check():
    from butler.web import schemas

    stripped = {m for m in vars(schemas).values() if isinstance(m, type) and issubclass(m, schemas.Schema)
                and m.model_config.get("str_strip_whitespace")}
    assert stripped <= set(MODELS)
