"""The egress tier: per IP pool, relays on Fargate in the pool's subnets behind one internal NLB.

The delivery workers (Lambda, which cannot open port 25) hand every message to a relay over SMTP;
the relay (``sesame smtp egress``, containers/egress) delivers it to the recipient's mail
exchangers. A pool's relays run in the pool's subnets, so their connections leave through the
pool's NAT gateways: the pool's listener on the load balancer is the way to send from the pool's
addresses. The first pool's listener is the workers' relay.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.network import Network
from stacks.smtp_service import SmtpService

RELAY_CONTAINER_PORT = 2525


class EgressTier(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network,
        cluster: ecs.ICluster,
        image: ecs.ContainerImage,
        environment: Mapping[str, str],
        first_port: int,
        min_tasks: int,
        max_tasks: int,
        cpu: int,
        memory_mb: int,
        connections_per_task: int,
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        vpc = network.vpc
        self.load_balancer = elbv2.NetworkLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=False,
            vpc_subnets=network.app_subnets,
            # A pool's relays may run in fewer zones than the workers: every zone's node reaches them.
            cross_zone_enabled=True,
        )
        acknowledge_tcp_access_logs(self.load_balancer)
        clients = ec2.Peer.ipv4(network.cidr)
        self.relays: dict[str, str] = {}
        self.services: dict[str, SmtpService] = {}
        for index, pool in enumerate(network.pools):
            port = first_port + index
            # Each pool scales on its own relays' connections.
            tier = f"egress-{pool.name}"
            self.services[pool.name] = SmtpService(
                self,
                f"Pool-{pool.name}",
                cluster=cluster,
                image=image,
                description=f"egress relays of IP pool {pool.name}",
                environment={
                    **environment,
                    "SESAME_EGRESS_PORT": str(RELAY_CONTAINER_PORT),
                    # Behind the NLB the relay sees the load balancer's addresses: both in the VPC.
                    "SESAME_EGRESS_ALLOWED_NETWORKS": network.cidr,
                    "SESAME_EGRESS_METRICS_TIER": tier,
                },
                subnets=network.pool_subnets(pool),
                load_balancer=self.load_balancer,
                ports={port: RELAY_CONTAINER_PORT},
                clients=clients,
                cpu=cpu,
                memory_mb=memory_mb,
                min_tasks=min_tasks,
                max_tasks=max_tasks,
                # A worker's session is short; a minute drains it and keeps deployments quick.
                deregistration_delay=cdk.Duration.seconds(60),
                log_key=log_key,
                log_retention=log_retention,
                removal_policy=removal_policy,
                tier=tier,
                connections_per_task=connections_per_task,
            )
            self.relays[pool.name] = f"{self.load_balancer.load_balancer_dns_name}:{port}"

    @property
    def default_relay(self) -> str:
        return next(iter(self.relays.values()))


def acknowledge_tcp_access_logs(load_balancer: elbv2.NetworkLoadBalancer) -> None:
    cdk.Validations.of(load_balancer).acknowledge(
        cdk.Acknowledgment(
            id="AwsSolutions-ELB2",
            reason="NLB access logs record TLS listeners only; these listeners are TCP (the SMTP "
            "servers do TLS themselves), so there would be nothing to log. VPC flow logs record "
            "the connections",
        )
    )
