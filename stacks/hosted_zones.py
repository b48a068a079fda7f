"""A Route 53 public zone that the stack either references or creates."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_route53 as route53
from constructs import Construct


@dataclass(frozen=True)
class PublicZone:
    zone: route53.IHostedZone
    # Set when the stack created the zone: the parent zone must delegate to these (an NS record).
    name_servers: list[str] | None


def public_zone(
    scope: Construct,
    construct_id: str,
    *,
    zone_name: str,
    hosted_zone_id: str | None,
    comment: str,
    removal_policy: cdk.RemovalPolicy,
) -> PublicZone:
    """The zone ``hosted_zone_id`` when given, referenced by attributes rather than looked up (synth
    makes no AWS call); otherwise a new public hosted zone named ``zone_name``.

    A created zone is retained with the stack's data by default: records point into it. With
    deletion protection off it goes with the stack, once the records the runtime added (unknown to
    CloudFormation) are deleted: Route 53 refuses to delete a non-empty zone.
    """
    if hosted_zone_id:
        zone = route53.HostedZone.from_hosted_zone_attributes(
            scope, construct_id, hosted_zone_id=hosted_zone_id, zone_name=zone_name
        )
        return PublicZone(zone, None)
    created = route53.PublicHostedZone(scope, construct_id, zone_name=zone_name, comment=comment)
    created.apply_removal_policy(removal_policy)
    return PublicZone(created, created.hosted_zone_name_servers)
