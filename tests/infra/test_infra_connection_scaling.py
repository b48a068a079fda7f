"""Every SMTP service scales on its tasks' open connections as well as on CPU, tracking the name
its tasks publish under; the dashboard shows those connections beside the load balancers'."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import assertions
from infra_support import FULL_CONTEXT, ROOT, only, template_for

from sesame.smtp.egress import EgressSettings
from sesame.smtp.mx_settings import MxSettings
from sesame.smtp.settings import SmtpSettings

CPU = {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}
TUNED = {**FULL_CONTEXT, "smtp_connections_per_task": 300, "egress_connections_per_task": 80}
# Which settings each tier's container reads, by the image its Dockerfile builds.
SETTINGS: dict[str, type[SmtpSettings] | type[MxSettings] | type[EgressSettings]] = {
    "submission": SmtpSettings,
    "mx": MxSettings,
    "egress": EgressSettings,
}


@pytest.fixture(scope="module")
def tuned() -> assertions.Template:
    return template_for(TUNED)


def _scaling(template: assertions.Template) -> dict[str, dict[str, Any]]:
    """ECS service logical id -> {"policies": its target-tracking configurations, "environment":
    its server container's variables}."""
    resources = template.to_json()["Resources"]
    found: dict[str, dict[str, Any]] = {}
    for target_id, target in template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget").items():
        service_id = target["Properties"]["ResourceId"]["Fn::Join"][1][3]["Fn::GetAtt"][0]
        definition = resources[resources[service_id]["Properties"]["TaskDefinition"]["Ref"]]
        (server,) = [c for c in definition["Properties"]["ContainerDefinitions"] if c["Name"] == "Server"]
        policies = [
            policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
            for policy in template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
            if policy["Properties"]["ScalingTargetId"] == {"Ref": target_id}
        ]
        environment = {item["Name"]: item["Value"] for item in server.get("Environment", [])}
        found[service_id] = {"policies": policies, "environment": environment}
    return found


def _connections_policy(policies: list[dict[str, Any]]) -> dict[str, Any]:
    (custom,) = [p for p in policies if "CustomizedMetricSpecification" in p]
    return custom


def _tracked_tier(policy: dict[str, Any]) -> str:
    spec = policy["CustomizedMetricSpecification"]
    assert (spec["Namespace"], spec["MetricName"], spec["Statistic"]) == (
        "Sesame",
        "OpenConnections",
        "Average",
    )
    ((dimension,),) = [spec["Dimensions"]]
    assert dimension["Name"] == "Tier"
    return str(dimension["Value"])


def _kind(service_id: str) -> str:
    return (
        "egress" if service_id.startswith("Egress") else "submission" if "Submission" in service_id else "mx"
    )


def test_every_smtp_service_tracks_cpu_and_its_tiers_connections_per_task(tuned: assertions.Template) -> None:
    scaling = _scaling(tuned)
    tiers, targets = set(), {}
    for service_id, found in scaling.items():
        policies = found["policies"]
        assert len(policies) == 2, service_id
        assert [
            p["PredefinedMetricSpecification"] for p in policies if "PredefinedMetricSpecification" in p
        ] == [CPU]
        connections = _connections_policy(policies)
        tier = _tracked_tier(connections)
        tiers.add(tier)
        targets[tier] = connections["TargetValue"]
        # Out quickly, in slowly: a closed task's clients reconnect elsewhere.
        assert (connections["ScaleOutCooldown"], connections["ScaleInCooldown"]) == (60, 300)
    assert targets == {"egress-transactional": 80, "egress-marketing": 80, "submission": 300, "mx": 300}
    assert len(tiers) == len(scaling), "each service tracks a name of its own"


def test_the_tracked_tier_is_the_one_the_tasks_publish_under(tuned: assertions.Template) -> None:
    for service_id, found in _scaling(tuned).items():
        kind = _kind(service_id)
        settings = SETTINGS[kind].from_environment(found["environment"])
        assert settings.metrics_tier == _tracked_tier(_connections_policy(found["policies"])), service_id


@pytest.mark.parametrize(("kind", "variable"), [("submission", "SMTP"), ("mx", "MX"), ("egress", "EGRESS")])
def test_each_tiers_image_publishes_its_connections_every_minute(kind: str, variable: str) -> None:
    dockerfile = (ROOT / "containers" / kind / "Dockerfile").read_text()
    environment = dict(re.findall(r"\b(SESAME_\w+)=(\S+)", dockerfile))
    assert environment[f"SESAME_{variable}_METRICS_INTERVAL"] == "60"
    assert SETTINGS[kind].from_environment(environment).metrics_interval == 60.0


def test_by_default_the_egress_pool_keeps_50_connections_per_task(default: assertions.Template) -> None:
    (found,) = _scaling(default).values()
    connections = _connections_policy(found["policies"])
    assert _tracked_tier(connections) == "egress-default"
    assert connections["TargetValue"] == 50
    assert found["environment"]["SESAME_EGRESS_METRICS_TIER"] == "egress-default"


def _widget(template: assertions.Template, title: str) -> dict[str, Any]:
    _, dashboard = only(template, "AWS::CloudWatch::Dashboard")
    # The body is a Fn::Join of text and references; references become placeholders.
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    body = "".join(p if isinstance(p, str) else json.dumps(p).replace('"', "'") for p in parts)
    (widget,) = [w for w in json.loads(body)["widgets"] if w["properties"].get("title") == title]
    return dict(widget["properties"])


def test_the_dashboard_shows_each_tiers_connections_beside_the_load_balancers_flows(
    tuned: assertions.Template,
) -> None:
    widget = _widget(tuned, "SMTP connections")
    metrics = widget["metrics"]
    tiers = {m[3]: m[4] for m in metrics if m[:3] == ["Sesame", "OpenConnections", "Tier"]}
    assert set(tiers) == {"egress-transactional", "egress-marketing", "submission", "mx"}
    # Five minutes' Sum, shown divided by five: the tier's total, without the jitter of one minute.
    assert all(options["stat"] == "Sum" and options["visible"] is False for options in tiers.values())
    shown = {options["label"]: options for metric in metrics if "expression" in (options := metric[-1])}
    assert {label.split(":")[0] for label in shown} == set(tiers)
    assert all(options["expression"].endswith(" / 5") for options in shown.values())
    flows: dict[str, list[dict[str, Any]]] = {}
    for metric in metrics:
        if metric[0] == "AWS/NetworkELB":
            flows.setdefault(metric[1], []).append(metric[-1])
    # Three load balancers: the egress relays' and the two public tiers'.
    assert len(flows["ActiveFlowCount"]) == 3 and len(flows["NewFlowCount"]) == 3
    assert all(options.get("yAxis") == "right" for options in flows["NewFlowCount"])
