"""Easy DKIM's DNS zone: where Sesame publishes DKIM public keys behind customers' CNAMEs."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_route53 as route53
from constructs import Construct


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
        self.name_servers: list[str] | None
        if hosted_zone_id:
            # Referenced by attributes, not looked up: synth makes no AWS call.
            self.zone: route53.IHostedZone = route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=hosted_zone_id, zone_name=zone_name
            )
            self.name_servers = None
        else:
            zone = route53.PublicHostedZone(
                self,
                "Zone",
                zone_name=zone_name,
                comment="Sesame Easy DKIM: public keys behind customers' CNAME records",
            )
            # Retained with the stack's data by default: customers' CNAMEs point into this zone. With
            # deletion protection off it goes with the stack, once the records the runtime added
            # (unknown to CloudFormation) are deleted: Route 53 refuses to delete a non-empty zone.
            zone.apply_removal_policy(removal_policy)
            self.zone = zone
            # The parent zone must delegate to these (an NS record), which the stack outputs.
            self.name_servers = zone.hosted_zone_name_servers

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
