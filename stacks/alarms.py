"""Where the platform's CloudWatch alarms go: one SNS topic, encrypted with a key of its own."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


class AlarmTopic(Construct):
    """The alarm topic, the alarms' names, and an optional email subscription."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        email: str | None,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        # CloudWatch can publish to a KMS-encrypted topic only with a customer-managed key whose
        # policy lets the CloudWatch service use it (AWS managed keys' policies cannot be changed).
        # A key of its own, so that the main key, which guards account secrets, need not trust
        # CloudWatch; this one protects nothing but alarm notifications.
        self.key = kms.Key(
            self,
            "Key",
            description="Sesame: alarm notifications",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="Sesame alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        # Alarm names start with the stack's name (unique per account and region), so the topic can
        # take messages from this stack's alarms alone.
        self.name_prefix = f"{stack.stack_name}-"
        cloudwatch_service = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsOfThisStack",
                actions=["sns:Publish"],
                principals=[cloudwatch_service],
                resources=[self.topic.topic_arn],
                conditions={
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name=f"{self.name_prefix}*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        )
        self.key.grant(cloudwatch_service, "kms:Decrypt", "kms:GenerateDataKey*")
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self._action = cloudwatch_actions.SnsAction(self.topic)

    def alarm_name(self, name: str) -> str:
        return f"{self.name_prefix}{name}"

    def notify(self, alarm: cloudwatch.Alarm) -> None:
        """Send the alarm's state changes, into and out of ALARM, to the topic."""
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)


def above_zero(
    scope: Construct, construct_id: str, *, name: str, description: str, metric: cloudwatch.IMetric
) -> cloudwatch.Alarm:
    """An alarm on any value above 0 in one period."""
    return above(scope, construct_id, name=name, description=description, metric=metric, threshold=0)


def above(
    scope: Construct,
    construct_id: str,
    *,
    name: str,
    description: str,
    metric: cloudwatch.IMetric,
    threshold: float,
) -> cloudwatch.Alarm:
    """An alarm on a value above ``threshold`` in one period. Missing data (an idle queue, no
    failure counted) is healthy: these metrics are only sent while there is activity."""
    return cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_name=name,
        alarm_description=description,
        metric=metric,
        threshold=threshold,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
