"""KMS implementations of the domain's SecretCipher and MacSigner."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


class KmsCipher:
    def __init__(self, kms: Any, key_id: str) -> None:
        self._kms = kms
        self._key_id = key_id

    def encrypt(self, plaintext: bytes, context: dict[str, str]) -> bytes:
        answer = self._kms.encrypt(KeyId=self._key_id, Plaintext=plaintext, EncryptionContext=context)
        return bytes(answer["CiphertextBlob"])

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> bytes:
        answer = self._kms.decrypt(KeyId=self._key_id, CiphertextBlob=ciphertext, EncryptionContext=context)
        return bytes(answer["Plaintext"])


class KmsMacSigner:
    _ALGORITHM = "HMAC_SHA_256"

    def __init__(self, kms: Any, key_id: str) -> None:
        self._kms = kms
        self._key_id = key_id

    def sign(self, message: bytes) -> bytes:
        answer = self._kms.generate_mac(KeyId=self._key_id, Message=message, MacAlgorithm=self._ALGORITHM)
        return bytes(answer["Mac"])

    def verify(self, message: bytes, mac: bytes) -> bool:
        try:
            answer = self._kms.verify_mac(
                KeyId=self._key_id, Message=message, Mac=mac, MacAlgorithm=self._ALGORITHM
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "KMSInvalidMacException":
                return False
            raise
        return bool(answer["MacValid"])
