"""`sesame admin`: manage accounts and access keys of local mode or of a deployed stack.

Against local mode it talks to the embedded AWS on --aws-port; against a deployment it reads the
stack's CloudFormation outputs (table names, key ARNs) and uses the caller's AWS credentials.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

import boto3

from sesame.adapters.account_wiring import make_account_service
from sesame.adapters.aws import AwsClients
from sesame.domain.accounts import AccessKey, Account, AccountService
from sesame.domain.errors import UnknownAccessKey
from sesame.domain.smtp_credentials import smtp_password
from sesame.settings import Settings, TableNames

# CloudFormation output -> what it configures; the stack names its outputs this way.
_OUTPUTS = {
    "AccountsTableName": "accounts",
    "AccessKeysTableName": "access_keys",
    "IdentitiesTableName": "identities",
}


def settings_for_local(endpoint: str, region: str) -> tuple[Settings, boto3.Session]:
    session = boto3.Session(
        aws_access_key_id="sesame-admin",
        # moto accepts any credentials; these only keep boto3 from searching the host's.
        aws_secret_access_key="sesame-admin",  # noqa: S106
        region_name=region,
    )
    return Settings(region=region, aws_endpoint_url=endpoint), session


def settings_for_stack(stack: str, region: str | None) -> tuple[Settings, boto3.Session]:
    session = boto3.Session(region_name=region)
    described = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    missing = [name for name in (*_OUTPUTS, "KmsKeyArn", "Region") if name not in outputs]
    if missing:
        raise SystemExit(f"stack {stack} lacks outputs {', '.join(missing)}: is it a Sesame stack?")
    tables = TableNames(**{field: outputs[name] for name, field in _OUTPUTS.items()})
    settings = Settings(region=outputs["Region"], tables=tables, kms_key_id=outputs["KmsKeyArn"])
    return settings, session


def _account_json(account: Account) -> dict[str, Any]:
    values = asdict(account)
    del values["version"]  # the storage's concurrency check, not a property of the account
    return values


def _key_json(key: AccessKey) -> dict[str, Any]:
    values = asdict(key)
    del values["secret_ciphertext"]
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--endpoint", default="http://127.0.0.1:4566", help="local mode's --aws-port URL")
    target.add_argument("--stack", help="a deployed Sesame stack's name")
    parser.add_argument("--region", default=None)
    commands = parser.add_subparsers(dest="admin_command", required=True)
    create = commands.add_parser("create-account", help="create an account (12-digit id drawn if not given)")
    create.add_argument("--account-id")
    create.add_argument("--production", action="store_true", help="start outside the sandbox")
    commands.add_parser("list-accounts")
    for name in (
        "get-account",
        "grant-production",
        "pause-sending",
        "resume-sending",
        "create-access-key",
        "list-access-keys",
    ):
        commands.add_parser(name).add_argument("--account-id", required=True)
    quota = commands.add_parser("set-quota")
    quota.add_argument("--account-id", required=True)
    quota.add_argument("--max-send-rate", type=float)
    quota.add_argument("--max-24-hour-send", type=float)
    revoke = commands.add_parser("revoke-access-key")
    revoke.add_argument("--access-key-id", required=True)
    smtp = commands.add_parser("smtp-credentials", help="the SMTP user name and password of an access key")
    smtp.add_argument("--access-key-id", required=True)


def run(args: argparse.Namespace) -> Any:
    region = args.region or "us-east-1"
    if args.stack:
        settings, session = settings_for_stack(args.stack, args.region)
    else:
        settings, session = settings_for_local(args.endpoint, region)
    accounts = make_account_service(settings, AwsClients(settings, session))
    return dispatch(accounts, args, region=settings.region)


def dispatch(accounts: AccountService, args: argparse.Namespace, *, region: str = "us-east-1") -> Any:
    command = args.admin_command
    if command == "create-account":
        return _account_json(accounts.create_account(args.account_id, production=args.production or None))
    if command == "list-accounts":
        return [_account_json(a) for a in accounts.list_accounts()]
    if command == "get-account":
        return _account_json(accounts.get_account(args.account_id))
    if command == "grant-production":
        return _account_json(accounts.grant_production(args.account_id))
    if command in ("pause-sending", "resume-sending"):
        paused = command == "pause-sending"
        return _account_json(accounts.set_operator_paused(args.account_id, paused))
    if command == "set-quota":
        updated = accounts.set_quotas(
            args.account_id, max_send_rate=args.max_send_rate, max_24_hour_send=args.max_24_hour_send
        )
        return _account_json(updated)
    if command == "create-access-key":
        key, secret = accounts.create_access_key(args.account_id)
        return {**_key_json(key), "secret_access_key": secret}
    if command == "list-access-keys":
        return [_key_json(k) for k in accounts.list_access_keys(args.account_id)]
    if command == "revoke-access-key":
        return _key_json(accounts.revoke_access_key(args.access_key_id))
    if command == "smtp-credentials":
        return _smtp_credentials(accounts, args.access_key_id, region)
    raise SystemExit(f"unknown admin command {command}")


def _smtp_credentials(accounts: AccountService, access_key_id: str, region: str) -> dict[str, str]:
    secret = accounts.secret_for(access_key_id)
    if secret is None:
        raise UnknownAccessKey(f"No active access key {access_key_id}.")
    return {
        "smtp_username": access_key_id,
        "smtp_password": smtp_password(secret, region),
        "region": region,
    }


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True))
