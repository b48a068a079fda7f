"""The account-level suppression list: addresses an account does not send to.

An address is on the list for a reason, BOUNCE or COMPLAINT, put there by the account itself
(PutSuppressedDestination) or automatically after a hard bounce or a complaint when the account's
SuppressedReasons name that reason. At delivery an address on the list is answered without a
connection, but only when its reason is one the account (or the message's configuration set)
suppresses for; an entry whose reason is not suppressed for is kept and ignored, as in SES.

Addresses are compared as SES compares them: the domain without regard to case, the local part
exactly (``Ann@Example.COM`` and ``Ann@example.com`` are one entry, ``ann@example.com`` another).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sesame.domain.errors import InvalidNextToken, InvalidParameterValue, NotFound
from sesame.domain.identity_model import normalize_address

MAX_PAGE_SIZE = 1000


class SuppressionReason(StrEnum):
    BOUNCE = "BOUNCE"
    COMPLAINT = "COMPLAINT"


# Accounts created since SES introduced the account-level list suppress for both reasons.
DEFAULT_SUPPRESSED_REASONS: tuple[SuppressionReason, ...] = (
    SuppressionReason.BOUNCE,
    SuppressionReason.COMPLAINT,
)


@dataclass(frozen=True)
class SuppressedDestination:
    email_address: str  # canonical: the local part as given, the domain in lower case
    reason: SuppressionReason
    last_update_time: float
    message_id: str | None = None  # the message whose bounce or complaint put it there
    feedback_id: str | None = None


@dataclass(frozen=True)
class SuppressionFilter:
    reasons: frozenset[SuppressionReason] | None = None  # None: any reason
    start: float | None = None  # updated at or after
    end: float | None = None  # updated at or before


class SuppressionRepository(Protocol):
    def put(self, account_id: str, entry: SuppressedDestination) -> None:
        """Store the entry, replacing the address's previous one."""
        ...

    def get(self, account_id: str, address: str) -> SuppressedDestination | None: ...

    def delete(self, account_id: str, address: str) -> bool:
        """Remove the address's entry; False if there was none."""
        ...

    def list_page(
        self, account_id: str, *, where: SuppressionFilter, after: str | None, limit: int
    ) -> tuple[list[SuppressedDestination], bool]:
        """Up to ``limit`` matching entries in address order after ``after``, and whether more
        match."""
        ...

    def get_many(self, account_id: str, addresses: Collection[str]) -> dict[str, SuppressedDestination]:
        """The entries of those canonical ``addresses`` that are on the list."""
        ...


class SuppressionSettings(Protocol):
    """Which reasons the account suppresses for (its SuppressionAttributes)."""

    def suppressed_reasons(self, account_id: str) -> frozenset[SuppressionReason]: ...


def canonical_address(raw: str) -> str:
    """The list's key for ``raw``; raises InvalidParameterValue for what is not an address."""
    return normalize_address(raw)


def _lookup_key(raw: str) -> str | None:
    try:
        return canonical_address(raw)
    except InvalidParameterValue:
        return None


class SuppressionService:
    def __init__(
        self,
        *,
        repository: SuppressionRepository,
        settings: SuppressionSettings,
        clock: Callable[[], float],
    ) -> None:
        self._repo = repository
        self._settings = settings
        self._clock = clock

    def put(
        self,
        account_id: str,
        address: str,
        reason: SuppressionReason,
        *,
        message_id: str | None = None,
        feedback_id: str | None = None,
    ) -> SuppressedDestination:
        entry = SuppressedDestination(
            email_address=canonical_address(address),
            reason=reason,
            last_update_time=self._clock(),
            message_id=message_id,
            feedback_id=feedback_id,
        )
        self._repo.put(account_id, entry)
        return entry

    def get(self, account_id: str, address: str) -> SuppressedDestination:
        key = _lookup_key(address)
        found = None if key is None else self._repo.get(account_id, key)
        if found is None:
            raise _not_on_list(address)
        return found

    def delete(self, account_id: str, address: str) -> None:
        key = _lookup_key(address)
        if key is None or not self._repo.delete(account_id, key):
            raise _not_on_list(address)

    def list_destinations(
        self,
        account_id: str,
        *,
        where: SuppressionFilter | None = None,
        next_token: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> tuple[list[SuppressedDestination], str | None]:
        """One page in address order, and the token of the next (None on the last page)."""
        after = _decode_page_token(next_token) if next_token else None
        limit = max(1, min(page_size, MAX_PAGE_SIZE))
        items, more = self._repo.list_page(
            account_id, where=where or SuppressionFilter(), after=after, limit=limit
        )
        token = _encode_page_token(items[-1].email_address) if more and items else None
        return items, token

    def suppressed_among(
        self,
        account_id: str,
        addresses: Sequence[str],
        *,
        reasons: Iterable[SuppressionReason] | None = None,
    ) -> dict[str, str]:
        """Those of ``addresses`` (as given) that delivery must not send to, with the reason.

        Only entries whose reason is suppressed for count: ``reasons`` when given (a
        configuration set's override), else the account's SuppressedReasons.
        """
        keys = {address: _lookup_key(address) for address in addresses}
        wanted = {key for key in keys.values() if key is not None}
        if not wanted:
            return {}
        active = frozenset(reasons) if reasons is not None else self._settings.suppressed_reasons(account_id)
        if not active:
            return {}
        found = self._repo.get_many(account_id, wanted)
        result: dict[str, str] = {}
        for address, key in keys.items():
            entry = found.get(key) if key is not None else None
            if entry is not None and entry.reason in active:
                result[address] = entry.reason
        return result

    def suppress_automatically(
        self,
        account_id: str,
        address: str,
        reason: SuppressionReason,
        *,
        message_id: str | None = None,
        feedback_id: str | None = None,
        reasons: Iterable[SuppressionReason] | None = None,
    ) -> bool:
        """After a hard bounce or a complaint: add the address when the account (or ``reasons``,
        a configuration set's override) suppresses for ``reason``; True if it was added."""
        active = frozenset(reasons) if reasons is not None else self._settings.suppressed_reasons(account_id)
        if reason not in active or _lookup_key(address) is None:
            return False
        self.put(account_id, address, reason, message_id=message_id, feedback_id=feedback_id)
        return True


def _not_on_list(address: str) -> NotFound:
    return NotFound(f"Email address {address} does not exist on your suppression list.")


def _encode_page_token(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode("utf-8")).decode("ascii")


def _decode_page_token(token: str) -> str:
    # The token only says where to resume inside the caller's own list (the account comes from
    # the signature, never from the token), so it needs no signature of its own.
    try:
        after = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeEncodeError):
        raise InvalidNextToken("The NextToken is not valid.") from None
    if not isinstance(after, str):
        raise InvalidNextToken("The NextToken is not valid.")
    return after
