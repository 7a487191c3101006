"""Each function has its own idempotency namespace, as in Lambda (where each process has its
own AWS_LAMBDA_FUNCTION_NAME): locally and in the tests, several functions share one
process and powertools' prefix fell back to one name for all of them."""
from tests.support.reports import home_report

JSON = {"Content-Type": "application/json"}
COMPLAINT = {"kind": "complaint", "topic": "neighbours", "description": "楼上深夜装修，电钻声很大。",
             "contact_name": "陈女士", "contact_phone": "13912345678"}
SURVEY = {"code": "K7Q2M-XP9RT", "scores": {"reception": 4, "facilities": 4, "environment": 4, "security": 4,
                                            "community": 4}, "overall": 4, "recommend": True}


def test_the_same_idempotency_key_on_two_functions_files_in_each(api, dynamodb, stack):
    key = {"Idempotency-Key": "shared-key-0001"}

    repair = api.call("POST", "/api/repairs", json_body=home_report(), headers={**JSON, **key})
    complaint = api.call("POST", "/api/complaints", json_body=COMPLAINT, headers={**JSON, **key})
    survey = api.call("POST", "/api/surveys", json_body=SURVEY, headers={**JSON, **key})

    assert (repair.status, complaint.status) == (201, 201), complaint.text
    assert survey.json["error"]["code"] == "INVITATION_UNKNOWN"  # its own answer, not the repair's record
    records = dynamodb.scan(TableName=stack["IdempotencyTable"])["Items"]
    prefixes = sorted(item["id"]["S"].split("#")[0].split(".")[0] for item in records)
    assert prefixes == ["ComplaintsFunction", "RepairsFunction"]
