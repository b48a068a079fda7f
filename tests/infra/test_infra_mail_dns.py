"""The mail records the stack makes in the deployment's zone, and the API's custom domains.

The records are checked twice: as CloudFormation resources, and by serving the synthesized records
from a real DNS server on loopback and asking the same code that receiving servers (SPF) and
Sesame's own MAIL FROM verification run whether they are right.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from aws_cdk import assertions
from infra_support import (
    API_HANDLER,
    BULK,
    DNS_CONTEXT,
    MX_CERTIFICATE,
    SENDING,
    WORKER_HANDLER,
    ZONE,
    ZONE_ID,
    function,
    only,
    template_for,
)

from sesame.adapters.dns import DnsPythonLookup
from sesame.adapters.mail_auth_dns import DnsPythonMailAuth
from sesame.domain.dns_checks import Outcome, check_mail_from
from sesame.domain.receiving.spf_check import check_spf
from stacks.mail_dns import spf_strings
from tests.support.dns_server import DnsTestServer

# A zone the stack creates, the stack's own Elastic IPs, no MX tier, no certificates.
CREATED_ZONE_CONTEXT: dict[str, Any] = {"dns_zone_name": ZONE, "mail_domains": [ZONE]}


@pytest.fixture(scope="module")
def zone_template() -> assertions.Template:
    return template_for(DNS_CONTEXT)


@pytest.fixture(scope="module")
def created_zone_template() -> assertions.Template:
    return template_for(CREATED_ZONE_CONTEXT)


def records(template: assertions.Template) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for resource in template.find_resources("AWS::Route53::RecordSet").values():
        props = resource["Properties"]
        found[(props["Type"], props["Name"].rstrip("."))] = props
    return found


def txt_strings(value: str) -> list[str]:
    """Route 53's TXT notation ("a" "b") read as DNS reads it: the strings of one record."""
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, value)
    return [part.decode() for part in rdata.strings]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def served(zone_template: assertions.Template) -> Iterator[DnsTestServer]:
    """The zone's records with plain values (not aliases), on a real DNS server."""
    with DnsTestServer() as server:
        for (rtype, name), props in records(zone_template).items():
            for value in props.get("ResourceRecords", []):
                assert isinstance(value, str), f"{rtype} {name} holds a token: {value}"
                if rtype == "TXT":
                    server.add(name, rtype, txt_strings(value))
                elif rtype in ("A", "MX"):
                    server.add(name, rtype, value if rtype == "A" else value + ".")
        yield server


class TestServedRecords:
    def test_sesames_mail_from_check_finds_each_domains_records(self, served: DnsTestServer) -> None:
        lookup = DnsPythonLookup(served.address)
        for domain in (ZONE, f"news.{ZONE}"):
            outcome = check_mail_from(lookup, f"bounce.{domain}", f"feedback-smtp.{ZONE}", f"spf.{ZONE}")
            assert outcome is Outcome.FOUND, domain

    def test_the_mail_host_is_a_return_path_too(self, served: DnsTestServer) -> None:
        # Mail without a custom MAIL FROM domain returns to <MessageId>@mail_host_name.
        lookup = DnsPythonLookup(served.address)
        assert check_mail_from(lookup, f"mta.{ZONE}", f"feedback-smtp.{ZONE}", f"spf.{ZONE}") is Outcome.FOUND
        auth = DnsPythonMailAuth(served.address)
        outcome = check_spf(auth, client_ip=SENDING[0], helo=f"mta.{ZONE}", mail_from=f"0100abc@mta.{ZONE}")
        assert outcome.result == "pass"

    @pytest.mark.parametrize("address", [*SENDING, *BULK])
    def test_spf_passes_every_pool_address(self, served: DnsTestServer, address: str) -> None:
        auth = DnsPythonMailAuth(served.address)
        for sender in (f"0100abc@bounce.{ZONE}", f"alerts@news.{ZONE}"):
            outcome = check_spf(auth, client_ip=address, helo=f"mta.{ZONE}", mail_from=sender)
            assert outcome.result == "pass", (address, sender)

    def test_spf_fails_other_addresses_hard_on_the_return_path_and_softly_on_the_domain(
        self, served: DnsTestServer
    ) -> None:
        auth = DnsPythonMailAuth(served.address)
        stranger = "192.0.2.200"
        on_return_path = check_spf(
            auth, client_ip=stranger, helo="x.example.net", mail_from=f"a@bounce.{ZONE}"
        )
        on_domain = check_spf(auth, client_ip=stranger, helo="x.example.net", mail_from=f"a@{ZONE}")
        assert (on_return_path.result, on_domain.result) == ("fail", "softfail")

    def test_sending_hosts_resolve_to_their_pools_addresses(self, zone_template: assertions.Template) -> None:
        found = records(zone_template)
        assert sorted(found[("A", f"mta.{ZONE}")]["ResourceRecords"]) == sorted(SENDING)
        assert found[("A", f"bulk.{ZONE}")]["ResourceRecords"] == list(BULK)
        assert found[("A", f"mta.{ZONE}")]["TTL"] == "300"


class TestRecords:
    def test_mail_domains_get_mx_dmarc_and_return_path_records(
        self, zone_template: assertions.Template
    ) -> None:
        found = records(zone_template)
        for domain in (ZONE, f"news.{ZONE}"):
            assert found[("MX", domain)]["ResourceRecords"] == [f"10 inbound-smtp.{ZONE}"]
            assert found[("MX", f"bounce.{domain}")]["ResourceRecords"] == [f"10 feedback-smtp.{ZONE}"]
            assert txt_strings(found[("TXT", f"_dmarc.{domain}")]["ResourceRecords"][0]) == [
                f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{ZONE}"
            ]

    def test_the_report_domain_takes_the_other_domains_dmarc_reports(
        self, zone_template: assertions.Template
    ) -> None:
        # Reports go to dmarc@example.com: news.example.com needs the report domain's consent.
        found = records(zone_template)
        consent = found[("TXT", f"news.{ZONE}._report._dmarc.{ZONE}")]
        assert txt_strings(consent["ResourceRecords"][0]) == ["v=DMARC1"]
        assert ("TXT", f"{ZONE}._report._dmarc.{ZONE}") not in found

    def test_inbound_and_feedback_hosts_alias_the_mx_load_balancer(
        self, zone_template: assertions.Template
    ) -> None:
        (balancer,) = [
            logical
            for logical in zone_template.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
            if logical.startswith("Mx")
        ]
        found = records(zone_template)
        for host in (f"inbound-smtp.{ZONE}", f"feedback-smtp.{ZONE}"):
            alias = found[("A", host)]["AliasTarget"]
            assert alias["HostedZoneId"] == {"Fn::GetAtt": [balancer, "CanonicalHostedZoneID"]}
            assert {"Fn::GetAtt": [balancer, "DNSName"]} in json.loads(json.dumps(alias["DNSName"]))[
                "Fn::Join"
            ][1]

    def test_the_easy_dkim_zone_is_delegated_from_the_mail_zone(
        self, zone_template: assertions.Template
    ) -> None:
        zones = zone_template.find_resources("AWS::Route53::HostedZone")
        names = {props["Properties"]["Name"].rstrip("."): logical for logical, props in zones.items()}
        assert set(names) == {f"dkim.{ZONE}"}
        delegation = records(zone_template)[("NS", f"dkim.{ZONE}")]
        assert delegation["ResourceRecords"] == {"Fn::GetAtt": [names[f"dkim.{ZONE}"], "NameServers"]}
        assert delegation["HostedZoneId"] == ZONE_ID

    def test_a_created_zone_outputs_its_name_servers(
        self, created_zone_template: assertions.Template
    ) -> None:
        zones = created_zone_template.find_resources("AWS::Route53::HostedZone")
        (zone,) = [logical for logical, z in zones.items() if z["Properties"]["Name"] == f"{ZONE}."]
        outputs = created_zone_template.find_outputs("*")
        assert outputs["DnsNameServers"]["Value"] == {
            "Fn::Join": [",", {"Fn::GetAtt": [zone, "NameServers"]}]
        }
        found = records(created_zone_template).values()
        assert found and all(props["HostedZoneId"] == {"Ref": zone} for props in found)

    def test_an_existing_zone_is_used_not_created(self, zone_template: assertions.Template) -> None:
        found = records(zone_template)
        assert {props["HostedZoneId"] for props in found.values()} == {ZONE_ID}
        zones = zone_template.find_resources("AWS::Route53::HostedZone")
        assert [z["Properties"]["Name"] for z in zones.values()] == [f"dkim.{ZONE}."]
        outputs = zone_template.find_outputs("*")
        assert "DnsNameServers" not in outputs
        assert outputs["ApiCustomUrl"]["Value"] == f"https://api.{ZONE}"

    def test_without_the_mx_tier_no_mx_records_but_spf_and_dmarc(
        self, created_zone_template: assertions.Template
    ) -> None:
        found = records(created_zone_template)
        assert not [key for key in found if key[0] == "MX"]
        assert txt_strings(found[("TXT", ZONE)]["ResourceRecords"][0]) == [f"v=spf1 include:spf.{ZONE} ~all"]
        assert ("TXT", f"_dmarc.{ZONE}") in found
        # The stack's own Elastic IP, known once allocated: its attribute, in the SPF record.
        spf = json.dumps(found[("TXT", f"spf.{ZONE}")]["ResourceRecords"])
        assert '"PublicIp"' in spf

    def test_no_zone_no_records(self, default: assertions.Template) -> None:
        for resource_type in (
            "AWS::Route53::RecordSet",
            "AWS::CertificateManager::Certificate",
            "AWS::ApiGatewayV2::DomainName",
        ):
            assert not default.find_resources(resource_type), resource_type


class TestRuntimeNames:
    def test_functions_learn_the_zones_host_names(self, zone_template: assertions.Template) -> None:
        for handler in (API_HANDLER, WORKER_HANDLER):
            variables = function(zone_template, handler)["Properties"]["Environment"]["Variables"]
            assert variables["SESAME_MAIL_FROM_MX_HOST"] == f"feedback-smtp.{ZONE}"
            assert variables["SESAME_SPF_INCLUDE_DOMAIN"] == f"spf.{ZONE}"
            assert variables["SESAME_DKIM_SIGNING_ZONE"] == f"dkim.{ZONE}"
            # Links in mail use the tracking domain.
            assert variables["SESAME_PUBLIC_BASE_URL"] == f"https://links.{ZONE}"

    def test_no_feedback_host_without_the_mx_tier(self, created_zone_template: assertions.Template) -> None:
        variables = function(created_zone_template, API_HANDLER)["Properties"]["Environment"]["Variables"]
        assert "SESAME_MAIL_FROM_MX_HOST" not in variables
        assert variables["SESAME_SPF_INCLUDE_DOMAIN"] == f"spf.{ZONE}"


class TestCustomDomains:
    def test_each_domain_has_a_zone_validated_certificate_and_maps_the_stage(
        self, zone_template: assertions.Template
    ) -> None:
        stage, _ = only(zone_template, "AWS::ApiGatewayV2::Stage", {"StageName": "$default"})
        for name in (f"api.{ZONE}", f"links.{ZONE}"):
            certificate, _ = only(
                zone_template,
                "AWS::CertificateManager::Certificate",
                {
                    "DomainName": name,
                    "ValidationMethod": "DNS",
                    "DomainValidationOptions": [{"DomainName": name, "HostedZoneId": ZONE_ID}],
                },
            )
            domain, _ = only(
                zone_template,
                "AWS::ApiGatewayV2::DomainName",
                {
                    "DomainName": name,
                    "DomainNameConfigurations": [
                        {
                            "CertificateArn": {"Ref": certificate},
                            "EndpointType": "REGIONAL",
                            "SecurityPolicy": "TLS_1_2",
                        }
                    ],
                },
            )
            _mapping, props = only(
                zone_template, "AWS::ApiGatewayV2::ApiMapping", {"DomainName": {"Ref": domain}}
            )
            assert props["Properties"]["Stage"] == "$default"
            assert stage in props.get("DependsOn", []), "the stage exists before it is mapped"
            assert "ApiMappingKey" not in props["Properties"], "SES's paths start at the root"
            alias = records(zone_template)[("A", name)]["AliasTarget"]
            assert alias["DNSName"] == {"Fn::GetAtt": [domain, "RegionalDomainName"]}

    def test_a_given_certificate_is_used_as_is(self, full: assertions.Template) -> None:
        (config,) = [
            resource["Properties"]["DomainNameConfigurations"][0]
            for resource in full.find_resources(
                "AWS::ApiGatewayV2::DomainName", {"Properties": {"DomainName": "api.mail.example.com"}}
            ).values()
        ]
        assert config["CertificateArn"].startswith("arn:aws:acm:eu-west-1:123456789012:certificate/")


class TestSpfStrings:
    def test_eight_full_pools_fit_txt_strings(self) -> None:
        groups = [[f"255.255.255.{i * 8 + j}" for j in range(8)] for i in range(8)]
        strings = spf_strings(groups)
        assert len(strings) == 8 and all(len(text.encode()) <= 255 for text in strings)
        assert strings[0].startswith("v=spf1 ip4:255.255.255.0 ") and strings[-1].endswith(" -all")
        # Joined as readers join them: 64 mechanisms, each its own term.
        terms = "".join(strings).split()
        assert terms[0] == "v=spf1" and terms[-1] == "-all"
        assert len(terms) == 66 and all(term.startswith("ip4:255.255.255.") for term in terms[1:-1])

    def test_pools_without_known_addresses_leave_no_empty_string(self) -> None:
        assert spf_strings([[], ["192.0.2.1"], []]) == ["v=spf1 ip4:192.0.2.1 -all"]
        assert spf_strings([["192.0.2.1"], ["192.0.2.2"]]) == ["v=spf1 ip4:192.0.2.1 ", "ip4:192.0.2.2 -all"]
        assert spf_strings([]) == ["v=spf1 -all"]


class TestSmtpCertificates:
    @staticmethod
    def _tier(template: assertions.Template, prefix: str) -> tuple[dict[str, Any], str]:
        """The tier's server container environment, and its task role's logical id."""
        (task,) = [
            resource["Properties"]
            for logical, resource in template.find_resources("AWS::ECS::TaskDefinition").items()
            if logical.startswith(prefix)
        ]
        (server,) = [c for c in task["ContainerDefinitions"] if c["Name"] == "Server"]
        environment = {v["Name"]: v["Value"] for v in server.get("Environment", [])}
        return environment, task["TaskRoleArn"]["Fn::GetAtt"][0]

    @staticmethod
    def _exports(template: assertions.Template, role: str) -> list[Any]:
        return [
            statement["Resource"]
            for policy in template.find_resources("AWS::IAM::Policy").values()
            if {"Ref": role} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Action"] == "acm:ExportCertificate"
        ]

    def test_submission_serves_an_exportable_certificate_requested_for_its_host(
        self, zone_template: assertions.Template
    ) -> None:
        certificate, _ = only(
            zone_template,
            "AWS::CertificateManager::Certificate",
            {
                "DomainName": f"smtp.{ZONE}",
                "CertificateExport": "ENABLED",
                "ValidationMethod": "DNS",
                "DomainValidationOptions": [{"DomainName": f"smtp.{ZONE}", "HostedZoneId": ZONE_ID}],
            },
        )
        environment, role = self._tier(zone_template, "Submission")
        assert environment["SESAME_SMTP_TLS_ACM_CERTIFICATE_ARN"] == {"Ref": certificate}
        assert self._exports(zone_template, role) == [{"Ref": certificate}]
        balancer = [
            logical
            for logical in zone_template.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
            if logical.startswith("Submission")
        ]
        alias = records(zone_template)[("A", f"smtp.{ZONE}")]["AliasTarget"]
        assert alias["HostedZoneId"] == {"Fn::GetAtt": [balancer[0], "CanonicalHostedZoneID"]}

    def test_the_mx_serves_the_certificate_it_is_given(self, zone_template: assertions.Template) -> None:
        environment, role = self._tier(zone_template, "Mx")
        assert environment["SESAME_MX_TLS_ACM_CERTIFICATE_ARN"] == MX_CERTIFICATE
        assert self._exports(zone_template, role) == [MX_CERTIFICATE]

    def test_a_tls_secret_means_no_certificate_export(self, full: assertions.Template) -> None:
        environment, role = self._tier(full, "Submission")
        assert "SESAME_SMTP_TLS_ACM_CERTIFICATE_ARN" not in environment
        assert self._exports(full, role) == []
        assert not full.find_resources(
            "AWS::CertificateManager::Certificate", {"Properties": {"CertificateExport": "ENABLED"}}
        )
