"""template.yaml is the source of truth: lint it, and check the code agrees with it."""
import importlib
import json
import os
import re
import subprocess

import pytest
from cfnlint.api import lint_file

from butler.domain.retention import DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS, MIN_RETENTION_DAYS
from butler.domain.timefmt import parse_iso
from butler.repository.models import MODELS_BY_TABLE_ENV
from butler.settings import Settings
from infra.template import (
    TEMPLATE_PATH,
    functions,
    load_template,
    resources,
    routes,
    seconds_to_next_run,
    security_headers,
    tables,
)

TEMPLATE = load_template()


def test_cfn_lint_reports_nothing():
    matches = lint_file(TEMPLATE_PATH)

    assert [str(m) for m in matches] == []


def test_every_table_has_point_in_time_recovery_deletion_protection_and_retain():
    for logical_id, props in tables(TEMPLATE).items():
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, logical_id
        assert props["DeletionProtectionEnabled"] is True, logical_id
        assert TEMPLATE["Resources"][logical_id]["DeletionPolicy"] == "Retain", logical_id


def test_repairs_table_streams_and_idempotency_table_expires_records():
    assert tables(TEMPLATE)["RepairsTable"]["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert tables(TEMPLATE)["IdempotencyTable"]["TimeToLiveSpecification"] == {
        "AttributeName": "expiration", "Enabled": True}


def _table_for_env(variable):
    for spec in functions(TEMPLATE):
        value = spec.environment.get(variable)
        if isinstance(value, dict) and "Ref" in value:
            return value["Ref"]
    raise AssertionError(f"no function names a table with {variable}")


def _keys(key_schema):
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


@pytest.mark.parametrize("variable, model", MODELS_BY_TABLE_ENV.items())
def test_pynamodb_models_match_the_tables_in_the_template(variable, model):
    props = tables(TEMPLATE)[_table_for_env(variable)]
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}

    in_model = {"HASH": model._hash_keyname, **({"RANGE": model._range_keyname} if model._range_keyname else {})}
    assert _keys(props["KeySchema"]) == in_model
    declared = {i["IndexName"]: (_keys(i["KeySchema"]), i["Projection"]["ProjectionType"])
                for i in props.get("GlobalSecondaryIndexes", [])}
    in_code = {name: (_keys(index._get_schema()["key_schema"]),
                      index._get_schema()["projection"]["ProjectionType"])
               for name, index in model._indexes.items()}
    assert declared == in_code
    attributes = model.get_attributes()
    for name, kind in types.items():
        assert attributes[name].attr_type == kind, name


def test_the_idempotency_table_has_the_key_powertools_uses():
    assert _keys(tables(TEMPLATE)["IdempotencyTable"]["KeySchema"]) == {"HASH": "id"}


def _code_routes(handler):
    module_name, _ = handler.rsplit(".", 1)
    app = getattr(importlib.import_module(module_name), "app", None)
    if app is None:  # not an API function
        return set()
    return {(r.method, re.sub(r"<(\w+)>", r"{\1}", r.path))
            for r in app._static_routes + app._dynamic_routes}


def test_every_template_route_has_a_handler_route_and_vice_versa():
    for spec in functions(TEMPLATE):
        declared = {(r.method, r.path) for r in spec.routes}
        assert declared == _code_routes(spec.handler), spec.logical_id


def test_public_api_contract_paths_are_routed():
    declared = {(r.method, r.path) for r in routes(TEMPLATE)}

    assert {("POST", "/api/repairs"), ("GET", "/api/repairs/{reference}"),
            ("GET", "/api/openapi.json")} <= declared


def test_functions_have_no_wildcard_actions():
    for logical_id, resource in resources(TEMPLATE, "AWS::Serverless::Function").items():
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []):
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not any("*" in a for a in actions), logical_id
                assert statement["Resource"] != "*", logical_id


def test_cloudfront_sends_api_to_the_api_uncached_with_the_headers_it_reads():
    (distribution,) = resources(TEMPLATE, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]

    assert api["TargetOriginId"] == "api"
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    # AllViewerExceptHostHeader: Authorization, Idempotency-Key, Content-Type and the query string
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    assert {"POST", "GET"} <= set(api["AllowedMethods"])
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "site"


def test_security_headers_cover_hsts_csp_nosniff_frames_and_referrer():
    headers = security_headers(TEMPLATE)

    assert "max-age=63072000" in headers["Strict-Transport-Security"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "connect-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_the_stream_function_reports_partial_batches_and_never_drops_a_record():
    (guard,) = [s for s in functions(TEMPLATE) if s.events_of("DynamoDB")]
    sources = guard.events_of("DynamoDB")

    assert {s["Stream"]["Fn::GetAtt"][0] for s in sources} == {"RepairsTable", "ComplaintsTable"}
    for source in sources:
        assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert source["BisectBatchOnFunctionError"] is True
        assert source["MaximumRetryAttempts"] >= 1
        destination = source["DestinationConfig"]["OnFailure"]["Destination"]
        assert TEMPLATE["Resources"][destination["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue"


def test_every_scheduled_function_has_an_on_failure_destination():
    scheduled = [s for s in functions(TEMPLATE) if s.events_of("Schedule")]
    assert scheduled
    for spec in scheduled:
        config = TEMPLATE["Resources"][spec.logical_id]["Properties"]["EventInvokeConfig"]
        destination = config["DestinationConfig"]["OnFailure"]["Destination"]
        assert TEMPLATE["Resources"][destination["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue"


def test_every_function_gets_its_own_role_with_only_what_it_touches():
    for logical_id, resource in resources(TEMPLATE, "AWS::Serverless::Function").items():
        props = resource["Properties"]
        assert "Role" not in props, logical_id  # SAM then creates one role per function
        for policy in props.get("Policies", []):
            assert isinstance(policy, dict) and "Statement" in policy, logical_id


def _statements(logical_id):
    for policy in TEMPLATE["Resources"][logical_id]["Properties"].get("Policies", []):
        yield from policy.get("Statement", [])


def _actions(statement):
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_alerts_topic_reaches_the_functions_that_alert():
    alerting = set()
    for spec in functions(TEMPLATE):
        publishes = any("sns:Publish" in _actions(s) for s in _statements(spec.logical_id))
        if publishes:
            alerting.add(spec.logical_id)
        assert (spec.environment.get("ALERTS_TOPIC_ARN") == {"Ref": "AlertsTopic"}) == publishes, spec.logical_id

    assert {"StaffEditGuardFunction", "OverdueSweepFunction"} <= alerting


def test_the_anonymisation_runs_daily_and_touches_only_what_it_anonymises():
    props = TEMPLATE["Resources"]["AnonymiseContactsFunction"]["Properties"]
    (schedule,) = [e["Properties"]["Schedule"] for e in props["Events"].values() if e["Type"] == "Schedule"]
    granted = {(action, json.dumps(statement["Resource"], sort_keys=True))
               for statement in _statements("AnonymiseContactsFunction") for action in _actions(statement)}
    indexes = {json.dumps(statement["Resource"]) for statement in _statements("AnonymiseContactsFunction")
               if "dynamodb:Query" in _actions(statement)}
    parameter = TEMPLATE["Parameters"]["ContactRetentionDays"]

    assert schedule == "cron(0 19 * * ? *)"  # 03:00 in Beijing, once a day
    assert props["Environment"]["Variables"]["CONTACT_RETENTION_DAYS"] == {"Ref": "ContactRetentionDays"}
    assert (parameter["MinValue"], parameter["MaxValue"]) == (MIN_RETENTION_DAYS, MAX_RETENTION_DAYS)
    assert parameter["Default"] == DEFAULT_RETENTION_DAYS == Settings().contact_retention_days
    assert {action for action, _ in granted} == {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query",
                                                 "s3:DeleteObject", "sqs:SendMessage"}
    assert indexes == {json.dumps([{"Fn::Sub": f"${{{table}.Arn}}/index/closed-with-contact"}
                                   for table in ("RepairsTable", "ComplaintsTable")])}
    assert ("s3:DeleteObject", json.dumps({"Fn::Sub": "${PhotosBucket.Arn}/photo-uploads/*"})) in granted
    assert TEMPLATE["Resources"]["AnonymiseContactsFunctionLogs"]["Properties"]["RetentionInDays"] == 90


def test_every_function_logs_to_its_own_group_with_a_retention():
    groups = {r["Properties"]["LogGroupName"]["Fn::Sub"]: r["Properties"]["RetentionInDays"]
              for r in resources(TEMPLATE, "AWS::Logs::LogGroup").values()}
    for spec in functions(TEMPLATE):
        assert groups.get(f"/aws/lambda/${{{spec.logical_id}}}"), spec.logical_id


@pytest.mark.parametrize("expression, now, seconds", [
    ("rate(5 minutes)", "2026-11-28T20:00:00Z", 300),
    ("cron(0 19 * * ? *)", "2026-11-28T18:59:30Z", 30),  # 03:00 Beijing, later that UTC day
    ("cron(0 19 * * ? *)", "2026-11-28T19:00:00Z", 86400),  # just ran: tomorrow
    ("cron(30 1,13 * * ? *)", "2026-11-28T02:00:00Z", 11.5 * 3600),
])
def test_the_local_stack_runs_schedules_at_their_times(expression, now, seconds):
    assert seconds_to_next_run(expression, parse_iso(now)) == seconds


@pytest.mark.parametrize("expression", ["cron(0 19 1 * ? *)", "cron(0 19 ? * MON *)", "cron(0/5 * * * ? *)"])
def test_a_schedule_the_local_stack_cannot_keep_is_refused(expression):
    with pytest.raises(ValueError):
        seconds_to_next_run(expression, parse_iso("2026-11-28T00:00:00Z"))


def test_every_template_schedule_can_run_locally():
    for spec in functions(TEMPLATE):
        for schedule in spec.events_of("Schedule"):
            assert seconds_to_next_run(schedule["Schedule"], parse_iso("2026-11-28T00:00:00Z")) > 0


@pytest.mark.parametrize("template, region", [("template.yaml", "ap-east-1"), ("infra/waf.yaml", "us-east-1")])
def test_sam_validate_lint_passes(template, region):
    """The SAM CLI's own check (``make validate``), from its environment set up by ``make test``."""
    root = TEMPLATE_PATH.parent
    result = subprocess.run([str(root / ".venv-sam" / "bin" / "sam"), "validate", "--lint",
                             "--template-file", template, "--region", region], cwd=root, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "SAM_CLI_TELEMETRY": "0"})

    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr
