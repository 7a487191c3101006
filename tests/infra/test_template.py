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


# Actions AWS offers no resource to narrow to: the only ones a role may grant on "*".
UNSCOPABLE = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# Listings that name no resource of ours: allowed on this account's and region's groups only.
LISTINGS = {"logs:DescribeLogGroups": "arn:aws:logs:ap-east-1:123456789012:log-group:*"}
PSEUDO = {"${AWS::Partition}": "aws", "${AWS::Region}": "ap-east-1", "${AWS::AccountId}": "123456789012",
          "${AWS::URLSuffix}": "amazonaws.com"}


def _resource_text(resource, logical_ids):
    """A resource as a string, each name of this stack (a resource, the stack name) as <name>."""
    if isinstance(resource, str):
        return resource
    if "Fn::GetAtt" in resource or "Ref" in resource:
        target = resource.get("Ref") or resource["Fn::GetAtt"][0]
        return f"<{target}>" if target in logical_ids else "*"
    text = resource["Fn::Sub"]
    for pseudo, value in PSEUDO.items():
        text = text.replace(pseudo, value)
    text = text.replace("${AWS::StackName}", "<stack>")
    return re.sub(r"\$\{(\w+)(\.\w+)?\}", lambda m: f"<{m.group(1)}>" if m.group(1) in logical_ids else "*", text)


def _too_broad(statement, logical_ids):
    """What an Allow statement grants beyond this stack's own resources, as (action, resource)."""
    if statement.get("Effect") != "Allow":
        return []
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    broad = []
    for action in actions:
        for target in (_resource_text(r, logical_ids) for r in targets):
            scoped = "<" in target and "*" not in target.split("<", 1)[0]
            allowed = (target == "*" and action in UNSCOPABLE) or LISTINGS.get(action) == target
            if "*" in action or not (scoped or allowed):
                broad.append((action, target))
    return broad


@pytest.fixture(scope="module")
def translated_roles():
    """Every role of the TRANSLATED template (what SAM adds included) with the documents of
    its managed policies, resolved from moto's IAM, which holds AWS's own."""
    import boto3
    from moto import mock_aws

    from infra.offline_deploy import role_statements, translate

    saved = dict(os.environ)
    os.environ.setdefault("AWS_DEFAULT_REGION", "ap-east-1")
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # AWS's own policies, as IAM has them
    try:
        with mock_aws():
            iam = boto3.client("iam", region_name="us-east-1")
            translated = translate(TEMPLATE, region="ap-east-1", iam=iam)
            aws_policy = role_statements({"Resources": {"Probe": {"Type": "AWS::IAM::Role", "Properties": {
                "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole"]}}}}, iam)
            found = translated, role_statements(translated, iam), aws_policy["Probe"]
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return found


def test_no_role_grants_more_than_its_own_resources_not_even_through_what_sam_adds(translated_roles):
    translated, granted, _ = translated_roles
    logical_ids = set(translated["Resources"])

    assert set(granted) >= {f"{spec.logical_id}Role" for spec in functions(TEMPLATE)} | {"ApiGatewayLogsRole"}
    for role_id, statements in granted.items():
        assert translated["Resources"][role_id]["Properties"].get("ManagedPolicyArns", []) == [], role_id
        for statement in statements:
            assert _too_broad(statement, logical_ids) == [], (role_id, statement["_from"])


def test_the_role_check_catches_what_sam_used_to_add(translated_roles):
    """AWSLambdaDynamoDBExecutionRole (every stream in the account) and a bare "*" are caught."""
    translated, _, dynamodb_execution_role = translated_roles
    logical_ids = set(translated["Resources"])

    assert any(_too_broad(s, logical_ids) for s in dynamodb_execution_role)
    assert _too_broad({"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}, logical_ids)
    assert _too_broad({"Effect": "Allow", "Action": "dynamodb:Query",
                       "Resource": {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:*:*:table/*"}}, logical_ids)
    assert not _too_broad({"Effect": "Allow", "Action": "dynamodb:Query",
                           "Resource": {"Fn::Sub": "${RepairsTable.Arn}/index/*"}}, logical_ids)


def test_every_service_may_use_a_key_only_for_this_account_and_stack():
    """No confused deputy: a key that lets a service principal use it says on whose behalf."""
    for logical_id, key in resources(TEMPLATE, "AWS::KMS::Key").items():
        for statement in key["Properties"]["KeyPolicy"]["Statement"]:
            if "Service" not in statement.get("Principal", {}):
                continue
            conditions = {name for test in statement.get("Condition", {}).values() for name in test}
            assert conditions & {"aws:SourceArn", "kms:EncryptionContext:aws:logs:arn"}, (logical_id, statement["Sid"])
            text = json.dumps(statement["Condition"])
            assert "${AWS::AccountId}" in text and "${AWS::StackName}" in text, (logical_id, statement["Sid"])


def test_cloudfront_sends_api_to_the_api_uncached_with_the_headers_it_reads():
    (distribution,) = resources(TEMPLATE, "AWS::CloudFront::Distribution").values()
    config = distribution["Properties"]["DistributionConfig"]
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]

    assert api["TargetOriginId"] == "api"
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    # AllViewerExceptHostHeader: Authorization, Idempotency-Key, Content-Type and the query string
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    assert {"POST", "GET"} <= set(api["AllowedMethods"])
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "site-or-not-found"  # site, else its 404 page


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


def test_every_function_has_its_own_role_writing_only_to_its_own_log_group():
    """Explicit roles: SAM's own would add AWSLambdaBasicExecutionRole (every log group) and
    AWSLambdaDynamoDBExecutionRole (every stream of the account)."""
    roles = {}
    for spec in functions(TEMPLATE):
        props = TEMPLATE["Resources"][spec.logical_id]["Properties"]
        role_id = props["Role"]["Fn::GetAtt"][0]
        assert TEMPLATE["Resources"][role_id]["Type"] == "AWS::IAM::Role", spec.logical_id
        assert "Policies" not in props, spec.logical_id  # SAM ignores them next to a Role
        roles[role_id] = spec
        name = props["FunctionName"]["Fn::Sub"]
        assert name == "${AWS::StackName}-" + spec.environment["POWERTOOLS_SERVICE_NAME"]
        group = TEMPLATE["Resources"][f"{spec.logical_id}Logs"]["Properties"]
        assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{name}"}, spec.logical_id
        logs = [s for s in _statements(spec.logical_id) if "logs:PutLogEvents" in _actions(s)]
        assert [s["Resource"] for s in logs] == [{"Fn::GetAtt": [f"{spec.logical_id}Logs", "Arn"]}]
    assert len(roles) == len(functions(TEMPLATE))  # one role per function, none shared


def _statements(logical_id):
    """The statements of a function's role."""
    role_id = TEMPLATE["Resources"][logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    for policy in TEMPLATE["Resources"][role_id]["Properties"]["Policies"]:
        yield from policy["PolicyDocument"]["Statement"]


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
                                                 "s3:DeleteObject", "sqs:SendMessage", "logs:CreateLogStream",
                                                 "logs:PutLogEvents", "xray:PutTraceSegments",
                                                 "xray:PutTelemetryRecords"}
    assert indexes == {json.dumps([{"Fn::Sub": f"${{{table}.Arn}}/index/closed-with-contact"}
                                   for table in ("RepairsTable", "ComplaintsTable")])}
    assert ("s3:DeleteObject", json.dumps({"Fn::Sub": "${PhotosBucket.Arn}/photo-uploads/*"})) in granted
    assert TEMPLATE["Resources"]["AnonymiseContactsFunctionLogs"]["Properties"]["RetentionInDays"] == 90


def test_every_function_logs_to_its_own_encrypted_group_with_a_retention():
    groups = {r["Properties"]["LogGroupName"]["Fn::Sub"]: r["Properties"]
              for r in resources(TEMPLATE, "AWS::Logs::LogGroup").values()}
    for spec in functions(TEMPLATE):
        name = TEMPLATE["Resources"][spec.logical_id]["Properties"]["FunctionName"]["Fn::Sub"]
        assert groups[f"/aws/lambda/{name}"]["RetentionInDays"], spec.logical_id
    for name, group in groups.items():
        assert group["KmsKeyId"] == {"Fn::GetAtt": ["LogsKey", "Arn"]}, name


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


def test_the_sweep_may_archive_repairs_through_the_status_queue_and_nothing_more():
    """services.archiving: a Query of queue-by-created-at, then a conditional PutItem of the
    repair; the sweep writes complaints only by UpdateItem and never scans."""
    granted = {(action, json.dumps(statement["Resource"], sort_keys=True))
               for statement in _statements("OverdueSweepFunction") for action in _actions(statement)}
    put = {resource for action, resource in granted if action == "dynamodb:PutItem"}
    queried = [resource for action, resource in granted if action == "dynamodb:Query"]

    assert put == {json.dumps({"Fn::GetAtt": ["RepairsTable", "Arn"]})}
    assert any('"${RepairsTable.Arn}/index/queue-by-created-at"' in resource for resource in queried)
    assert not {action for action, _ in granted if action in ("dynamodb:Scan", "dynamodb:*")}
