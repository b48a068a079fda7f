"""Address identities, listings, account isolation, concurrency and the checker's bookkeeping."""

from __future__ import annotations

import logging

import pytest

from sesame.domain.errors import (
    AlreadyExists,
    ConcurrentModification,
    InvalidNextToken,
    InvalidParameterValue,
    NotFound,
)
from sesame.domain.identities import (
    EMAIL_DEADLINE,
    ConfirmationOutcome,
    DkimSigningRequest,
    IdentityType,
    Status,
    Tag,
)
from sesame.domain.identity_model import CheckState
from tests.unit.identities.fakes import A, B, World

# --- addresses ---------------------------------------------------------------------------------


def test_a_new_address_is_pending_and_gets_a_link(world: World) -> None:
    view = world.service.create_identity(A, "Jane@Example.com")
    assert view.identity.name == "Jane@example.com"
    assert view.identity.type is IdentityType.EMAIL_ADDRESS
    assert view.identity.status is Status.PENDING and not view.verified_for_sending
    [(account, address, link)] = world.mailer.sent
    assert (account, address) == (A, "Jane@example.com")
    assert link.startswith("https://sesame.example/verify-email?token=")
    # Nothing to look up in DNS: the checker only needs to come back at the deadline.
    assert view.identity.check_state is CheckState.PENDING
    assert view.identity.next_check_at == world.clock.now + EMAIL_DEADLINE


def test_following_the_link_verifies_the_address(world: World) -> None:
    world.service.verify_email(A, "jane@example.com")
    confirmation = world.service.confirm_email(world.mailer.last_token())
    assert confirmation.outcome is ConfirmationOutcome.CONFIRMED
    assert confirmation.address == "jane@example.com"
    identity = world.service.describe(A, "jane@example.com").identity
    assert identity.status is Status.SUCCESS and identity.check_state is CheckState.DONE
    again = world.service.confirm_email(world.mailer.last_token())
    assert again.outcome is ConfirmationOutcome.ALREADY_VERIFIED


def test_a_tampered_link_verifies_nothing(world: World) -> None:
    world.service.verify_email(A, "jane@example.com")
    token = world.mailer.last_token()
    tampered = ("B" if token[0] != "B" else "C") + token[1:]
    assert world.service.confirm_email(tampered).outcome is ConfirmationOutcome.INVALID
    assert world.service.describe(A, "jane@example.com").identity.status is Status.PENDING


def test_an_unconfirmed_address_fails_after_24_hours(world: World) -> None:
    world.service.verify_email(A, "jane@example.com")
    token = world.mailer.last_token()
    world.clock.advance(EMAIL_DEADLINE)
    assert world.service.check_pending() == 1
    assert world.service.describe(A, "jane@example.com").identity.status is Status.FAILED
    assert world.service.confirm_email(token).outcome is ConfirmationOutcome.EXPIRED
    assert world.service.describe(A, "jane@example.com").identity.status is Status.FAILED


def test_verifying_again_starts_over_with_a_new_link(world: World) -> None:
    world.service.verify_email(A, "jane@example.com")
    world.clock.advance(EMAIL_DEADLINE)
    world.service.check_pending()
    world.service.verify_email(A, "jane@example.com")
    assert len(world.mailer.sent) == 2
    assert world.service.describe(A, "jane@example.com").identity.status is Status.PENDING
    assert world.service.confirm_email(world.mailer.last_token()).outcome is ConfirmationOutcome.CONFIRMED


def test_verifying_a_verified_address_sends_nothing(world: World) -> None:
    world.service.verify_email(A, "jane@example.com")
    world.service.confirm_email(world.mailer.last_token())
    world.service.verify_email(A, "jane@example.com")
    assert len(world.mailer.sent) == 1
    assert world.service.describe(A, "jane@example.com").identity.status is Status.SUCCESS


def test_a_link_followed_meanwhile_is_not_undone_by_verify_again(world: World) -> None:
    world.service.verify_email(A, "jane@example.com")
    token = world.mailer.last_token()
    world.clock.advance(60)
    world.repo.before_replace.append(lambda: world.service.confirm_email(token))
    world.service.verify_email(A, "jane@example.com")
    assert world.repo.before_replace == [], "the race happened"
    assert world.service.describe(A, "jane@example.com").identity.status is Status.SUCCESS
    assert len(world.mailer.sent) == 1


def test_a_link_for_a_deleted_identity_verifies_nothing(world: World) -> None:
    world.service.verify_email(A, "jane@example.com")
    world.service.delete_identity(A, "jane@example.com")
    assert world.service.confirm_email(world.mailer.last_token()).outcome is ConfirmationOutcome.NOT_PENDING
    assert world.repo.get(A, "jane@example.com") is None


def test_an_address_may_send_through_its_verified_domain(world: World) -> None:
    token = world.service.verify_domain(A, "example.com")
    world.dns.txts["_amazonses.example.com"] = [token]
    world.service.check_now(A, "example.com")
    world.service.verify_email(A, "jane@mail.example.com")
    view = world.service.describe(A, "jane@mail.example.com")
    assert view.identity.status is Status.PENDING and view.verified_for_sending


def test_dkim_attributes_are_for_domains(world: World) -> None:
    with pytest.raises(InvalidParameterValue):
        world.service.create_identity(A, "jane@example.com", dkim=DkimSigningRequest(selector="s"))


def test_invalid_names_are_refused(world: World) -> None:
    for bad in ("jane@", "@example.com", "nodot"):
        with pytest.raises(InvalidParameterValue):
            world.service.create_identity(A, bad)
    with pytest.raises(InvalidParameterValue):
        world.service.verify_email(A, "example.com")
    with pytest.raises(InvalidParameterValue):
        world.service.verify_domain(A, "jane@example.com")


# --- attributes --------------------------------------------------------------------------------


def test_tags_feedback_and_configuration_set_are_kept(world: World) -> None:
    world.service.create_identity(A, "example.com", tags=[Tag("team", "mail")], configuration_set="cs1")
    identity = world.service.describe(A, "example.com").identity
    assert identity.tags == [Tag("team", "mail")] and identity.configuration_set == "cs1"
    assert identity.feedback_forwarding is True
    world.service.set_feedback_forwarding(A, "example.com", False)
    world.service.set_configuration_set(A, "example.com", None)
    identity = world.service.describe(A, "example.com").identity
    assert identity.feedback_forwarding is False and identity.configuration_set is None
    with pytest.raises(NotFound):
        world.service.set_feedback_forwarding(A, "missing.com", False)
    with pytest.raises(NotFound):
        world.service.set_configuration_set(A, "missing.com", "cs1")


@pytest.mark.parametrize(
    "tags",
    [
        [Tag("k", "v"), Tag("k", "w")],
        [Tag("", "v")],
        [Tag("aws:x", "v")],
        [Tag(f"k{i}", "v") for i in range(51)],
    ],
)
def test_bad_tags_are_refused(world: World, tags: list[Tag]) -> None:
    with pytest.raises(InvalidParameterValue):
        world.service.create_identity(A, "example.com", tags=tags)


# --- listing -----------------------------------------------------------------------------------


def _populate(world: World) -> list[str]:
    names = [f"user{i:02d}@example.com" for i in range(12)] + [f"d{i:02d}.example.com" for i in range(5)]
    for name in names:
        if "@" in name:
            world.service.verify_email(A, name)
        else:
            world.service.verify_domain(A, name)
    return sorted(names)


def _all_pages(world: World, **filters: object) -> list[list[str]]:
    pages: list[list[str]] = []
    token: str | None = None
    while True:
        items, token = world.service.list_identities(A, next_token=token, **filters)  # type: ignore[arg-type]
        pages.append([item.name for item in items])
        if token is None:
            return pages


def test_listing_pages_through_everything_in_order(world: World) -> None:
    names = _populate(world)
    pages = _all_pages(world, limit=5)
    assert [len(p) for p in pages] == [5, 5, 5, 2]
    assert [n for p in pages for n in p] == names


def test_an_exact_last_page_carries_no_token(world: World) -> None:
    _populate(world)
    pages = _all_pages(world, identity_type=IdentityType.DOMAIN, limit=5)
    assert pages == [[f"d{i:02d}.example.com" for i in range(5)]]


def test_listing_filters_by_type_status_and_name(world: World) -> None:
    _populate(world)
    world.service.confirm_email(world.mailer.last_token())
    assert len(_all_pages(world, identity_type=IdentityType.EMAIL_ADDRESS)[0]) == 12
    assert _all_pages(world, status=Status.SUCCESS) == [["user11@example.com"]]
    assert _all_pages(world, name_contains="user0")[0][-1] == "user09@example.com"
    assert world.service.list_verified_email_addresses(A) == ["user11@example.com"]


def test_a_garbled_next_token_is_refused(world: World) -> None:
    with pytest.raises(InvalidNextToken):
        world.service.list_identities(A, next_token="!!not-a-token")


# --- accounts ----------------------------------------------------------------------------------


def test_accounts_never_see_each_others_identities(world: World) -> None:
    world.service.create_identity(A, "example.com")
    world.service.verify_email(A, "jane@example.com")
    token_a = world.mailer.last_token()
    assert world.service.list_identities(B)[0] == []
    assert world.service.describe_many(B, ["example.com", "jane@example.com"]) == {}
    with pytest.raises(NotFound):
        world.service.describe(B, "example.com")
    with pytest.raises(NotFound):
        world.service.delete_identity(B, "example.com")
    with pytest.raises(NotFound):
        world.service.set_mail_from(B, "example.com", "bounce.example.com")
    with pytest.raises(NotFound):
        world.service.dkim_records(B, "example.com")
    # B may have an identity of the same name: its own, with its own keys.
    view_b = world.service.create_identity(B, "example.com")
    view_a = world.service.describe(A, "example.com")
    assert view_a.dkim is not None and view_b.dkim is not None
    assert set(view_a.dkim.tokens).isdisjoint(view_b.dkim.tokens)
    world.service.verify_email(B, "jane@example.com")
    world.service.confirm_email(token_a)
    assert world.service.describe(A, "jane@example.com").identity.status is Status.SUCCESS
    assert world.service.describe(B, "jane@example.com").identity.status is Status.PENDING
    world.service.delete_identity(B, "example.com")
    assert world.service.describe(A, "example.com").identity.name == "example.com"


# --- concurrency and the checker -----------------------------------------------------------------


def test_a_lost_race_is_retried_on_fresh_data(world: World) -> None:
    world.service.create_identity(A, "example.com")

    def concurrent_change() -> None:
        stored = world.repo.items[(A, "example.com")]
        stored.configuration_set = "set-by-someone-else"
        stored.version += 1

    world.repo.before_replace.append(concurrent_change)
    world.service.set_feedback_forwarding(A, "example.com", False)
    identity = world.service.describe(A, "example.com").identity
    assert identity.feedback_forwarding is False
    assert identity.configuration_set == "set-by-someone-else", "the other change survives"


def test_endless_races_end_in_concurrent_modification(world: World) -> None:
    world.service.create_identity(A, "example.com")

    def bump() -> None:
        world.repo.items[(A, "example.com")].version += 1
        world.repo.before_replace.append(bump)

    world.repo.before_replace.append(bump)
    with pytest.raises(ConcurrentModification):
        world.service.set_feedback_forwarding(A, "example.com", False)
    world.repo.before_replace.clear()


def test_a_lost_race_while_changing_keys_withdraws_the_abandoned_keys(world: World) -> None:
    world.service.create_identity(A, "example.com", dkim=DkimSigningRequest(selector="s", private_key=_byo()))
    bumped = []

    def once() -> None:
        if not bumped:
            bumped.append(True)
            world.repo.items[(A, "example.com")].version += 1

    world.repo.before_replace.append(once)
    view = world.service.set_dkim_signing(A, "example.com", DkimSigningRequest())
    assert view.dkim is not None
    assert sorted(world.publisher.zone) == sorted(f"{t}.dkim.sesame.test" for t in view.dkim.tokens)


def _byo() -> str:
    from tests.unit.identities.test_identity_service_domains import BYO_B64

    return BYO_B64


def test_the_checker_skips_what_is_not_due_and_survives_failures(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.service.create_identity(A, "one.com")
    world.service.create_identity(A, "two.com")
    world.service.create_identity(B, "three.com")
    assert world.service.check_pending() == 0, "just checked at creation"
    world.clock.advance(world.settings.check_interval)
    original = world.repo.replace

    def failing_replace(identity, expected_version):  # type: ignore[no-untyped-def]
        if identity.name == "one.com":
            raise RuntimeError("throttled")
        original(identity, expected_version)

    world.repo.replace = failing_replace  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR):
        assert world.service.check_pending() == 2
    assert "one.com" in caplog.text
    world.repo.replace = original  # type: ignore[method-assign]
    assert world.service.check_pending() == 1, "the failed one is still due"


def test_the_checker_honours_its_limit(world: World) -> None:
    for i in range(5):
        world.service.create_identity(A, f"d{i}.example.com")
    world.clock.advance(world.settings.check_interval)
    assert world.service.check_pending(limit=2) == 2
    assert world.service.check_pending(limit=10) == 3


def test_already_exists_across_api_versions(world: World) -> None:
    world.service.verify_domain(A, "example.com")
    world.service.verify_email(A, "jane@example.com")
    with pytest.raises(AlreadyExists):
        world.service.create_identity(A, "example.com")
    with pytest.raises(AlreadyExists):
        world.service.create_identity(A, "jane@example.com")
