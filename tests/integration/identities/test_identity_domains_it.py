"""Domains against moto and a real DNS server: Easy DKIM through Route 53, BYODKIM, the v1 token,
MAIL FROM, temporary failures and the 72-hour deadline."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sesame.adapters.route53_dkim import txt_text
from sesame.domain import dkim as dkim_keys
from sesame.domain.errors import InvalidParameterValue
from tests.integration.identities.helpers import A, World

pytestmark = pytest.mark.integration

DEADLINE = 72 * 3600


def test_easy_dkim_domain_goes_pending_to_success_once_the_cnames_exist(world: World) -> None:
    created = world.call(2, "CreateEmailIdentity", EmailIdentity="example.com")
    dkim = created["DkimAttributes"]
    assert dkim["Status"] == "PENDING" and dkim["SigningHostedZone"] == "dkim.sesame.test"
    tokens = dkim["Tokens"]

    # Sesame's half is really in Route 53: one TXT key per token, split into 255-char strings.
    zone = world.zone_records()
    assert sorted(zone) == sorted(f"{t}.dkim.sesame.test" for t in tokens)
    for token in tokens:
        [value] = zone[f"{token}.dkim.sesame.test"]
        assert value.startswith('"v=DKIM1; k=rsa; p=') and '" "' in value
        public = dkim_keys.parse_key_record(txt_text(value))
        assert public is not None
        key = serialization.load_der_public_key(base64.b64decode(public))
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048

    assert world.tick() == 1
    assert world.call(2, "GetEmailIdentity", EmailIdentity="example.com")["VerificationStatus"] == "PENDING"

    # The customer's half, in their DNS.
    for token in tokens:
        world.dns.add(f"{token}._domainkey.example.com", "CNAME", f"{token}.dkim.sesame.test")
    assert world.tick() == 1
    got = world.call(2, "GetEmailIdentity", EmailIdentity="example.com")
    assert got["VerificationStatus"] == "SUCCESS" and got["VerifiedForSendingStatus"] is True
    assert got["DkimAttributes"]["Status"] == "SUCCESS"
    assert world.tick() == 0, "verified identities leave the check index"


def test_the_signing_key_matches_the_published_key(world: World) -> None:
    world.call(2, "CreateEmailIdentity", EmailIdentity="example.com")
    world.publish_customer_dkim(A, "example.com")
    world.tick()
    key = world.service.dkim_signing_key(A, "news@example.com")
    assert key is not None
    public = dkim_keys.public_key_b64(dkim_keys.load_private_key_pem(key.private_key_pem))
    [value] = world.zone_records()[f"{key.selector}.dkim.sesame.test"]
    assert txt_text(value).endswith(public)


def test_dkim_private_keys_decrypt_only_in_their_identity_context(world: World) -> None:
    world.call(2, "CreateEmailIdentity", EmailIdentity="example.com")
    stored = world.service._repo.get(A, "example.com")  # type: ignore[attr-defined]
    assert stored is not None and stored.dkim is not None
    blob = stored.dkim.keys[0].private_key
    assert b"PRIVATE KEY" not in blob
    kms = world.aws.kms
    right = {"account_id": A, "identity": "example.com", "purpose": "dkim"}
    assert b"PRIVATE KEY" in kms.decrypt(CiphertextBlob=blob, EncryptionContext=right)["Plaintext"]
    with pytest.raises(ClientError):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={**right, "account_id": "222222222222"})


def test_delete_withdraws_the_keys_from_route_53(world: World) -> None:
    world.call(2, "CreateEmailIdentity", EmailIdentity="example.com")
    world.call(2, "CreateEmailIdentity", EmailIdentity="other.com")
    assert len(world.zone_records()) == 6
    world.call(2, "DeleteEmailIdentity", EmailIdentity="example.com")
    assert len(world.zone_records()) == 3
    world.call(1, "DeleteIdentity", Identity="other.com")
    assert world.zone_records() == {}


def test_key_rotation_replaces_the_zone_records_and_keeps_dkim_verified(world: World) -> None:
    created = world.call(2, "CreateEmailIdentity", EmailIdentity="example.com")
    world.publish_customer_dkim(A, "example.com")
    world.tick()
    before = world.zone_records()
    out = world.call(
        2,
        "PutEmailIdentityDkimSigningAttributes",
        EmailIdentity="example.com",
        SigningAttributesOrigin="AWS_SES",
        SigningAttributes={"NextSigningKeyLength": "RSA_1024_BIT"},
    )
    assert out["DkimTokens"] == created["DkimAttributes"]["Tokens"] and out["DkimStatus"] == "SUCCESS"
    after = world.zone_records()
    assert sorted(after) == sorted(before) and all(after[n] != before[n] for n in after)
    got = world.call(2, "GetEmailIdentity", EmailIdentity="example.com")["DkimAttributes"]
    assert got["CurrentSigningKeyLength"] == "RSA_1024_BIT"


def test_byodkim_verifies_by_the_customers_txt_record(world: World) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    created = world.call(
        2,
        "CreateEmailIdentity",
        EmailIdentity="byo.example",
        DkimSigningAttributes={
            "DomainSigningSelector": "mail2024",
            "DomainSigningPrivateKey": base64.b64encode(der).decode(),
        },
    )
    assert created["DkimAttributes"]["SigningAttributesOrigin"] == "EXTERNAL"
    assert world.zone_records() == {}
    # The customer publishes their public key (long: it travels as several strings, over TCP).
    world.dns.add(
        "mail2024._domainkey.byo.example", "TXT", dkim_keys.key_record_value(dkim_keys.public_key_b64(key))
    )
    world.tick()
    got = world.call(2, "GetEmailIdentity", EmailIdentity="byo.example")
    assert got["VerificationStatus"] == "SUCCESS" and got["DkimAttributes"]["Tokens"] == ["mail2024"]


def test_a_wrong_byodkim_key_in_dns_does_not_verify(world: World) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = dkim_keys.private_key_pem(key).decode()
    world.call(
        2,
        "CreateEmailIdentity",
        EmailIdentity="byo.example",
        DkimSigningAttributes={"DomainSigningSelector": "s", "DomainSigningPrivateKey": pem},
    )
    world.dns.add(
        "s._domainkey.byo.example", "TXT", dkim_keys.key_record_value(dkim_keys.public_key_b64(other))
    )
    world.tick()
    got = world.call(2, "GetEmailIdentity", EmailIdentity="byo.example")
    assert got["VerificationStatus"] == "PENDING" and got["VerificationInfo"]["ErrorType"] == "INVALID_VALUE"


def test_the_v1_token_txt_record_verifies_the_domain(world: World) -> None:
    token = world.call(1, "VerifyDomainIdentity", Domain="token.example")["VerificationToken"]
    attrs = world.call(1, "GetIdentityVerificationAttributes", Identities=["token.example"])
    assert attrs["VerificationAttributes"]["token.example"] == {
        "VerificationStatus": "Pending",
        "VerificationToken": token,
    }
    world.dns.add("_amazonses.token.example", "TXT", "google-site-verification=zzz")
    world.dns.add("_amazonses.token.example", "TXT", token)
    world.tick()
    attrs = world.call(1, "GetIdentityVerificationAttributes", Identities=["token.example"])
    assert attrs["VerificationAttributes"]["token.example"]["VerificationStatus"] == "Success"


def test_servfail_is_a_temporary_failure_until_dns_recovers(world: World) -> None:
    token = world.call(1, "VerifyDomainIdentity", Domain="flaky.example")["VerificationToken"]
    world.dns.servfail("_amazonses.flaky.example")
    world.tick()
    got = world.call(2, "GetEmailIdentity", EmailIdentity="flaky.example")
    assert got["VerificationStatus"] == "TEMPORARY_FAILURE"
    assert got["VerificationInfo"]["ErrorType"] == "DNS_SERVER_ERROR"
    world.dns.servfail("_amazonses.flaky.example", enabled=False)
    world.dns.add("_amazonses.flaky.example", "TXT", token)
    world.tick()
    assert world.call(2, "GetEmailIdentity", EmailIdentity="flaky.example")["VerificationStatus"] == "SUCCESS"


def test_nothing_in_dns_for_72_hours_fails_the_domain(world: World) -> None:
    world.call(2, "CreateEmailIdentity", EmailIdentity="never.example")
    world.clock.advance(DEADLINE - 60)
    world.tick()
    assert world.call(2, "GetEmailIdentity", EmailIdentity="never.example")["VerificationStatus"] == "PENDING"
    world.clock.advance(60)
    world.tick()
    got = world.call(2, "GetEmailIdentity", EmailIdentity="never.example")
    assert got["VerificationStatus"] == "FAILED" and got["DkimAttributes"]["Status"] == "FAILED"
    dkim = world.call(1, "GetIdentityDkimAttributes", Identities=["never.example"])["DkimAttributes"]
    assert dkim["never.example"]["DkimVerificationStatus"] == "Failed"


def test_mail_from_succeeds_with_mx_and_spf(world: World) -> None:
    world.call(1, "VerifyDomainIdentity", Domain="example.com")
    world.call(
        1,
        "SetIdentityMailFromDomain",
        Identity="example.com",
        MailFromDomain="bounce.example.com",
        BehaviorOnMXFailure="RejectMessage",
    )
    attrs = world.call(1, "GetIdentityMailFromDomainAttributes", Identities=["example.com"])
    assert attrs["MailFromDomainAttributes"]["example.com"]["MailFromDomainStatus"] == "Pending"
    world.dns.add("bounce.example.com", "MX", f"10 {world.settings.mail_from_mx_host}")
    world.dns.add("bounce.example.com", "TXT", f"v=spf1 include:{world.settings.spf_include_domain} -all")
    world.tick()
    attrs = world.call(1, "GetIdentityMailFromDomainAttributes", Identities=["example.com"])
    assert attrs["MailFromDomainAttributes"]["example.com"] == {
        "MailFromDomain": "bounce.example.com",
        "MailFromDomainStatus": "Success",
        "BehaviorOnMXFailure": "RejectMessage",
    }
    got = world.call(2, "GetEmailIdentity", EmailIdentity="example.com")["MailFromAttributes"]
    assert got["MailFromDomainStatus"] == "SUCCESS" and got["BehaviorOnMxFailure"] == "REJECT_MESSAGE"


def test_mail_from_without_records_fails_after_72_hours(world: World) -> None:
    world.call(2, "CreateEmailIdentity", EmailIdentity="example.com")
    world.call(
        2, "PutEmailIdentityMailFromAttributes", EmailIdentity="example.com", MailFromDomain="mf.example.com"
    )
    world.dns.add("mf.example.com", "MX", "10 some-other-host.example.net")  # wrong MX: never verifies
    world.clock.advance(DEADLINE)
    world.tick()
    got = world.call(2, "GetEmailIdentity", EmailIdentity="example.com")["MailFromAttributes"]
    assert got["MailFromDomainStatus"] == "FAILED"


def test_mail_from_outside_the_domain_is_refused(world: World) -> None:
    world.call(2, "CreateEmailIdentity", EmailIdentity="example.com")
    with pytest.raises(InvalidParameterValue):
        world.call(
            2,
            "PutEmailIdentityMailFromAttributes",
            EmailIdentity="example.com",
            MailFromDomain="mf.example.org",
        )


def test_without_a_zone_customers_publish_the_keys_and_route_53_is_untouched(txt_world: World) -> None:
    created = txt_world.call(2, "CreateEmailIdentity", EmailIdentity="example.com")
    assert "SigningHostedZone" not in created["DkimAttributes"]
    records = txt_world.service.dkim_records(A, "example.com")
    assert {r.type for r in records} == {"TXT"}
    for record in records:
        txt_world.dns.add(record.name, record.type, record.value)
    txt_world.tick()
    assert (
        txt_world.call(2, "GetEmailIdentity", EmailIdentity="example.com")["VerificationStatus"] == "SUCCESS"
    )
    zones = txt_world.aws.route53.list_hosted_zones()["HostedZones"]
    assert zones == []


def test_get_rechecks_a_pending_identity_without_the_checker(world: World) -> None:
    world.call(2, "CreateEmailIdentity", EmailIdentity="example.com")
    world.publish_customer_dkim(A, "example.com")
    world.clock.advance(world.settings.check_interval)
    got = world.call(2, "GetEmailIdentity", EmailIdentity="example.com")
    assert got["VerificationStatus"] == "SUCCESS"
