"""Create the SNS topics, SQS queues and S3 buckets declared in template.yaml (on moto)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.template import resources


@dataclass
class Messaging:
    topics: dict[str, str]  # logical id → topic ARN
    queues: dict[str, str]  # logical id → queue URL
    buckets: dict[str, str]  # logical id → bucket name


def create_messaging(sns: Any, sqs: Any, s3: Any, template: dict[str, Any], stack_name: str) -> Messaging:
    topics = {lid: sns.create_topic(Name=f"{stack_name}-{lid}")["TopicArn"]
              for lid in resources(template, "AWS::SNS::Topic")}
    queues = {lid: sqs.create_queue(QueueName=f"{stack_name}-{lid}")["QueueUrl"]
              for lid in resources(template, "AWS::SQS::Queue")}
    buckets = {}
    for lid in resources(template, "AWS::S3::Bucket"):
        buckets[lid] = f"{stack_name}-{lid}".lower()
        s3.create_bucket(Bucket=buckets[lid],
                         CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name})
    return Messaging(topics, queues, buckets)
