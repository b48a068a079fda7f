"""Receipt notifications to SNS, and the receipt rule metrics to CloudWatch."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sesame.domain.receiving.action_ports import ActionFailed

log = logging.getLogger(__name__)


class SnsReceiptPublisher:
    def __init__(self, sns: Any) -> None:
        self._sns = sns

    def publish(self, topic_arn: str, message: str) -> None:
        try:
            self._sns.publish(TopicArn=topic_arn, Message=message)
        except (ClientError, BotoCoreError) as error:
            raise ActionFailed(f"could not publish to {topic_arn}: {error}") from error


class CloudWatchReceivingMetrics:
    """PublishFailure and PublishExpired, as SES names them, per account, rule set and rule."""

    def __init__(self, cloudwatch: Any, namespace: str) -> None:
        self._cloudwatch = cloudwatch
        self._namespace = namespace

    def publish_failure(self, account_id: str, rule_set: str, rule: str) -> None:
        self._put("PublishFailure", account_id, rule_set, rule)

    def publish_expired(self, account_id: str, rule_set: str, rule: str) -> None:
        self._put("PublishExpired", account_id, rule_set, rule)

    def _put(self, name: str, account_id: str, rule_set: str, rule: str) -> None:
        try:
            self._cloudwatch.put_metric_data(
                Namespace=self._namespace,
                MetricData=[
                    {
                        "MetricName": name,
                        "Dimensions": [
                            {"Name": "AccountId", "Value": account_id},
                            {"Name": "RuleSetName", "Value": rule_set},
                            {"Name": "RuleName", "Value": rule},
                        ],
                        "Value": 1.0,
                        "Unit": "Count",
                    }
                ],
            )
        except (ClientError, BotoCoreError):
            # The failure it counts is logged by the caller; a lost data point is logged here.
            log.exception(
                "metric %s for rule %s/%s of account %s not published", name, rule_set, rule, account_id
            )
