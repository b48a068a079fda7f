"""Accounts and their access keys.

A deployment holds many accounts, each with its own identities, quotas and keys. Secret access
keys are stored only encrypted (the SecretCipher port, KMS in practice) and are decrypted to
verify signatures; they are never logged and never returned except once, at creation.
"""

from __future__ import annotations

import re
import secrets
import string
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal, Protocol

from sesame.domain.errors import (
    ConcurrentModification,
    Conflict,
    InvalidParameterValue,
    UnknownAccessKey,
    UnknownAccount,
)
from sesame.domain.ports import SecretCipher
from sesame.domain.suppression import DEFAULT_SUPPRESSED_REASONS, SuppressionReason

KeyStatus = Literal["Active", "Inactive"]

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ACCESS_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")
_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
# Decrypted secrets are kept this long so a busy key costs one KMS call a minute, not one per
# request; a revoked key stops working within this window at most.
SECRET_CACHE_SECONDS = 60.0


class ReviewStatus(StrEnum):
    """Where a request for production access (PutAccountDetails) stands."""

    PENDING = "PENDING"
    FAILED = "FAILED"
    GRANTED = "GRANTED"
    DENIED = "DENIED"


@dataclass(frozen=True)
class AccountDetails:
    """What the account said about its sending in PutAccountDetails."""

    mail_type: str  # MARKETING or TRANSACTIONAL
    website_url: str
    submitted_at: float
    contact_language: str | None = None
    use_case_description: str | None = None
    additional_contact_email_addresses: tuple[str, ...] = ()
    # None: the details came without a request for production access.
    review_status: ReviewStatus | None = None


@dataclass(frozen=True)
class Account:
    account_id: str
    sandbox: bool
    sending_enabled: bool
    max_send_rate: float
    max_24_hour_send: float
    created_at: float
    # Reasons for which bounces and complaints put addresses on the suppression list.
    suppressed_reasons: tuple[SuppressionReason, ...] = DEFAULT_SUPPRESSED_REASONS
    details: AccountDetails | None = None
    # Paused by the operator (`sesame admin pause-sending`), as SES pauses an account for its
    # reputation: unlike ``sending_enabled``, the customer's own switch, the customer cannot
    # lift it.
    operator_paused: bool = False
    # The stored item's version when it was read: a save succeeds only while it is still that one,
    # so that two changes made at once cannot undo each other (a customer's switch read before an
    # operator's pause would otherwise lift the pause when written back).
    version: int = 0

    @property
    def may_send(self) -> bool:
        return self.sending_enabled and not self.operator_paused


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    account_id: str
    status: KeyStatus
    created_at: float
    secret_ciphertext: bytes


@dataclass(frozen=True)
class AccountDefaults:
    sandbox: bool
    sandbox_max_send_rate: float
    sandbox_max_24_hour_send: float
    production_max_send_rate: float
    production_max_24_hour_send: float


class StaleAccount(Exception):
    """The account changed after it was read: read it again and make the change anew."""


# A change lost to a concurrent one is made again on the new state, this many times in all.
_CHANGE_ATTEMPTS = 5


class AccountRepository(Protocol):
    def get(self, account_id: str) -> Account | None: ...

    def create(self, account: Account) -> bool:
        """Store a new account; False if the id is taken."""
        ...

    def save(self, account: Account) -> None:
        """Store the account as version ``account.version + 1`` if the stored one is still
        ``account.version``; raise StaleAccount if it changed since it was read."""
        ...

    def all(self) -> Iterator[Account]: ...


class AccessKeyRepository(Protocol):
    def get(self, access_key_id: str) -> AccessKey | None: ...

    def create(self, key: AccessKey) -> bool:
        """Store a new key; False if the id is taken."""
        ...

    def save(self, key: AccessKey) -> None: ...

    def for_account(self, account_id: str) -> Iterator[AccessKey]: ...


def _secret_context(access_key_id: str, account_id: str) -> dict[str, str]:
    return {"purpose": "access-key", "access_key_id": access_key_id, "account_id": account_id}


class AccountService:
    def __init__(
        self,
        *,
        accounts: AccountRepository,
        keys: AccessKeyRepository,
        cipher: SecretCipher,
        defaults: AccountDefaults,
        clock: Callable[[], float],
    ) -> None:
        self._accounts = accounts
        self._keys = keys
        self._cipher = cipher
        self._defaults = defaults
        self._clock = clock
        self._cache: dict[str, tuple[float, str, str]] = {}  # key id -> (expires, account, secret)
        self._cache_lock = threading.Lock()

    # --- accounts ----------------------------------------------------------------------------

    def create_account(self, account_id: str | None = None, *, production: bool | None = None) -> Account:
        if account_id is not None and not _ACCOUNT_ID.match(account_id):
            raise InvalidParameterValue(f"Account ids are 12 digits: {account_id!r}")
        sandbox = self._defaults.sandbox if production is None else not production
        for _ in range(5):
            candidate = account_id or "".join(secrets.choice(string.digits) for _ in range(12))
            account = Account(
                account_id=candidate,
                sandbox=sandbox,
                sending_enabled=True,
                max_send_rate=self._rate(sandbox),
                max_24_hour_send=self._daily(sandbox),
                created_at=self._clock(),
            )
            if self._accounts.create(account):
                return account
            if account_id is not None:
                raise InvalidParameterValue(f"Account {account_id} already exists.")
        raise RuntimeError("could not draw a free account id")

    def get_account(self, account_id: str) -> Account:
        account = self._accounts.get(account_id)
        if account is None:
            raise UnknownAccount(f"No account {account_id}.")
        return account

    def list_accounts(self) -> list[Account]:
        return sorted(self._accounts.all(), key=lambda a: a.created_at)

    def _change(self, account_id: str, change: Callable[[Account], Account]) -> Account:
        """Read the account, apply ``change``, store the result, unless another change got there
        first: then do it again on what that one left."""
        for _ in range(_CHANGE_ATTEMPTS):
            updated = change(self.get_account(account_id))
            try:
                self._accounts.save(updated)
            except StaleAccount:
                continue
            return replace(updated, version=updated.version + 1)
        raise ConcurrentModification(f"Account {account_id} is being changed by other requests; try again.")

    def grant_production(self, account_id: str) -> Account:
        """Leave the sandbox; quotas that were the sandbox's defaults become production's."""

        def change(account: Account) -> Account:
            details = account.details
            if details is not None and details.review_status is ReviewStatus.PENDING:
                details = replace(details, review_status=ReviewStatus.GRANTED)
            return replace(
                account,
                sandbox=False,
                max_send_rate=max(account.max_send_rate, self._defaults.production_max_send_rate),
                max_24_hour_send=max(account.max_24_hour_send, self._defaults.production_max_24_hour_send),
                details=details,
            )

        return self._change(account_id, change)

    def submit_details(
        self,
        account_id: str,
        *,
        mail_type: str,
        website_url: str,
        contact_language: str | None = None,
        use_case_description: str | None = None,
        additional_contact_email_addresses: Iterable[str] = (),
        production_access: bool = False,
    ) -> Account:
        """PutAccountDetails. A request for production access is recorded as PENDING; granting
        it stays with the operator (``grant_production``)."""
        contacts = tuple(additional_contact_email_addresses)

        def change(account: Account) -> Account:
            if account.details is not None and account.details.review_status is ReviewStatus.PENDING:
                raise Conflict("There is already an ongoing account details update under review.")
            review: ReviewStatus | None = None
            if production_access:
                review = ReviewStatus.PENDING if account.sandbox else ReviewStatus.GRANTED
            details = AccountDetails(
                mail_type=mail_type,
                website_url=website_url,
                submitted_at=self._clock(),
                contact_language=contact_language,
                use_case_description=use_case_description,
                additional_contact_email_addresses=contacts,
                review_status=review,
            )
            return replace(account, details=details)

        return self._change(account_id, change)

    def set_suppressed_reasons(self, account_id: str, reasons: Iterable[SuppressionReason]) -> Account:
        """PutAccountSuppressionAttributes: an empty list turns automatic suppression off."""
        wanted = set(reasons)
        ordered = tuple(reason for reason in SuppressionReason if reason in wanted)
        return self._change(account_id, lambda account: replace(account, suppressed_reasons=ordered))

    def suppressed_reasons(self, account_id: str) -> frozenset[SuppressionReason]:
        return frozenset(self.get_account(account_id).suppressed_reasons)

    def set_quotas(
        self, account_id: str, *, max_send_rate: float | None = None, max_24_hour_send: float | None = None
    ) -> Account:
        for name, value in (("max_send_rate", max_send_rate), ("max_24_hour_send", max_24_hour_send)):
            if value is not None and value <= 0:
                raise InvalidParameterValue(f"{name} must be positive, got {value}.")

        def change(account: Account) -> Account:
            return replace(
                account,
                max_send_rate=account.max_send_rate if max_send_rate is None else max_send_rate,
                max_24_hour_send=account.max_24_hour_send if max_24_hour_send is None else max_24_hour_send,
            )

        return self._change(account_id, change)

    def set_sending_enabled(self, account_id: str, enabled: bool) -> Account:
        """The customer's switch (UpdateAccountSendingEnabled, PutAccountSendingAttributes)."""
        return self._change(account_id, lambda account: replace(account, sending_enabled=enabled))

    def set_operator_paused(self, account_id: str, paused: bool) -> Account:
        """The operator's pause, which the customer's switch cannot undo."""
        return self._change(account_id, lambda account: replace(account, operator_paused=paused))

    def ensure_bootstrap(
        self,
        account_id: str,
        access_key_id: str,
        secret_access_key: str,
        *,
        production: bool,
        max_send_rate: float | None,
        max_24_hour_send: float | None,
    ) -> Account:
        """The bootstrap account and key exist with the given settings (idempotent)."""
        if self._accounts.get(account_id) is None:
            self.create_account(account_id, production=production)
        elif production:
            self.grant_production(account_id)
        account = self.set_quotas(account_id, max_send_rate=max_send_rate, max_24_hour_send=max_24_hour_send)
        if self._keys.get(access_key_id) is None:
            self.create_access_key(account_id, access_key_id=access_key_id, secret=secret_access_key)
        return account

    # --- access keys -------------------------------------------------------------------------

    def create_access_key(
        self, account_id: str, *, access_key_id: str | None = None, secret: str | None = None
    ) -> tuple[AccessKey, str]:
        """A new key for the account; the secret is returned here and never again."""
        self.get_account(account_id)
        if access_key_id is not None and not _ACCESS_KEY_ID.match(access_key_id):
            raise InvalidParameterValue(
                "Access key ids are 16 to 128 upper-case letters and digits: " + repr(access_key_id)
            )
        secret = secret or "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))
        for _ in range(5):
            key_id = access_key_id or "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
            key = AccessKey(
                access_key_id=key_id,
                account_id=account_id,
                status="Active",
                created_at=self._clock(),
                secret_ciphertext=self._cipher.encrypt(secret.encode(), _secret_context(key_id, account_id)),
            )
            if self._keys.create(key):
                return key, secret
            if access_key_id is not None:
                raise InvalidParameterValue(f"Access key {access_key_id} already exists.")
        raise RuntimeError("could not draw a free access key id")

    def list_access_keys(self, account_id: str) -> list[AccessKey]:
        self.get_account(account_id)
        return sorted(self._keys.for_account(account_id), key=lambda k: k.created_at)

    def revoke_access_key(self, access_key_id: str) -> AccessKey:
        key = self._keys.get(access_key_id)
        if key is None:
            raise UnknownAccessKey(f"No access key {access_key_id}.")
        revoked = replace(key, status="Inactive")
        self._keys.save(revoked)
        with self._cache_lock:
            self._cache.pop(access_key_id, None)
        return revoked

    def credentials_for(self, access_key_id: str) -> tuple[str, str] | None:
        """(account id, secret) of an active key, or None: what SigV4 verification needs."""
        now = self._clock()
        with self._cache_lock:
            cached = self._cache.get(access_key_id)
        if cached is not None and cached[0] > now:
            return cached[1], cached[2]
        key = self._keys.get(access_key_id)
        if key is None or key.status != "Active":
            return None
        secret = self._cipher.decrypt(
            key.secret_ciphertext, _secret_context(key.access_key_id, key.account_id)
        ).decode()
        with self._cache_lock:
            self._cache[access_key_id] = (now + SECRET_CACHE_SECONDS, key.account_id, secret)
        return key.account_id, secret

    def secret_for(self, access_key_id: str) -> str | None:
        found = self.credentials_for(access_key_id)
        return None if found is None else found[1]

    def _rate(self, sandbox: bool) -> float:
        d = self._defaults
        return d.sandbox_max_send_rate if sandbox else d.production_max_send_rate

    def _daily(self, sandbox: bool) -> float:
        d = self._defaults
        return d.sandbox_max_24_hour_send if sandbox else d.production_max_24_hour_send
