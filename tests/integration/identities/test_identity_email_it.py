"""Address verification links signed by the KMS HMAC key, followed through the page."""

from __future__ import annotations

import pytest

from sesame.api.verification_page import handle_verification_request
from sesame.protocol.http import HttpRequest
from tests.integration.identities.helpers import A, B, World

pytestmark = pytest.mark.integration


def follow(world: World, query: str) -> int:
    request = HttpRequest("GET", "/verify-email", query, {}, b"")
    return handle_verification_request(world.services, request).status


def status_of(world: World, address: str, account: str = A) -> str:
    return str(world.call(2, "GetEmailIdentity", account, EmailIdentity=address)["VerificationStatus"])


def test_following_the_link_verifies_the_address(world: World) -> None:
    world.call(1, "VerifyEmailIdentity", EmailAddress="jane@example.com")
    [(account, address, link)] = world.mailer.sent
    assert (account, address) == (A, "jane@example.com")
    assert link.startswith("http://127.0.0.1:8787/verify-email?token=")
    assert status_of(world, "jane@example.com") == "PENDING"
    assert follow(world, world.mailer.last_query()) == 200
    assert status_of(world, "jane@example.com") == "SUCCESS"
    assert world.call(1, "ListVerifiedEmailAddresses") == {"VerifiedEmailAddresses": ["jane@example.com"]}


def test_a_tampered_link_is_refused(world: World) -> None:
    world.call(2, "CreateEmailIdentity", EmailIdentity="jane@example.com")
    query = world.mailer.last_query()
    payload, _, mac = query.removeprefix("token=").partition(".")
    assert follow(world, f"token={payload}.{mac[::-1]}") == 400
    assert follow(world, f"token={payload[:-2]}xx.{mac}") == 400
    assert status_of(world, "jane@example.com") == "PENDING"


def test_an_expired_link_is_gone_and_the_address_failed(world: World) -> None:
    world.call(1, "VerifyEmailAddress", EmailAddress="jane@example.com")
    world.clock.advance(24 * 3600)
    assert world.service.check_pending() == 1
    assert status_of(world, "jane@example.com") == "FAILED"
    assert follow(world, world.mailer.last_query()) == 410
    assert status_of(world, "jane@example.com") == "FAILED"
    # Asking again sends a new link that works.
    world.call(1, "VerifyEmailIdentity", EmailAddress="jane@example.com")
    assert follow(world, world.mailer.last_query()) == 200
    assert status_of(world, "jane@example.com") == "SUCCESS"


def test_a_link_verifies_only_its_own_accounts_address(world: World) -> None:
    world.call(1, "VerifyEmailIdentity", A, EmailAddress="jane@example.com")
    link_a = world.mailer.last_query()
    world.call(1, "VerifyEmailIdentity", B, EmailAddress="jane@example.com")
    assert follow(world, link_a) == 200
    assert status_of(world, "jane@example.com", A) == "SUCCESS"
    assert status_of(world, "jane@example.com", B) == "PENDING"
