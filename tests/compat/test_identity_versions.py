"""One set of identities behind both API versions: what one version creates, changes or deletes,
the other sees at once, with the statuses in each version's spelling."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.compat_clients import client_error, sdk_client, wait_for
from tests.support.dns_server import DnsTestServer
from tests.support.local_process import LocalProcess
from tests.support.signing_zone import publish_dkim_cnames

V1_STATUS = {
    "PENDING": "Pending",
    "SUCCESS": "Success",
    "FAILED": "Failed",
    "TEMPORARY_FAILURE": "TemporaryFailure",
    "NOT_STARTED": "NotStarted",
}


@pytest.fixture(scope="module")
def ses(local: LocalProcess) -> Any:
    return sdk_client(local, "ses")


@pytest.fixture(scope="module")
def sesv2(local: LocalProcess) -> Any:
    return sdk_client(local, "sesv2")


def _v1_status(ses: Any, identity: str) -> str:
    found = ses.get_identity_verification_attributes(Identities=[identity])["VerificationAttributes"]
    return str(found[identity]["VerificationStatus"])


def _v1_dkim(ses: Any, identity: str) -> dict[str, Any]:
    return dict(ses.get_identity_dkim_attributes(Identities=[identity])["DkimAttributes"][identity])


def _v2_listed(sesv2: Any, name: str) -> dict[str, Any] | None:
    listed = sesv2.list_email_identities(PageSize=1000)["EmailIdentities"]
    return next((entry for entry in listed if entry["IdentityName"] == name), None)


def test_a_v2_domain_shows_in_v1_with_the_same_dkim_and_matching_statuses(
    local: LocalProcess, dns_server: DnsTestServer, ses: Any, sesv2: Any
) -> None:
    dkim = sesv2.create_email_identity(EmailIdentity="v2-made.example")["DkimAttributes"]
    assert "v2-made.example" in ses.list_identities(IdentityType="Domain")["Identities"]
    assert _v1_status(ses, "v2-made.example") == "Pending"
    assert _v1_dkim(ses, "v2-made.example") == {
        "DkimEnabled": True,
        "DkimVerificationStatus": "Pending",
        "DkimTokens": dkim["Tokens"],
    }
    # v1 asked for DKIM on a domain that has it already: the same tokens, not new keys.
    assert ses.verify_domain_dkim(Domain="v2-made.example")["DkimTokens"] == dkim["Tokens"]

    publish_dkim_cnames(dns_server, "v2-made.example", dkim["Tokens"], dkim["SigningHostedZone"])
    wait_for(lambda: _v1_dkim(ses, "v2-made.example"), lambda d: d["DkimVerificationStatus"] == "Success")
    v2 = sesv2.get_email_identity(EmailIdentity="v2-made.example")
    assert (v2["VerificationStatus"], v2["DkimAttributes"]["Status"]) == ("SUCCESS", "SUCCESS")
    assert _v1_status(ses, "v2-made.example") == V1_STATUS[v2["VerificationStatus"]]


def test_a_v1_domain_shows_in_v2_and_its_txt_token_verifies_it_for_both(
    local: LocalProcess, dns_server: DnsTestServer, ses: Any, sesv2: Any
) -> None:
    token = ses.verify_domain_identity(Domain="v1-made.example")["VerificationToken"]
    v2 = sesv2.get_email_identity(EmailIdentity="v1-made.example")
    assert v2["IdentityType"] == "DOMAIN"
    assert v2["VerificationStatus"] == "PENDING"
    assert v2["VerifiedForSendingStatus"] is False
    assert v2["DkimAttributes"]["Status"] == "NOT_STARTED"
    assert _v2_listed(sesv2, "v1-made.example") == {
        "IdentityType": "DOMAIN",
        "IdentityName": "v1-made.example",
        "SendingEnabled": False,
        "VerificationStatus": "PENDING",
    }

    dns_server.set("_amazonses.v1-made.example", "TXT", token)
    verified = wait_for(
        lambda: sesv2.get_email_identity(EmailIdentity="v1-made.example"),
        lambda answer: answer["VerificationStatus"] == "SUCCESS",
    )
    assert verified["VerifiedForSendingStatus"] is True
    assert _v1_status(ses, "v1-made.example") == "Success"
    assert _v2_listed(sesv2, "v1-made.example") == {
        "IdentityType": "DOMAIN",
        "IdentityName": "v1-made.example",
        "SendingEnabled": True,
        "VerificationStatus": "SUCCESS",
    }


def test_a_dns_failure_is_a_temporary_failure_in_both_versions(
    local: LocalProcess, dns_server: DnsTestServer, ses: Any, sesv2: Any
) -> None:
    dns_server.servfail("_amazonses.flaky.example")
    ses.verify_domain_identity(Domain="flaky.example")
    v2 = wait_for(
        lambda: sesv2.get_email_identity(EmailIdentity="flaky.example"),
        lambda answer: answer["VerificationStatus"] == "TEMPORARY_FAILURE",
    )
    assert v2["VerificationInfo"]["ErrorType"] == "DNS_SERVER_ERROR"
    assert _v1_status(ses, "flaky.example") == "TemporaryFailure"
    listed = _v2_listed(sesv2, "flaky.example")
    assert listed is not None and listed["VerificationStatus"] == "TEMPORARY_FAILURE"


def test_addresses_made_by_either_version_are_pending_in_both(ses: Any, sesv2: Any) -> None:
    ses.verify_email_identity(EmailAddress="v1@addresses.example")
    sesv2.create_email_identity(EmailIdentity="v2@addresses.example")
    for address in ("v1@addresses.example", "v2@addresses.example"):
        v2 = sesv2.get_email_identity(EmailIdentity=address)
        assert (v2["IdentityType"], v2["VerificationStatus"]) == ("EMAIL_ADDRESS", "PENDING")
        assert v2["VerifiedForSendingStatus"] is False
        assert _v1_status(ses, address) == V1_STATUS[v2["VerificationStatus"]] == "Pending"
    assert {"v1@addresses.example", "v2@addresses.example"} <= set(
        ses.list_identities(IdentityType="EmailAddress")["Identities"]
    )
    # Made once, whichever version asks second.
    assert client_error(sesv2.create_email_identity, EmailIdentity="v1@addresses.example").code == (
        "AlreadyExistsException"
    )


def test_a_deletion_through_either_version_is_seen_by_the_other(ses: Any, sesv2: Any) -> None:
    ses.verify_domain_identity(Domain="delete-v2.example")
    sesv2.create_email_identity(EmailIdentity="delete-v1.example")

    sesv2.delete_email_identity(EmailIdentity="delete-v2.example")
    ses.delete_identity(Identity="delete-v1.example")

    assert (
        ses.get_identity_verification_attributes(Identities=["delete-v2.example"])["VerificationAttributes"]
        == {}
    )
    missing = client_error(sesv2.get_email_identity, EmailIdentity="delete-v1.example")
    assert (missing.code, missing.status) == ("NotFoundException", 404)
    assert _v2_listed(sesv2, "delete-v1.example") is None
    assert "delete-v2.example" not in ses.list_identities()["Identities"]
