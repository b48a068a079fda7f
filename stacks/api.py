"""The public API: an API Gateway HTTP API in front of the API function.

HTTP API rather than REST API: it costs $1.00 per million requests against REST's $3.50, adds less
latency, and Sesame needs none of REST's extras (API keys, usage plans, request validation,
per-method authorizers, caching): SigV4 is checked by Sesame's own code. It also writes access logs
through a service-linked role, so no account-wide API Gateway CloudWatch role is needed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import aws_cdk as cdk
import jsii
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from sesame.settings import METRICS_NAMESPACE
from stacks.function import SesameFunction

API_HANDLER = "lambdas.api.handler"
# Powertools writes each call's metrics under these dimensions: the operation, and the service.
API_METRIC_SCHEMA = f"{{{METRICS_NAMESPACE},Operation,service}}"

# One JSON object per request; HTTP API's own context variables. The Authorization header (SigV4)
# is not among them, and must never be.
_ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "requestTime": "$context.requestTime",
    "method": "$context.httpMethod",
    "path": "$context.path",
    "routeKey": "$context.routeKey",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationError": "$context.integrationErrorMessage",
}


class Api(Construct):
    """The HTTP API, its default stage and the function behind it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        environment: Mapping[str, str],
        memory_mb: int,
        throttle_rate: float,
        throttle_burst: int,
        public_base_url: str | None,
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        # The stage is made below, with throttling and access logs, rather than the implicit one.
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            description="Sesame: the SES v1 (Query) and v2 (REST-JSON) APIs",
            create_default_stage=False,
        )
        # Links in mail point at the API. The function reading its own API's URL is no cycle: the
        # AWS::ApiGatewayV2::Api resource does not refer to the function; only the integration,
        # route and permission do, and they come after both.
        self.url = self.http_api.api_endpoint
        self.public_base_url = public_base_url or self.url

        self.handler = SesameFunction(
            self,
            "Handler",
            code=code,
            handler=API_HANDLER,
            description="SES-compatible API",
            memory_mb=memory_mb,
            # API Gateway gives up on an integration after 30 s; stop first so the client gets
            # Sesame's own error rather than a bare 503.
            timeout=cdk.Duration.seconds(29),
            environment={
                **environment,
                "SESAME_PUBLIC_BASE_URL": self.public_base_url,
                # Powertools metrics: calls and errors per operation (sesame.adapters.api_metrics).
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            },
            log_key=log_key,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )

        # The $default route takes every method on every path, "/" included: the same as the pair
        # ANY / and ANY /{proxy+}, in one route. Sesame's own router answers unknown paths in SES's
        # error format.
        self.route = apigwv2.HttpRoute(
            self,
            "DefaultRoute",
            http_api=self.http_api,
            route_key=apigwv2.HttpRouteKey.DEFAULT,
            integration=integrations.HttpLambdaIntegration(
                "Handler",
                self.handler.function,
                payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
            ),
        )
        # Clients sign every request with SigV4 using Sesame access keys, which live in Sesame's
        # tables, not in IAM: an API Gateway IAM authorizer would check them against the wrong
        # principals, and a Lambda authorizer would only move the same check into a second hop.
        cdk.Validations.of(self.route).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-APIG4",
                reason="Requests carry SigV4 signatures by Sesame access keys (not IAM users), "
                "verified by Sesame's own code against its access-key table on every request",
            )
        )

        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=log_retention,
            encryption_key=log_key,
            removal_policy=removal_policy,
        )
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=throttle_rate, burst_limit=throttle_burst),
            access_log_settings=_AccessLogSettings(self.access_logs),
        )

    @property
    def function(self) -> lambda_.Function:
        return self.handler.function

    def add_custom_domain(
        self, construct_id: str, *, domain_name: str, certificate: acm.ICertificate
    ) -> apigwv2.DomainName:
        """Serve the API on ``domain_name`` too, at its root (SES's paths have no prefix). Clients
        sign for the host they call; the function sees that host, so SigV4 holds on either name."""
        domain = apigwv2.DomainName(
            self,
            construct_id,
            domain_name=domain_name,
            certificate=certificate,
            security_policy=apigwv2.SecurityPolicy.TLS_1_2,
        )
        apigwv2.ApiMapping(
            self, f"{construct_id}Mapping", api=self.http_api, domain_name=domain, stage=self.stage
        )
        return domain


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    """IAccessLogSettings is a jsii interface, not a struct: it takes a class implementing it."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return apigw.AccessLogFormat.custom(json.dumps(_ACCESS_LOG_FORMAT))
