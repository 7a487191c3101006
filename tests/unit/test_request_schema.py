import pytest
from pydantic import ValidationError

from butler.web.schemas import RepairReportIn
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
    ("contact_phone", "0571-８８８８００００"),
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
