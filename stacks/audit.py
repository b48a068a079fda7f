"""The audit trail: a CloudWatch Logs group of its own for the API's management-call records.

As CloudTrail does for SES, it keeps who called which management operation, from where, and the
outcome; sends are not in it. The API function writes there itself (SESAME_AUDIT_LOG_GROUP), so
the records stay apart from the function's diagnostic log and can be kept, read and granted
separately.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

AUDIT_LOG_GROUP_VARIABLE = "SESAME_AUDIT_LOG_GROUP"


class AuditLog(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=retention, encryption_key=key, removal_policy=removal_policy
        )

    def grant_write(self, writer: iam.IGrantable) -> iam.Grant:
        return self.log_group.grant_write(writer)

    @property
    def environment(self) -> dict[str, str]:
        return {AUDIT_LOG_GROUP_VARIABLE: self.log_group.log_group_name}
