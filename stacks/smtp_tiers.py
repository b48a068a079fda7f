"""The public SMTP tiers: submission (SES's SMTP interface) and the inbound MX.

Each is an SmtpService behind an Internet-facing Network Load Balancer in the public subnets, its
tasks in the private application subnets. Both keep the client's address (client IP preservation):
the MX's IP filters and block list judge it, and the submission server limits connections per
address and logs who connected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.egress import acknowledge_tcp_access_logs
from stacks.network import Network
from stacks.smtp_service import Sidecar, SmtpService

SUBMISSION_PORT = 2587
SMTPS_PORT = 2465
MX_PORT = 2525
# Listener -> container port. 587 and 25 both take STARTTLS submission (SES's SMTP interface
# listens on 25, 587 and 2587); 465 is implicit TLS.
SUBMISSION_LISTENERS = {587: SUBMISSION_PORT, 465: SMTPS_PORT, 25: SUBMISSION_PORT}
MX_LISTENERS = {25: MX_PORT}
# Keys of the TLS secret (JSON), as stacks/config.py documents it.
TLS_CERTIFICATE_FIELD = "certificate"
TLS_PRIVATE_KEY_FIELD = "private_key"


class PublicSmtpTier(Construct):
    """An SMTP tier reachable from the Internet: its own NLB and its SmtpService."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network,
        cluster: ecs.ICluster,
        image: ecs.ContainerImage,
        description: str,
        environment: Mapping[str, str],
        secrets: Mapping[str, ecs.Secret] | None = None,
        ports: Mapping[int, int],
        min_tasks: int,
        max_tasks: int,
        cpu: int,
        memory_mb: int,
        deregistration_delay: cdk.Duration,
        tier: str,
        connections_per_task: int,
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
        sidecars: Sequence[Sidecar] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.load_balancer = elbv2.NetworkLoadBalancer(
            self,
            "LoadBalancer",
            vpc=network.vpc,
            internet_facing=True,
            vpc_subnets=network.public_subnets,
            cross_zone_enabled=True,
        )
        acknowledge_tcp_access_logs(self.load_balancer)
        self.service = SmtpService(
            self,
            "Service",
            cluster=cluster,
            image=image,
            description=description,
            environment=environment,
            secrets=secrets,
            subnets=network.app_subnets,
            load_balancer=self.load_balancer,
            ports=ports,
            clients=ec2.Peer.any_ipv4(),
            cpu=cpu,
            memory_mb=memory_mb,
            min_tasks=min_tasks,
            max_tasks=max_tasks,
            deregistration_delay=deregistration_delay,
            preserve_client_ip=True,
            tier=tier,
            connections_per_task=connections_per_task,
            log_key=log_key,
            log_retention=log_retention,
            removal_policy=removal_policy,
            sidecars=sidecars,
        )
        # Mail servers and mail clients connect from anywhere on the Internet: that is the service.
        for group in (self.load_balancer, self.service.security_group):
            cdk.Validations.of(group).acknowledge(
                cdk.Acknowledgment(
                    id="AwsSolutions-EC23",
                    reason="A public SMTP service: any Internet host may connect on the SMTP ports "
                    "(with client IP preservation the tasks see, and must admit, the clients' own "
                    "addresses); the servers themselves authenticate, filter and rate-limit",
                )
            )

    @property
    def tasks(self) -> iam.IRole:
        """The tasks' role: grant AWS access to it."""
        return self.service.task_definition.task_role


def tls_secrets(scope: Construct, secret_arn: str) -> dict[str, ecs.Secret]:
    """The submission server's certificate and key, from the JSON secret's fields. ECS reads them
    at task start with the execution role; they never appear in the task definition."""
    secret = secretsmanager.Secret.from_secret_complete_arn(scope, "TlsSecret", secret_arn)
    return {
        "SESAME_SMTP_TLS_CERTIFICATE": ecs.Secret.from_secrets_manager(secret, TLS_CERTIFICATE_FIELD),
        "SESAME_SMTP_TLS_PRIVATE_KEY": ecs.Secret.from_secrets_manager(secret, TLS_PRIVATE_KEY_FIELD),
    }
