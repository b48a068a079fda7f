"""SuppressionService against an in-memory repository and fixed account settings (port fakes)."""

from __future__ import annotations

import re
from collections.abc import Collection

import pytest

from sesame.domain.errors import InvalidNextToken, InvalidParameterValue, NotFound
from sesame.domain.suppression import (
    SuppressedDestination,
    SuppressionFilter,
    SuppressionReason,
    SuppressionService,
)

A = "111111111111"
B = "222222222222"
BOUNCE, COMPLAINT = SuppressionReason.BOUNCE, SuppressionReason.COMPLAINT


class MemorySuppressionList:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], SuppressedDestination] = {}
        self.batch_reads = 0

    def put(self, account_id: str, entry: SuppressedDestination) -> None:
        self.items[(account_id, entry.email_address)] = entry

    def get(self, account_id: str, address: str) -> SuppressedDestination | None:
        return self.items.get((account_id, address))

    def delete(self, account_id: str, address: str) -> bool:
        return self.items.pop((account_id, address), None) is not None

    def list_page(
        self, account_id: str, *, where: SuppressionFilter, after: str | None, limit: int
    ) -> tuple[list[SuppressedDestination], bool]:
        matching = [
            entry
            for (acct, address), entry in sorted(self.items.items())
            if acct == account_id
            and (after is None or address > after)
            and (where.reasons is None or entry.reason in where.reasons)
            and (where.start is None or entry.last_update_time >= where.start)
            and (where.end is None or entry.last_update_time <= where.end)
        ]
        return matching[:limit], len(matching) > limit

    def get_many(self, account_id: str, addresses: Collection[str]) -> dict[str, SuppressedDestination]:
        self.batch_reads += 1
        return {a: self.items[(account_id, a)] for a in addresses if (account_id, a) in self.items}


class AccountReasons:
    def __init__(self) -> None:
        self.reasons: dict[str, frozenset[SuppressionReason]] = {}

    def suppressed_reasons(self, account_id: str) -> frozenset[SuppressionReason]:
        return self.reasons.get(account_id, frozenset({BOUNCE, COMPLAINT}))


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def parts() -> tuple[SuppressionService, MemorySuppressionList, AccountReasons, Clock]:
    repo, reasons, clock = MemorySuppressionList(), AccountReasons(), Clock()
    return SuppressionService(repository=repo, settings=reasons, clock=clock), repo, reasons, clock


def test_the_domain_is_compared_without_case_and_the_local_part_exactly(parts) -> None:
    service, *_ = parts
    stored = service.put(A, "Ann.Lee@Example.COM", BOUNCE)
    assert stored.email_address == "Ann.Lee@example.com"
    assert service.get(A, "Ann.Lee@EXAMPLE.com").reason is BOUNCE
    with pytest.raises(NotFound):
        service.get(A, "ann.lee@example.com")


def test_an_invalid_address_is_a_bad_request(parts) -> None:
    service, *_ = parts
    for address in ("not-an-address", "@example.com", "ann@", "ann@localhost"):
        with pytest.raises(InvalidParameterValue) as caught:
            service.put(A, address, BOUNCE)
        assert caught.value.wire_code(2) == "BadRequestException"


def test_putting_an_address_again_replaces_its_reason_and_time(parts) -> None:
    service, _, _, clock = parts
    service.put(A, "ann@example.com", BOUNCE)
    clock.now += 60
    service.put(A, "ann@example.com", COMPLAINT)
    entry = service.get(A, "ann@example.com")
    assert (entry.reason, entry.last_update_time) == (COMPLAINT, clock.now)


def test_get_and_delete_of_an_absent_address_are_not_found(parts) -> None:
    service, *_ = parts
    with pytest.raises(NotFound, match=re.escape("ann@example.com")):
        service.get(A, "ann@example.com")
    with pytest.raises(NotFound):
        service.delete(A, "ann@example.com")
    with pytest.raises(NotFound):
        service.get(A, "not an address")
    service.put(A, "ann@example.com", BOUNCE)
    service.delete(A, "ann@EXAMPLE.com")
    with pytest.raises(NotFound):
        service.get(A, "ann@example.com")


def test_each_account_has_its_own_list(parts) -> None:
    service, *_ = parts
    service.put(A, "ann@example.com", BOUNCE)
    with pytest.raises(NotFound):
        service.get(B, "ann@example.com")
    assert service.list_destinations(B) == ([], None)
    assert service.suppressed_among(B, ["ann@example.com"]) == {}


def test_listing_filters_by_reason_and_update_time_and_pages_with_tokens(parts) -> None:
    service, _, _, clock = parts
    start = clock.now
    for i in range(5):
        service.put(A, f"u{i}@example.com", BOUNCE if i % 2 == 0 else COMPLAINT)
        clock.now += 10
    bounces, token = service.list_destinations(A, where=SuppressionFilter(reasons=frozenset({BOUNCE})))
    assert [e.email_address for e in bounces] == ["u0@example.com", "u2@example.com", "u4@example.com"]
    assert token is None
    window = SuppressionFilter(start=start + 10, end=start + 30)
    assert [e.email_address for e in service.list_destinations(A, where=window)[0]] == [
        "u1@example.com",
        "u2@example.com",
        "u3@example.com",
    ]
    first, token = service.list_destinations(A, page_size=2)
    second, token2 = service.list_destinations(A, page_size=2, next_token=token)
    third, token3 = service.list_destinations(A, page_size=2, next_token=token2)
    names = [e.email_address for e in first + second + third]
    assert names == [f"u{i}@example.com" for i in range(5)]
    assert token3 is None


def test_a_token_that_is_not_one_of_ours_is_invalid(parts) -> None:
    service, *_ = parts
    with pytest.raises(InvalidNextToken) as caught:
        service.list_destinations(A, next_token="garbage!")
    assert caught.value.wire_code(2) == "InvalidNextTokenException"


def test_suppressed_among_answers_in_the_callers_spelling_in_one_read(parts) -> None:
    service, repo, _, _ = parts
    service.put(A, "ann@example.com", BOUNCE)
    service.put(A, "bob@example.org", COMPLAINT)
    found = service.suppressed_among(
        A, ["ann@EXAMPLE.com", "Ann@example.com", "bob@example.org", "carl@example.com", "junk"]
    )
    assert found == {"ann@EXAMPLE.com": "BOUNCE", "bob@example.org": "COMPLAINT"}
    assert repo.batch_reads == 1


def test_only_entries_whose_reason_the_account_suppresses_for_count(parts) -> None:
    service, _, reasons, _ = parts
    service.put(A, "ann@example.com", BOUNCE)
    service.put(A, "bob@example.com", COMPLAINT)
    reasons.reasons[A] = frozenset({COMPLAINT})
    assert service.suppressed_among(A, ["ann@example.com", "bob@example.com"]) == {
        "bob@example.com": "COMPLAINT"
    }
    # A configuration set's override replaces the account's reasons.
    assert service.suppressed_among(A, ["ann@example.com", "bob@example.com"], reasons=[BOUNCE]) == {
        "ann@example.com": "BOUNCE"
    }
    reasons.reasons[A] = frozenset()
    assert service.suppressed_among(A, ["ann@example.com", "bob@example.com"]) == {}


def test_bounces_and_complaints_add_addresses_only_for_suppressed_reasons(parts) -> None:
    service, _, reasons, _ = parts
    reasons.reasons[A] = frozenset({BOUNCE})
    assert service.suppress_automatically(A, "ann@example.com", BOUNCE, message_id="m-1") is True
    assert service.suppress_automatically(A, "bob@example.com", COMPLAINT, feedback_id="f-1") is False
    assert service.get(A, "ann@example.com").message_id == "m-1"
    with pytest.raises(NotFound):
        service.get(A, "bob@example.com")
