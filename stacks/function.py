"""One Sesame Lambda function: its own role, its own encrypted log group, the shared code asset.

Every function of the platform is built here so that the choices below are made once: the runtime,
the architecture, tracing, logging and a role without AWS managed policies.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

# The newest Python runtime aws-cdk-lib offers (cdk-nag AwsSolutions-L1 checks for exactly that);
# a test fails when a CDK upgrade brings a newer one, so the bump is a reviewed change, not a
# silent one at deploy time.
RUNTIME = lambda_.Runtime.PYTHON_3_14
# Graviton: Lambda bills arm64 about 20% less per GB-second than x86_64, and every dependency
# publishes aarch64 wheels (the bundling installs them for this architecture).
ARCHITECTURE = lambda_.Architecture.ARM_64


class SesameFunction(Construct):
    """A Python function of the platform. Grant it access with the resources' grant_* methods."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        description: str,
        memory_mb: int,
        timeout: cdk.Duration,
        environment: Mapping[str, str],
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
        retry_attempts: int | None = None,
        reserved_concurrency: int | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        metrics_namespace: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # Explicit, so retention and encryption are ours rather than "never expire, AWS key".
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=log_retention,
            encryption_key=log_key,
            removal_policy=removal_policy,
        )
        # A role of our own, without AWSLambdaBasicExecutionRole (AwsSolutions-IAM4): that managed
        # policy allows writing to every log group in the account; the grant below allows this one.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Sesame: {description}",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            code=code,
            handler=handler,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            description=f"Sesame: {description}",
            memory_size=memory_mb,
            timeout=timeout,
            environment=dict(environment),
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            retry_attempts=retry_attempts,
            reserved_concurrent_executions=reserved_concurrency,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
        )
        if vpc is not None:
            self._allow_network_interfaces()
        self.log_group.grant_write(self.role)
        if metrics_namespace is not None:
            # PutMetricData has no resource-level permissions; the namespace condition is the limit.
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringEquals": {"cloudwatch:namespace": metrics_namespace}},
                )
            )
        # Active tracing makes CDK add xray:PutTraceSegments and xray:PutTelemetryRecords to the
        # role's default policy. Those actions support no resource-level permissions, so AWS
        # requires Resource "*" for them. tests/infra checks that this is the only "*" resource.
        cdk.Validations.of(self.role).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and, in a VPC, "
                "the EC2 network-interface actions Lambda uses to attach the function and "
                "cloudwatch:PutMetricData (held to the platform's own namespace by condition) support "
                "no resource-level permissions; AWS requires Resource '*' for them",
            )
        )

    def _allow_network_interfaces(self) -> None:
        """What a function in a VPC needs to attach its network interfaces, in place of the AWS
        managed policy AWSLambdaVPCAccessExecutionRole (AwsSolutions-IAM4)."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                resources=["*"],
            )
        )

    @property
    def function_name(self) -> str:
        return self.function.function_name
