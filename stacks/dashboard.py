"""One CloudWatch dashboard for the platform: queues, functions, SMTP load balancers and tiers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sesame.settings import METRICS_NAMESPACE
from stacks.api import API_METRIC_SCHEMA
from stacks.smtp_service import open_connections_metric

PERIOD = cdk.Duration.minutes(5)
WIDTH = 12


class Dashboard(Construct):
    """Depth and age of every queue, errors and throttles of every function, and the open
    connections of every SMTP load balancer and every SMTP tier (``smtp_tiers``: the names their
    tasks publish their open connections under)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queues: Mapping[str, sqs.IQueue],
        functions: Mapping[str, lambda_.IFunction],
        load_balancers: Mapping[str, elbv2.INetworkLoadBalancer],
        smtp_tiers: Sequence[str] = (),
        metrics_namespace: str = METRICS_NAMESPACE,
        publish_expired: cloudwatch.IMetric | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=cdk.Duration.hours(3))
        widgets: list[cloudwatch.IWidget] = [*_sending(metrics_namespace), _api_calls()]
        if publish_expired is not None:
            widgets.append(_graph("Receipt actions given up on (PublishExpired)", [publish_expired]))
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
        self.dashboard.add_widgets(_smtp_connections(smtp_tiers, load_balancers))


def _smtp_connections(
    tiers: Sequence[str], load_balancers: Mapping[str, elbv2.INetworkLoadBalancer]
) -> cloudwatch.GraphWidget:
    """What the servers count (what their tiers scale on) beside what the load balancers see:
    concurrent connections on the left, new ones per period on the right."""
    # One data point per task about every minute, with jitter: a one-minute Sum would hold 0 or 2
    # of a task's points now and then. Five minutes' Sum over five is the tier's total, steadily.
    minute = cdk.Duration.minutes(1)
    left: list[cloudwatch.IMetric] = [
        cloudwatch.MathExpression(
            expression=f"total{index} / 5",
            using_metrics={f"total{index}": open_connections_metric(tier, statistic="Sum", period=PERIOD)},
            label=f"{tier}: open (servers)",
            period=PERIOD,
        )
        for index, tier in enumerate(tiers)
    ]
    right: list[cloudwatch.IMetric] = []
    for name, load_balancer in load_balancers.items():
        left.append(
            load_balancer.metrics.active_flow_count(
                period=minute, statistic="Maximum", label=f"{name}: active flows (NLB)"
            )
        )
        right.append(
            load_balancer.metrics.new_flow_count(
                period=minute, statistic="Sum", label=f"{name}: new flows (NLB)"
            )
        )
    return cloudwatch.GraphWidget(title="SMTP connections", left=left, right=right, width=24)


def _sending(namespace: str) -> list[cloudwatch.GraphWidget]:
    """The event stream consumer's counts (SES's metric names) and the reputation rates made of
    them, with the levels at which SES reviews (bounces 5 %, complaints 0.1 %) and pauses (10 %,
    0.5 %) an account. The rates are over the dashboard's period, not SES's representative volume:
    a guide to act on early, not SES's figure."""

    def count(name: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(namespace=namespace, metric_name=name, statistic="Sum", period=PERIOD)

    volume = _graph(
        "Sending: sends, deliveries, bounces, complaints, rejects",
        [count(name).with_(label=name) for name in ("Send", "Delivery", "Bounce", "Complaint", "Reject")],
    )
    hour = cdk.Duration.hours(1)
    rates = {
        "bounce rate (%)": "IF(send > 0, 100 * bounce / send, 0)",
        "complaint rate (%)": "IF(send > 0, 100 * complaint / send, 0)",
    }
    using = {"send": count("Send"), "bounce": count("Bounce"), "complaint": count("Complaint")}
    reputation = cloudwatch.GraphWidget(
        title="Reputation: bounce and complaint rates (hourly)",
        left=[
            cloudwatch.MathExpression(expression=expression, using_metrics=using, label=label, period=hour)
            for label, expression in rates.items()
        ],
        left_annotations=[
            cloudwatch.HorizontalAnnotation(value=5, label="bounces: SES reviews"),
            cloudwatch.HorizontalAnnotation(value=10, label="bounces: SES pauses"),
            cloudwatch.HorizontalAnnotation(value=0.1, label="complaints: SES reviews"),
            cloudwatch.HorizontalAnnotation(value=0.5, label="complaints: SES pauses"),
        ],
        width=WIDTH,
    )
    return [volume, reputation]


def _api_calls() -> cloudwatch.GraphWidget:
    """Calls and errors per SES operation, as the API function counts them: one line per
    operation that was called (a search, since the operations in use are not known here)."""

    def per_operation(metric: str, label: str) -> cloudwatch.MathExpression:
        return cloudwatch.MathExpression(
            expression=f"SEARCH('{API_METRIC_SCHEMA} MetricName=\"{metric}\"', 'Sum', 300)",
            using_metrics={},
            label=label,
            period=PERIOD,
        )

    return cloudwatch.GraphWidget(
        title="API: calls (left) and errors (right) per operation",
        left=[per_operation("ApiRequests", "calls")],
        right=[per_operation("ApiErrors", "errors")],
        width=WIDTH,
    )


def _graph(title: str, metrics: Sequence[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=WIDTH)
