"""One SMTP tier on ECS Fargate behind a Network Load Balancer.

Each tier (egress relay per IP pool, submission, inbound MX) is a service of identical tasks
listening on unprivileged ports, reached through TCP listeners of an NLB. The NLB passes TCP
through: TLS (STARTTLS, implicit TLS) is the servers' own. Health is a TCP check of each target
port; capacity follows CPU and the open connections per task (each task publishes its count as
``Sesame/OpenConnections``, dimension ``Tier``; see sesame.smtp.connection_metrics). Stopping is
graceful: a task leaving the load balancer first stops getting new connections, gets
``deregistration_delay`` for the open ones, and its process, told by SIGTERM, has ``stopTimeout``
(Fargate's maximum, 120 s) to finish sessions in flight.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from sesame.smtp.connection_metrics import NAMESPACE, OPEN_CONNECTIONS, TIER_DIMENSION

STOP_TIMEOUT = cdk.Duration.seconds(120)
SERVER_TMP_VOLUME = "server-tmp"
# The containers' own /tmp (a task volume), not this machine's.
CONTAINER_TMP = "/tmp"  # noqa: S108
CPU_TARGET_PERCENT = 60


def open_connections_metric(tier: str, *, statistic: str, period: cdk.Duration) -> cloudwatch.Metric:
    """A tier's open connections as its tasks publish them (EMF, one data point per task a
    minute): over a minute, Average is the connections per task and Sum the whole tier's."""
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=OPEN_CONNECTIONS,
        dimensions_map={TIER_DIMENSION: tier},
        statistic=statistic,
        period=period,
    )


@dataclass(frozen=True)
class Sidecar:
    """A helper daemon in each task beside the server, reached on the task's shared loopback (awsvpc
    tasks share one network namespace). The server starts only once the sidecar's health check
    passes, and stops before it."""

    name: str
    image: ecs.ContainerImage
    port: int
    # A soft limit: the sidecar may use more while the task has memory to spare.
    memory_reservation_mb: int
    # Exits 0 when the daemon serves; run inside the sidecar's container.
    health_check: Sequence[str]
    # How long the daemon may take to come up before failed checks count (at most 300 s).
    start_period: cdk.Duration
    # What the daemon writes to; the rest of its filesystem is read-only.
    writable_paths: Sequence[str] = ()
    # Variables that tell the server where to find the sidecar.
    server_environment: Mapping[str, str] = field(default_factory=dict)


class SmtpService(Construct):
    """A Fargate service whose server container (beside any ``sidecars``) is registered with
    ``load_balancer`` on ``ports`` (listener port -> container port), reachable from ``clients``.
    ``tier`` is the name its tasks publish their open connections under (their
    SESAME_*_METRICS_TIER setting); capacity keeps them near ``connections_per_task``."""

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
        tier: str,
        connections_per_task: int,
        sidecars: Sequence[Sidecar] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.tier = tier
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
            environment={
                **environment,
                **{key: value for sidecar in sidecars for key, value in sidecar.server_environment.items()},
            },
            secrets=dict(secrets or {}),
            logging=ecs.LogDriver.aws_logs(stream_prefix=construct_id.lower(), log_group=self.log_group),
            port_mappings=[ecs.PortMapping(container_port=port) for port in sorted(set(ports.values()))],
            stop_timeout=STOP_TIMEOUT,
            readonly_root_filesystem=True,
        )
        # The root filesystem is read-only; the server writes only temporary files (TLS material
        # while the ssl module loads it), to a task volume seeded from the image's VOLUME /tmp.
        self.task_definition.add_volume(name=SERVER_TMP_VOLUME)
        self.container.add_mount_points(
            ecs.MountPoint(container_path=CONTAINER_TMP, source_volume=SERVER_TMP_VOLUME, read_only=False)
        )
        self.sidecars = [self._add_sidecar(sidecar, construct_id) for sidecar in sidecars]
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
        # SMTP sessions mostly wait on the network: a task can be full of slow senders while its
        # CPU idles, so capacity follows connections too (whichever policy asks for more tasks
        # wins). Every task publishes its own count, so the Average is the load per task.
        scaling.scale_to_track_custom_metric(
            "Connections",
            metric=open_connections_metric(tier, statistic="Average", period=cdk.Duration.minutes(1)),
            target_value=connections_per_task,
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

    def _add_sidecar(self, sidecar: Sidecar, construct_id: str) -> ecs.ContainerDefinition:
        container = self.task_definition.add_container(
            sidecar.name,
            image=sidecar.image,
            essential=True,
            memory_reservation_mib=sidecar.memory_reservation_mb,
            logging=ecs.LogDriver.aws_logs(
                stream_prefix=f"{construct_id.lower()}-{sidecar.name}", log_group=self.log_group
            ),
            port_mappings=[ecs.PortMapping(container_port=sidecar.port)],
            readonly_root_filesystem=True,
            health_check=ecs.HealthCheck(
                command=["CMD", *sidecar.health_check],
                interval=cdk.Duration.seconds(30),
                timeout=cdk.Duration.seconds(10),
                retries=3,
                start_period=sidecar.start_period,
            ),
            # An init process as PID 1 passes SIGTERM on to the daemon and reaps the helpers the
            # entry point leaves running beside it (freshclam, the rule updater).
            linux_parameters=ecs.LinuxParameters(self, f"{sidecar.name}Init", init_process_enabled=True),
        )
        for path in sidecar.writable_paths:
            # A volume without a host: task storage, empty or seeded from the image's VOLUME at the
            # same path, gone with the task.
            volume = f"{sidecar.name}{path.replace('/', '-')}"
            self.task_definition.add_volume(name=volume)
            container.add_mount_points(
                ecs.MountPoint(container_path=path, source_volume=volume, read_only=False)
            )
        # ECS starts the server after the sidecar is healthy and, stopping a task, stops the server
        # first: sessions in flight still get their verdicts.
        self.container.add_container_dependencies(
            ecs.ContainerDependency(container=container, condition=ecs.ContainerDependencyCondition.HEALTHY)
        )
        return container
