"""Easy DKIM's DNS zone: where Sesame publishes DKIM public keys behind customers' CNAMEs."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.hosted_zones import public_zone


class DkimZone(Construct):
    """A public hosted zone for the signing zone, created here or an existing one referenced."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        zone_name: str,
        hosted_zone_id: str | None,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.zone_name = zone_name
        made = public_zone(
            self,
            "Zone",
            zone_name=zone_name,
            hosted_zone_id=hosted_zone_id,
            comment="Sesame Easy DKIM: public keys behind customers' CNAME records",
            removal_policy=removal_policy,
        )
        self.zone = made.zone
        # The parent zone must delegate to these (an NS record), which the stack outputs, or
        # creates itself when the parent is the deployment's DNS zone.
        self.name_servers = made.name_servers

    @property
    def hosted_zone_id(self) -> str:
        return self.zone.hosted_zone_id

    def grant_record_changes(self, grantee: iam.IGrantable) -> iam.Grant:
        """Create, update and delete records in this zone only.

        Route 53 has no grant_* for record changes (grant_delegation covers NS delegation only), so
        this uses iam.Grant directly, scoped to the zone's ARN. route53:GetChange is left out: the
        runtime does not wait for INSYNC, and GetChange cannot be scoped to one zone (change/*).
        """
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["route53:ChangeResourceRecordSets"],
            resource_arns=[self.zone.hosted_zone_arn],
        )
