"""SES v1 identity operations through a real boto3 `ses` client, verified through real DNS."""

from __future__ import annotations

from typing import Any

from tests.support.compat_clients import aws_client, sdk_client, wait_for
from tests.support.dns_server import DnsTestServer
from tests.support.local_process import LocalProcess
from tests.support.signing_zone import publish_dkim_cnames, signing_zone_txt

SIGNING_ZONE = "dkim.sesame.test"  # local mode's default SigningHostedZone


def _verification(ses: Any, identity: str) -> dict[str, Any]:
    return dict(ses.get_identity_verification_attributes(Identities=[identity])["VerificationAttributes"])


def _all_identities(ses: Any, **kwargs: Any) -> tuple[list[str], list[int]]:
    """Every identity, page by page with NextToken; and the size of each page."""
    names: list[str] = []
    sizes: list[int] = []
    token: str | None = None
    while True:
        page = ses.list_identities(**kwargs, **({"NextToken": token} if token else {}))
        names += page["Identities"]
        sizes.append(len(page["Identities"]))
        token = page.get("NextToken")
        if not token:
            return names, sizes


def test_a_domain_is_verified_by_its_token_in_a_txt_record(
    local: LocalProcess, dns_server: DnsTestServer
) -> None:
    ses = sdk_client(local, "ses")
    token = ses.verify_domain_identity(Domain="token.example")["VerificationToken"]
    assert token
    assert _verification(ses, "token.example") == {
        "token.example": {"VerificationStatus": "Pending", "VerificationToken": token}
    }
    # Asking again returns the same token: a record already published stays valid.
    assert ses.verify_domain_identity(Domain="token.example")["VerificationToken"] == token

    dns_server.set("_amazonses.token.example", "TXT", "unrelated-value", token)
    verified = wait_for(
        lambda: _verification(ses, "token.example"),
        lambda found: found["token.example"]["VerificationStatus"] == "Success",
    )
    assert verified["token.example"]["VerificationToken"] == token


def test_a_wrong_token_in_dns_leaves_the_domain_pending(
    local: LocalProcess, dns_server: DnsTestServer
) -> None:
    ses = sdk_client(local, "ses")
    ses.verify_domain_identity(Domain="wrong-token.example")
    name = "_amazonses.wrong-token.example"
    dns_server.set(name, "TXT", "not-the-token")
    asked = len([q for q in dns_server.queries if q[1:] == (name, "TXT")])
    # Sesame looks at the record again (twice, so at least once after it was published) ...
    wait_for(
        lambda: len([q for q in dns_server.queries if q[1:] == (name, "TXT")]),
        lambda count: count >= asked + 2,
    )
    # ... and does not take the wrong value for the token.
    assert _verification(ses, "wrong-token.example")["wrong-token.example"]["VerificationStatus"] == "Pending"


def test_verify_domain_dkim_publishes_keys_and_succeeds_once_the_cnames_resolve(
    local: LocalProcess, dns_server: DnsTestServer
) -> None:
    ses = sdk_client(local, "ses")
    tokens = ses.verify_domain_dkim(Domain="dkim.example")["DkimTokens"]
    assert len(tokens) == 3
    assert ses.verify_domain_dkim(Domain="dkim.example")["DkimTokens"] == tokens
    attributes = ses.get_identity_dkim_attributes(Identities=["dkim.example"])["DkimAttributes"]
    assert attributes == {
        "dkim.example": {"DkimEnabled": True, "DkimVerificationStatus": "Pending", "DkimTokens": tokens}
    }
    hosted = signing_zone_txt(aws_client(local, "route53"), SIGNING_ZONE)
    assert {f"{t}.{SIGNING_ZONE}" for t in tokens} <= set(hosted)

    publish_dkim_cnames(dns_server, "dkim.example", tokens, SIGNING_ZONE)
    verified = wait_for(
        lambda: ses.get_identity_dkim_attributes(Identities=["dkim.example"])["DkimAttributes"],
        lambda found: found["dkim.example"]["DkimVerificationStatus"] == "Success",
    )
    assert verified["dkim.example"]["DkimTokens"] == tokens
    # DKIM verifies the domain itself too.
    assert _verification(ses, "dkim.example")["dkim.example"]["VerificationStatus"] == "Success"


def test_an_email_address_is_pending_until_its_link_is_followed(local: LocalProcess) -> None:
    ses = sdk_client(local, "ses")
    ses.verify_email_identity(EmailAddress="someone@pending.example")
    assert _verification(ses, "someone@pending.example") == {
        "someone@pending.example": {"VerificationStatus": "Pending"}
    }
    assert "someone@pending.example" not in ses.list_verified_email_addresses()["VerifiedEmailAddresses"]


def test_list_identities_filters_by_type_and_pages(local: LocalProcess) -> None:
    ses = sdk_client(local, "ses")
    domains = [f"page{n}.list.example" for n in range(5)]
    addresses = [f"user{n}@list.example" for n in range(4)]
    for domain in domains:
        ses.verify_domain_identity(Domain=domain)
    for address in addresses:
        ses.verify_email_identity(EmailAddress=address)

    everything, _ = _all_identities(ses)
    assert set(domains + addresses) <= set(everything)
    assert len(everything) == len(set(everything))

    paged, sizes = _all_identities(ses, MaxItems=2)
    assert paged == everything
    assert len(sizes) >= 5 and all(size <= 2 for size in sizes)

    only_domains, _ = _all_identities(ses, IdentityType="Domain", MaxItems=3)
    only_addresses, _ = _all_identities(ses, IdentityType="EmailAddress", MaxItems=3)
    assert set(domains) <= set(only_domains) and not any("@" in name for name in only_domains)
    assert set(addresses) <= set(only_addresses) and all("@" in name for name in only_addresses)
    assert sorted(only_domains + only_addresses) == sorted(everything)


def test_delete_identity_removes_it_and_withdraws_its_hosted_keys(local: LocalProcess) -> None:
    ses = sdk_client(local, "ses")
    tokens = ses.verify_domain_dkim(Domain="gone.example")["DkimTokens"]
    ses.verify_email_identity(EmailAddress="gone@other.example")
    route53 = aws_client(local, "route53")
    assert {f"{t}.{SIGNING_ZONE}" for t in tokens} <= set(signing_zone_txt(route53, SIGNING_ZONE))

    ses.delete_identity(Identity="gone.example")
    ses.delete_identity(Identity="gone@other.example")

    assert _verification(ses, "gone.example") == {}
    assert (
        ses.get_identity_verification_attributes(Identities=["gone@other.example"])["VerificationAttributes"]
        == {}
    )
    names, _ = _all_identities(ses)
    assert "gone.example" not in names and "gone@other.example" not in names
    assert not {f"{t}.{SIGNING_ZONE}" for t in tokens} & set(signing_zone_txt(route53, SIGNING_ZONE))
    # Deleting what is not there is not an error in v1.
    ses.delete_identity(Identity="gone.example")
