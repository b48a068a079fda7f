"""cdk-nag acknowledgements of the wildcards that CDK's own grant_* methods write.

A grant on a resource encrypted with the main key adds the data-key actions to one statement on
that key, whichever resource it came from (tables, queue, topic, spool), so a finding on one role
can come from several grants: its reason is given once, here, and every grant repeats the same.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

CDK_GRANT_WILDCARDS = {
    "kms:GenerateDataKey*": "Added by CDK's grants on resources encrypted with the main key (tables, "
    "delivery and receipt queues, events topic, spool and inbound buckets): the data-key actions AWS "
    "documents for their callers, on that one key's ARN only",
    "kms:ReEncrypt*": "Added by CDK's grants on resources encrypted with the main key (tables, queues, "
    "spool and inbound buckets), on that one key's ARN only",
    "s3:Abort*": "Added by CDK's S3 put grant: aborting one's own uploads, on the platform's spool or "
    "inbound bucket only",
    "s3:GetObject*": "Added by CDK's S3 read grant: reading spooled bodies or received messages, on the "
    "platform's spool or inbound bucket only",
    "s3:GetBucket*": "Added by CDK's S3 read grant: metadata of the platform's spool or inbound bucket only",
    "s3:List*": "Added by CDK's S3 read grant (a missing object then reads as NoSuchKey rather than "
    "AccessDenied), on the platform's spool or inbound bucket only",
    "s3:DeleteObject*": "Added by CDK's S3 delete grant: deleting delivered bodies, on the spool bucket only",
}


def acknowledge_grant_wildcards(grantee: iam.IGrantable, *actions: str) -> None:
    """Acknowledge, on the grantee's role, the wildcard actions a CDK grant gave it."""
    principal = grantee.grant_principal
    if not isinstance(principal, Construct):
        return
    for action in actions:
        cdk.Validations.of(principal).acknowledge(
            cdk.Acknowledgment(id=f"AwsSolutions-IAM5[Action::{action}]", reason=CDK_GRANT_WILDCARDS[action])
        )


def acknowledge_resource_wildcard(grantee: iam.IGrantable, resource: str, reason: str) -> None:
    """Acknowledge a wildcard resource (as cdk-nag spells it) on the grantee's role."""
    principal = grantee.grant_principal
    if not isinstance(principal, Construct):
        return
    cdk.Validations.of(principal).acknowledge(
        cdk.Acknowledgment(id=f"AwsSolutions-IAM5[Resource::{resource}]", reason=reason)
    )


def logical_id_reference(element: Construct) -> str:
    """``<LogicalId.Arn>``: how cdk-nag names the ARN of a resource of this stack in a finding."""
    child = element.node.default_child
    if not isinstance(child, cdk.CfnElement):
        raise TypeError(f"{element.node.path} has no CloudFormation resource")
    stack = cdk.Stack.of(element)
    return f"<{stack.resolve(stack.get_logical_id(child))}.Arn>"
