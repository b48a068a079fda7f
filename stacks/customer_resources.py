"""Customers' own buckets, keys and functions: the ones their receipt rules name at runtime.

A receipt rule's S3 action writes to a bucket the customer names (optionally encrypting with their
KMS key), its Lambda action invokes their function: none is known at synth time, so the grants name
every such resource of this account (and region, where ARNs carry one), each with its cdk-nag
acknowledgement. Topics are in stacks/customer_topics.py.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.acknowledgements import acknowledge_resource_wildcard

_RUNTIME_NAMED = "named by customers' receipt rules at runtime; none is known at synth time"


def grant_customer_bucket_writes(grantee: iam.IGrantable) -> iam.Grant:
    """Put received messages into customers' buckets. S3 ARNs carry no account: the condition on
    the bucket owner keeps the grant to this account's buckets."""
    stack = _stack(grantee)
    grant = iam.Grant.add_to_principal(
        grantee=grantee,
        actions=["s3:PutObject"],
        resource_arns=[f"arn:{stack.partition}:s3:::*/*"],
        conditions={"StringEquals": {"s3:ResourceAccount": stack.account}},
    )
    acknowledge_resource_wildcard(
        grantee,
        f"arn:{_shown(stack.partition, 'Partition')}:s3:::*/*",
        f"s3:PutObject on objects of the buckets {_RUNTIME_NAMED}. Limited by condition to buckets "
        "owned by this account, and to this one action",
    )
    return grant


def grant_customer_key_use(grantee: iam.IGrantable, *actions: str) -> iam.Grant:
    """Use customers' KMS keys (data keys for client-side encryption, or checking that one exists)."""
    stack = _stack(grantee)
    grant = iam.Grant.add_to_principal(
        grantee=grantee,
        actions=list(actions),
        resource_arns=[stack.format_arn(service="kms", resource="key", resource_name="*")],
    )
    acknowledge_resource_wildcard(
        grantee,
        f"{_prefix(stack, 'kms')}key/*",
        f"{', '.join(actions)} on the KMS keys {_RUNTIME_NAMED}. Limited to this account and region",
    )
    return grant


def grant_customer_function_calls(grantee: iam.IGrantable, *actions: str) -> iam.Grant:
    """Invoke customers' Lambda functions (or check that one exists)."""
    stack = _stack(grantee)
    grant = iam.Grant.add_to_principal(
        grantee=grantee,
        actions=list(actions),
        resource_arns=[
            stack.format_arn(
                service="lambda",
                resource="function",
                resource_name="*",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
        ],
    )
    acknowledge_resource_wildcard(
        grantee,
        f"{_prefix(stack, 'lambda')}function:*",
        f"{', '.join(actions)} on the Lambda functions {_RUNTIME_NAMED}. Limited to this account and region",
    )
    return grant


def _stack(grantee: iam.IGrantable) -> cdk.Stack:
    principal = grantee.grant_principal
    if not isinstance(principal, Construct):
        raise TypeError("customer resource grants go to roles of this stack")
    return cdk.Stack.of(principal)


def _shown(value: str, pseudo: str) -> str:
    """A pseudo-parameter as cdk-nag shows it (<AWS::Name>); a pinned stack's value as it is."""
    return f"<AWS::{pseudo}>" if cdk.Token.is_unresolved(value) else value


def _prefix(stack: cdk.Stack, service: str) -> str:
    return (
        f"arn:{_shown(stack.partition, 'Partition')}:{service}:{_shown(stack.region, 'Region')}:"
        f"{_shown(stack.account, 'AccountId')}:"
    )
