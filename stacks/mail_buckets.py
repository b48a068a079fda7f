"""The buckets that hold customers' mail for a while: the spool of large queued messages and the
inbound bucket of received ones."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct


def mail_bucket(
    scope: Construct,
    construct_id: str,
    *,
    key: kms.IKey,
    lifecycle_rules: Sequence[s3.LifecycleRule],
    access_logs: s3.IBucket,
    access_logs_prefix: str,
    removal_policy: cdk.RemovalPolicy,
) -> s3.Bucket:
    """Private, TLS-only, encrypted with ``key``; its objects expire by ``lifecycle_rules``."""
    return s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.KMS,
        encryption_key=key,
        # One data key per bucket rather than a KMS call per object.
        bucket_key_enabled=True,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        # Unversioned: a message is written once under its id and deleted once done with (or
        # expired). Versions would keep copies of customers' mail after that delete, and protect
        # against nothing the pipelines do.
        versioned=False,
        lifecycle_rules=list(lifecycle_rules),
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=access_logs_prefix,
        # Deleting the stack without deletion protection fails while messages remain: empty it
        # first. (Auto-deletion would add a custom-resource function.)
        removal_policy=removal_policy,
    )
