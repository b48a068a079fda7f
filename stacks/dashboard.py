"""One CloudWatch dashboard for the platform: queues, functions, SMTP load balancers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

PERIOD = cdk.Duration.minutes(5)
WIDTH = 12


class Dashboard(Construct):
    """Depth and age of every queue, errors and throttles of every function, and the open
    connections of every SMTP load balancer."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queues: Mapping[str, sqs.IQueue],
        functions: Mapping[str, lambda_.IFunction],
        load_balancers: Mapping[str, elbv2.INetworkLoadBalancer],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=cdk.Duration.hours(3))
        widgets: list[cloudwatch.IWidget] = []
        for name, queue in queues.items():
            widgets.append(
                _graph(
                    f"{name}: messages waiting",
                    [queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")],
                )
            )
            widgets.append(
                _graph(
                    f"{name}: age of the oldest message (s)",
                    [queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum")],
                )
            )
        for name, function in functions.items():
            widgets.append(
                _graph(
                    f"{name}: errors and throttles",
                    [
                        function.metric_errors(period=PERIOD, statistic="Sum", label="errors"),
                        function.metric_throttles(period=PERIOD, statistic="Sum", label="throttles"),
                    ],
                )
            )
        for name, load_balancer in load_balancers.items():
            widgets.append(
                _graph(
                    f"{name}: active connections",
                    [load_balancer.metrics.active_flow_count(period=PERIOD, statistic="Maximum")],
                )
            )
        # Two graphs a row: a dashboard is 24 units wide, and one call to add_widgets is one row.
        for start in range(0, len(widgets), 24 // WIDTH):
            self.dashboard.add_widgets(*widgets[start : start + 24 // WIDTH])


def _graph(title: str, metrics: Sequence[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=WIDTH)
