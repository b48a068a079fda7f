"""The identity verification scheduler: re-checks pending identities' DNS records every few minutes."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.function import SesameFunction

CHECKER_HANDLER = "lambdas.identity_checker.handler"


class VerificationScheduler(Construct):
    """A scheduled EventBridge rule invoking the identity checker."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        environment: Mapping[str, str],
        memory_mb: int,
        every: cdk.Duration,
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        # A run must end before the next is due, so runs never overlap (and none runs past five
        # minutes); the next run picks up the identities this one did not reach.
        timeout = cdk.Duration.seconds(min(every.to_seconds(), 300))
        self.checker = SesameFunction(
            self,
            "Checker",
            code=code,
            handler=CHECKER_HANDLER,
            description="re-checks pending identities in DNS",
            memory_mb=memory_mb,
            timeout=timeout,
            environment=environment,
            log_key=log_key,
            log_retention=log_retention,
            removal_policy=removal_policy,
            # No Lambda retries of a failed run: the schedule runs it again soon anyway, and a
            # retry would overlap the next run.
            retry_attempts=0,
        )
        self.rule = events.Rule(
            self,
            "Schedule",
            description="Sesame: re-check pending identities in DNS",
            schedule=events.Schedule.rate(every),
            targets=[
                # An invocation older than one period is stale: the next one is already due.
                targets.LambdaFunction(self.checker.function, max_event_age=every, retry_attempts=2)
            ],
        )

    @property
    def function(self) -> lambda_.Function:
        return self.checker.function
