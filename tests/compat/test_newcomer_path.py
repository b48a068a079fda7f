"""The README's path for a newcomer: the AWS CLI creates a domain identity, the DKIM records go
into DNS, and Sesame finds them and verifies the domain on its own."""

from __future__ import annotations

import base64

import dns.resolver
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from tests.support.compat_clients import aws_cli, aws_client, wait_for
from tests.support.dns_server import DnsTestServer
from tests.support.local_process import LocalProcess
from tests.support.signing_zone import publish_dkim_cnames, serve_signing_zone


def _key_tags(text: str) -> dict[str, str]:
    tags = (part.strip().partition("=") for part in text.split(";") if part.strip())
    return {name.strip(): value.strip() for name, _, value in tags}


def _resolve_txt(dns_server: DnsTestServer, name: str) -> list[str]:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns_server.host]
    resolver.port = dns_server.port
    answer = resolver.resolve(name, "TXT")
    return [b"".join(rdata.strings).decode() for rdata in answer]


def test_aws_cli_creates_a_domain_that_verifies_once_its_dkim_cnames_are_published(
    local: LocalProcess, dns_server: DnsTestServer
) -> None:
    created = aws_cli(local, "sesv2", "create-email-identity", "--email-identity", "example.com")
    assert created["IdentityType"] == "DOMAIN"
    assert created["VerifiedForSendingStatus"] is False
    dkim = created["DkimAttributes"]
    assert dkim["Status"] == "PENDING"
    assert dkim["SigningAttributesOrigin"] == "AWS_SES"
    tokens, zone = dkim["Tokens"], dkim["SigningHostedZone"]
    assert len(tokens) == 3 and len(set(tokens)) == 3

    # Nothing in DNS yet: the identity stays pending however often it is checked.
    before = aws_cli(local, "sesv2", "get-email-identity", "--email-identity", "example.com")
    assert before["DkimAttributes"]["Status"] == "PENDING"
    assert before["VerifiedForSendingStatus"] is False

    # The keys Sesame hosts behind the CNAMEs, as its Route 53 zone holds them.
    hosted = serve_signing_zone(dns_server, aws_client(local, "route53"), zone)
    assert set(hosted) >= {f"{token}.{zone}" for token in tokens}
    publish_dkim_cnames(dns_server, "example.com", tokens, zone)

    # A resolver asking at the customer's name follows the CNAME into a usable DKIM key.
    for token in tokens:
        (record,) = _resolve_txt(dns_server, f"{token}._domainkey.example.com")
        tags = _key_tags(record)
        assert tags["v"] == "DKIM1" and tags.get("k", "rsa") == "rsa"
        key = load_der_public_key(base64.b64decode(tags["p"]))
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048

    verified = wait_for(
        lambda: aws_cli(local, "sesv2", "get-email-identity", "--email-identity", "example.com"),
        lambda answer: answer["DkimAttributes"]["Status"] == "SUCCESS",
    )
    assert verified["VerifiedForSendingStatus"] is True
    assert verified["VerificationStatus"] == "SUCCESS"
    assert verified["DkimAttributes"]["Tokens"] == tokens
    assert verified["DkimAttributes"]["SigningEnabled"] is True

    listed = aws_cli(local, "sesv2", "list-email-identities")["EmailIdentities"]
    assert {
        "IdentityType": "DOMAIN",
        "IdentityName": "example.com",
        "SendingEnabled": True,
        "VerificationStatus": "SUCCESS",
    } in listed
