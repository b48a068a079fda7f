"""`sesame admin --stack NAME` finds a deployment through its CloudFormation outputs."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from sesame import admin
from sesame.adapters.account_wiring import make_account_service
from sesame.adapters.aws import AwsClients
from sesame.local.provision import provision
from sesame.settings import Settings, TableNames


def _stack_with_outputs(outputs: dict[str, str]) -> None:
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name="eu-west-1").create_stack(
        StackName="Sesame", TemplateBody=json.dumps(template)
    )


def test_settings_come_from_the_stack_outputs_and_reach_the_deployed_tables() -> None:
    with mock_aws():
        tables = TableNames(accounts="Sesame-Accounts1", access_keys="Sesame-Keys1", identities="Sesame-Ids1")
        deployed = provision(
            AwsClients(Settings(region="eu-west-1")),
            Settings(region="eu-west-1", tables=tables, dkim_signing_zone=None),
        )
        _stack_with_outputs(
            {
                "AccountsTableName": tables.accounts,
                "AccessKeysTableName": tables.access_keys,
                "IdentitiesTableName": tables.identities,
                "KmsKeyArn": deployed.kms_key_id,
                "Region": "eu-west-1",
            }
        )
        settings, session = admin.settings_for_stack("Sesame", "eu-west-1")
        assert settings.region == "eu-west-1" and settings.tables == tables
        service = make_account_service(settings, AwsClients(settings, session))
        created = service.create_account("444455556666")
        item = boto3.client("dynamodb", region_name="eu-west-1").get_item(
            TableName=tables.accounts, Key={"account_id": {"S": created.account_id}}
        )
        assert item["Item"]["sandbox"] == {"BOOL": True}


def test_a_stack_without_sesame_outputs_is_refused_with_a_clear_message() -> None:
    with mock_aws():
        _stack_with_outputs({"Something": "else"})
        with pytest.raises(SystemExit, match="lacks outputs AccountsTableName"):
            admin.settings_for_stack("Sesame", "eu-west-1")
