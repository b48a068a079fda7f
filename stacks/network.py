"""The VPC and its ways out: one set of NAT gateways per IP pool, holding the pool's Elastic IPs.

Every IP pool has private subnets of its own (one per availability zone) whose default route goes
to the pool's NAT gateways, and only to them: an egress relay placed in a pool's subnets reaches the
Internet from that pool's addresses and no other. That is what makes the sending IP of a message
the pool's. A NAT gateway holds up to eight addresses and spreads connections over them, so a pool
has one NAT gateway per zone while it has addresses for them, and its further addresses become the
gateways' secondary addresses. A zone without a NAT gateway of the pool routes through one in
another zone (cross-zone traffic, and that zone's failure takes the pool down with it: give a pool
at least as many addresses as zones to avoid both).

The first pool's subnets also hold the Lambda functions that need the VPC (the delivery worker)
and the other Fargate tiers: their calls to AWS leave through that pool's NAT gateways too, except
S3 and DynamoDB, which gateway endpoints reach for free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import IpPool

PUBLIC_SUBNETS = "public"
# Room for the NAT gateways and the public load balancers' nodes; the pools share the rest.
PUBLIC_CIDR_MASK = 26


def pool_subnet_group(pool: IpPool) -> str:
    return f"pool-{pool.name}"


@dataclass(frozen=True)
class PoolAddress:
    """One sending address of a pool: its allocation, its IP (when the stack allocated it or the
    configuration gives it), and the host name its reverse DNS (PTR) record should give."""

    pool: str
    allocation_id: str
    public_ip: str | None
    reverse_dns: str | None


class Network(Construct):
    """The VPC, the pools' subnets, Elastic IPs and NAT gateways, flow logs and gateway endpoints."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        availability_zones: Sequence[str] | None,
        max_azs: int,
        pools: Sequence[IpPool],
        default_reverse_dns: str | None,
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.pools = tuple(pools)
        # The range as written, not the VPC's token: rules and checks can read it at synth.
        self.cidr = cidr
        subnets = [
            ec2.SubnetConfiguration(
                name=PUBLIC_SUBNETS, subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=PUBLIC_CIDR_MASK
            ),
            # "Isolated" to CDK, which would otherwise route them all through the same gateways: the
            # default route of each is added below, to its own pool's NAT gateway.
            *(
                ec2.SubnetConfiguration(
                    name=pool_subnet_group(pool), subnet_type=ec2.SubnetType.PRIVATE_ISOLATED
                )
                for pool in pools
            ),
        ]
        self.flow_logs = logs.LogGroup(
            self, "FlowLogs", retention=log_retention, encryption_key=log_key, removal_policy=removal_policy
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=list(availability_zones) if availability_zones else None,
            max_azs=None if availability_zones else max_azs,
            nat_gateways=0,
            subnet_configuration=subnets,
            # The default security group is left unused; restricting it takes a custom resource.
            restrict_default_security_group=False,
            flow_logs={
                "All": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_logs),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDB": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.DYNAMODB),
            },
        )
        public = self.vpc.select_subnets(subnet_group_name=PUBLIC_SUBNETS).subnets
        self.addresses: list[PoolAddress] = []
        self.nat_gateways: dict[str, list[ec2.CfnNatGateway]] = {}
        for pool in pools:
            self._pool(pool, public, default_reverse_dns, removal_policy)

    def _pool(
        self,
        pool: IpPool,
        public: Sequence[ec2.ISubnet],
        default_reverse_dns: str | None,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        scope = Construct(self, f"Pool-{pool.name}")
        reverse_dns = pool.reverse_dns or default_reverse_dns
        allocations: list[str] = []
        if pool.allocation_ids:
            known = pool.addresses or (None,) * len(pool.allocation_ids)
            for allocation, address in zip(pool.allocation_ids, known, strict=True):
                allocations.append(allocation)
                self.addresses.append(PoolAddress(pool.name, allocation, address, reverse_dns))
        else:
            for index in range(pool.eip_count or 0):
                eip = ec2.CfnEIP(
                    scope,
                    f"Address{index}",
                    domain="vpc",
                    tags=[cdk.CfnTag(key="sesame:pool", value=pool.name)],
                )
                # An address's reputation is built over months: kept with the data by default.
                eip.apply_removal_policy(removal_policy)
                allocations.append(eip.attr_allocation_id)
                self.addresses.append(
                    PoolAddress(pool.name, eip.attr_allocation_id, eip.attr_public_ip, reverse_dns)
                )
        count = min(len(allocations), len(public))
        gateways = []
        for index in range(count):
            secondary = [allocations[j] for j in range(count, len(allocations)) if j % count == index]
            gateway = ec2.CfnNatGateway(
                scope,
                f"Nat{index}",
                subnet_id=public[index].subnet_id,
                allocation_id=allocations[index],
                secondary_allocation_ids=secondary or None,
                tags=[cdk.CfnTag(key="Name", value=f"sesame-{pool.name}-{index}")],
            )
            gateway.node.add_dependency(public[index].internet_connectivity_established)
            gateways.append(gateway)
        self.nat_gateways[pool.name] = gateways
        for index, subnet in enumerate(
            self.vpc.select_subnets(subnet_group_name=pool_subnet_group(pool)).subnets
        ):
            if not isinstance(subnet, ec2.Subnet):
                raise TypeError(f"{subnet.node.path} is not a subnet of this VPC")
            subnet.add_default_nat_route(gateways[index % count].ref)

    def pool_subnets(self, pool: IpPool) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnet_group_name=pool_subnet_group(pool))

    @property
    def default_pool(self) -> IpPool:
        return self.pools[0]

    @property
    def app_subnets(self) -> ec2.SubnetSelection:
        """Where functions and tiers that are no pool's relays run: the default pool's subnets."""
        return self.pool_subnets(self.default_pool)

    @property
    def public_subnets(self) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnet_group_name=PUBLIC_SUBNETS)
