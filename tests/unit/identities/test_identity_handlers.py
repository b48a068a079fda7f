"""The v1 and v2 handlers: parameters as botocore's model names them, outputs in its shapes."""

from __future__ import annotations

import base64
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import sesame.api.operations  # noqa: F401  (registers the handlers)
from sesame.api.registry import handler_for
from sesame.domain.errors import InvalidNextToken, InvalidParameterValue, NotFound
from tests.unit.identities.fakes import ZONE, A, B, World
from tests.unit.identities.shapes import check_output

# SES leaves out the domain and status of an identity without a custom MAIL FROM, although
# the model calls them required; everything else must be complete.
SES_OMITS = {
    "GetIdentityMailFromDomainAttributes": frozenset(
        {"MailFromDomainAttributes.*.MailFromDomain", "MailFromDomainAttributes.*.MailFromDomainStatus"}
    ),
    "GetEmailIdentity": frozenset(
        {"MailFromAttributes.MailFromDomain", "MailFromAttributes.MailFromDomainStatus"}
    ),
}


def call(world: World, version: int, operation: str, account: str = A, **params: Any) -> Any:
    handler = handler_for(version, operation)
    assert handler is not None, f"v{version} {operation} is not registered"
    services = SimpleNamespace(identities=world.service, settings=world.settings)
    output = handler(services, world.ctx(account), params)  # type: ignore[arg-type]
    check_output(version, operation, output, optional=SES_OMITS.get(operation, frozenset()))
    return output


def publish(world: World, account: str, domain: str) -> None:
    world.dns.publish(world.service.dkim_records(account, domain))
    world.clock.advance(world.settings.check_interval)
    world.service.check_pending()


# --- v2 ------------------------------------------------------------------------------------------


def test_create_and_get_a_domain(world: World) -> None:
    created = call(
        world, 2, "CreateEmailIdentity", EmailIdentity="example.com", Tags=[{"Key": "a", "Value": "b"}]
    )
    assert created["IdentityType"] == "DOMAIN" and created["VerifiedForSendingStatus"] is False
    dkim = created["DkimAttributes"]
    assert dkim["SigningEnabled"] is True and dkim["Status"] == "PENDING"
    assert dkim["SigningHostedZone"] == ZONE and dkim["SigningAttributesOrigin"] == "AWS_SES"
    assert dkim["NextSigningKeyLength"] == dkim["CurrentSigningKeyLength"] == "RSA_2048_BIT"
    assert len(dkim["Tokens"]) == 3
    publish(world, A, "example.com")
    got = call(world, 2, "GetEmailIdentity", EmailIdentity="example.com")
    assert got["VerificationStatus"] == "SUCCESS" and got["VerifiedForSendingStatus"] is True
    assert got["DkimAttributes"]["Status"] == "SUCCESS"
    assert got["FeedbackForwardingStatus"] is True and got["Policies"] == {}
    assert got["Tags"] == [{"Key": "a", "Value": "b"}]
    assert got["MailFromAttributes"] == {"BehaviorOnMxFailure": "USE_DEFAULT_VALUE"}
    assert got["VerificationInfo"]["LastSuccessTimestamp"].timestamp() == world.clock.now


def test_create_an_address_and_get_it(world: World) -> None:
    created = call(world, 2, "CreateEmailIdentity", EmailIdentity="jane@example.com")
    assert created["IdentityType"] == "EMAIL_ADDRESS"
    assert created["DkimAttributes"] == {"SigningEnabled": False, "Status": "NOT_STARTED", "Tokens": []}
    got = call(world, 2, "GetEmailIdentity", EmailIdentity="jane@example.com")
    assert got["VerificationStatus"] == "PENDING"


def test_create_with_byodkim(world: World) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    created = call(
        world,
        2,
        "CreateEmailIdentity",
        EmailIdentity="example.com",
        DkimSigningAttributes={
            "DomainSigningSelector": "s1",
            "DomainSigningPrivateKey": base64.b64encode(der).decode(),
        },
    )
    dkim = created["DkimAttributes"]
    assert dkim["SigningAttributesOrigin"] == "EXTERNAL" and dkim["Tokens"] == ["s1"]
    assert "SigningHostedZone" not in dkim and "CurrentSigningKeyLength" not in dkim


def test_create_with_a_key_length(world: World) -> None:
    created = call(
        world,
        2,
        "CreateEmailIdentity",
        EmailIdentity="example.com",
        DkimSigningAttributes={"NextSigningKeyLength": "RSA_1024_BIT"},
    )
    assert created["DkimAttributes"]["CurrentSigningKeyLength"] == "RSA_1024_BIT"


def test_deterministic_easy_dkim_is_refused(world: World) -> None:
    call(world, 2, "CreateEmailIdentity", EmailIdentity="example.com")
    with pytest.raises(InvalidParameterValue):
        call(
            world,
            2,
            "PutEmailIdentityDkimSigningAttributes",
            EmailIdentity="example.com",
            SigningAttributesOrigin="AWS_SES_EU_WEST_1",
        )


def test_put_dkim_signing_attributes_answers_status_and_tokens(world: World) -> None:
    created = call(world, 2, "CreateEmailIdentity", EmailIdentity="example.com")
    out = call(
        world,
        2,
        "PutEmailIdentityDkimSigningAttributes",
        EmailIdentity="example.com",
        SigningAttributesOrigin="AWS_SES",
        SigningAttributes={"NextSigningKeyLength": "RSA_1024_BIT"},
    )
    assert out["DkimTokens"] == created["DkimAttributes"]["Tokens"]
    assert out["DkimStatus"] == "PENDING" and out["SigningHostedZone"] == ZONE


def test_put_attributes(world: World) -> None:
    call(world, 2, "CreateEmailIdentity", EmailIdentity="example.com")
    call(world, 2, "PutEmailIdentityDkimAttributes", EmailIdentity="example.com", SigningEnabled=False)
    call(
        world,
        2,
        "PutEmailIdentityMailFromAttributes",
        EmailIdentity="example.com",
        MailFromDomain="bounce.example.com",
        BehaviorOnMxFailure="REJECT_MESSAGE",
    )
    call(
        world,
        2,
        "PutEmailIdentityFeedbackAttributes",
        EmailIdentity="example.com",
        EmailForwardingEnabled=False,
    )
    call(
        world,
        2,
        "PutEmailIdentityConfigurationSetAttributes",
        EmailIdentity="example.com",
        ConfigurationSetName="c",
    )
    got = call(world, 2, "GetEmailIdentity", EmailIdentity="example.com")
    assert got["DkimAttributes"]["SigningEnabled"] is False
    assert got["MailFromAttributes"] == {
        "MailFromDomain": "bounce.example.com",
        "MailFromDomainStatus": "PENDING",
        "BehaviorOnMxFailure": "REJECT_MESSAGE",
    }
    assert got["FeedbackForwardingStatus"] is False and got["ConfigurationSetName"] == "c"


def test_list_email_identities_pages_and_filters(world: World) -> None:
    for i in range(5):
        call(world, 2, "CreateEmailIdentity", EmailIdentity=f"u{i}@example.com")
    call(world, 2, "CreateEmailIdentity", EmailIdentity="example.com")
    first = call(world, 2, "ListEmailIdentities", PageSize=4)
    assert len(first["EmailIdentities"]) == 4 and "NextToken" in first
    second = call(world, 2, "ListEmailIdentities", PageSize=4, NextToken=first["NextToken"])
    assert len(second["EmailIdentities"]) == 2 and "NextToken" not in second
    entry = second["EmailIdentities"][-1]
    assert entry == {
        "IdentityType": "EMAIL_ADDRESS",
        "IdentityName": "u4@example.com",
        "SendingEnabled": False,
        "VerificationStatus": "PENDING",
    }
    domains = call(world, 2, "ListEmailIdentities", Filter={"IDENTITY_TYPE": "DOMAIN"})
    assert [e["IdentityName"] for e in domains["EmailIdentities"]] == ["example.com"]
    with pytest.raises(InvalidNextToken):
        call(world, 2, "ListEmailIdentities", NextToken="garbage!")


def test_v2_unknown_identities_are_not_found(world: World) -> None:
    for operation, extra in [
        ("GetEmailIdentity", {}),
        ("DeleteEmailIdentity", {}),
        ("PutEmailIdentityDkimAttributes", {"SigningEnabled": True}),
        ("PutEmailIdentityDkimSigningAttributes", {"SigningAttributesOrigin": "AWS_SES"}),
        ("PutEmailIdentityMailFromAttributes", {"MailFromDomain": "b.missing.com"}),
        ("PutEmailIdentityFeedbackAttributes", {"EmailForwardingEnabled": True}),
        ("PutEmailIdentityConfigurationSetAttributes", {"ConfigurationSetName": "c"}),
    ]:
        with pytest.raises(NotFound):
            call(world, 2, operation, EmailIdentity="missing.com", **extra)


# --- v1 ------------------------------------------------------------------------------------------


def test_v1_domain_verification_and_attributes(world: World) -> None:
    token = call(world, 1, "VerifyDomainIdentity", Domain="example.com")["VerificationToken"]
    assert call(world, 1, "VerifyDomainIdentity", Domain="example.com")["VerificationToken"] == token
    attrs = call(world, 1, "GetIdentityVerificationAttributes", Identities=["example.com", "missing.com"])
    assert attrs == {
        "VerificationAttributes": {
            "example.com": {"VerificationStatus": "Pending", "VerificationToken": token}
        }
    }
    dkim = call(world, 1, "GetIdentityDkimAttributes", Identities=["example.com"])["DkimAttributes"]
    assert dkim == {"example.com": {"DkimEnabled": False, "DkimVerificationStatus": "NotStarted"}}
    tokens = call(world, 1, "VerifyDomainDkim", Domain="example.com")["DkimTokens"]
    dkim = call(world, 1, "GetIdentityDkimAttributes", Identities=["example.com"])["DkimAttributes"]
    assert dkim["example.com"] == {
        "DkimEnabled": True,
        "DkimVerificationStatus": "Pending",
        "DkimTokens": tokens,
    }
    world.dns.txts["_amazonses.example.com"] = [token]
    world.clock.advance(world.settings.check_interval)
    attrs = call(world, 1, "GetIdentityVerificationAttributes", Identities=["example.com"])
    assert attrs["VerificationAttributes"]["example.com"]["VerificationStatus"] == "Success"


def test_v1_email_verification_and_lists(world: World) -> None:
    assert call(world, 1, "VerifyEmailIdentity", EmailAddress="jane@example.com") == {}
    assert call(world, 1, "VerifyEmailAddress", EmailAddress="joe@example.com") == {}
    assert call(world, 1, "ListVerifiedEmailAddresses") == {"VerifiedEmailAddresses": []}
    world.service.confirm_email(world.mailer.last_token())
    assert call(world, 1, "ListVerifiedEmailAddresses") == {"VerifiedEmailAddresses": ["joe@example.com"]}
    call(world, 1, "VerifyDomainIdentity", Domain="example.com")
    listed = call(world, 1, "ListIdentities", IdentityType="EmailAddress")
    assert listed == {"Identities": ["jane@example.com", "joe@example.com"]}
    page = call(world, 1, "ListIdentities", MaxItems=2)
    assert page["Identities"] == ["example.com", "jane@example.com"]
    rest = call(world, 1, "ListIdentities", MaxItems=2, NextToken=page["NextToken"])
    assert rest == {"Identities": ["joe@example.com"]}


def test_v1_mail_from(world: World) -> None:
    call(world, 1, "VerifyDomainIdentity", Domain="example.com")
    got = call(world, 1, "GetIdentityMailFromDomainAttributes", Identities=["example.com"])
    assert got == {"MailFromDomainAttributes": {"example.com": {"BehaviorOnMXFailure": "UseDefaultValue"}}}
    call(
        world,
        1,
        "SetIdentityMailFromDomain",
        Identity="example.com",
        MailFromDomain="bounce.example.com",
        BehaviorOnMXFailure="RejectMessage",
    )
    got = call(world, 1, "GetIdentityMailFromDomainAttributes", Identities=["example.com"])
    assert got["MailFromDomainAttributes"]["example.com"] == {
        "MailFromDomain": "bounce.example.com",
        "MailFromDomainStatus": "Pending",
        "BehaviorOnMXFailure": "RejectMessage",
    }
    with pytest.raises(InvalidParameterValue, match="not subdomain"):
        call(world, 1, "SetIdentityMailFromDomain", Identity="example.com", MailFromDomain="b.other.com")


def test_v1_unknown_identities(world: World) -> None:
    for operation in (
        "GetIdentityVerificationAttributes",
        "GetIdentityDkimAttributes",
        "GetIdentityMailFromDomainAttributes",
    ):
        out = call(world, 1, operation, Identities=["missing.com", "nobody@missing.com"])
        assert next(iter(out.values())) == {}
    with pytest.raises(InvalidParameterValue, match=r"Identity <missing\.com> does not exist"):
        call(world, 1, "SetIdentityMailFromDomain", Identity="missing.com", MailFromDomain="b.missing.com")
    with pytest.raises(InvalidParameterValue, match="not verified for DKIM"):
        call(world, 1, "SetIdentityDkimEnabled", Identity="missing.com", DkimEnabled=True)
    assert call(world, 1, "DeleteIdentity", Identity="missing.com") == {}
    assert call(world, 1, "DeleteVerifiedEmailAddress", EmailAddress="nobody@missing.com") == {}


def test_v1_dkim_enabled_and_delete(world: World) -> None:
    call(world, 1, "VerifyDomainDkim", Domain="example.com")
    call(world, 1, "SetIdentityDkimEnabled", Identity="example.com", DkimEnabled=False)
    dkim = call(world, 1, "GetIdentityDkimAttributes", Identities=["example.com"])["DkimAttributes"]
    assert dkim["example.com"]["DkimEnabled"] is False
    call(world, 1, "DeleteIdentity", Identity="example.com")
    assert call(world, 1, "ListIdentities") == {"Identities": []}
    assert world.publisher.zone == {}


def test_v1_and_v2_share_identities(world: World) -> None:
    tokens = call(world, 1, "VerifyDomainDkim", Domain="example.com")["DkimTokens"]
    got = call(world, 2, "GetEmailIdentity", EmailIdentity="example.com")
    assert got["DkimAttributes"]["Tokens"] == tokens
    call(world, 2, "CreateEmailIdentity", EmailIdentity="jane@example.com")
    assert call(world, 1, "ListIdentities")["Identities"] == ["example.com", "jane@example.com"]
    dkim = call(world, 1, "GetIdentityDkimAttributes", Identities=["jane@example.com"])["DkimAttributes"]
    assert dkim["jane@example.com"]["DkimTokens"] == tokens, "an address reports its domain's DKIM"
    call(world, 1, "DeleteVerifiedEmailAddress", EmailAddress="jane@example.com")
    with pytest.raises(NotFound):
        call(world, 2, "GetEmailIdentity", EmailIdentity="jane@example.com")


def test_every_operation_is_confined_to_the_callers_account(world: World) -> None:
    call(world, 2, "CreateEmailIdentity", EmailIdentity="example.com")
    call(world, 1, "VerifyEmailIdentity", EmailAddress="jane@example.com")
    names = ["example.com", "jane@example.com"]
    assert call(world, 2, "ListEmailIdentities", B) == {"EmailIdentities": []}
    assert call(world, 1, "ListIdentities", B) == {"Identities": []}
    assert call(world, 1, "ListVerifiedEmailAddresses", B) == {"VerifiedEmailAddresses": []}
    for operation in (
        "GetIdentityVerificationAttributes",
        "GetIdentityDkimAttributes",
        "GetIdentityMailFromDomainAttributes",
    ):
        assert next(iter(call(world, 1, operation, B, Identities=names).values())) == {}
    for name in names:
        for operation, extra in [
            ("GetEmailIdentity", {}),
            ("PutEmailIdentityDkimAttributes", {"SigningEnabled": False}),
            ("PutEmailIdentityMailFromAttributes", {"MailFromDomain": "b.example.com"}),
            ("PutEmailIdentityFeedbackAttributes", {"EmailForwardingEnabled": False}),
            ("PutEmailIdentityConfigurationSetAttributes", {"ConfigurationSetName": "c"}),
            ("DeleteEmailIdentity", {}),
        ]:
            with pytest.raises(NotFound):
                call(world, 2, operation, B, EmailIdentity=name, **extra)
        with pytest.raises(InvalidParameterValue):
            call(world, 1, "SetIdentityMailFromDomain", B, Identity=name, MailFromDomain="b.example.com")
        with pytest.raises(InvalidParameterValue):
            call(world, 1, "SetIdentityDkimEnabled", B, Identity=name, DkimEnabled=False)
        call(world, 1, "DeleteIdentity", B, Identity=name)
    with pytest.raises(NotFound):
        call(
            world,
            2,
            "PutEmailIdentityDkimSigningAttributes",
            B,
            EmailIdentity="example.com",
            SigningAttributesOrigin="AWS_SES",
        )
    call(world, 1, "DeleteVerifiedEmailAddress", B, EmailAddress="jane@example.com")
    # Nothing of A's changed.
    got = call(world, 2, "GetEmailIdentity", EmailIdentity="example.com")
    assert got["DkimAttributes"]["SigningEnabled"] is True and "ConfigurationSetName" not in got
    assert got["FeedbackForwardingStatus"] is True
    assert call(world, 1, "ListIdentities")["Identities"] == names
