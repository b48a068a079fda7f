"""DynamoDB tables. The layouts must agree with sesame/local/provision.py (local mode's copy)."""

from __future__ import annotations

from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

# The scheduler's index over identities: pending ones by state, oldest check first.
IDENTITIES_BY_STATUS = "by_status"


class Data(Construct):
    """The platform's tables: on-demand, point-in-time recovery, encrypted with the main key."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        deletion_protection: bool,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)

        def table(table_id: str, partition_key: str, sort_key: str | None = None) -> dynamodb.Table:
            # No table_name: CloudFormation names the tables, so two stacks never collide and a
            # replacement never fails on a taken name; the functions get the names from the env.
            return dynamodb.Table(
                self,
                table_id,
                partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
                sort_key=(
                    dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.STRING)
                    if sort_key
                    else None
                ),
                # On-demand: traffic is spiky and small at first; nothing to size or to pay idle.
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
                encryption_key=key,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                deletion_protection=deletion_protection,
                removal_policy=removal_policy,
            )

        self.accounts = table("Accounts", "account_id")
        self.access_keys = table("AccessKeys", "access_key_id")
        self.identities = table("Identities", "account_id", "identity")
        # Only identities waiting for DNS carry check_state (a sparse index), so the scheduler reads
        # just those, ordered by when each is due, instead of scanning every identity.
        self.identities.add_global_secondary_index(
            index_name=IDENTITIES_BY_STATUS,
            partition_key=dynamodb.Attribute(name="check_state", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="next_check_at", type=dynamodb.AttributeType.NUMBER),
            projection_type=dynamodb.ProjectionType.ALL,
        )

    @property
    def tables(self) -> dict[str, dynamodb.Table]:
        return {"accounts": self.accounts, "access_keys": self.access_keys, "identities": self.identities}

    def grant_read_write(self, grantee: iam.IGrantable, *tables: dynamodb.Table) -> None:
        """Item reads and writes on these tables, their indexes, and the key they are encrypted with."""
        principal = grantee.grant_principal
        for table in tables:
            table.grant_read_write_data(grantee)
        if not isinstance(principal, Construct):
            return
        # CDK's DynamoDB grant adds these for the tables' customer-managed key: the KMS actions AWS
        # documents for principals of a table encrypted with one (DynamoDB calls KMS on their
        # behalf). The statement names that one key's ARN.
        for action in ("kms:ReEncrypt*", "kms:GenerateDataKey*"):
            cdk.Validations.of(principal).acknowledge(
                cdk.Acknowledgment(
                    id=f"AwsSolutions-IAM5[Action::{action}]",
                    reason="Added by CDK's DynamoDB table grant: KMS actions DynamoDB needs to use the "
                    "tables' customer-managed key, on that one key's ARN only",
                )
            )
        if self.identities in tables:
            table_id = cdk.Stack.of(self).resolve(
                cdk.Stack.of(self).get_logical_id(cast(cdk.CfnElement, self.identities.node.default_child))
            )
            cdk.Validations.of(principal).acknowledge(
                cdk.Acknowledgment(
                    id=f"AwsSolutions-IAM5[Resource::<{table_id}.Arn>/index/*]",
                    reason="Queries on the identities table's own indexes (by_status): index ARNs are "
                    "the table ARN plus /index/NAME, and this table's are all Sesame's",
                )
            )
