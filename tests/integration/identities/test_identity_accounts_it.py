"""Accounts, listings and the two API versions, against the real DynamoDB layout (moto)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from sesame.domain.errors import InvalidNextToken, InvalidParameterValue, NotFound
from tests.integration.identities.helpers import A, B, World

pytestmark = pytest.mark.integration


def _seed(world: World) -> None:
    world.call(2, "CreateEmailIdentity", EmailIdentity="example.com")
    world.call(1, "VerifyEmailIdentity", EmailAddress="jane@example.com")
    world.call(1, "VerifyDomainIdentity", Domain="token.example")


def test_another_account_sees_and_touches_nothing(world: World) -> None:
    _seed(world)
    names = ["example.com", "jane@example.com", "token.example"]
    # Reading.
    assert world.call(2, "ListEmailIdentities", B) == {"EmailIdentities": []}
    assert world.call(1, "ListIdentities", B) == {"Identities": []}
    assert world.call(1, "ListVerifiedEmailAddresses", B) == {"VerifiedEmailAddresses": []}
    for operation, key in (
        ("GetIdentityVerificationAttributes", "VerificationAttributes"),
        ("GetIdentityDkimAttributes", "DkimAttributes"),
        ("GetIdentityMailFromDomainAttributes", "MailFromDomainAttributes"),
    ):
        assert world.call(1, operation, B, Identities=names) == {key: {}}
    for name in names:
        with pytest.raises(NotFound):
            world.call(2, "GetEmailIdentity", B, EmailIdentity=name)
        with pytest.raises(NotFound):
            world.service.dkim_records(B, name)
    # Changing.
    for name in names:
        for operation, extra in [
            ("PutEmailIdentityDkimAttributes", {"SigningEnabled": False}),
            ("PutEmailIdentityMailFromAttributes", {"MailFromDomain": "mf.example.com"}),
            ("PutEmailIdentityFeedbackAttributes", {"EmailForwardingEnabled": False}),
            ("PutEmailIdentityConfigurationSetAttributes", {"ConfigurationSetName": "cs"}),
            ("DeleteEmailIdentity", {}),
        ]:
            with pytest.raises(NotFound):
                world.call(2, operation, B, EmailIdentity=name, **extra)
        with pytest.raises(InvalidParameterValue):
            world.call(1, "SetIdentityDkimEnabled", B, Identity=name, DkimEnabled=False)
        with pytest.raises(InvalidParameterValue):
            world.call(1, "SetIdentityMailFromDomain", B, Identity=name, MailFromDomain="mf.example.com")
        world.call(1, "DeleteIdentity", B, Identity=name)
    with pytest.raises(NotFound):
        world.call(
            2,
            "PutEmailIdentityDkimSigningAttributes",
            B,
            EmailIdentity="example.com",
            SigningAttributesOrigin="AWS_SES",
        )
    world.call(1, "DeleteVerifiedEmailAddress", B, EmailAddress="jane@example.com")
    with pytest.raises(NotFound):
        world.service.check_now(B, "example.com")
    # A's identities are exactly as they were, Route 53 keys included.
    assert world.call(1, "ListIdentities")["Identities"] == sorted(names)
    got = world.call(2, "GetEmailIdentity", EmailIdentity="example.com")
    assert got["DkimAttributes"]["SigningEnabled"] is True and got["FeedbackForwardingStatus"] is True
    assert "ConfigurationSetName" not in got and "MailFromDomain" not in got["MailFromAttributes"]
    assert len(world.zone_records()) == 3


def test_the_same_domain_in_two_accounts_is_two_identities(world: World) -> None:
    a = world.call(2, "CreateEmailIdentity", A, EmailIdentity="example.com")
    b = world.call(2, "CreateEmailIdentity", B, EmailIdentity="example.com")
    assert set(a["DkimAttributes"]["Tokens"]).isdisjoint(b["DkimAttributes"]["Tokens"])
    world.publish_customer_dkim(A, "example.com")
    world.tick()
    assert (
        world.call(2, "GetEmailIdentity", A, EmailIdentity="example.com")["VerificationStatus"] == "SUCCESS"
    )
    assert (
        world.call(2, "GetEmailIdentity", B, EmailIdentity="example.com")["VerificationStatus"] == "PENDING"
    )
    world.call(2, "DeleteEmailIdentity", B, EmailIdentity="example.com")
    assert sorted(world.zone_records()) == sorted(
        f"{t}.dkim.sesame.test" for t in a["DkimAttributes"]["Tokens"]
    )


def test_v1_and_v2_see_the_same_identities(world: World) -> None:
    token = world.call(1, "VerifyDomainIdentity", Domain="v1.example")["VerificationToken"]
    tokens = world.call(1, "VerifyDomainDkim", Domain="v1.example")["DkimTokens"]
    got = world.call(2, "GetEmailIdentity", EmailIdentity="v1.example")
    assert got["IdentityType"] == "DOMAIN" and got["DkimAttributes"]["Tokens"] == tokens
    world.call(2, "CreateEmailIdentity", EmailIdentity="v2.example")
    world.call(2, "CreateEmailIdentity", EmailIdentity="someone@v2.example")
    assert world.call(1, "ListIdentities", IdentityType="Domain")["Identities"] == [
        "v1.example",
        "v2.example",
    ]
    assert world.call(1, "ListIdentities", IdentityType="EmailAddress")["Identities"] == [
        "someone@v2.example"
    ]
    v2_tokens = world.call(2, "GetEmailIdentity", EmailIdentity="v2.example")["DkimAttributes"]["Tokens"]
    dkim = world.call(1, "GetIdentityDkimAttributes", Identities=["v2.example", "someone@v2.example"])
    assert dkim["DkimAttributes"]["v2.example"]["DkimTokens"] == v2_tokens
    assert dkim["DkimAttributes"]["someone@v2.example"]["DkimTokens"] == v2_tokens
    listed = world.call(2, "ListEmailIdentities")["EmailIdentities"]
    assert [e["IdentityName"] for e in listed] == ["someone@v2.example", "v1.example", "v2.example"]
    world.dns.add("_amazonses.v1.example", "TXT", token)
    world.tick()
    assert world.call(2, "GetEmailIdentity", EmailIdentity="v1.example")["VerificationStatus"] == "SUCCESS"
    world.call(2, "DeleteEmailIdentity", EmailIdentity="v1.example")
    assert world.call(1, "GetIdentityVerificationAttributes", Identities=["v1.example"]) == {
        "VerificationAttributes": {}
    }


def test_paging_through_many_identities(world: World) -> None:
    addresses = [f"user{i:02d}@example.com" for i in range(23)]
    for address in addresses:
        world.call(1, "VerifyEmailIdentity", EmailAddress=address)
    world.call(1, "VerifyDomainIdentity", Domain="zz.example")
    world.call(1, "VerifyEmailIdentity", B, EmailAddress="other@example.com")

    seen: list[str] = []
    token = None
    pages = 0
    while True:
        params = {"MaxItems": 10} | ({"NextToken": token} if token else {})
        out = world.call(1, "ListIdentities", **params)
        seen += out["Identities"]
        pages += 1
        token = out.get("NextToken")
        if not token:
            break
    assert pages == 3 and seen == [*sorted(addresses), "zz.example"]

    seen = []
    token = None
    while True:
        params = {"PageSize": 7, "Filter": {"IDENTITY_TYPE": "EMAIL_ADDRESS"}} | (
            {"NextToken": token} if token else {}
        )
        out = world.call(2, "ListEmailIdentities", **params)
        assert len(out["EmailIdentities"]) <= 7
        seen += [e["IdentityName"] for e in out["EmailIdentities"]]
        token = out.get("NextToken")
        if not token:
            break
    assert seen == sorted(addresses)
    named = world.call(2, "ListEmailIdentities", Filter={"IDENTITY_NAME_CONTAINS": "user1"})
    assert [e["IdentityName"] for e in named["EmailIdentities"]] == addresses[10:20]
    [link] = [
        link for account, address, link in world.mailer.sent if (account, address) == (A, addresses[-1])
    ]
    world.service.confirm_email(parse_qs(urlsplit(link).query)["token"][0])
    verified = world.call(2, "ListEmailIdentities", Filter={"VERIFICATION_STATUS": "SUCCESS"})
    assert [e["IdentityName"] for e in verified["EmailIdentities"]] == [addresses[-1]]
    with pytest.raises(InvalidNextToken):
        world.call(1, "ListIdentities", NextToken="%%%")


def test_many_identities_read_at_once(world: World) -> None:
    names = [f"u{i:03d}@example.com" for i in range(120)]
    for name in names:
        world.call(1, "VerifyEmailIdentity", EmailAddress=name)
    attrs = world.call(1, "GetIdentityVerificationAttributes", Identities=[*names, "missing@example.com"])
    assert sorted(attrs["VerificationAttributes"]) == names


def test_already_exists_between_versions(world: World) -> None:
    from sesame.domain.errors import AlreadyExists

    world.call(1, "VerifyDomainIdentity", Domain="example.com")
    with pytest.raises(AlreadyExists):
        world.call(2, "CreateEmailIdentity", EmailIdentity="Example.COM")
