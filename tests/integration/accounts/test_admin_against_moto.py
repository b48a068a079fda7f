"""Accounts and keys through the DynamoDB and KMS adapters, on moto, driven as `sesame admin` is."""

from __future__ import annotations

import argparse

import pytest
from moto import mock_aws

from sesame import admin
from sesame.adapters.account_wiring import make_account_service
from sesame.adapters.aws import AwsClients
from sesame.domain.errors import UnknownAccount
from sesame.local.provision import provision
from sesame.settings import Settings


@pytest.fixture
def accounts():
    with mock_aws():
        base = Settings(dkim_signing_zone=None)
        aws = AwsClients(base)
        settings = provision(aws, base)
        yield make_account_service(settings, aws), aws, settings


def _admin(accounts_service, *argv: str):
    parser = argparse.ArgumentParser()
    admin.add_arguments(parser)
    return admin.dispatch(accounts_service, parser.parse_args(list(argv)))


def test_a_new_access_key_secret_is_stored_only_as_kms_ciphertext(
    accounts,
) -> None:
    service, aws, settings = accounts
    account = _admin(service, "create-account")
    created = _admin(service, "create-access-key", "--account-id", account["account_id"])
    item = aws.dynamodb.get_item(
        TableName=settings.tables.access_keys, Key={"access_key_id": {"S": created["access_key_id"]}}
    )["Item"]
    ciphertext = item["secret_ciphertext"]["B"]
    assert created["secret_access_key"].encode() not in ciphertext
    plain = aws.kms.decrypt(
        CiphertextBlob=ciphertext,
        EncryptionContext={
            "purpose": "access-key",
            "access_key_id": created["access_key_id"],
            "account_id": account["account_id"],
        },
    )["Plaintext"]
    assert plain.decode() == created["secret_access_key"]
    assert service.credentials_for(created["access_key_id"]) == (
        account["account_id"],
        created["secret_access_key"],
    )


def test_admin_commands_change_the_stored_account(accounts) -> None:
    service, _, _ = accounts
    account_id = _admin(service, "create-account", "--account-id", "210987654321")["account_id"]
    assert _admin(service, "grant-production", "--account-id", account_id)["sandbox"] is False
    quota = _admin(service, "set-quota", "--account-id", account_id, "--max-send-rate", "40")
    assert quota["max_send_rate"] == 40 and quota["max_24_hour_send"] == 50000
    assert _admin(service, "pause-sending", "--account-id", account_id)["operator_paused"] is True
    assert _admin(service, "resume-sending", "--account-id", account_id)["operator_paused"] is False
    assert [a["account_id"] for a in _admin(service, "list-accounts")] == [account_id]


def test_revoked_key_no_longer_resolves(accounts) -> None:
    service, _, _ = accounts
    account_id = _admin(service, "create-account")["account_id"]
    key_id = _admin(service, "create-access-key", "--account-id", account_id)["access_key_id"]
    assert _admin(service, "revoke-access-key", "--access-key-id", key_id)["status"] == "Inactive"
    assert service.credentials_for(key_id) is None
    listed = _admin(service, "list-access-keys", "--account-id", account_id)
    assert [(k["access_key_id"], k["status"]) for k in listed] == [(key_id, "Inactive")]
    assert all("secret" not in name for k in listed for name in k)


def test_unknown_account_is_a_clear_error(accounts) -> None:
    service, _, _ = accounts
    with pytest.raises(UnknownAccount, match="123123123123"):
        _admin(service, "grant-production", "--account-id", "123123123123")


def test_admin_shows_accounts_without_their_storage_version(accounts) -> None:
    service, _aws, _settings = accounts
    created = _admin(service, "create-account")
    paused = _admin(service, "pause-sending", "--account-id", created["account_id"])
    assert "version" not in created and "version" not in paused
    assert paused["operator_paused"] is True
