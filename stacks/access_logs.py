"""The bucket that receives S3 server access logs of the platform's buckets."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
from constructs import Construct


class AccessLogBucket(Construct):
    """Server access logs: who read, wrote or deleted which object, kept as long as other logs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        retention_days: int,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            # S3 delivers server access logs only to buckets whose default encryption is SSE-S3:
            # a KMS default would drop them.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            # S3's logging service is allowed in by bucket policy (no ACLs).
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-logs", expiration=cdk.Duration.days(retention_days))
            ],
            # Deleting the stack without deletion protection fails while the bucket still holds
            # logs: empty it first. (Auto-deletion would add a custom-resource function.)
            removal_policy=removal_policy,
        )
        # Not logged itself (cdk-nag's S1 knows a log destination when it sees one): logging its
        # own accesses into itself would log each log delivery, without end.
