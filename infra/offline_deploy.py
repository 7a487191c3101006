"""Deploy template.yaml without an AWS account: translate it with aws-sam-translator (what
``sam deploy`` does in CloudFormation's transform), drop the resource types moto's
CloudFormation cannot create, package ``functions/`` into moto S3, and create the stack in
moto's CloudFormation. tests/infra/test_deploy.py then reads the result back through the
services' own APIs."""
from __future__ import annotations

import copy
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import boto3

from infra.template import ROOT

ARTIFACTS_BUCKET = "butler-deploy-artifacts"
CODE_KEY = "functions.zip"

# What moto's CloudFormation has no model for. API Gateway's stage and everything that
# points at it (CloudFront's origin, the invoke permissions), the CloudFront resources, and
# the async invoke configuration. They are checked on the translated template instead
# (tests/infra/test_template.py, tests/infra/test_deploy.py).
NOT_CREATABLE = frozenset({
    "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage",
    "AWS::Lambda::Permission", "AWS::Lambda::EventInvokeConfig",
    "AWS::CloudFront::Distribution", "AWS::CloudFront::Function",
    "AWS::CloudFront::OriginAccessControl", "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::S3::BucketPolicy", "AWS::SNS::Subscription", "AWS::CloudWatch::Alarm", "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation", "AWS::ApiGateway::Account",
})


@dataclass
class Deployed:
    stack_name: str
    translated: dict[str, Any]  # the whole CloudFormation template after the SAM transform
    created: dict[str, Any]  # what was sent to moto's CloudFormation
    physical: dict[str, str]  # logical id → physical id, as CloudFormation reports them


def translate(template: dict[str, Any], *, region: str, endpoint: str | None = None,
              iam: Any = None) -> dict[str, Any]:
    """The SAM transform, with the code where ``sam package`` puts it (an S3 URI). AWS
    managed policies are looked up in moto's IAM (at ``endpoint``, or the ``iam`` client)."""
    from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
    from samtranslator.translator.transform import transform

    template = copy.deepcopy(template)
    template["Globals"]["Function"]["CodeUri"] = f"s3://{ARTIFACTS_BUCKET}/{CODE_KEY}"
    iam = iam or boto3.client("iam", endpoint_url=endpoint, region_name=region)
    return transform(template, {"AWS::Region": region}, ManagedPolicyLoader(iam))


def role_statements(translated: dict[str, Any], iam: Any) -> dict[str, list[dict[str, Any]]]:
    """Role logical id → every statement it grants: its inline policies and the documents of
    its managed policies (AWS's own, as moto's IAM holds them), tagged with where they come from."""
    granted: dict[str, list[dict[str, Any]]] = {}
    for logical_id, resource in translated["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        props = resource["Properties"]
        statements = granted.setdefault(logical_id, [])
        for policy in props.get("Policies", []):
            statements += [{**s, "_from": policy["PolicyName"]} for s in _listed(policy["PolicyDocument"]["Statement"])]
        for arn in props.get("ManagedPolicyArns", []):
            arn = arn["Fn::Sub"] if isinstance(arn, dict) else arn
            arn = arn.replace("${AWS::Partition}", "aws")
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            document = json.loads(unquote(document)) if isinstance(document, str) else document
            statements += [{**s, "_from": arn} for s in _listed(document["Statement"])]
    return granted


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def creatable(translated: dict[str, Any]) -> dict[str, Any]:
    """The translated template without what moto cannot create, nor outputs naming it."""
    kept = copy.deepcopy(translated)
    dropped = {lid for lid, r in kept["Resources"].items() if r["Type"] in NOT_CREATABLE}
    kept["Resources"] = {lid: r for lid, r in kept["Resources"].items() if lid not in dropped}
    kept["Outputs"] = {name: out for name, out in kept.get("Outputs", {}).items()
                       if not any(_names(out, lid) for lid in dropped)}
    return kept


def _names(value: Any, logical_id: str) -> bool:
    text = json.dumps(value)
    return f'"{logical_id}"' in text or f"${{{logical_id}" in text or f'"{logical_id}.' in text


def package_functions(s3: Any, region: str) -> None:
    """functions/ zipped as ``sam build`` would bundle it, uploaded where the template says."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        source = ROOT / "functions"
        for path in sorted(source.rglob("*.py")):
            if "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(source).as_posix())
    s3.create_bucket(Bucket=ARTIFACTS_BUCKET, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=CODE_KEY, Body=buffer.getvalue())


def deploy(template: dict[str, Any], *, stack_name: str, region: str, endpoint: str,
           parameters: dict[str, str] | None = None) -> Deployed:
    translated = translate(template, region=region, endpoint=endpoint)
    created = creatable(translated)
    package_functions(boto3.client("s3", endpoint_url=endpoint, region_name=region), region)
    cloudformation = boto3.client("cloudformation", endpoint_url=endpoint, region_name=region)
    cloudformation.create_stack(
        StackName=stack_name, TemplateBody=json.dumps(created),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()],
        Capabilities=["CAPABILITY_IAM"])
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {stack_name}: {stack['StackStatus']} {stack.get('StackStatusReason')}")
    summaries = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"]
                for page in summaries for r in page["StackResourceSummaries"] if r["LogicalResourceId"]}
    return Deployed(stack_name, translated, created, physical)
