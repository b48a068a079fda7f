"""The deployment's mail records in its Route 53 zone.

What a receiving server looks up about mail from and to the deployment's domains:

- ``spf.ZONE`` TXT: the SPF record listing every sending address (the pools' Elastic IPs). The
  mail domains and their MAIL FROM domains include it, so adding an address changes one record.
- the sending host names (``mail_host_name``, each pool's ``reverse_dns``) A: their addresses.
  Reverse DNS is trusted only when the PTR's name resolves back to the address.
- ``inbound-smtp.ZONE`` and ``feedback-smtp.ZONE``: aliases of the MX tier's load balancer. The
  mail domains' MX records name the first; custom MAIL FROM domains' MX records the second, where
  bounces and complaints about sent mail come back.
- per mail domain: MX, SPF (``~all``: other services may send for the domain too), DMARC, and the
  MAIL FROM domain's MX and SPF (``-all``: nothing else uses that return path).
- ``mail_host_name`` MX and SPF: it is the MAIL FROM domain of mail without a custom one, so
  reports about that mail come back through it too.
- the Easy DKIM key zone's delegation (NS), when the stack created that zone inside this one.
- ``DOMAIN._report._dmarc.REPORT-DOMAIN`` TXT, when DMARC reports go to an address of another
  domain in the zone.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from stacks.hosted_zones import public_zone

# Records that follow the deployment (addresses, load balancers) change rarely but should not take
# long to take effect when they do; policy records (SPF of the domains, DMARC) change even less.
_ADDRESS_TTL = cdk.Duration.minutes(5)
_POLICY_TTL = cdk.Duration.hours(1)


def spf_strings(address_groups: Sequence[Sequence[str]], *, policy: str = "-all") -> list[str]:
    """The SPF record ``v=spf1 ip4:... -all`` as TXT strings, each at most 255 octets: one per
    non-empty group of addresses (a pool has at most 8; they may be CloudFormation tokens, whose
    length is unknown at synth), the version first and the policy last."""
    strings = [" ".join(f"ip4:{address}" for address in group) for group in address_groups if group]
    if not strings:
        return [f"v=spf1 {policy}"]
    strings[0] = f"v=spf1 {strings[0]}"
    strings[-1] = f"{strings[-1]} {policy}"
    # Readers join the strings with nothing between them (RFC 7208 3.3): the space is ours to give.
    return [f"{text} " for text in strings[:-1]] + strings[-1:]


def txt_value(strings: Sequence[str]) -> str:
    """One TXT record of several strings, in Route 53's notation ("a" "b")."""
    return " ".join(f'"{text}"' for text in strings)


def dmarc_value(policy: str, report_email: str | None) -> str:
    value = f"v=DMARC1; p={policy}"
    return f"{value}; rua=mailto:{report_email}" if report_email else value


class MailDns(Construct):
    """The deployment's zone (referenced or created) and the mail records in it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        zone_name: str,
        hosted_zone_id: str | None,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.zone_name = zone_name
        made = public_zone(
            self,
            "Zone",
            zone_name=zone_name,
            hosted_zone_id=hosted_zone_id,
            comment="Sesame: the deployment's mail domains",
            removal_policy=removal_policy,
        )
        self.zone = made.zone
        self.name_servers = made.name_servers

    def _id(self, kind: str, name: str) -> str:
        return f"{kind}-{name}"

    @staticmethod
    def _fqdn(name: str) -> str:
        # A name ending in a dot is taken as written, not as relative to the zone.
        return f"{name}."

    def spf_record(self, domain: str, address_groups: Sequence[Sequence[str]]) -> None:
        """The SPF record at ``domain`` listing every sending address, grouped by pool."""
        route53.RecordSet(
            self,
            self._id("Spf", domain),
            zone=self.zone,
            record_name=self._fqdn(domain),
            record_type=route53.RecordType.TXT,
            target=route53.RecordTarget.from_values(txt_value(spf_strings(address_groups))),
            ttl=_ADDRESS_TTL,
        )

    def host_addresses(self, host: str, addresses: Sequence[str]) -> None:
        """A sending host name's A record: the addresses whose PTR records give that name."""
        route53.ARecord(
            self,
            self._id("Host", host),
            zone=self.zone,
            record_name=self._fqdn(host),
            target=route53.RecordTarget.from_ip_addresses(*addresses),
            ttl=_ADDRESS_TTL,
        )

    def load_balancer_alias(self, name: str, load_balancer: elbv2.ILoadBalancerV2) -> None:
        route53.ARecord(
            self,
            self._id("Alias", name),
            zone=self.zone,
            record_name=self._fqdn(name),
            target=route53.RecordTarget.from_alias(targets.LoadBalancerTarget(load_balancer)),
        )

    def api_alias(self, name: str, domain: apigwv2.IDomainName) -> None:
        route53.ARecord(
            self,
            self._id("Alias", name),
            zone=self.zone,
            record_name=self._fqdn(name),
            target=route53.RecordTarget.from_alias(
                targets.ApiGatewayv2DomainProperties(
                    domain.regional_domain_name, domain.regional_hosted_zone_id
                )
            ),
        )

    def mail_domain(
        self,
        domain: str,
        *,
        inbound_host: str | None,
        spf_include: str | None,
        mail_from_domain: str,
        feedback_host: str | None,
        dmarc_policy: str,
        dmarc_report_email: str | None,
    ) -> None:
        """A mail domain's records. Its MX only when the deployment receives mail (the MX tier),
        its MAIL FROM domain's only when there is a feedback MX host to name."""
        if inbound_host:
            route53.MxRecord(
                self,
                self._id("Mx", domain),
                zone=self.zone,
                record_name=self._fqdn(domain),
                values=[route53.MxRecordValue(host_name=inbound_host, priority=10)],
                ttl=_ADDRESS_TTL,
            )
        if spf_include:
            route53.TxtRecord(
                self,
                self._id("Spf", domain),
                zone=self.zone,
                record_name=self._fqdn(domain),
                values=[f"v=spf1 include:{spf_include} ~all"],
                ttl=_POLICY_TTL,
            )
        route53.TxtRecord(
            self,
            self._id("Dmarc", domain),
            zone=self.zone,
            record_name=self._fqdn(f"_dmarc.{domain}"),
            values=[dmarc_value(dmarc_policy, dmarc_report_email)],
            ttl=_POLICY_TTL,
        )
        if feedback_host:
            self.return_path(mail_from_domain, feedback_host=feedback_host, spf_include=spf_include)

    def return_path(self, domain: str, *, feedback_host: str, spf_include: str | None) -> None:
        """A MAIL FROM domain's records: bounces and complaints go to the feedback host, and only
        the sending addresses may use it."""
        route53.MxRecord(
            self,
            self._id("ReturnPathMx", domain),
            zone=self.zone,
            record_name=self._fqdn(domain),
            values=[route53.MxRecordValue(host_name=feedback_host, priority=10)],
            ttl=_ADDRESS_TTL,
        )
        if spf_include:
            route53.TxtRecord(
                self,
                self._id("ReturnPathSpf", domain),
                zone=self.zone,
                record_name=self._fqdn(domain),
                values=[f"v=spf1 include:{spf_include} -all"],
                ttl=_POLICY_TTL,
            )

    def dmarc_report_authorization(self, mail_domain: str, report_domain: str) -> None:
        """Receivers send a domain's aggregate reports to an address of another domain only when
        that domain says it takes them (RFC 7489 7.1)."""
        route53.TxtRecord(
            self,
            self._id("DmarcReports", mail_domain),
            zone=self.zone,
            record_name=self._fqdn(f"{mail_domain}._report._dmarc.{report_domain}"),
            values=["v=DMARC1"],
            ttl=_POLICY_TTL,
        )

    def delegate(self, subzone: str, name_servers: Sequence[str]) -> None:
        route53.NsRecord(
            self,
            self._id("Delegation", subzone),
            zone=self.zone,
            record_name=self._fqdn(subzone),
            values=list(name_servers),
            ttl=cdk.Duration.days(1),
        )
