"""KMS keys: one that encrypts (account secrets, DKIM private keys, tables, logs), one that signs links."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


class Keys(Construct):
    """The platform's customer-managed keys and the grants to use them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        main_alias: str,
        link_mac_alias: str,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        # Customer-managed, so the team's key policy (not AWS's) decides who may read secrets, and
        # CloudTrail shows every use. Yearly automatic rotation keeps old ciphertexts readable.
        self.main = kms.Key(
            self,
            "Main",
            alias=main_alias,
            description="Sesame: account secrets, DKIM private keys, tables and logs",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        # Links in mail (verification, tracking) carry a MAC that only KMS can make or check, so the
        # secret never leaves KMS. KMS does not rotate HMAC keys automatically (symmetric encryption
        # keys only), and cdk-nag's rotation rule rightly skips them.
        self.link_mac = kms.Key(
            self,
            "LinkMac",
            alias=link_mac_alias,
            description="Sesame: signs and verifies links in mail",
            key_spec=kms.KeySpec.HMAC_256,
            key_usage=kms.KeyUsage.GENERATE_VERIFY_MAC,
            removal_policy=removal_policy,
        )
        self._allow_cloudwatch_logs()

    def _allow_cloudwatch_logs(self) -> None:
        """Let CloudWatch Logs encrypt this stack's log groups with the main key.

        The statement is the one AWS documents for log-group encryption, in the key policy: the
        service principal is regional, and the encryption context limits it to log groups of this
        account and region. (Naming the log groups themselves would make the key depend on them
        while they depend on the key.)
        """
        stack = cdk.Stack.of(self)
        log_groups = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        principal = iam.ServicePrincipal(
            f"logs.{stack.region}.amazonaws.com",
            conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
        )
        self.main.grant(
            principal,
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
        )

    def grant_secrets(self, grantee: iam.IGrantable) -> iam.Grant:
        """Encrypt and decrypt secrets directly (small values) or through data keys."""
        return self.main.grant(grantee, "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")

    def grant_secret_reading(self, grantee: iam.IGrantable) -> iam.Grant:
        """Decrypt secrets (DKIM private keys) without being able to make new ones."""
        return self.main.grant_decrypt(grantee)

    def grant_link_signing(self, grantee: iam.IGrantable) -> None:
        """Make and check link MACs."""
        self.link_mac.grant_generate_mac(grantee)
        self.link_mac.grant_verify_mac(grantee)
