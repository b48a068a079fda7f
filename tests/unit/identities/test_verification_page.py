"""GET /verify-email: HTML for people, the right status, never a traceback."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

from sesame.api.verification_page import handle_verification_request
from sesame.domain.identities import EMAIL_DEADLINE, Status
from sesame.protocol.http import HttpRequest
from tests.unit.identities.fakes import A, World


def visit(world: World, query: str, method: str = "GET", services: object | None = None) -> tuple[int, str]:
    request = HttpRequest(method=method, path="/verify-email", query_string=query, headers={}, body=b"")
    services = services or SimpleNamespace(identities=world.service, settings=world.settings)
    response = handle_verification_request(services, request)  # type: ignore[arg-type]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    return response.status, response.body.decode()


def link_query(world: World) -> str:
    return urlsplit(world.mailer.sent[-1][2]).query


def test_a_valid_link_verifies_and_says_so(world: World) -> None:
    world.service.verify_email(A, "jane@example.com")
    status, body = visit(world, link_query(world))
    assert status == 200 and "jane@example.com" in body and "<html" in body
    assert world.service.describe(A, "jane@example.com").identity.status is Status.SUCCESS
    assert visit(world, link_query(world))[0] == 200, "following it twice is fine"


def test_an_expired_link_is_gone(world: World) -> None:
    world.service.verify_email(A, "jane@example.com")
    world.clock.advance(EMAIL_DEADLINE + 1)
    status, body = visit(world, link_query(world))
    assert status == 410 and "expired" in body


def test_tampered_or_missing_tokens_are_bad_requests(world: World) -> None:
    world.service.verify_email(A, "jane@example.com")
    query = link_query(world)
    assert visit(world, query[:-3] + ("AAA" if not query.endswith("AAA") else "BBB"))[0] == 400
    assert visit(world, "")[0] == 400
    assert visit(world, "token=a&token=b")[0] == 400
    assert visit(world, "token=%ff%fe")[0] == 400
    assert world.service.describe(A, "jane@example.com").identity.status is Status.PENDING


def test_the_address_is_escaped_in_the_page(world: World) -> None:
    world.service.verify_email(A, "<script>@example.com")
    status, body = visit(world, link_query(world))
    assert status == 200 and "<script>" not in body and "&lt;script&gt;" in body


def test_head_confirms_nothing(world: World) -> None:
    world.service.verify_email(A, "jane@example.com")
    status, body = visit(world, link_query(world), method="HEAD")
    assert (status, body) == (200, "")
    assert world.service.describe(A, "jane@example.com").identity.status is Status.PENDING


def test_other_methods_are_not_allowed(world: World) -> None:
    assert visit(world, "", method="POST")[0] == 405


def test_a_backend_failure_is_a_page_not_a_traceback(world: World) -> None:
    def broken(token: str) -> None:
        raise ConnectionError("KMS unreachable")

    services = SimpleNamespace(identities=SimpleNamespace(confirm_email=broken))
    status, body = visit(world, "token=x.y", services=services)
    assert status == 503 and "Traceback" not in body
