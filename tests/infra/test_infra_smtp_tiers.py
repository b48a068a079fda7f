"""The public SMTP tiers: submission and inbound MX, when their flags are on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import assertions
from infra_support import (
    DYNAMODB_READ,
    DYNAMODB_READ_WRITE,
    ROOT,
    SMTP_TLS_SECRET_ARN,
    arn,
    as_list,
    events_topic,
    inbound_bucket,
    index_arn,
    keys,
    queues,
    receipt_queues,
    ref,
    spool_bucket,
    tables,
    under_arn,
)

from sesame.settings import Settings
from sesame.smtp.mx_settings import MxSettings
from sesame.smtp.settings import SmtpSettings

SEND = {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
PUT = {
    "s3:PutObject",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:Abort*",
}


def _tier(template: assertions.Template, prefix: str, resource_type: str) -> dict[str, Any]:
    return {k: v for k, v in template.find_resources(resource_type).items() if k.startswith(prefix)}


def _listeners(template: assertions.Template, prefix: str) -> dict[int, dict[str, Any]]:
    """Listener port -> its target group's properties."""
    groups = _tier(template, prefix, "AWS::ElasticLoadBalancingV2::TargetGroup")
    found = {}
    for listener in _tier(template, prefix, "AWS::ElasticLoadBalancingV2::Listener").values():
        props = listener["Properties"]
        assert props["Protocol"] == "TCP"
        (action,) = props["DefaultActions"]
        found[props["Port"]] = groups[action["TargetGroupArn"]["Ref"]]["Properties"]
    return found


def _task_grants(template: assertions.Template, prefix: str) -> dict[str, set[str]]:
    """Resource (as JSON) -> actions, for the tier's task role (not its execution role)."""
    (definition,) = _tier(template, prefix, "AWS::ECS::TaskDefinition").values()
    role = definition["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
    allowed: dict[str, set[str]] = {}
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                assert statement["Effect"] == "Allow" and "Condition" not in statement
                for resource in as_list(statement["Resource"]):
                    allowed.setdefault(json.dumps(resource, sort_keys=True), set()).update(
                        as_list(statement["Action"])
                    )
    return allowed


def _container(template: assertions.Template, prefix: str) -> dict[str, Any]:
    (definition,) = _tier(template, prefix, "AWS::ECS::TaskDefinition").values()
    (container,) = definition["Properties"]["ContainerDefinitions"]
    return dict(container)


def test_no_public_tier_by_default(default: assertions.Template) -> None:
    for prefix in ("Submission", "Mx"):
        assert _tier(default, prefix, "AWS::ECS::Service") == {}
    balancers = default.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    assert [b["Properties"]["Scheme"] for b in balancers] == ["internal"]


@pytest.mark.parametrize(
    ("prefix", "ports", "tasks"),
    [("Submission", {587: 2587, 465: 2465, 25: 2587}, (2, 5)), ("Mx", {25: 2525}, (3, 7))],
)
class TestPublicTiers:
    def test_an_internet_facing_nlb_forwards_each_listener_to_its_port_keeping_the_client_ip(
        self, full: assertions.Template, prefix: str, ports: dict[int, int], tasks: tuple[int, int]
    ) -> None:
        (balancer,) = _tier(full, prefix, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
        assert balancer["Properties"]["Scheme"] == "internet-facing"
        assert balancer["Properties"]["Type"] == "network"
        listeners = _listeners(full, prefix)
        assert {port: group["Port"] for port, group in listeners.items()} == ports
        for group in listeners.values():
            attributes = {a["Key"]: a["Value"] for a in group["TargetGroupAttributes"]}
            assert attributes["preserve_client_ip.enabled"] == "true"
            assert group["HealthCheckProtocol"] == "TCP"
            assert group["TargetType"] == "ip"

    def test_tasks_admit_internet_clients_on_the_container_ports_only(
        self, full: assertions.Template, prefix: str, ports: dict[int, int], tasks: tuple[int, int]
    ) -> None:
        groups = _tier(full, prefix, "AWS::EC2::SecurityGroup")
        (task_group,) = [k for k in groups if "ServiceTasks" in k]
        ingress = groups[task_group]["Properties"]["SecurityGroupIngress"]
        assert {(rule["CidrIp"], rule["FromPort"], rule["ToPort"]) for rule in ingress} == {
            ("0.0.0.0/0", port, port) for port in ports.values()
        }

    def test_capacity_follows_the_configured_range(
        self, full: assertions.Template, prefix: str, ports: dict[int, int], tasks: tuple[int, int]
    ) -> None:
        (service,) = _tier(full, prefix, "AWS::ECS::Service").values()
        assert service["Properties"]["DesiredCount"] == tasks[0]
        (target,) = _tier(full, prefix, "AWS::ApplicationAutoScaling::ScalableTarget").values()
        assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == tasks
        assert sorted(m["ContainerPort"] for m in _container(full, prefix)["PortMappings"]) == sorted(
            set(ports.values())
        )


@pytest.mark.parametrize(("prefix", "own"), [("Submission", SmtpSettings), ("Mx", MxSettings)])
def test_every_variable_of_a_tier_is_read_by_its_settings(
    full: assertions.Template, prefix: str, own: type[SmtpSettings] | type[MxSettings]
) -> None:
    variables = {item["Name"]: item["Value"] for item in _container(full, prefix)["Environment"]}
    # References resolve at deploy time: stand-ins of a readable shape.
    environ = {k: v if isinstance(v, str) else "sesamefull-stand-in-1" for k, v in variables.items()}
    for queue in ("SESAME_DELIVERY_QUEUE_URL", "SESAME_RECEIVING_QUEUE_URL"):
        if queue in environ:
            environ[queue] = "https://sqs.eu-west-1.amazonaws.com/123456789012/q"
    if "SESAME_EVENTS_TOPIC_ARN" in environ:
        environ["SESAME_EVENTS_TOPIC_ARN"] = "arn:aws:sns:eu-west-1:123456789012:t"
    baseline = (Settings.from_environment({}), own.from_environment({}))
    ignored = [
        name
        for name in environ
        if name.startswith("SESAME_")
        and (Settings.from_environment({name: environ[name]}), own.from_environment({name: environ[name]}))
        == baseline
    ]
    assert ignored == []
    Settings.from_environment(environ)
    own.from_environment(environ)


class TestSubmission:
    def test_tls_certificate_and_key_come_from_the_secrets_fields(self, full: assertions.Template) -> None:
        container = _container(full, "Submission")
        assert container["Secrets"] == [
            {"Name": "SESAME_SMTP_TLS_CERTIFICATE", "ValueFrom": f"{SMTP_TLS_SECRET_ARN}:certificate::"},
            {"Name": "SESAME_SMTP_TLS_PRIVATE_KEY", "ValueFrom": f"{SMTP_TLS_SECRET_ARN}:private_key::"},
        ]
        names = {item["Name"] for item in container["Environment"]}
        assert not any("TLS" in name for name in names), "the key never sits in the task definition"

    def test_environment_names_what_sending_needs(self, full: assertions.Template) -> None:
        environment = {item["Name"]: item["Value"] for item in _container(full, "Submission")["Environment"]}
        table = tables(full)
        queue, _ = queues(full)
        assert environment["SESAME_TABLE_ACCOUNTS"] == {"Ref": table["accounts"]}
        assert environment["SESAME_TABLE_QUOTAS"] == {"Ref": table["quotas"]}
        assert environment["SESAME_DELIVERY_QUEUE_URL"] == {"Ref": queue}
        assert environment["SESAME_SPOOL_BUCKET"] == {"Ref": spool_bucket(full)}
        assert environment["SESAME_EVENTS_TOPIC_ARN"] == {"Ref": events_topic(full)}
        assert environment["SESAME_PUBLIC_BASE_URL"] == "https://mail.example.com"
        # The same DKIM zone as the API: identities read there and here must agree.
        assert environment["SESAME_DKIM_SIGNING_ZONE"] == "dkim.mail.example.com"

    def test_tasks_may_authenticate_and_send_only(self, full: assertions.Template) -> None:
        table = tables(full)
        main, _ = keys(full)
        queue, _ = queues(full)
        assert _task_grants(full, "Submission") == {
            arn(table["accounts"]): DYNAMODB_READ,
            arn(table["access_keys"]): DYNAMODB_READ,
            arn(table["identities"]): DYNAMODB_READ,
            index_arn(table["identities"]): DYNAMODB_READ,
            arn(table["suppression"]): DYNAMODB_READ,
            arn(table["quotas"]): DYNAMODB_READ_WRITE,
            arn(main): {
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            },
            arn(queue): SEND,
            under_arn(spool_bucket(full), "/*"): PUT,
            ref(events_topic(full)): {"sns:Publish"},
        }


class TestMx:
    def test_environment_names_the_inbound_bucket_and_receipt_queue(self, full: assertions.Template) -> None:
        environment = {item["Name"]: item["Value"] for item in _container(full, "Mx")["Environment"]}
        queue, _ = receipt_queues(full)
        assert environment["SESAME_INBOUND_BUCKET"] == {"Ref": inbound_bucket(full)}
        assert environment["SESAME_RECEIVING_QUEUE_URL"] == {"Ref": queue}
        assert environment["SESAME_TABLE_RECEIPT_RULES"] == {"Ref": tables(full)["receipt_rules"]}
        # Bounce and complaint reports for sent mail are handled here too: the sending settings.
        delivery_queue, _ = queues(full)
        assert environment["SESAME_DELIVERY_QUEUE_URL"] == {"Ref": delivery_queue}
        assert environment["SESAME_SPOOL_BUCKET"] == {"Ref": spool_bucket(full)}
        assert environment["SESAME_EVENTS_TOPIC_ARN"] == {"Ref": events_topic(full)}
        assert environment["SESAME_TABLE_DELIVERIES"] == {"Ref": tables(full)["deliveries"]}

    def test_tasks_may_match_rules_store_queue_and_report_feedback_only(
        self, full: assertions.Template
    ) -> None:
        table = tables(full)
        main, _ = keys(full)
        queue, _ = receipt_queues(full)
        delivery_queue, _ = queues(full)
        grants = _task_grants(full, "Mx")
        customer_topics = [resource for resource in grants if "sns" in json.dumps(resource)]
        assert len(customer_topics) == 1 and grants.pop(customer_topics[0]) == {"sns:Publish"}
        assert grants == {
            arn(table["receipt_rules"]): DYNAMODB_READ,
            arn(table["identities"]): DYNAMODB_READ,
            index_arn(table["identities"]): DYNAMODB_READ,
            arn(table["accounts"]): DYNAMODB_READ,
            arn(table["deliveries"]): DYNAMODB_READ,
            arn(table["suppression"]): DYNAMODB_READ_WRITE,
            arn(table["statistics"]): DYNAMODB_READ_WRITE,
            arn(delivery_queue): SEND,
            under_arn(spool_bucket(full), "/*"): PUT,
            ref(events_topic(full)): {"sns:Publish"},
            arn(main): {
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            },
            arn(queue): SEND,
            under_arn(inbound_bucket(full), "/*"): PUT,
        }


def test_every_server_has_a_writable_tmp_on_its_read_only_root(full: assertions.Template) -> None:
    tasks = full.find_resources("AWS::ECS::TaskDefinition").values()
    assert len(tasks) == 4  # two pools' egress relays, submission, MX
    for task in tasks:
        props = task["Properties"]
        (server,) = [c for c in props["ContainerDefinitions"] if c["Name"] == "Server"]
        assert server["ReadonlyRootFilesystem"] is True
        (mount,) = [m for m in server["MountPoints"] if m["ContainerPath"] == "/tmp"]
        assert mount["ReadOnly"] is False
        (volume,) = [v for v in props["Volumes"] if v["Name"] == mount["SourceVolume"]]
        assert "Host" not in volume  # task storage, gone with the task


@pytest.mark.parametrize("tier", ["submission", "mx", "egress"])
def test_each_server_image_seeds_its_tmp_volume(tier: str) -> None:
    # ECS copies a VOLUME's content and permissions (1777 for /tmp) into the task volume at that
    # path; without it the volume is root's, 0755, and the unprivileged server cannot write there.
    dockerfile = (ROOT / "containers" / tier / "Dockerfile").read_text()
    volume = dockerfile.index('VOLUME ["/tmp"]')
    assert volume < dockerfile.index("\nUSER ")
