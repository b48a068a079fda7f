"""Ports: what the domain needs from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from typing import Protocol


class SecretCipher(Protocol):
    """Encrypts small secrets (access keys, DKIM private keys) under a managed key.

    ``context`` is bound into the ciphertext (KMS encryption context): a ciphertext copied to
    another record does not decrypt there.
    """

    def encrypt(self, plaintext: bytes, context: dict[str, str]) -> bytes: ...

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> bytes: ...


class MacSigner(Protocol):
    """Signs and checks short messages (links Sesame puts in mail) with a managed HMAC key."""

    def sign(self, message: bytes) -> bytes: ...

    def verify(self, message: bytes, mac: bytes) -> bool: ...


class Clock(Protocol):
    def __call__(self) -> float: ...
