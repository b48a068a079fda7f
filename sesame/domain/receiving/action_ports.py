"""Ports the receipt actions act through: storing objects (plain or client-side encrypted),
publishing to topics, invoking functions, mailing bounces, and counting failures.

Adapters: ``sesame.adapters.s3_receipt_objects``, ``sesame.adapters.sns_publishers``,
``sesame.adapters.lambda_invokers`` and ``sesame.adapters.cloudwatch_receiving_metrics``.
"""

from __future__ import annotations

from typing import Any, Protocol


class ActionFailed(Exception):
    """An action could not be carried out now; it is tried again later (until it expires)."""


class PermanentActionFailure(ActionFailed):
    """An action that can never succeed for this message (SNS content over 150 KB): it is not
    tried again."""


class ObjectWriter(Protocol):
    def put(self, bucket: str, key: str, body: bytes) -> None:
        """Store ``body``; ActionFailed when the bucket cannot take it."""
        ...

    def put_encrypted(
        self, bucket: str, key: str, body: bytes, *, kms_key_arn: str, context: dict[str, str]
    ) -> None:
        """Store ``body`` encrypted client-side (the S3 Encryption Client's v2 format) under a
        data key from ``kms_key_arn`` bound to ``context``; ActionFailed on failure."""
        ...


class TopicPublisher(Protocol):
    def publish(self, topic_arn: str, message: str) -> None:
        """Publish ``message``; ActionFailed when the topic cannot take it."""
        ...


class FunctionInvoker(Protocol):
    def exists(self, function_arn: str) -> bool: ...

    def invoke(self, function_arn: str, event: dict[str, Any], *, wait: bool) -> Any:
        """Invoke with ``event``: synchronously when ``wait`` (the function's result, decoded
        JSON), else asynchronously (None). ActionFailed when the invocation or the function
        failed."""
        ...


class BounceMailer(Protocol):
    def send_report(self, account_id: str, to_address: str, report: bytes) -> str:
        """Queue a report for delivery to ``to_address`` through the sending pipeline, from the
        null reverse path; its message id."""
        ...


class ReceivingMetrics(Protocol):
    def publish_failure(self, account_id: str, rule_set: str, rule: str) -> None: ...

    def publish_expired(self, account_id: str, rule_set: str, rule: str) -> None: ...
