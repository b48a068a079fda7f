"""A short-lived cache of decrypted DKIM signing keys for the delivery worker.

Looking a key up costs a DynamoDB read and a KMS Decrypt; a worker signs many messages from one
domain in a row, so it keeps each answer (including "no key") for a minute. A key disabled or
replaced takes effect within that minute, as SES's own changes take effect after a delay.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sesame.domain.identity_model import DkimSigningKey

KeyLookup = Callable[[str, str], DkimSigningKey | None]


class CachedSigningKeys:
    def __init__(self, lookup: KeyLookup, *, clock: Callable[[], float], ttl: float = 60.0) -> None:
        self._lookup = lookup
        self._clock = clock
        self._ttl = ttl
        self._entries: dict[tuple[str, str], tuple[float, DkimSigningKey | None]] = {}
        self._lock = threading.Lock()

    def key_for(self, account_id: str, sender: str) -> DkimSigningKey | None:
        domain = sender.rpartition("@")[2].lower()
        cache_key = (account_id, domain)
        now = self._clock()
        with self._lock:
            found = self._entries.get(cache_key)
        if found is not None and found[0] > now:
            return found[1]
        key = self._lookup(account_id, sender)
        with self._lock:
            self._entries[cache_key] = (now + self._ttl, key)
        return key
