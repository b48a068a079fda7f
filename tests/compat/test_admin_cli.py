"""`sesame admin` against a running local mode: each command's JSON, its effect as the account's
own SES clients see it, and plain errors (non-zero exit, a message) for what does not exist."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.compat_clients import client_error, sdk_client, sesame_admin, sesame_admin_run
from tests.support.local_process import LocalProcess

UNKNOWN_ACCOUNT = "999999999999"


@pytest.fixture(scope="module")
def account(local: LocalProcess) -> dict[str, str]:
    """A fresh account with one key: account_id, access_key_id, secret_access_key."""
    created = sesame_admin(local, "create-account")
    key = sesame_admin(local, "create-access-key", "--account-id", created["account_id"])
    return {
        "account_id": created["account_id"],
        "access_key_id": key["access_key_id"],
        "secret_access_key": key["secret_access_key"],
    }


def _sesv2(local: LocalProcess, account: dict[str, str]) -> Any:
    return sdk_client(local, "sesv2", key_id=account["access_key_id"], secret=account["secret_access_key"])


def test_create_account_makes_a_sandboxed_account_that_list_accounts_shows(local: LocalProcess) -> None:
    created = sesame_admin(local, "create-account")
    assert len(created["account_id"]) == 12 and created["account_id"].isdigit()
    assert (created["sandbox"], created["sending_enabled"]) == (True, True)
    assert (created["max_send_rate"], created["max_24_hour_send"]) == (1.0, 200.0)
    listed = {entry["account_id"]: entry for entry in sesame_admin(local, "list-accounts")}
    assert listed[created["account_id"]] == created
    assert local.ready["account"] in listed
    assert sesame_admin(local, "get-account", "--account-id", created["account_id"]) == created


def test_create_account_with_a_chosen_id_in_production(local: LocalProcess) -> None:
    created = sesame_admin(local, "create-account", "--account-id", "123456789012", "--production")
    assert created["account_id"] == "123456789012"
    assert created["sandbox"] is False
    assert (created["max_send_rate"], created["max_24_hour_send"]) == (14.0, 50000.0)
    again = sesame_admin_run(local, "create-account", "--account-id", "123456789012")
    assert again.returncode != 0
    assert "123456789012 already exists" in again.stderr


def test_a_new_key_signs_requests_as_its_account(local: LocalProcess, account: dict[str, str]) -> None:
    sesv2 = _sesv2(local, account)
    answer = sesv2.get_account()
    assert answer["ProductionAccessEnabled"] is False
    assert answer["SendQuota"]["MaxSendRate"] == 1.0
    keys = sesame_admin(local, "list-access-keys", "--account-id", account["account_id"])
    assert [(k["access_key_id"], k["status"]) for k in keys] == [(account["access_key_id"], "Active")]
    assert all("secret" not in name for k in keys for name in k)


def test_grant_production_takes_the_account_out_of_the_sandbox(
    local: LocalProcess, account: dict[str, str]
) -> None:
    granted = sesame_admin(local, "grant-production", "--account-id", account["account_id"])
    assert granted["sandbox"] is False
    answer = _sesv2(local, account).get_account()
    assert answer["ProductionAccessEnabled"] is True


def test_set_quota_changes_what_the_account_reads_in_both_apis(
    local: LocalProcess, account: dict[str, str]
) -> None:
    updated = sesame_admin(
        local,
        "set-quota",
        "--account-id",
        account["account_id"],
        "--max-send-rate",
        "7",
        "--max-24-hour-send",
        "700",
    )
    assert (updated["max_send_rate"], updated["max_24_hour_send"]) == (7.0, 700.0)
    quota = sdk_client(
        local, "ses", key_id=account["access_key_id"], secret=account["secret_access_key"]
    ).get_send_quota()
    assert (quota["MaxSendRate"], quota["Max24HourSend"]) == (7.0, 700.0)
    answer = _sesv2(local, account).get_account()
    assert (answer["SendQuota"]["MaxSendRate"], answer["SendQuota"]["Max24HourSend"]) == (7.0, 700.0)
    # One quota alone leaves the other as it was.
    only_rate = sesame_admin(
        local, "set-quota", "--account-id", account["account_id"], "--max-send-rate", "9"
    )
    assert (only_rate["max_send_rate"], only_rate["max_24_hour_send"]) == (9.0, 700.0)


def test_pause_and_resume_switch_the_accounts_sending(local: LocalProcess, account: dict[str, str]) -> None:
    ses = sdk_client(local, "ses", key_id=account["access_key_id"], secret=account["secret_access_key"])
    paused = sesame_admin(local, "pause-sending", "--account-id", account["account_id"])
    assert paused["operator_paused"] is True
    assert ses.get_account_sending_enabled()["Enabled"] is False
    account_view = _sesv2(local, account).get_account()
    assert account_view["SendingEnabled"] is False and account_view["EnforcementStatus"] == "SHUTDOWN"
    # The customer's own switch cannot lift the operator's pause, as with SES's.
    ses.update_account_sending_enabled(Enabled=True)
    assert ses.get_account_sending_enabled()["Enabled"] is False
    resumed = sesame_admin(local, "resume-sending", "--account-id", account["account_id"])
    assert resumed["operator_paused"] is False
    assert ses.get_account_sending_enabled()["Enabled"] is True


def test_a_revoked_key_is_refused(local: LocalProcess, account: dict[str, str]) -> None:
    key = sesame_admin(local, "create-access-key", "--account-id", account["account_id"])
    revoked = sesame_admin(local, "revoke-access-key", "--access-key-id", key["access_key_id"])
    assert (revoked["access_key_id"], revoked["status"]) == (key["access_key_id"], "Inactive")
    ses = sdk_client(local, "ses", key_id=key["access_key_id"], secret=key["secret_access_key"])
    error = client_error(ses.list_identities)
    assert (error.code, error.status) == ("InvalidClientTokenId", 403)
    statuses = {
        k["access_key_id"]: k["status"]
        for k in sesame_admin(local, "list-access-keys", "--account-id", account["account_id"])
    }
    assert statuses[key["access_key_id"]] == "Inactive"
    assert statuses[account["access_key_id"]] == "Active"


def test_an_unknown_account_is_a_clear_error_for_every_command(local: LocalProcess) -> None:
    commands = [
        ["get-account", "--account-id", UNKNOWN_ACCOUNT],
        ["grant-production", "--account-id", UNKNOWN_ACCOUNT],
        ["set-quota", "--account-id", UNKNOWN_ACCOUNT, "--max-send-rate", "5"],
        ["pause-sending", "--account-id", UNKNOWN_ACCOUNT],
        ["resume-sending", "--account-id", UNKNOWN_ACCOUNT],
        ["create-access-key", "--account-id", UNKNOWN_ACCOUNT],
        ["list-access-keys", "--account-id", UNKNOWN_ACCOUNT],
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda argv: sesame_admin_run(local, *argv), commands))
    for argv, done in zip(commands, results, strict=True):
        assert done.returncode != 0, argv
        assert done.stdout == "", argv
        assert done.stderr.strip() == f"sesame admin: No account {UNKNOWN_ACCOUNT}.", argv
    # Nothing was made on the way.
    assert UNKNOWN_ACCOUNT not in [entry["account_id"] for entry in sesame_admin(local, "list-accounts")]


def test_an_unknown_access_key_is_a_clear_error(local: LocalProcess) -> None:
    done = sesame_admin_run(local, "revoke-access-key", "--access-key-id", "AKIANOSUCHKEY0000000")
    assert done.returncode != 0
    assert done.stderr.strip() == "sesame admin: No access key AKIANOSUCHKEY0000000."


def test_invalid_values_are_refused_with_the_reason(local: LocalProcess, account: dict[str, str]) -> None:
    negative = sesame_admin_run(
        local, "set-quota", "--account-id", account["account_id"], "--max-send-rate", "-1"
    )
    assert negative.returncode != 0
    assert "max_send_rate must be positive" in negative.stderr
    malformed = sesame_admin_run(local, "create-account", "--account-id", "12345")
    assert malformed.returncode != 0
    assert "12 digits" in malformed.stderr
