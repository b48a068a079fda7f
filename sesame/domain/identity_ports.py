"""Ports of the identity domain: storage, DNS, the DKIM key zone and verification mail.

They live beside the identity code rather than in ``sesame.domain.ports`` because nothing else
uses them; the adapters are in ``sesame.adapters`` (DynamoDB, dnspython, Route 53, logging).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sesame.domain.identity_model import Identity, IdentitySummary, IdentityType, Status


# --- DNS -------------------------------------------------------------------------------------


class DnsTemporaryFailure(Exception):
    """The question could not be answered now (timeout, SERVFAIL, no server reachable).

    Distinct from "no such record": SES reports TEMPORARY_FAILURE for this and keeps checking,
    whereas a missing record leaves the identity PENDING until its deadline.
    """


class DnsLookup(Protocol):
    """Resolves the three record types identity verification needs.

    Names are absolute, without the trailing dot. A name that does not exist, or has no record
    of the type, answers empty (or None); ``DnsTemporaryFailure`` is raised when the answer
    could not be had.
    """

    def txt(self, name: str) -> list[str]:
        """Every TXT record at ``name``, each with its character-strings joined."""
        ...

    def cname(self, name: str) -> str | None:
        """The CNAME target at ``name`` (lower case, no trailing dot), or None."""
        ...

    def mx(self, name: str) -> list[tuple[int, str]]:
        """(preference, exchange) pairs at ``name``; exchanges lower case, no trailing dot."""
        ...


@dataclass(frozen=True)
class DnsRecord:
    """One DNS record to publish: for TXT the whole text (adapters split it into strings of at
    most 255 characters), for CNAME the target, for MX ``"<preference> <host>"``."""

    name: str
    type: str
    value: str


class DkimKeyPublisher(Protocol):
    """Publishes Easy DKIM public keys in the zone behind customers' CNAME records.

    Both calls are idempotent: publishing a record that is already there replaces it, and
    withdrawing one that is gone is not an error.
    """

    def publish(self, records: Sequence[DnsRecord]) -> None: ...

    def withdraw(self, records: Sequence[DnsRecord]) -> None: ...


# --- mail ------------------------------------------------------------------------------------


class VerificationMailer(Protocol):
    """Sends the "please confirm this address" message holding ``link``."""

    def send_verification(self, account_id: str, address: str, link: str) -> None: ...


# --- storage ---------------------------------------------------------------------------------


class IdentityAlreadyStored(Exception):
    """``create`` found an identity of that name in the account already."""


class StaleIdentity(Exception):
    """``replace`` lost a race: the stored version is not the one the caller read (or the
    identity was deleted meanwhile). The caller re-reads and tries again."""


class IdentityRepository(Protocol):
    """Identities keyed by (account_id, name). Every read and write names the account: there
    is no call that can reach another account's identities, except ``due``, which serves the
    background checker across all accounts."""

    def get(self, account_id: str, name: str) -> Identity | None: ...

    def get_many(self, account_id: str, names: Sequence[str]) -> dict[str, Identity]:
        """The identities among ``names`` that exist, by name."""
        ...

    def create(self, identity: Identity) -> None:
        """Store a new identity (version 1); raises IdentityAlreadyStored."""
        ...

    def replace(self, identity: Identity, expected_version: int) -> None:
        """Overwrite the identity if its stored version is still ``expected_version``, storing
        ``expected_version + 1``; raises StaleIdentity otherwise."""
        ...

    def delete(self, account_id: str, name: str) -> Identity | None:
        """Remove the identity; return what was stored, or None if nothing was."""
        ...

    def list_page(
        self,
        account_id: str,
        *,
        identity_type: IdentityType | None,
        after: str | None,
        limit: int,
        status: Status | None = None,
        name_contains: str | None = None,
    ) -> tuple[list[IdentitySummary], bool]:
        """Up to ``limit`` identities in name order after ``after`` (of the type, with the
        status, whose name contains the text, when given), and whether more follow."""
        ...

    def due(self, now: float, limit: int) -> list[Identity]:
        """Identities of any account whose next check is due (check_state PENDING,
        next_check_at <= now), soonest first."""
        ...
