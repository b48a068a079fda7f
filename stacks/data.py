"""DynamoDB tables. The layouts must agree with sesame/local/provision.py (local mode's copy)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.acknowledgements import (
    acknowledge_grant_wildcards,
    acknowledge_resource_wildcard,
    logical_id_reference,
)

# The scheduler's index over identities: pending ones by state, oldest check first.
IDENTITIES_BY_STATUS = "by_status"
# Items that expire carry their end as an epoch in this attribute; DynamoDB deletes them after it.
EXPIRES_AT = "expires_at"


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

        def table(
            table_id: str, partition_key: str, sort_key: str | None = None, *, expiring: bool = False
        ) -> dynamodb.Table:
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
                # TTL deletes cost nothing, unlike a sweeper's writes.
                time_to_live_attribute=EXPIRES_AT if expiring else None,
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
        # Sending: rate and 24-hour counters per window, the account-level suppression list, send
        # statistics per time bucket, and the per-recipient delivery ledger that keeps a redelivered
        # queue message from sending twice. Counters, statistics and ledger entries expire.
        self.quotas = table("Quotas", "account_id", "window", expiring=True)
        self.suppression = table("Suppression", "account_id", "address")
        self.statistics = table("Statistics", "account_id", "bucket", expiring=True)
        self.deliveries = table("Deliveries", "message_id", "recipient", expiring=True)
        # Receiving: rule sets, rules and IP filters, and each received message's progress.
        # Templates: email and custom verification email templates, per account.
        self.receipt_rules = table("ReceiptRules", "account_id", "entry")
        self.receipts = table("Receipts", "message_id", "account_id", expiring=True)
        self.templates = table("Templates", "account_id", "item")

    @property
    def tables(self) -> dict[str, dynamodb.Table]:
        """Every table, by its field name in the runtime's ``TableNames``."""
        return {
            "accounts": self.accounts,
            "access_keys": self.access_keys,
            "identities": self.identities,
            "quotas": self.quotas,
            "suppression": self.suppression,
            "statistics": self.statistics,
            "deliveries": self.deliveries,
            "receipt_rules": self.receipt_rules,
            "receipts": self.receipts,
            "templates": self.templates,
        }

    def grant_read_write(self, grantee: iam.IGrantable, *tables: dynamodb.Table) -> None:
        """Item reads and writes on these tables, their indexes, and the key they are encrypted with."""
        for table in tables:
            table.grant_read_write_data(grantee)
        # CDK's DynamoDB grant adds these for the tables' customer-managed key: the KMS actions AWS
        # documents for principals of a table encrypted with one (DynamoDB calls KMS on their
        # behalf). The statement names that one key's ARN.
        acknowledge_grant_wildcards(grantee, "kms:ReEncrypt*", "kms:GenerateDataKey*")
        self._acknowledge_indexes(grantee, tables)

    def grant_read(self, grantee: iam.IGrantable, *tables: dynamodb.Table) -> None:
        """Item reads on these tables and their indexes, and decryption with their key."""
        for table in tables:
            table.grant_read_data(grantee)
        self._acknowledge_indexes(grantee, tables)

    def _acknowledge_indexes(self, grantee: iam.IGrantable, tables: tuple[dynamodb.Table, ...]) -> None:
        if self.identities in tables:
            acknowledge_resource_wildcard(
                grantee,
                f"{logical_id_reference(self.identities)}/index/*",
                "Queries on the identities table's own indexes (by_status): index ARNs are the table "
                "ARN plus /index/NAME, and this table's are all Sesame's",
            )
