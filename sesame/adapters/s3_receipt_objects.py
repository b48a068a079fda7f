"""S3 receipt action storage: plain objects, or objects encrypted client-side as SES writes them.

With a KMS key, SES stores mail the way the Amazon S3 Encryption Client does: a fresh 256-bit data
key from KMS GenerateDataKey encrypts the message with AES-GCM (96-bit IV, 128-bit tag appended to
the ciphertext); the object's metadata carries what a reader needs:

* ``x-amz-key-v2``: the data key as KMS encrypted it (base64)
* ``x-amz-iv``: the IV (base64)
* ``x-amz-cek-alg``: ``AES/GCM/NoPadding``; ``x-amz-tag-len``: ``128``
* ``x-amz-wrap-alg``: ``kms``: the data key is KMS-wrapped, its encryption context being the
  material description
* ``x-amz-matdesc``: the material description, JSON: ``aws:ses:message-id``,
  ``aws:ses:rule-name``, ``aws:ses:source-account`` and ``kms_cmk_id`` (the key as the rule names
  it), which is exactly the encryption context the data key was generated under
* ``x-amz-unencrypted-content-length``: the message's length in bytes

So the S3 Encryption Client reads the object, and so does KMS Decrypt of ``x-amz-key-v2`` with
the material description as context followed by AES-GCM.

SES's own managed key (``alias/aws/ses``) is not usable by anyone but SES; a rule that names it
gets the deployment's key instead, and the material description still names what the rule named.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sesame.domain.receiving.action_ports import ActionFailed

SES_MANAGED_KEY_ALIAS = "alias/aws/ses"
CONTENT_ALGORITHM = "AES/GCM/NoPadding"
TAG_LENGTH_BITS = 128
_IV_BYTES = 12


def resolve_kms_key(key_arn: str, deployment_key_id: str) -> str:
    """The key to call KMS with for ``key_arn`` as a rule names it."""
    if key_arn == SES_MANAGED_KEY_ALIAS or key_arn.endswith(":" + SES_MANAGED_KEY_ALIAS):
        return deployment_key_id
    return key_arn


def material_description(context: dict[str, str], kms_key_arn: str) -> str:
    return json.dumps({**context, "kms_cmk_id": kms_key_arn}, sort_keys=True, separators=(",", ":"))


class S3ReceiptObjects:
    def __init__(self, s3: Any, kms: Any, *, deployment_key_id: str) -> None:
        self._s3 = s3
        self._kms = kms
        self._deployment_key_id = deployment_key_id

    def put(self, bucket: str, key: str, body: bytes) -> None:
        self._put(bucket=bucket, key=key, body=body, metadata={})

    def put_encrypted(
        self, bucket: str, key: str, body: bytes, *, kms_key_arn: str, context: dict[str, str]
    ) -> None:
        description = material_description(context, kms_key_arn)
        try:
            data_key = self._kms.generate_data_key(
                KeyId=resolve_kms_key(kms_key_arn, self._deployment_key_id),
                KeySpec="AES_256",
                EncryptionContext=json.loads(description),
            )
        except (ClientError, BotoCoreError) as error:
            raise ActionFailed(f"KMS key {kms_key_arn} could not make a data key: {error}") from error
        iv = os.urandom(_IV_BYTES)
        ciphertext = AESGCM(bytes(data_key["Plaintext"])).encrypt(iv, body, None)
        metadata = {
            "x-amz-key-v2": base64.b64encode(bytes(data_key["CiphertextBlob"])).decode("ascii"),
            "x-amz-iv": base64.b64encode(iv).decode("ascii"),
            "x-amz-cek-alg": CONTENT_ALGORITHM,
            "x-amz-wrap-alg": "kms",
            "x-amz-tag-len": str(TAG_LENGTH_BITS),
            "x-amz-matdesc": description,
            "x-amz-unencrypted-content-length": str(len(body)),
        }
        self._put(bucket=bucket, key=key, body=ciphertext, metadata=metadata)

    def _put(self, *, bucket: str, key: str, body: bytes, metadata: dict[str, str]) -> None:
        try:
            self._s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata=metadata)
        except (ClientError, BotoCoreError) as error:
            raise ActionFailed(f"could not write s3://{bucket}/{key}: {error}") from error
