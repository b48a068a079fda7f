"""The VPC, the IP pools' NAT gateways and Elastic IPs, the egress relays and the worker in the VPC."""

from __future__ import annotations

from typing import Any

from aws_cdk import assertions
from infra_support import WORKER_HANDLER, function


def _resources(template: assertions.Template, resource_type: str) -> dict[str, Any]:
    return dict(template.find_resources(resource_type))


def _pool_route_targets(template: assertions.Template, pool: str) -> set[str]:
    """The NAT gateways the default routes of a pool's subnets go to."""
    subnets = {
        logical
        for logical, subnet in _resources(template, "AWS::EC2::Subnet").items()
        if {"Key": "aws-cdk:subnet-name", "Value": f"pool-{pool}"} in subnet["Properties"]["Tags"]
    }
    assert subnets
    tables = {
        association["Properties"]["RouteTableId"]["Ref"]
        for association in _resources(template, "AWS::EC2::SubnetRouteTableAssociation").values()
        if association["Properties"]["SubnetId"]["Ref"] in subnets
    }
    targets = set()
    for route in _resources(template, "AWS::EC2::Route").values():
        props = route["Properties"]
        if props["RouteTableId"]["Ref"] in tables:
            assert props["DestinationCidrBlock"] == "0.0.0.0/0"
            targets.add(props["NatGatewayId"]["Ref"])
    assert len(tables) == len(subnets)
    return targets


def _gateways_of(template: assertions.Template, pool: str) -> dict[str, Any]:
    return {
        logical: gateway["Properties"]
        for logical, gateway in _resources(template, "AWS::EC2::NatGateway").items()
        if logical.startswith(f"NetworkPool{pool}")
    }


class TestNetwork:
    def test_default_pool_has_one_elastic_ip_on_one_nat_gateway(self, default: assertions.Template) -> None:
        (eip,) = _resources(default, "AWS::EC2::EIP")
        (gateway,) = _resources(default, "AWS::EC2::NatGateway").values()
        assert gateway["Properties"]["AllocationId"] == {"Fn::GetAtt": [eip, "AllocationId"]}
        assert "SecondaryAllocationIds" not in gateway["Properties"]
        assert _pool_route_targets(default, "default") == set(_resources(default, "AWS::EC2::NatGateway"))

    def test_each_pool_leaves_only_through_its_own_gateways_holding_its_addresses(
        self, full: assertions.Template
    ) -> None:
        eips = _resources(full, "AWS::EC2::EIP")
        assert len(eips) == 3  # the marketing pool brings its own allocation
        transactional = _gateways_of(full, "transactional")
        marketing = _gateways_of(full, "marketing")
        # Three addresses in three zones: a gateway each; one existing allocation: one gateway.
        assert len(transactional) == 3 and len(marketing) == 1
        assert {str(g["AllocationId"]["Fn::GetAtt"][0]) for g in transactional.values()} == set(eips)
        assert [g["AllocationId"] for g in marketing.values()] == ["eipalloc-0123456789abcdef0"]
        assert _pool_route_targets(full, "transactional") == set(transactional)
        assert _pool_route_targets(full, "marketing") == set(marketing)

    def test_addresses_beyond_the_zones_become_secondary_addresses(self) -> None:
        from infra_support import template_for

        template = template_for({"ip_pools": [{"name": "bulk", "eip_count": 5}]})
        gateways = _gateways_of(template, "bulk")
        assert len(gateways) == 2  # two zones by default
        allocations = []
        for gateway in gateways.values():
            allocations.append(gateway["AllocationId"]["Fn::GetAtt"][0])
            allocations += [ref["Fn::GetAtt"][0] for ref in gateway.get("SecondaryAllocationIds", [])]
        assert sorted(allocations) == sorted(_resources(template, "AWS::EC2::EIP"))

    def test_outputs_list_each_address_and_its_reverse_dns_request(self, full: assertions.Template) -> None:
        outputs = full.find_outputs("*")
        addresses = outputs["IpPooltransactionalAddresses"]["Value"]
        assert addresses["Fn::Join"][0] == " "
        assert all("PublicIp" in str(part) for part in addresses["Fn::Join"][1])
        reverse = str(outputs["IpPooltransactionalReverseDns"]["Value"])
        assert reverse.count("modify-address-attribute") == 3
        assert "tx.mail.example.com" in reverse
        assert "eipalloc-0123456789abcdef0" in str(outputs["IpPoolmarketingReverseDns"]["Value"])

    def test_vpc_flow_logs_are_on_and_encrypted(self, default: assertions.Template) -> None:
        (flow_log,) = _resources(default, "AWS::EC2::FlowLog").values()
        assert flow_log["Properties"]["TrafficType"] == "ALL"
        group = flow_log["Properties"]["LogGroupName"]["Ref"]
        assert "KmsKeyId" in _resources(default, "AWS::Logs::LogGroup")[group]["Properties"]


def _egress(template: assertions.Template, resource_type: str) -> dict[str, Any]:
    """Resources of the egress tier only (the full context also runs the public SMTP tiers)."""
    return {k: v for k, v in _resources(template, resource_type).items() if k.startswith("Egress")}


class TestEgress:
    def test_one_internal_listener_and_service_per_pool(self, full: assertions.Template) -> None:
        (balancer,) = _egress(full, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
        assert balancer["Properties"]["Scheme"] == "internal"
        assert balancer["Properties"]["Type"] == "network"
        listeners = sorted(
            listener["Properties"]["Port"]
            for listener in _egress(full, "AWS::ElasticLoadBalancingV2::Listener").values()
        )
        assert listeners == [2600, 2601]
        services = _egress(full, "AWS::ECS::Service")
        assert len(services) == 2
        for service in services.values():
            props = service["Properties"]
            assert props["LaunchType"] == "FARGATE"
            assert props["DesiredCount"] == 2
            assert props["LoadBalancers"][0]["ContainerPort"] == 2525
            network = props["NetworkConfiguration"]["AwsvpcConfiguration"]
            assert network["AssignPublicIp"] == "DISABLED"

    def test_relays_run_in_their_pools_subnets(self, full: assertions.Template) -> None:
        subnets = _resources(full, "AWS::EC2::Subnet")
        for logical, service in _egress(full, "AWS::ECS::Service").items():
            pool = "transactional" if "transactional" in logical else "marketing"
            for ref in service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]:
                tags = subnets[ref["Ref"]]["Properties"]["Tags"]
                assert {"Key": "aws-cdk:subnet-name", "Value": f"pool-{pool}"} in tags

    def test_relay_tasks_drain_and_accept_only_the_vpc(self, full: assertions.Template) -> None:
        for definition in _egress(full, "AWS::ECS::TaskDefinition").values():
            (container,) = definition["Properties"]["ContainerDefinitions"]
            assert container["StopTimeout"] == 120
            environment = {item["Name"]: item["Value"] for item in container["Environment"]}
            assert environment["SESAME_EGRESS_ALLOWED_NETWORKS"] == "10.80.0.0/18"
            assert definition["Properties"]["Cpu"] == "512"
        for group in _egress(full, "AWS::ElasticLoadBalancingV2::TargetGroup").values():
            props = group["Properties"]
            assert props["HealthCheckProtocol"] == "TCP"
            attributes = {a["Key"]: a["Value"] for a in props["TargetGroupAttributes"]}
            assert attributes["deregistration_delay.timeout_seconds"] == "60"

    def test_relay_capacity_follows_cpu_within_the_configured_range(self, full: assertions.Template) -> None:
        for target in _egress(full, "AWS::ApplicationAutoScaling::ScalableTarget").values():
            assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (2, 6)
        # Besides connections (tests/infra/test_infra_connection_scaling.py), CPU.
        predefined = [
            policy["Properties"]["TargetTrackingScalingPolicyConfiguration"].get(
                "PredefinedMetricSpecification"
            )
            for policy in _egress(full, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
        ]
        assert [p for p in predefined if p] == [
            {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}
        ] * 2

    def test_worker_runs_in_the_vpc_and_relays_through_the_first_pool(
        self, default: assertions.Template
    ) -> None:
        props = function(default, WORKER_HANDLER)["Properties"]
        assert props["VpcConfig"]["SubnetIds"]
        (balancer,) = _resources(default, "AWS::ElasticLoadBalancingV2::LoadBalancer")
        assert props["Environment"]["Variables"]["SESAME_RELAY"] == {
            "Fn::Join": ["", [{"Fn::GetAtt": [balancer, "DNSName"]}, ":2525"]]
        }

    def test_image_is_built_from_the_egress_dockerfile(self, default: assertions.Template) -> None:
        (definition,) = _resources(default, "AWS::ECS::TaskDefinition").values()
        image = str(definition["Properties"]["ContainerDefinitions"][0]["Image"])
        assert "cdk-hnb659fds-container-assets" in image
