"""What operators get in the console: the staff dashboard (generated from the workflows),
and alarms that cover every function, table and failure queue, all sent to the alerts topic."""
import json
import re

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
        policies = TEMPLATE["Resources"][spec.logical_id]["Properties"].get("Policies", [{"Statement": []}])
        statements = policies[0]["Statement"]
        publishes = any(s["Action"] == "sns:Publish" for s in statements)
        may_use_key = any(s["Resource"] == {"Fn::GetAtt": ["AlertsKey", "Arn"]} for s in statements)
        assert publishes == may_use_key, spec.logical_id


def test_every_function_logs_to_a_group_with_a_retention_period():
    groups = {json.dumps(r["Properties"]["LogGroupName"]): r["Properties"]
              for r in resources(TEMPLATE, "AWS::Logs::LogGroup").values()}
    for spec in functions(TEMPLATE):
        group = groups[json.dumps({"Fn::Sub": f"/aws/lambda/${{{spec.logical_id}}}"})]
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
    rules = {rule["Name"]: rule for rule in props["Rules"]}
    assert set(rules) == {"site-per-client", "api-per-client", "survey-answers-per-client"}
    for rule in rules.values():
        statement = rule["Statement"]["RateBasedStatement"]
        assert statement["AggregateKeyType"] == "IP" and statement["EvaluationWindowSec"] == 300
        parameter = waf["Parameters"][statement["Limit"]["Ref"]]
        assert parameter["Default"] >= parameter["MinValue"] >= 10
    distribution = TEMPLATE["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    assert distribution["WebACLId"] == {"Fn::If": ["HasWebAcl", {"Ref": "WebAclArn"}, {"Ref": "AWS::NoValue"}]}
