"""Every entry that takes a house number or a phone checks them the same way (the domain's
estate and phones, through the request models): the resident routes and the staff CLI's
phone reports (``report``, ``file``). A house number outside the estate is refused with a
Chinese message naming what is wrong, nothing is written; a phone is stored in one form."""
import pytest

from tests.functional import test_staff_cli
from tests.support.reports import home_report

cli = test_staff_cli.cli  # butler-staff in this process, output captured (a shared fixture)
JSON = {"Content-Type": "application/json"}
COMPLAINT = {"kind": "complaint", "topic": "neighbours", "description": "楼上深夜装修，电钻声很大。",
             "contact_name": "陈女士", "contact_phone": "13912345678"}
REPORT = ["--as", "kf-zhang", "report", "--source", "phone", "--category", "plumbing", "--location", "厨房",
          "--description", "厨房下水堵塞，水排不下去。", "--contact-name", "陈女士"]
FILE = ["--as", "kf-zhang", "file", "--source", "phone", "--kind", "complaint", "--topic", "cleaning",
        "--description", "楼道垃圾两天没清运。", "--contact-name", "钱女士"]


def items(dynamodb, table):
    return dynamodb.scan(TableName=table)["Items"]


@pytest.mark.parametrize("unit, message", [("9-1-0101", "没有 9 号楼"), ("3-2-9901", "3 号楼只有 18 层")])
def test_the_api_refuses_a_house_number_outside_the_estate_and_names_what_is_wrong(api, dynamodb, stack, unit,
                                                                                   message):
    repair = api.call("POST", "/api/repairs", json_body=home_report(unit=unit), headers=JSON)
    complaint = api.call("POST", "/api/complaints", json_body={**COMPLAINT, "unit": unit}, headers=JSON)

    for response in (repair, complaint):
        assert response.status == 422
        assert message in response.json["error"]["fields"]["unit"]
    assert items(dynamodb, stack["RepairsTable"]) == items(dynamodb, stack["ComplaintsTable"]) == []


def test_the_api_stores_one_form_of_phone_and_house_number(api, dynamodb, stack):
    created = api.call("POST", "/api/repairs", json_body=home_report(unit="3－2－0101", contact_phone="+86 139-0000-0077"),
                       headers=JSON)

    assert created.status == 201, created.text
    (item,) = items(dynamodb, stack["RepairsTable"])
    assert (item["unit"]["S"], item["contact_phone"]["S"]) == ("3-2-101", "13900000077")


@pytest.mark.parametrize("argv", [REPORT, FILE], ids=["report", "file"])
def test_the_staff_cli_phone_reports_check_the_same_way(cli, dynamodb, stack, argv):
    refused = cli(*argv, "--unit", "9-1-0101", "--contact-phone", "13912345678")
    taken = cli(*argv, "--unit", "5-1-0301", "--contact-phone", "(0571) 8888 0000")

    assert refused.code != 0 and "没有 9 号楼" in refused.err
    assert taken.code == 0, taken.err
    table = stack["RepairsTable"] if argv is REPORT else stack["ComplaintsTable"]
    (item,) = items(dynamodb, table)
    assert (item["unit"]["S"], item["contact_phone"]["S"]) == ("5-1-301", "0571-88880000")
