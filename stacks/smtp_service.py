"""One SMTP tier on ECS Fargate behind a Network Load Balancer.

Each tier (egress relay per IP pool, submission, inbound MX) is a service of identical tasks
listening on unprivileged ports, reached through TCP listeners of an NLB. The NLB passes TCP
through: TLS (STARTTLS, implicit TLS) is the servers' own. Health is a TCP check of each target
port; capacity follows CPU. Stopping is graceful: a task leaving the load balancer first stops
getting new connections, gets ``deregistration_delay`` for the open ones, and its process, told by
SIGTERM, has ``stopTimeout`` (Fargate's maximum, 120 s) to finish sessions in flight.
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

STOP_TIMEOUT = cdk.Duration.seconds(120)
CPU_TARGET_PERCENT = 60


class SmtpService(Construct):
    """A Fargate service with one container, registered with ``load_balancer`` on ``ports``
    (listener port -> container port), reachable from ``clients``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: ecs.ICluster,
        image: ecs.ContainerImage,
        description: str,
        environment: Mapping[str, str],
        secrets: Mapping[str, ecs.Secret] | None = None,
        subnets: ec2.SubnetSelection,
        load_balancer: elbv2.NetworkLoadBalancer,
        ports: Mapping[int, int],
        clients: ec2.IPeer,
        cpu: int,
        memory_mb: int,
        min_tasks: int,
        max_tasks: int,
        deregistration_delay: cdk.Duration,
        preserve_client_ip: bool = False,
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=log_retention, encryption_key=log_key, removal_policy=removal_policy
        )
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "Task",
            cpu=cpu,
            memory_limit_mib=memory_mb,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        self.container = self.task_definition.add_container(
            "Server",
            image=image,
            environment=dict(environment),
            secrets=dict(secrets or {}),
            logging=ecs.LogDriver.aws_logs(stream_prefix=construct_id.lower(), log_group=self.log_group),
            port_mappings=[ecs.PortMapping(container_port=port) for port in sorted(set(ports.values()))],
            stop_timeout=STOP_TIMEOUT,
            readonly_root_filesystem=True,
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "Tasks",
            vpc=cluster.vpc,
            description=f"Sesame {description}",
            # Tasks reach DNS, AWS APIs and (the egress relays) receiving servers on port 25.
            allow_all_outbound=True,
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=cluster,
            task_definition=self.task_definition,
            desired_count=min_tasks,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            assign_public_ip=False,
            # New tasks come up and pass health checks before old ones leave: no gap in service.
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
        )
        self.target_groups: list[elbv2.NetworkTargetGroup] = []
        for listener_port, container_port in ports.items():
            listener = load_balancer.add_listener(
                f"Tcp{listener_port}", port=listener_port, protocol=elbv2.Protocol.TCP
            )
            target_group = listener.add_targets(
                f"Targets{listener_port}",
                port=container_port,
                protocol=elbv2.Protocol.TCP,
                targets=[
                    self.service.load_balancer_target(container_name="Server", container_port=container_port)
                ],
                health_check=elbv2.HealthCheck(
                    protocol=elbv2.Protocol.TCP,
                    interval=cdk.Duration.seconds(10),
                    healthy_threshold_count=2,
                    unhealthy_threshold_count=2,
                ),
                deregistration_delay=deregistration_delay,
            )
            # IP targets see the load balancer's address unless told otherwise; a server that
            # judges its clients (the MX's IP filters) needs theirs.
            target_group.set_attribute(
                "preserve_client_ip.enabled", "true" if preserve_client_ip else "false"
            )
            self.target_groups.append(target_group)
            load_balancer.connections.allow_from(
                clients, ec2.Port.tcp(listener_port), f"SMTP {listener_port}"
            )
            self.security_group.connections.allow_from(
                clients if preserve_client_ip else load_balancer,
                ec2.Port.tcp(container_port),
                "clients through the load balancer",
            )
        scaling = self.service.auto_scale_task_count(min_capacity=min_tasks, max_capacity=max_tasks)
        scaling.scale_on_cpu_utilization(
            "Cpu",
            target_utilization_percent=CPU_TARGET_PERCENT,
            scale_in_cooldown=cdk.Duration.minutes(5),
            scale_out_cooldown=cdk.Duration.minutes(1),
        )
        # The task role is used by tiers that call AWS; the execution role pulls the image and
        # writes logs (ECR's GetAuthorizationToken has no resource-level permissions).
        cdk.Validations.of(self.task_definition).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="ecr:GetAuthorizationToken, added by CDK for pulling the image, supports no "
                "resource-level permissions; AWS requires Resource '*' for it",
            )
        )
        cdk.Validations.of(self.task_definition).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-ECS2",
                reason="The environment holds resource names and tunables only; the TLS key comes "
                "from Secrets Manager through the task's secrets",
            )
        )
