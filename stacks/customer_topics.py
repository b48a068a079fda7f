"""Customers' SNS topics: the notification topics they name on their identities at runtime.

SetIdentityNotificationTopic takes any topic ARN, so no topic is known at synth time and no
resource exists to call grant_* on: the grants name every topic of this account and region, and
carry their cdk-nag acknowledgement with them.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.acknowledgements import acknowledge_resource_wildcard


def customer_topics_arn(scope: Construct) -> str:
    """``arn:PARTITION:sns:REGION:ACCOUNT:*``: every topic of this deployment's account and region."""
    return cdk.Stack.of(scope).format_arn(service="sns", resource="*")


def grant_customer_topic_publishing(grantee: iam.IGrantable) -> iam.Grant:
    """Publish Bounce, Complaint and Delivery notifications to the customers' topics."""
    return _grant(grantee, "sns:Publish", "Publishes Bounce/Complaint/Delivery notifications")


def grant_customer_topic_lookup(grantee: iam.IGrantable) -> iam.Grant:
    """Check that a topic a customer names exists (SetIdentityNotificationTopic refuses others)."""
    return _grant(grantee, "sns:GetTopicAttributes", "Checks that a notification topic exists")


def _grant(grantee: iam.IGrantable, action: str, what: str) -> iam.Grant:
    principal = grantee.grant_principal
    if not isinstance(principal, Construct):
        raise TypeError("customer topic grants go to roles of this stack")
    grant = iam.Grant.add_to_principal(
        grantee=grantee, actions=[action], resource_arns=[customer_topics_arn(principal)]
    )
    acknowledge_resource_wildcard(
        grantee,
        _as_cdk_nag_shows_it(principal),
        f"{what} on the SNS topics customers name on their identities at runtime "
        "(SetIdentityNotificationTopic); no topic is known at synth time. Limited to this account "
        "and region, and to this one action",
    )
    return grant


def _as_cdk_nag_shows_it(scope: Construct) -> str:
    """The ARN as cdk-nag spells it: a pseudo-parameter shows as <AWS::Name>; a stack pinned to an
    environment has its partition, region and account written out."""
    stack = cdk.Stack.of(scope)

    def shown(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if cdk.Token.is_unresolved(value) else value

    return (
        f"arn:{shown(stack.partition, 'Partition')}:sns:{shown(stack.region, 'Region')}:"
        f"{shown(stack.account, 'AccountId')}:*"
    )
