"""Domain identities: Easy DKIM, BYODKIM, the v1 token, MAIL FROM, deadlines and checks."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sesame.domain import dkim as dkim_keys
from sesame.domain.errors import AlreadyExists, InvalidParameterValue, NotFound
from sesame.domain.identities import (
    DNS_DEADLINE,
    DkimSigningRequest,
    KeyLength,
    MxFailureBehavior,
    SigningOrigin,
    Status,
)
from sesame.domain.identity_model import CheckState, VerificationError
from tests.unit.identities.fakes import ZONE, A, B, World

BYO_KEY = rsa.generate_private_key(public_exponent=65537, key_size=1024)
BYO_B64 = base64.b64encode(
    BYO_KEY.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
).decode()


def publish_dkim(world: World, account: str, domain: str) -> None:
    world.dns.publish(world.service.dkim_records(account, domain))


def tick(world: World, seconds: float | None = None) -> int:
    world.clock.advance(world.settings.check_interval if seconds is None else seconds)
    return world.service.check_pending()


# --- Easy DKIM -------------------------------------------------------------------------------


def test_a_new_domain_gets_three_easy_dkim_keys_published_in_the_zone(world: World) -> None:
    view = world.service.create_identity(A, "Example.com")
    dkim = view.dkim
    assert dkim is not None and dkim.origin is SigningOrigin.AWS_SES
    assert len(dkim.tokens) == 3 and len(set(dkim.tokens)) == 3
    assert (dkim.enabled, dkim.status) == (True, Status.PENDING)
    assert dkim.current_key_length is KeyLength.RSA_2048_BIT
    assert view.identity.name == "example.com" and view.identity.status is Status.PENDING
    assert sorted(world.publisher.zone) == sorted(f"{t}.{ZONE}" for t in dkim.tokens)
    for key in dkim.keys:
        assert world.publisher.zone[f"{key.selector}.{ZONE}"] == f"v=DKIM1; k=rsa; p={key.public_key}"


def test_easy_dkim_private_keys_are_encrypted_under_the_identity_context(world: World) -> None:
    view = world.service.create_identity(A, "example.com")
    assert view.dkim is not None
    ciphertext = view.dkim.keys[0].private_key
    assert b"PRIVATE KEY" not in ciphertext
    context = {"account_id": A, "identity": "example.com", "purpose": "dkim"}
    pem = world.service._cipher.decrypt(ciphertext, context)  # type: ignore[attr-defined]
    key = dkim_keys.load_private_key_pem(pem)
    assert dkim_keys.public_key_b64(key) == view.dkim.keys[0].public_key
    with pytest.raises(PermissionError):
        world.service._cipher.decrypt(ciphertext, {**context, "identity": "other.com"})  # type: ignore[attr-defined]


def test_the_domain_verifies_once_the_cnames_are_published(world: World) -> None:
    world.service.create_identity(A, "example.com")
    assert tick(world) == 1
    assert world.service.describe(A, "example.com").identity.status is Status.PENDING
    publish_dkim(world, A, "example.com")
    assert tick(world) == 1
    view = world.service.describe(A, "example.com")
    assert view.identity.status is Status.SUCCESS and view.dkim is not None
    assert view.dkim.status is Status.SUCCESS
    assert view.verified_for_sending
    assert view.identity.check_state is CheckState.DONE and view.identity.next_check_at is None
    assert view.identity.last_success_at == world.clock.now
    assert tick(world) == 0, "nothing left to check"


def test_an_identity_is_checked_at_once_when_created(world: World) -> None:
    # Records published before the identity exists (known tokens are impossible, so use the
    # v1 token): the creating call itself sees them.
    world.dns.txts["_amazonses.example.com"] = []
    token = world.service.verify_domain(A, "example.com")
    world.dns.txts["_amazonses.other.com"] = [token]
    world.service.verify_domain(A, "other.com")  # different token: still pending
    assert world.service.describe(A, "other.com").identity.status is Status.PENDING
    assert ("_amazonses.example.com", "TXT") in world.dns.asked


def test_without_a_zone_customers_publish_txt_keys(txt_world: World) -> None:
    view = txt_world.service.create_identity(A, "example.com")
    records = txt_world.service.dkim_records(A, "example.com")
    assert [r.type for r in records] == ["TXT"] * 3
    assert txt_world.publisher.zone == {}
    assert view.dkim is not None
    assert records[0].name == f"{view.dkim.tokens[0]}._domainkey.example.com"
    txt_world.dns.publish(records)
    tick(txt_world)
    assert txt_world.service.describe(A, "example.com").identity.status is Status.SUCCESS


def test_a_cname_to_the_wrong_place_is_an_invalid_value(world: World) -> None:
    view = world.service.create_identity(A, "example.com")
    assert view.dkim is not None
    for token in view.dkim.tokens:
        world.dns.cnames[f"{token}._domainkey.example.com"] = f"{token}.dkim.amazonses.com"
    tick(world)
    identity = world.service.describe(A, "example.com").identity
    assert identity.status is Status.PENDING
    assert identity.last_error is VerificationError.INVALID_VALUE


def test_dns_trouble_is_a_temporary_failure_that_recovers(world: World) -> None:
    view = world.service.create_identity(A, "example.com")
    assert view.dkim is not None
    world.dns.broken.add(f"{view.dkim.tokens[0]}._domainkey.example.com")
    tick(world)
    current = world.service.describe(A, "example.com")
    assert current.identity.status is Status.TEMPORARY_FAILURE
    assert current.dkim is not None and current.dkim.status is Status.TEMPORARY_FAILURE
    assert current.identity.last_error is VerificationError.DNS_SERVER_ERROR
    world.dns.broken.clear()
    publish_dkim(world, A, "example.com")
    tick(world)
    assert world.service.describe(A, "example.com").identity.status is Status.SUCCESS


def test_after_72_hours_without_records_dkim_and_the_domain_fail(world: World) -> None:
    world.service.create_identity(A, "example.com")
    tick(world, DNS_DEADLINE - 1)
    assert world.service.describe(A, "example.com").identity.status is Status.PENDING
    tick(world)  # the next check, one interval later, is past the deadline
    view = world.service.describe(A, "example.com")
    assert view.identity.status is Status.FAILED
    assert view.dkim is not None and view.dkim.status is Status.FAILED
    assert view.identity.check_state is CheckState.DONE
    publish_dkim(world, A, "example.com")
    tick(world)
    assert world.service.describe(A, "example.com").identity.status is Status.FAILED, "failed is final"


def test_a_pending_identity_read_after_the_interval_is_checked_on_read(world: World) -> None:
    world.service.create_identity(A, "example.com")
    publish_dkim(world, A, "example.com")
    # Within the interval the stored status stands (no DNS traffic per read)...
    asked = len(world.dns.asked)
    assert world.service.describe(A, "example.com").identity.status is Status.PENDING
    assert len(world.dns.asked) == asked
    # ...after it, the read checks, without the background checker.
    world.clock.advance(world.settings.check_interval)
    assert world.service.describe(A, "example.com").identity.status is Status.SUCCESS


def test_check_now_checks_at_once(world: World) -> None:
    world.service.create_identity(A, "example.com")
    publish_dkim(world, A, "example.com")
    assert world.service.check_now(A, "example.com").identity.status is Status.SUCCESS
    with pytest.raises(NotFound):
        world.service.check_now(A, "missing.com")


def test_creating_twice_is_already_exists_and_makes_no_keys(world: World) -> None:
    world.service.create_identity(A, "example.com")
    zone = dict(world.publisher.zone)
    with pytest.raises(AlreadyExists):
        world.service.create_identity(A, "EXAMPLE.com.")
    assert world.publisher.zone == zone


def test_a_failed_publication_leaves_no_identity(world: World) -> None:
    world.publisher.fail_next = True
    with pytest.raises(RuntimeError):
        world.service.create_identity(A, "example.com")
    assert world.repo.get(A, "example.com") is None


def test_delete_withdraws_the_zone_records(world: World) -> None:
    world.service.create_identity(A, "example.com")
    world.service.create_identity(A, "other.com")
    world.service.delete_identity(A, "example.com")
    assert all(name.endswith(ZONE) for name in world.publisher.zone)
    assert len(world.publisher.zone) == 3
    with pytest.raises(NotFound):
        world.service.delete_identity(A, "example.com")
    world.service.delete_identity(A, "example.com", missing_ok=True)


def test_key_length_change_rotates_keys_under_the_same_tokens(world: World) -> None:
    before = world.service.create_identity(A, "example.com")
    publish_dkim(world, A, "example.com")
    tick(world)
    after = world.service.set_dkim_signing(
        A, "example.com", DkimSigningRequest(SigningOrigin.AWS_SES, next_key_length=KeyLength.RSA_1024_BIT)
    )
    assert before.dkim is not None and after.dkim is not None
    assert after.dkim.tokens == before.dkim.tokens
    assert [k.public_key for k in after.dkim.keys] != [k.public_key for k in before.dkim.keys]
    assert after.dkim.current_key_length is KeyLength.RSA_1024_BIT
    # The CNAMEs still lead to the (new) keys: DKIM stays verified.
    assert after.dkim.status is Status.SUCCESS
    for key in after.dkim.keys:
        assert world.publisher.zone[f"{key.selector}.{ZONE}"].endswith(key.public_key)


def test_same_key_length_changes_nothing(world: World) -> None:
    world.service.create_identity(A, "example.com")
    writes = world.repo.writes
    world.service.set_dkim_signing(
        A, "example.com", DkimSigningRequest(SigningOrigin.AWS_SES, next_key_length=KeyLength.RSA_2048_BIT)
    )
    assert world.repo.writes == writes


def test_easy_dkim_with_a_chosen_key_length(world: World) -> None:
    view = world.service.create_identity(
        A, "example.com", dkim=DkimSigningRequest(next_key_length=KeyLength.RSA_1024_BIT)
    )
    assert view.dkim is not None and view.dkim.current_key_length is KeyLength.RSA_1024_BIT


# --- BYODKIM ---------------------------------------------------------------------------------


def test_byodkim_verifies_with_the_customers_selector(world: World) -> None:
    view = world.service.create_identity(
        A, "example.com", dkim=DkimSigningRequest(selector="sel1", private_key=BYO_B64)
    )
    assert view.dkim is not None and view.dkim.origin is SigningOrigin.EXTERNAL
    assert view.dkim.tokens == ["sel1"]
    assert world.publisher.zone == {}, "nothing for Sesame to publish"
    records = world.service.dkim_records(A, "example.com")
    assert records[0].name == "sel1._domainkey.example.com" and records[0].type == "TXT"
    assert records[0].value.endswith(dkim_keys.public_key_b64(BYO_KEY))
    world.dns.publish(records)
    tick(world)
    assert world.service.describe(A, "example.com").identity.status is Status.SUCCESS


def test_byodkim_needs_selector_and_key(world: World) -> None:
    with pytest.raises(InvalidParameterValue):
        world.service.create_identity(
            A, "example.com", dkim=DkimSigningRequest(origin=SigningOrigin.EXTERNAL)
        )
    with pytest.raises(InvalidParameterValue):
        world.service.create_identity(
            A, "example.com", dkim=DkimSigningRequest(selector="bad selector!", private_key=BYO_B64)
        )
    assert world.repo.get(A, "example.com") is None


def test_switching_easy_dkim_to_byodkim_and_back(world: World) -> None:
    world.service.create_identity(A, "example.com")
    publish_dkim(world, A, "example.com")
    tick(world)
    byo = world.service.set_dkim_signing(
        A, "example.com", DkimSigningRequest(SigningOrigin.EXTERNAL, selector="s2", private_key=BYO_B64)
    )
    assert byo.dkim is not None and byo.dkim.origin is SigningOrigin.EXTERNAL
    assert byo.dkim.status is Status.PENDING
    assert byo.identity.status is Status.SUCCESS, "the domain stays verified"
    assert world.publisher.zone == {}, "the Easy DKIM keys are withdrawn"
    easy = world.service.set_dkim_signing(A, "example.com", DkimSigningRequest(SigningOrigin.AWS_SES))
    assert easy.dkim is not None and easy.dkim.origin is SigningOrigin.AWS_SES
    assert len(world.publisher.zone) == 3


def test_dkim_signing_attributes_need_a_domain_that_exists(world: World) -> None:
    with pytest.raises(InvalidParameterValue):
        world.service.set_dkim_signing(A, "a@example.com", DkimSigningRequest(SigningOrigin.AWS_SES))
    with pytest.raises(NotFound):
        world.service.set_dkim_signing(A, "missing.com", DkimSigningRequest(SigningOrigin.AWS_SES))


# --- DKIM enabled flag -------------------------------------------------------------------------


def test_dkim_signing_can_be_switched_off_and_on(world: World) -> None:
    world.service.create_identity(A, "example.com")
    world.service.set_dkim_enabled(A, "example.com", False)
    dkim = world.service.describe(A, "example.com").dkim
    assert dkim is not None and dkim.enabled is False
    world.service.set_dkim_enabled(A, "example.com", True)
    dkim = world.service.describe(A, "example.com").dkim
    assert dkim is not None and dkim.enabled is True


def test_dkim_cannot_be_enabled_without_dkim_set_up(world: World) -> None:
    world.service.verify_domain(A, "example.com")
    with pytest.raises(InvalidParameterValue, match="not verified for DKIM signing"):
        world.service.set_dkim_enabled(A, "example.com", True)
    world.service.set_dkim_enabled(A, "example.com", False)  # nothing to switch off: accepted
    with pytest.raises(NotFound):
        world.service.set_dkim_enabled(A, "missing.com", True)


def test_an_address_follows_its_domains_dkim(world: World) -> None:
    world.service.verify_email(A, "jane@example.com")
    with pytest.raises(InvalidParameterValue):
        world.service.set_dkim_enabled(A, "jane@example.com", True)
    world.service.create_identity(A, "example.com")
    world.service.set_dkim_enabled(A, "jane@example.com", False)  # accepted, changes nothing
    view = world.service.describe(A, "jane@example.com")
    assert view.dkim is not None and view.dkim.enabled is True
    assert view.dkim == world.service.describe(A, "example.com").dkim


# --- v1 domain verification --------------------------------------------------------------------


def test_verify_domain_identity_returns_the_same_token_every_time(world: World) -> None:
    token = world.service.verify_domain(A, "example.com")
    assert len(token) == 44
    assert world.service.verify_domain(A, "Example.COM") == token
    identity = world.service.describe(A, "example.com").identity
    assert identity.verification_token == token and identity.dkim is None


def test_the_token_txt_record_verifies_the_domain(world: World) -> None:
    token = world.service.verify_domain(A, "example.com")
    world.dns.txts["_amazonses.example.com"] = [token]
    tick(world)
    assert world.service.describe(A, "example.com").identity.status is Status.SUCCESS


def test_a_failed_domain_starts_over_when_verified_again(world: World) -> None:
    token = world.service.verify_domain(A, "example.com")
    tick(world, DNS_DEADLINE)
    assert world.service.describe(A, "example.com").identity.status is Status.FAILED
    assert world.service.verify_domain(A, "example.com") == token
    identity = world.service.describe(A, "example.com").identity
    assert identity.status is Status.PENDING and identity.check_state is CheckState.PENDING


def test_verify_domain_dkim_adds_easy_dkim_with_stable_tokens(world: World) -> None:
    tokens = world.service.verify_domain_dkim(A, "example.com")
    assert len(tokens) == 3
    assert world.service.verify_domain_dkim(A, "example.com") == tokens
    token = world.service.verify_domain(A, "example.com")
    assert world.service.verify_domain_dkim(A, "example.com") == tokens
    assert world.service.describe(A, "example.com").identity.verification_token == token


def test_verify_domain_dkim_on_a_token_domain_adds_dkim(world: World) -> None:
    world.service.verify_domain(A, "example.com")
    tokens = world.service.verify_domain_dkim(A, "example.com")
    assert len(tokens) == 3 and len(world.publisher.zone) == 3


def test_verify_domain_dkim_restarts_failed_dkim(world: World) -> None:
    tokens = world.service.verify_domain_dkim(A, "example.com")
    tick(world, DNS_DEADLINE)
    assert world.service.verify_domain_dkim(A, "example.com") == tokens
    view = world.service.describe(A, "example.com")
    assert view.dkim is not None and view.dkim.status is Status.PENDING
    assert view.identity.status is Status.PENDING


# --- MAIL FROM ---------------------------------------------------------------------------------


def publish_mail_from(world: World, domain: str) -> None:
    world.dns.mxs[domain] = [(10, world.settings.mail_from_mx_host)]
    world.dns.txts[domain] = [f"v=spf1 include:{world.settings.spf_include_domain} ~all"]


def test_mail_from_verifies_with_mx_and_spf(world: World) -> None:
    world.service.create_identity(A, "example.com")
    world.service.set_mail_from(A, "example.com", "bounce.example.com", MxFailureBehavior.REJECT_MESSAGE)
    mail_from = world.service.describe(A, "example.com").identity.mail_from
    assert mail_from is not None and mail_from.status is Status.PENDING
    assert mail_from.behavior is MxFailureBehavior.REJECT_MESSAGE
    publish_mail_from(world, "bounce.example.com")
    tick(world)
    mail_from = world.service.describe(A, "example.com").identity.mail_from
    assert mail_from is not None and mail_from.status is Status.SUCCESS


def test_mail_from_fails_after_72_hours(world: World) -> None:
    world.service.create_identity(A, "example.com")
    world.service.set_mail_from(A, "example.com", "bounce.example.com")
    tick(world, DNS_DEADLINE)
    mail_from = world.service.describe(A, "example.com").identity.mail_from
    assert mail_from is not None and mail_from.status is Status.FAILED


def test_mail_from_must_be_a_subdomain(world: World) -> None:
    world.service.create_identity(A, "example.com")
    for bad in ("example.com", "bounce.example.org", "notexample.com"):
        with pytest.raises(InvalidParameterValue, match="not subdomain"):
            world.service.set_mail_from(A, "example.com", bad)
    world.service.verify_email(A, "jane@example.com")
    world.service.set_mail_from(A, "jane@example.com", "bounce.example.com")
    with pytest.raises(NotFound):
        world.service.set_mail_from(A, "missing.com", "bounce.missing.com")


def test_changing_only_the_behaviour_keeps_the_verification(world: World) -> None:
    world.service.create_identity(A, "example.com")
    publish_mail_from(world, "bounce.example.com")
    world.service.set_mail_from(A, "example.com", "bounce.example.com")
    world.service.set_mail_from(A, "example.com", "bounce.example.com", MxFailureBehavior.REJECT_MESSAGE)
    mail_from = world.service.describe(A, "example.com").identity.mail_from
    assert mail_from is not None
    assert (mail_from.status, mail_from.behavior) == (Status.SUCCESS, MxFailureBehavior.REJECT_MESSAGE)


def test_an_empty_mail_from_domain_removes_it(world: World) -> None:
    world.service.create_identity(A, "example.com")
    world.service.set_mail_from(A, "example.com", "bounce.example.com")
    world.service.set_mail_from(A, "example.com", "")
    assert world.service.describe(A, "example.com").identity.mail_from is None


def test_dns_records_lists_everything_to_publish(world: World) -> None:
    token = world.service.verify_domain(A, "example.com")
    world.service.verify_domain_dkim(A, "example.com")
    world.service.set_mail_from(A, "example.com", "bounce.example.com")
    records = world.service.dns_records(A, "example.com")
    kinds = [(r.name.split(".")[0] if "_domainkey" in r.name else r.name, r.type) for r in records]
    assert kinds[0] == ("_amazonses.example.com", "TXT") and records[0].value == token
    assert [t for _, t in kinds[1:4]] == ["CNAME"] * 3
    assert ("bounce.example.com", "MX") in kinds and ("bounce.example.com", "TXT") in kinds
    with pytest.raises(NotFound):
        world.service.dns_records(B, "example.com")


# --- for the sending pipeline ------------------------------------------------------------------


def test_signing_key_is_that_of_the_most_specific_verified_domain(world: World) -> None:
    assert world.service.dkim_signing_key(A, "jane@mail.example.com") is None
    world.service.create_identity(A, "example.com")
    assert world.service.dkim_signing_key(A, "jane@mail.example.com") is None, "not verified yet"
    publish_dkim(world, A, "example.com")
    tick(world)
    key = world.service.dkim_signing_key(A, "jane@mail.example.com")
    assert key is not None and key.domain == "example.com"
    view = world.service.describe(A, "example.com")
    assert view.dkim is not None
    assert key.selector == view.dkim.tokens[0]
    assert dkim_keys.public_key_b64(dkim_keys.load_private_key_pem(key.private_key_pem)) == (
        view.dkim.keys[0].public_key
    )
    world.service.set_dkim_enabled(A, "example.com", False)
    assert world.service.dkim_signing_key(A, "jane@mail.example.com") is None
    assert world.service.dkim_signing_key(B, "jane@mail.example.com") is None


def test_verified_identity_for_prefers_the_address_then_the_closest_domain(world: World) -> None:
    token = world.service.verify_domain(A, "example.com")
    world.dns.txts["_amazonses.example.com"] = [token]
    tick(world)
    found = world.service.verified_identity_for(A, "jane@mail.example.com")
    assert found is not None and found.name == "example.com"
    assert world.service.verified_identity_for(A, "jane@example.org") is None
    assert world.service.verified_identity_for(B, "jane@example.com") is None


def test_setting_a_failed_mail_from_again_restarts_it(world: World) -> None:
    world.service.create_identity(A, "example.com")
    world.service.set_mail_from(A, "example.com", "bounce.example.com")
    tick(world, DNS_DEADLINE)
    publish_mail_from(world, "bounce.example.com")
    world.service.set_mail_from(A, "example.com", "bounce.example.com")
    mail_from = world.service.describe(A, "example.com").identity.mail_from
    assert mail_from is not None and mail_from.status is Status.SUCCESS
