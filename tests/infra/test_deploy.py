"""The template deploys: translated by aws-sam-translator, created in moto's CloudFormation
(without what moto cannot create, see infra.offline_deploy.NOT_CREATABLE), and read back
through each service's API. What the stack holds must be what the code expects."""
import importlib
import json

import boto3
import pytest

from butler.repository.models import MODELS_BY_TABLE_ENV
from butler.settings import ENVIRONMENT
from infra import moto_server
from infra.offline_deploy import NOT_CREATABLE, deploy
from infra.template import function_environment, functions, load_template

REGION = "ap-east-1"
STACK = "butler-prod"
TEMPLATE = load_template()
POWERTOOLS = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}


@pytest.fixture(scope="module")
def endpoint():
    server, url = moto_server.start()
    yield url
    server.stop()


@pytest.fixture(scope="module")
def deployed(endpoint):
    return deploy(TEMPLATE, stack_name=STACK, region=REGION, endpoint=endpoint,
                  parameters={"AlertEmail": "duty-butler@example.com"})


@pytest.fixture(scope="module")
def aws(endpoint):
    return lambda service: boto3.client(service, endpoint_url=endpoint, region_name=REGION)


@pytest.fixture(scope="module")
def deployed_functions(deployed, aws):
    """Logical id → the function's configuration as Lambda reports it."""
    client = aws("lambda")
    return {spec.logical_id: client.get_function(FunctionName=deployed.physical[spec.logical_id])["Configuration"]
            for spec in functions(TEMPLATE)}


def test_every_creatable_resource_is_created(deployed):
    wanted = set(deployed.created["Resources"])

    assert wanted - set(deployed.physical) == set()
    assert {r["Type"] for r in deployed.created["Resources"].values()}.isdisjoint(NOT_CREATABLE)
    # Only the API and what hangs off it, CloudFront, async invoke settings, bucket
    # policies and alarms are left out; every table, queue, topic, function and schedule is in.
    kinds = {r["Type"] for r in deployed.created["Resources"].values()}
    assert {"AWS::DynamoDB::Table", "AWS::Lambda::Function", "AWS::Lambda::EventSourceMapping",
            "AWS::Events::Rule", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::IAM::Role",
            "AWS::Logs::LogGroup", "AWS::S3::Bucket"} <= kinds


def _keys(key_schema):
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


@pytest.mark.parametrize("variable, model", MODELS_BY_TABLE_ENV.items())
def test_each_table_a_function_names_has_the_keys_and_indexes_of_its_model(
        deployed_functions, aws, variable, model):
    names = {f["Environment"]["Variables"][variable] for f in deployed_functions.values()
             if variable in f["Environment"]["Variables"]}
    assert len(names) == 1, names  # every function that names the table names the same one
    table = aws("dynamodb").describe_table(TableName=names.pop())["Table"]

    in_model = {"HASH": model._hash_keyname, **({"RANGE": model._range_keyname} if model._range_keyname else {})}
    assert _keys(table["KeySchema"]) == in_model
    deployed_indexes = {i["IndexName"]: (_keys(i["KeySchema"]), i["Projection"]["ProjectionType"])
                        for i in table.get("GlobalSecondaryIndexes", [])}
    in_code = {name: (_keys(index._get_schema()["key_schema"]), index._get_schema()["projection"]["ProjectionType"])
               for name, index in model._indexes.items()}
    assert deployed_indexes == in_code
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["DeletionProtectionEnabled"] is True


def test_the_idempotency_table_has_powertools_key_and_expiry(deployed, deployed_functions, aws):
    (name,) = {f["Environment"]["Variables"]["IDEMPOTENCY_TABLE"] for f in deployed_functions.values()
               if "IDEMPOTENCY_TABLE" in f["Environment"]["Variables"]}
    (table_id,) = [lid for lid, physical in deployed.physical.items() if physical == name]

    assert _keys(aws("dynamodb").describe_table(TableName=name)["Table"]["KeySchema"]) == {"HASH": "id"}
    # moto's CloudFormation does not apply TimeToLiveSpecification: read what is sent.
    assert deployed.created["Resources"][table_id]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expiration", "Enabled": True}


def test_each_function_gets_the_environment_the_local_stack_runs_with(deployed, deployed_functions, aws):
    """The local stack resolves the template itself (infra.template); CloudFormation must
    resolve it to the same names, and every variable must be one the code reads."""
    refs = {"AlertsTopic": deployed.physical["AlertsTopic"], "PhotosBucket": deployed.physical["PhotosBucket"]}
    local = function_environment(TEMPLATE, STACK, REGION, refs)

    for spec in functions(TEMPLATE):
        variables = deployed_functions[spec.logical_id]["Environment"]["Variables"]
        assert set(variables) == set(spec.environment), spec.logical_id
        assert set(variables) - POWERTOOLS <= set(ENVIRONMENT.values()), spec.logical_id
        assert variables["POWERTOOLS_SERVICE_NAME"] == spec.environment["POWERTOOLS_SERVICE_NAME"]
        for name, value in variables.items():
            if name != "POWERTOOLS_SERVICE_NAME":  # str(): moto keeps a number parameter's type
                assert str(value) == local[name], (spec.logical_id, name)
        if "ALERTS_TOPIC_ARN" in variables:  # raises if there is no such topic or bucket
            aws("sns").get_topic_attributes(TopicArn=variables["ALERTS_TOPIC_ARN"])
        if "PHOTOS_BUCKET" in variables:
            aws("s3").head_bucket(Bucket=variables["PHOTOS_BUCKET"])


def test_each_function_runs_a_handler_that_exists_on_the_runtime_of_the_template(deployed, deployed_functions):
    for logical_id, config in deployed_functions.items():
        module, attribute = config["Handler"].rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), attribute)), logical_id
        assert config["Runtime"] == TEMPLATE["Globals"]["Function"]["Runtime"]
        # moto keeps neither the architecture nor the tracing mode: read what is sent.
        sent = deployed.created["Resources"][logical_id]["Properties"]
        assert sent["Architectures"] == TEMPLATE["Globals"]["Function"]["Architectures"], logical_id
        assert sent["TracingConfig"] == {"Mode": "Active"}, logical_id


def test_each_table_stream_reaches_the_stream_function_with_retries_and_an_on_failure_queue(
        deployed, deployed_functions, aws):
    dynamodb, lambdas = aws("dynamodb"), aws("lambda")
    queues = _queue_arns(aws, deployed)
    mappings = lambdas.list_event_source_mappings(
        FunctionName=deployed_functions["StaffEditGuardFunction"]["FunctionName"])["EventSourceMappings"]
    streamed = {lid for lid, r in deployed.created["Resources"].items()
                if r["Type"] == "AWS::DynamoDB::Table" and "StreamSpecification" in r["Properties"]}
    assert streamed >= {"RepairsTable", "ComplaintsTable"}

    for table_id in streamed:
        table = dynamodb.describe_table(TableName=deployed.physical[table_id])["Table"]
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        (mapping,) = [m for m in mappings if m["EventSourceArn"] == table["LatestStreamArn"]]
        assert mapping["FunctionArn"] == deployed_functions["StaffEditGuardFunction"]["FunctionArn"]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"] in queues


def _queue_arns(aws, deployed):
    """The ARNs of the stack's queues (moto server may hold other tests' queues too)."""
    sqs = aws("sqs")
    return {sqs.get_queue_attributes(QueueUrl=deployed.physical[lid], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            for lid, r in deployed.created["Resources"].items() if r["Type"] == "AWS::SQS::Queue"}


def test_each_schedule_invokes_its_function_and_failed_runs_go_to_a_queue(deployed, deployed_functions, aws):
    events = aws("events")
    queues = _queue_arns(aws, deployed)
    scheduled = {spec.logical_id: event for spec in functions(TEMPLATE) for event in spec.events.values()
                 if event["Type"] == "Schedule"}
    assert "OverdueSweepFunction" in scheduled

    rules = {r["Name"]: r for r in events.list_rules(NamePrefix=STACK)["Rules"]}
    for logical_id, event in scheduled.items():
        arn = deployed_functions[logical_id]["FunctionArn"]
        targeted = [name for name in rules
                    if any(t["Arn"] == arn for t in events.list_targets_by_rule(Rule=name)["Targets"])]
        assert [rules[name]["ScheduleExpression"] for name in targeted] == [event["Properties"]["Schedule"]]
        # Async invocations: EventInvokeConfig is not created by moto; check the translation.
        (config,) = [r["Properties"] for r in deployed.translated["Resources"].values()
                     if r["Type"] == "AWS::Lambda::EventInvokeConfig"
                     and r["Properties"]["FunctionName"] == {"Ref": logical_id}]
        destination = config["DestinationConfig"]["OnFailure"]["Destination"]
        queue_id = destination["Fn::GetAtt"][0]
        sqs = aws("sqs")
        created_arn = sqs.get_queue_attributes(QueueUrl=deployed.physical[queue_id],
                                               AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        assert created_arn in queues


def test_each_function_logs_to_a_group_with_retention(deployed, deployed_functions, aws):
    groups = {g["logGroupName"]: g
              for g in aws("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{STACK}-")["logGroups"]}

    for logical_id, config in deployed_functions.items():
        group = groups[f"/aws/lambda/{config['FunctionName']}"]
        assert 30 <= group["retentionInDays"] <= 400, logical_id


def test_the_alerts_topic_has_the_duty_mailbox_parameter(deployed):
    (subscription,) = [r for r in deployed.translated["Resources"].values() if r["Type"] == "AWS::SNS::Subscription"]
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlertEmail"}
    assert subscription["Condition"] == "HasAlertEmail"


def test_the_staff_dashboard_names_the_deployed_functions_queues_and_alarms(deployed_functions, aws):
    body = json.loads(aws("cloudwatch").get_dashboard(DashboardName=f"{STACK}-service-desk")["DashboardBody"])
    lines = [line for widget in body["widgets"] for line in widget["properties"].get("metrics", [])]
    functions_shown = {line[line.index("FunctionName") + 1] for line in lines if "FunctionName" in line}
    alarms = [a for w in body["widgets"] if w["type"] == "alarm" for a in w["properties"]["alarms"]]

    assert functions_shown == {config["FunctionName"] for config in deployed_functions.values()}
    assert all(line[line.index("QueueName") + 1].startswith(f"{STACK}-") for line in lines if "QueueName" in line)
    assert f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:{STACK}-api-server-errors" in alarms
    assert "${" not in json.dumps(body)


def test_each_function_runs_with_its_own_role_holding_no_managed_policy(deployed, deployed_functions, aws):
    """Read back from IAM: SAM's generated roles would carry AWSLambdaBasicExecutionRole and,
    for the stream function, AWSLambdaDynamoDBExecutionRole (every stream of the account)."""
    iam = aws("iam")
    roles = {config["Role"] for config in deployed_functions.values()}

    assert len(roles) == len(deployed_functions)  # none shared
    for logical_id, config in deployed_functions.items():
        name = config["Role"].rsplit("/", 1)[1]
        assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == [], logical_id
        assert iam.list_role_policies(RoleName=name)["PolicyNames"], logical_id
        assert config["FunctionName"] == f"{STACK}-{config['Environment']['Variables']['POWERTOOLS_SERVICE_NAME']}"
