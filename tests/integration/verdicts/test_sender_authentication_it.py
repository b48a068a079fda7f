"""SPF, DKIM and DMARC verdicts of incoming mail, evaluated against records served by a real DNS
server on loopback, through the dnspython adapter the MX uses."""

from __future__ import annotations

import pytest

from sesame.adapters.mail_auth_dns import DnsPythonMailAuth
from sesame.domain.dkim import generate_rsa_key, key_record_value, private_key_pem, public_key_b64
from sesame.domain.identity_model import DkimSigningKey
from sesame.domain.receiving.verdicts import Verdicts, evaluate_verdicts
from sesame.domain.sending.dkim_signing import DkimSigner, load_rsa_private_key
from tests.support.dns_server import DnsTestServer

pytestmark = pytest.mark.integration

CLIENT = "192.0.2.25"
OTHER = "198.51.100.7"


@pytest.fixture(scope="module")
def signing_key() -> DkimSigningKey:
    return DkimSigningKey("sender.example", "s1", private_key_pem(generate_rsa_key(2048)))


def publish_key(dns_server: DnsTestServer, key: DkimSigningKey) -> None:
    public = public_key_b64(load_rsa_private_key(key.private_key_pem))
    dns_server.add(f"{key.selector}._domainkey.{key.domain}", "TXT", key_record_value(public))


def message(from_address: str = "alice@sender.example", body: str = "Hello there.") -> bytes:
    return (
        f"From: Alice <{from_address}>\r\n"
        "To: bob@inbox.example\r\n"
        "Subject: Lunch\r\n"
        "Date: Sat, 29 Nov 2025 10:00:00 +0000\r\n"
        f"Message-ID: <lunch-1@{from_address.rpartition('@')[2]}>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{body}\r\n"
    ).encode()


def verdicts(
    dns: DnsPythonMailAuth, raw: bytes, *, ip: str = CLIENT, mail_from: str = "alice@sender.example"
) -> Verdicts:
    return evaluate_verdicts(
        raw, client_ip=ip, helo="mail.sender.example", mail_from=mail_from, scan=False, dns=dns
    )


def header(result: Verdicts, name: str) -> str:
    return dict(result.headers)[name]


# --- SPF --------------------------------------------------------------------------------------


def test_spf_passes_for_an_address_the_domain_designates(
    dns_server: DnsTestServer, dns: DnsPythonMailAuth
) -> None:
    dns_server.add("sender.example", "TXT", f"v=spf1 ip4:{CLIENT} -all")
    result = verdicts(dns, message())
    assert result.spf == "PASS"
    assert header(result, "Received-SPF") == (
        f"pass (spfCheck: domain of sender.example designates {CLIENT} as permitted sender) "
        f"client-ip={CLIENT}; envelope-from=alice@sender.example; helo=mail.sender.example;"
    )


def test_spf_follows_includes_and_mx_through_dns(dns_server: DnsTestServer, dns: DnsPythonMailAuth) -> None:
    dns_server.add("sender.example", "TXT", "v=spf1 include:_spf.provider.example -all")
    dns_server.add("_spf.provider.example", "TXT", "v=spf1 mx -all")
    dns_server.add("_spf.provider.example", "MX", "10 out.provider.example.")
    dns_server.add("out.provider.example", "A", CLIENT)
    assert verdicts(dns, message()).spf == "PASS"
    assert verdicts(dns, message(), ip=OTHER).spf == "FAIL"


def test_spf_fails_for_an_address_the_domain_does_not_designate(
    dns_server: DnsTestServer, dns: DnsPythonMailAuth
) -> None:
    dns_server.add("sender.example", "TXT", f"v=spf1 ip4:{CLIENT} -all")
    result = verdicts(dns, message(), ip=OTHER)
    assert result.spf == "FAIL"
    assert header(result, "Received-SPF").startswith(
        f"fail (spfCheck: domain of sender.example does not designate {OTHER} as permitted sender)"
    )


def test_spf_softfail_is_a_failing_verdict_with_its_own_result_in_the_header(
    dns_server: DnsTestServer, dns: DnsPythonMailAuth
) -> None:
    dns_server.add("sender.example", "TXT", f"v=spf1 ip4:{CLIENT} ~all")
    result = verdicts(dns, message(), ip=OTHER)
    assert result.spf == "FAIL"
    assert header(result, "Received-SPF").startswith("softfail (spfCheck: transitioning domain of")
    assert "spf=softfail (" in header(result, "Authentication-Results")


def test_spf_without_a_policy_is_gray(dns_server: DnsTestServer, dns: DnsPythonMailAuth) -> None:
    dns_server.add("sender.example", "A", CLIENT)
    result = verdicts(dns, message())
    assert result.spf == "GRAY"
    assert header(result, "Received-SPF").startswith("none (spfCheck:")


def test_a_null_sender_is_checked_against_the_helo_name(
    dns_server: DnsTestServer, dns: DnsPythonMailAuth
) -> None:
    dns_server.add("mail.sender.example", "TXT", f"v=spf1 ip4:{CLIENT} -all")
    result = verdicts(dns, message(), mail_from="")
    assert result.spf == "PASS"
    assert result.spf_check.domain == "mail.sender.example"
    assert 'envelope-from="";' in header(result, "Received-SPF")


def test_spf_is_processing_failed_when_dns_fails(dns_server: DnsTestServer, dns: DnsPythonMailAuth) -> None:
    dns_server.servfail("sender.example")
    result = verdicts(dns, message())
    assert result.spf == "PROCESSING_FAILED"
    assert header(result, "Received-SPF").startswith("temperror (")


# --- DKIM -------------------------------------------------------------------------------------


def test_dkim_passes_for_a_message_signed_with_a_published_key(
    dns_server: DnsTestServer, dns: DnsPythonMailAuth, signing_key: DkimSigningKey
) -> None:
    publish_key(dns_server, signing_key)
    signed = DkimSigner().sign(message(), signing_key)
    result = verdicts(dns, signed)
    assert result.dkim == "PASS"
    assert "dkim=pass header.i=@sender.example;" in header(result, "Authentication-Results")


def test_dkim_fails_when_the_signed_message_was_tampered_with(
    dns_server: DnsTestServer, dns: DnsPythonMailAuth, signing_key: DkimSigningKey
) -> None:
    publish_key(dns_server, signing_key)
    signed = DkimSigner().sign(message(), signing_key)
    tampered = signed.replace(b"Hello there.", b"Send money.")
    result = verdicts(dns, tampered)
    assert result.dkim == "FAIL"
    assert "dkim=fail header.i=@sender.example;" in header(result, "Authentication-Results")


def test_dkim_fails_when_no_key_is_published(dns: DnsPythonMailAuth, signing_key: DkimSigningKey) -> None:
    assert verdicts(dns, DkimSigner().sign(message(), signing_key)).dkim == "FAIL"


def test_an_unsigned_message_has_a_gray_dkim_verdict(dns: DnsPythonMailAuth) -> None:
    result = verdicts(dns, message())
    assert result.dkim == "GRAY"
    assert "dkim=none;" in header(result, "Authentication-Results")


def test_dkim_is_processing_failed_when_the_key_lookup_fails(
    dns_server: DnsTestServer, dns: DnsPythonMailAuth, signing_key: DkimSigningKey
) -> None:
    dns_server.servfail(f"{signing_key.selector}._domainkey.{signing_key.domain}")
    assert verdicts(dns, DkimSigner().sign(message(), signing_key)).dkim == "PROCESSING_FAILED"


# --- DMARC ------------------------------------------------------------------------------------


def test_dmarc_passes_with_an_aligned_dkim_signature_from_a_subdomain_sender(
    dns_server: DnsTestServer, dns: DnsPythonMailAuth, signing_key: DkimSigningKey
) -> None:
    # Signed by sender.example, From news.sender.example: relaxed alignment (same organization).
    publish_key(dns_server, signing_key)
    dns_server.add("_dmarc.sender.example", "TXT", "v=DMARC1; p=reject; rua=mailto:d@sender.example")
    signed = DkimSigner().sign(message("alice@news.sender.example"), signing_key)
    result = verdicts(dns, signed, ip=OTHER)
    assert (result.spf, result.dkim, result.dmarc, result.dmarc_policy) == ("GRAY", "PASS", "PASS", None)
    assert "dmarc=pass header.from=news.sender.example;" in header(result, "Authentication-Results")
    assert "dmarcPolicy" not in result.receipt_fields()


def test_dmarc_passes_with_aligned_spf_alone(dns_server: DnsTestServer, dns: DnsPythonMailAuth) -> None:
    dns_server.add("sender.example", "TXT", f"v=spf1 ip4:{CLIENT} -all")
    dns_server.add("_dmarc.sender.example", "TXT", "v=DMARC1; p=quarantine")
    result = verdicts(dns, message())
    assert (result.spf, result.dkim, result.dmarc) == ("PASS", "GRAY", "PASS")


def test_dmarc_fails_with_the_reject_policy_when_nothing_aligned_passes(
    dns_server: DnsTestServer, dns: DnsPythonMailAuth
) -> None:
    # SPF passes, but for the envelope domain of a bulk provider, not for the From domain.
    dns_server.add("bounces.provider.example", "TXT", f"v=spf1 ip4:{CLIENT} -all")
    dns_server.add("_dmarc.sender.example", "TXT", "v=DMARC1; p=reject")
    result = verdicts(dns, message(), mail_from="b-123@bounces.provider.example")
    assert (result.spf, result.dmarc, result.dmarc_policy) == ("PASS", "FAIL", "reject")
    assert result.receipt_fields()["dmarcPolicy"] == "reject"
    assert "dmarc=fail (p=reject) header.from=sender.example;" in header(result, "Authentication-Results")


def test_strict_dkim_alignment_refuses_a_parent_domain_signature(
    dns_server: DnsTestServer, dns: DnsPythonMailAuth, signing_key: DkimSigningKey
) -> None:
    publish_key(dns_server, signing_key)
    dns_server.add("_dmarc.news.sender.example", "TXT", "v=DMARC1; p=quarantine; adkim=s")
    signed = DkimSigner().sign(message("alice@news.sender.example"), signing_key)
    result = verdicts(dns, signed)
    assert (result.dkim, result.dmarc, result.dmarc_policy) == ("PASS", "FAIL", "quarantine")


def test_a_subdomain_gets_the_organizations_subdomain_policy(
    dns_server: DnsTestServer, dns: DnsPythonMailAuth
) -> None:
    dns_server.add("_dmarc.sender.example", "TXT", "v=DMARC1; p=reject; sp=quarantine")
    result = verdicts(dns, message("alice@news.sender.example"))
    assert (result.dmarc, result.dmarc_policy) == ("FAIL", "quarantine")


def test_dmarc_without_a_record_is_gray(dns: DnsPythonMailAuth) -> None:
    result = verdicts(dns, message())
    assert (result.dmarc, result.dmarc_policy) == ("GRAY", None)
    assert "dmarc=none header.from=sender.example;" in header(result, "Authentication-Results")


def test_dmarc_is_processing_failed_when_the_policy_lookup_fails(
    dns_server: DnsTestServer, dns: DnsPythonMailAuth
) -> None:
    dns_server.servfail("_dmarc.sender.example")
    assert verdicts(dns, message()).dmarc == "PROCESSING_FAILED"


def test_the_stored_message_carries_the_verdict_fields_above_the_original(
    dns_server: DnsTestServer, dns: DnsPythonMailAuth, signing_key: DkimSigningKey
) -> None:
    publish_key(dns_server, signing_key)
    dns_server.add("sender.example", "TXT", f"v=spf1 ip4:{CLIENT} -all")
    dns_server.add("_dmarc.sender.example", "TXT", "v=DMARC1; p=none")
    signed = DkimSigner().sign(message(), signing_key)
    result = verdicts(dns, signed)
    stored = result.stamp(signed)
    assert stored.endswith(signed)
    names = [line.split(b":", 1)[0] for line in stored[: -len(signed)].split(b"\r\n") if line[:1] not in b" "]
    assert names == [
        b"X-SES-Spam-Verdict",
        b"X-SES-Virus-Verdict",
        b"Received-SPF",
        b"Authentication-Results",
        b"X-SES-RECEIPT",
    ]
    assert header(result, "Authentication-Results") == (
        "amazonses.com;\r\n"
        f" spf=pass (spfCheck: domain of sender.example designates {CLIENT} as permitted sender) "
        f"client-ip={CLIENT}; envelope-from=alice@sender.example; helo=mail.sender.example;\r\n"
        " dkim=pass header.i=@sender.example;\r\n"
        " dmarc=pass header.from=sender.example;"
    )
    # The DKIM signature still verifies on the stored message: the fields went on top.
    assert verdicts(dns, stored).dkim == "PASS"
