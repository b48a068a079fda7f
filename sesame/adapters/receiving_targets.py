"""Checks of the resources a receipt rule's actions name, made as SES makes them when the rule is
created or updated: the bucket must take a test object (``AMAZON_SES_SETUP_NOTIFICATION`` under
the rule's prefix), the KMS key must be an enabled symmetric encryption key, the topic must exist
and the function must be invocable."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sesame.adapters.s3_receipt_objects import resolve_kms_key
from sesame.adapters.sns_publishers import SnsTopicDirectory
from sesame.domain.receiving.action_ports import FunctionInvoker

SETUP_OBJECT = "AMAZON_SES_SETUP_NOTIFICATION"
_SETUP_BODY = b"Amazon SES setup notification: this bucket can receive email from receipt rules.\n"


class AwsReceivingTargets:
    def __init__(
        self, *, s3: Any, kms: Any, sns: Any, functions: FunctionInvoker, deployment_key_id: str
    ) -> None:
        self._s3 = s3
        self._kms = kms
        self._topics = SnsTopicDirectory(sns)
        self._functions = functions
        self._deployment_key_id = deployment_key_id

    def bucket_writable(self, bucket: str, prefix: str) -> bool:
        try:
            self._s3.put_object(Bucket=bucket, Key=prefix + SETUP_OBJECT, Body=_SETUP_BODY)
        except (ClientError, BotoCoreError):
            return False
        return True

    def kms_key_usable(self, key_arn: str) -> bool:
        try:
            metadata = self._kms.describe_key(KeyId=resolve_kms_key(key_arn, self._deployment_key_id))[
                "KeyMetadata"
            ]
        except (ClientError, BotoCoreError):
            return False
        return bool(
            metadata.get("Enabled")
            and metadata.get("KeyUsage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
            and metadata.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
        )

    def topic_exists(self, topic_arn: str) -> bool:
        try:
            return self._topics.exists(topic_arn)
        except (ClientError, BotoCoreError):
            return False

    def function_invocable(self, function_arn: str) -> bool:
        return self._functions.exists(function_arn)
