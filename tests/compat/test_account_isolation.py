"""Accounts are tenants: a second account, made with `sesame admin`, can neither see, read,
change nor delete the first account's identities, through either API version, and its own
identity of the same name is a separate one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.compat_clients import client_error, sdk_client, sesame_admin, wait_for
from tests.support.dns_server import DnsTestServer
from tests.support.local_process import LocalProcess

DOMAIN = "owned-by-first.example"
ADDRESS = "owner@owned-by-first.example"


class Tenant:
    def __init__(self, local: LocalProcess, key_id: str | None = None, secret: str | None = None) -> None:
        self.ses = sdk_client(local, "ses", key_id=key_id, secret=secret)
        self.sesv2 = sdk_client(local, "sesv2", key_id=key_id, secret=secret)


@pytest.fixture(scope="module")
def first(local: LocalProcess, dns_server: DnsTestServer) -> Tenant:
    """The bootstrap account, owning a verified domain (with DKIM and feedback forwarding on)
    and a pending address."""
    tenant = Tenant(local)
    token = tenant.ses.verify_domain_identity(Domain=DOMAIN)["VerificationToken"]
    tenant.ses.verify_domain_dkim(Domain=DOMAIN)
    tenant.ses.verify_email_identity(EmailAddress=ADDRESS)
    dns_server.set(f"_amazonses.{DOMAIN}", "TXT", token)
    wait_for(
        lambda: tenant.ses.get_identity_verification_attributes(Identities=[DOMAIN])[
            "VerificationAttributes"
        ],
        lambda found: found[DOMAIN]["VerificationStatus"] == "Success",
    )
    return tenant


@pytest.fixture(scope="module")
def second(local: LocalProcess, first: Tenant) -> Tenant:
    account = sesame_admin(local, "create-account")
    key = sesame_admin(local, "create-access-key", "--account-id", account["account_id"])
    assert key["account_id"] == account["account_id"] != local.ready["account"]
    return Tenant(local, key["access_key_id"], key["secret_access_key"])


def _first_is_intact(first: Tenant) -> None:
    domain = first.sesv2.get_email_identity(EmailIdentity=DOMAIN)
    assert domain["IdentityType"] == "DOMAIN"
    assert domain["DkimAttributes"]["SigningEnabled"] is True
    assert domain["FeedbackForwardingStatus"] is True
    address = first.sesv2.get_email_identity(EmailIdentity=ADDRESS)
    assert address["VerificationStatus"] == "PENDING"
    assert {DOMAIN, ADDRESS} <= set(first.ses.list_identities()["Identities"])


def test_the_second_account_lists_none_of_the_firsts_identities(first: Tenant, second: Tenant) -> None:
    assert not {DOMAIN, ADDRESS} & set(second.ses.list_identities()["Identities"])
    listed = second.sesv2.list_email_identities()["EmailIdentities"]
    assert not {DOMAIN, ADDRESS} & {entry["IdentityName"] for entry in listed}
    assert ADDRESS not in second.ses.list_verified_email_addresses()["VerifiedEmailAddresses"]


def test_the_second_account_cannot_read_the_firsts_identities(first: Tenant, second: Tenant) -> None:
    names = [DOMAIN, ADDRESS]
    assert second.ses.get_identity_verification_attributes(Identities=names)["VerificationAttributes"] == {}
    assert second.ses.get_identity_dkim_attributes(Identities=names)["DkimAttributes"] == {}
    assert (
        second.ses.get_identity_mail_from_domain_attributes(Identities=names)["MailFromDomainAttributes"]
        == {}
    )
    for name in names:
        error = client_error(second.sesv2.get_email_identity, EmailIdentity=name)
        assert (error.code, error.status) == ("NotFoundException", 404)


def test_the_second_account_cannot_change_the_firsts_identities(first: Tenant, second: Tenant) -> None:
    v1 = client_error(second.ses.set_identity_dkim_enabled, Identity=DOMAIN, DkimEnabled=False)
    assert v1.code == "InvalidParameterValue"
    v1 = client_error(second.ses.set_identity_mail_from_domain, Identity=DOMAIN, MailFromDomain=f"m.{DOMAIN}")
    assert v1.code == "InvalidParameterValue"
    changes: list[tuple[Any, dict[str, Any]]] = [
        (second.sesv2.put_email_identity_dkim_attributes, {"SigningEnabled": False}),
        (second.sesv2.put_email_identity_feedback_attributes, {"EmailForwardingEnabled": False}),
        (second.sesv2.put_email_identity_mail_from_attributes, {"MailFromDomain": f"m.{DOMAIN}"}),
    ]
    for call, params in changes:
        v2 = client_error(call, EmailIdentity=DOMAIN, **params)
        assert (v2.code, v2.status) == ("NotFoundException", 404)
    _first_is_intact(first)
    assert "MailFromDomain" not in first.sesv2.get_email_identity(EmailIdentity=DOMAIN)["MailFromAttributes"]


def test_the_second_account_cannot_delete_the_firsts_identities(first: Tenant, second: Tenant) -> None:
    for name in (DOMAIN, ADDRESS):
        # v1 DeleteIdentity answers success for an identity the caller does not have ...
        second.ses.delete_identity(Identity=name)
        error = client_error(second.sesv2.delete_email_identity, EmailIdentity=name)
        assert (error.code, error.status) == ("NotFoundException", 404)
    # ... and the first account's identities are untouched.
    _first_is_intact(first)


def test_the_same_domain_in_the_second_account_is_a_separate_identity(
    local: LocalProcess, first: Tenant, second: Tenant
) -> None:
    first_token = first.ses.verify_domain_identity(Domain=DOMAIN)["VerificationToken"]
    second_token = second.ses.verify_domain_identity(Domain=DOMAIN)["VerificationToken"]
    assert second_token != first_token
    # The first account's TXT record in DNS does not verify the second account's claim.
    mine = second.ses.get_identity_verification_attributes(Identities=[DOMAIN])["VerificationAttributes"]
    assert mine[DOMAIN] == {"VerificationStatus": "Pending", "VerificationToken": second_token}
    assert second.sesv2.get_email_identity(EmailIdentity=DOMAIN)["DkimAttributes"]["Status"] == "NOT_STARTED"

    second.sesv2.delete_email_identity(EmailIdentity=DOMAIN)
    _first_is_intact(first)
    theirs = first.ses.get_identity_verification_attributes(Identities=[DOMAIN])["VerificationAttributes"]
    assert theirs[DOMAIN] == {"VerificationStatus": "Success", "VerificationToken": first_token}
