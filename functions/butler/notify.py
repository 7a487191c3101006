"""Staff alerts through SNS (email or SMS subscriptions of the alerts topic)."""
from __future__ import annotations

from functools import lru_cache


class SnsNotifier:
    def __init__(self, topic_arn: str):
        if not topic_arn:
            raise RuntimeError("ALERTS_TOPIC_ARN is not set")
        self.topic_arn = topic_arn

    def publish(self, subject: str, message: str) -> None:
        # SNS subjects must be ASCII; the Chinese text goes in the message.
        _sns().publish(TopicArn=self.topic_arn, Subject=subject[:99], Message=message)


@lru_cache(maxsize=1)
def _sns():
    import boto3

    return boto3.client("sns")
