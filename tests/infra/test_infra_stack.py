"""SesameStack's template: what each capability creates and what each function may do."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import assertions
from aws_cdk import aws_lambda as lambda_
from infra_support import FULL_CONTEXT, IMPORTED_ZONE_CONTEXT, NO_BUNDLING, ROOT

from stacks import OUTPUT_IDS, SesameConfig, cdk_json_context, create_app
from stacks.function import RUNTIME

Match = assertions.Match


def _template(context: dict[str, Any]) -> assertions.Template:
    _app, stack = create_app({**NO_BUNDLING, **context})
    return assertions.Template.from_stack(stack)


# One synth per configuration for the whole module: the first costs ~3.5 s, later ones < 1 s.
@pytest.fixture(scope="module")
def default() -> assertions.Template:
    return _template({})


@pytest.fixture(scope="module")
def full() -> assertions.Template:
    return _template(FULL_CONTEXT)


@pytest.fixture(scope="module")
def imported_zone() -> assertions.Template:
    return _template(IMPORTED_ZONE_CONTEXT)


def _only(
    template: assertions.Template, resource_type: str, props: dict[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    found = template.find_resources(resource_type, {"Properties": props} if props else None)
    assert len(found) == 1, f"expected one {resource_type} matching {props}, found {list(found)}"
    return next(iter(found.items()))


def _logical_id(template: assertions.Template, resource_type: str, props: dict[str, Any]) -> str:
    return _only(template, resource_type, props)[0]


def _function(template: assertions.Template, handler: str) -> dict[str, Any]:
    return _only(template, "AWS::Lambda::Function", {"Handler": handler})[1]


def _role_statements(template: assertions.Template, handler: str) -> list[dict[str, Any]]:
    """Every IAM statement that applies to the role of the function with this handler."""
    role_ref = _function(template, handler)["Properties"]["Role"]["Fn::GetAtt"][0]
    role = template.find_resources("AWS::IAM::Role")[role_ref]
    assert "ManagedPolicyArns" not in role["Properties"], "no AWS managed policies (AwsSolutions-IAM4)"
    statements = []
    for policy in role["Properties"].get("Policies", []):
        statements += policy["PolicyDocument"]["Statement"]
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role_ref} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    assert statements
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert "Condition" not in statement or statement["Action"] == "route53:ChangeResourceRecordSets"
    return statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants(template: assertions.Template, handler: str) -> dict[str, set[str]]:
    """Resource (as JSON) -> actions allowed on it, for one function's role."""
    grants: dict[str, set[str]] = {}
    for statement in _role_statements(template, handler):
        for resource in _as_list(statement["Resource"]):
            grants.setdefault(json.dumps(resource, sort_keys=True), set()).update(
                _as_list(statement["Action"])
            )
    return grants


def _arn(logical_id: str) -> str:
    return json.dumps({"Fn::GetAtt": [logical_id, "Arn"]}, sort_keys=True)


def _index_arn(logical_id: str) -> str:
    return json.dumps({"Fn::Join": ["", [{"Fn::GetAtt": [logical_id, "Arn"]}, "/index/*"]]}, sort_keys=True)


def _tables(template: assertions.Template) -> dict[str, str]:
    """Key attribute name -> logical id, for the three tables."""
    return {
        name: _logical_id(
            template,
            "AWS::DynamoDB::Table",
            {"KeySchema": Match.array_with([{"AttributeName": name, "KeyType": "HASH"}])}
            if name != "account_id"
            else {"KeySchema": [{"AttributeName": "account_id", "KeyType": "HASH"}]},
        )
        for name in ("account_id", "access_key_id")
    } | {
        "identity": _logical_id(
            template,
            "AWS::DynamoDB::Table",
            {"KeySchema": Match.array_with([{"AttributeName": "identity", "KeyType": "RANGE"}])},
        )
    }


def _keys(template: assertions.Template) -> tuple[str, str]:
    main = _logical_id(template, "AWS::KMS::Key", {"EnableKeyRotation": True})
    mac = _logical_id(template, "AWS::KMS::Key", {"KeySpec": "HMAC_256"})
    return main, mac


XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
LOG_WRITE = {"logs:CreateLogStream", "logs:PutLogEvents"}
TABLE_KMS = {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"}


class TestData:
    def test_three_tables_on_demand_with_pitr_and_the_customer_key(
        self, default: assertions.Template
    ) -> None:
        main_key, _ = _keys(default)
        tables = default.find_resources("AWS::DynamoDB::Table")
        assert len(tables) == 3
        for logical_id, table in tables.items():
            props = table["Properties"]
            assert props["BillingMode"] == "PAY_PER_REQUEST", logical_id
            assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
            assert props["SSESpecification"] == {
                "SSEEnabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": {"Fn::GetAtt": [main_key, "Arn"]},
            }
            assert props["DeletionProtectionEnabled"] is True
            assert "TableName" not in props, "no hard-coded physical names"
            assert table["DeletionPolicy"] == "Retain"

    def test_key_schemas_and_the_scheduler_index(self, default: assertions.Template) -> None:
        default.has_resource_properties(
            "AWS::DynamoDB::Table", {"KeySchema": [{"AttributeName": "account_id", "KeyType": "HASH"}]}
        )
        default.has_resource_properties(
            "AWS::DynamoDB::Table", {"KeySchema": [{"AttributeName": "access_key_id", "KeyType": "HASH"}]}
        )
        default.has_resource_properties(
            "AWS::DynamoDB::Table",
            {
                "KeySchema": [
                    {"AttributeName": "account_id", "KeyType": "HASH"},
                    {"AttributeName": "identity", "KeyType": "RANGE"},
                ],
                "AttributeDefinitions": Match.array_with(
                    [{"AttributeName": "next_check_at", "AttributeType": "N"}]
                ),
                "GlobalSecondaryIndexes": [
                    {
                        "IndexName": "by_status",
                        "KeySchema": [
                            {"AttributeName": "check_state", "KeyType": "HASH"},
                            {"AttributeName": "next_check_at", "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ],
            },
        )

    def test_layouts_agree_with_local_mode(self, default: assertions.Template) -> None:
        # sesame/local/provision.py creates the same tables in the emulation; drift between the
        # two would make local mode pass what AWS rejects.
        from sesame.local.provision import _table_specs
        from sesame.settings import Settings

        specs = _table_specs(Settings())
        cdk_tables = [t["Properties"] for t in default.find_resources("AWS::DynamoDB::Table").values()]
        as_deployed = sorted(
            (
                [(k["AttributeName"], k["KeyType"]) for k in t["KeySchema"]],
                {
                    gsi["IndexName"]: [(k["AttributeName"], k["KeyType"]) for k in gsi["KeySchema"]]
                    for gsi in t.get("GlobalSecondaryIndexes", [])
                },
                {a["AttributeName"]: a["AttributeType"] for a in t["AttributeDefinitions"]},
            )
            for t in cdk_tables
        )
        local = []
        for _name, keys, indexes in specs:
            attributes = {attr: kind for attr, kind, _ in keys}
            gsis = {}
            for index, (pk, pk_type, sk, sk_type) in indexes.items():
                attributes |= {pk: pk_type, sk: sk_type}
                gsis[index] = [(pk, "HASH"), (sk, "RANGE")]
            local.append(([(attr, role) for attr, _, role in keys], gsis, attributes))
        assert as_deployed == sorted(local)

    def test_deletion_protection_can_be_turned_off(self, full: assertions.Template) -> None:
        for table in full.find_resources("AWS::DynamoDB::Table").values():
            assert table["Properties"]["DeletionProtectionEnabled"] is False
            assert table["DeletionPolicy"] == "Delete"


class TestKeys:
    def test_main_key_rotates_and_has_its_alias(self, default: assertions.Template) -> None:
        main, _ = _keys(default)
        default.has_resource_properties(
            "AWS::KMS::Alias", {"AliasName": "alias/sesame", "TargetKeyId": {"Fn::GetAtt": [main, "Arn"]}}
        )
        assert default.find_resources("AWS::KMS::Key")[main]["DeletionPolicy"] == "Retain"

    def test_link_key_is_an_hmac_key(self, default: assertions.Template) -> None:
        _, mac = _keys(default)
        props = default.find_resources("AWS::KMS::Key")[mac]["Properties"]
        assert props["KeyUsage"] == "GENERATE_VERIFY_MAC"
        assert "EnableKeyRotation" not in props  # KMS rotates symmetric encryption keys only
        default.has_resource_properties(
            "AWS::KMS::Alias",
            {"AliasName": "alias/sesame-links", "TargetKeyId": {"Fn::GetAtt": [mac, "Arn"]}},
        )

    def test_alias_prefix_is_configurable(self, full: assertions.Template) -> None:
        names = {a["Properties"]["AliasName"] for a in full.find_resources("AWS::KMS::Alias").values()}
        assert names == {"alias/acme-mail", "alias/acme-mail-links"}

    def test_cloudwatch_logs_may_use_the_main_key_for_this_accounts_log_groups(
        self, full: assertions.Template
    ) -> None:
        main, _ = _keys(full)
        policy = full.find_resources("AWS::KMS::Key")[main]["Properties"]["KeyPolicy"]
        logs = [
            s for s in policy["Statement"] if s["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
        ]
        assert len(logs) == 1
        assert logs[0]["Condition"] == {
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:*"
            }
        }


class TestApi:
    def test_http_api_with_a_default_route_to_the_function(self, default: assertions.Template) -> None:
        default.resource_count_is("AWS::ApiGatewayV2::Api", 1)
        default.has_resource_properties("AWS::ApiGatewayV2::Api", {"ProtocolType": "HTTP"})
        default.resource_count_is("AWS::ApiGatewayV2::Route", 1)
        default.has_resource_properties("AWS::ApiGatewayV2::Route", {"RouteKey": "$default"})
        default.has_resource_properties(
            "AWS::ApiGatewayV2::Integration",
            {"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"},
        )
        # SigV4 is Sesame's own business: no API Gateway authorizer anywhere.
        default.resource_count_is("AWS::ApiGatewayV2::Authorizer", 0)

    def test_default_stage_throttles_and_writes_encrypted_access_logs(
        self, default: assertions.Template
    ) -> None:
        main, _ = _keys(default)
        _, stage = _only(default, "AWS::ApiGatewayV2::Stage")
        props = stage["Properties"]
        assert props["StageName"] == "$default" and props["AutoDeploy"] is True
        assert props["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50}
        log_group = props["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
        fields = json.loads(props["AccessLogSettings"]["Format"])
        assert {"requestId", "ip", "status", "routeKey", "integrationError"} <= set(fields)
        assert "authorization" not in json.dumps(fields).lower()
        group = default.find_resources("AWS::Logs::LogGroup")[log_group]["Properties"]
        assert group == {"KmsKeyId": {"Fn::GetAtt": [main, "Arn"]}, "RetentionInDays": 30}

    def test_throttling_and_retention_follow_the_config(self, full: assertions.Template) -> None:
        _, stage = _only(full, "AWS::ApiGatewayV2::Stage")
        assert stage["Properties"]["DefaultRouteSettings"] == {
            "ThrottlingBurstLimit": 40,
            "ThrottlingRateLimit": 20,
        }
        for group in full.find_resources("AWS::Logs::LogGroup").values():
            assert group["Properties"]["RetentionInDays"] == 90


class TestFunctions:
    def test_runtime_is_the_newest_python_cdk_offers(self) -> None:
        newest = max(
            (r for r in lambda_.Runtime.ALL if r.family == lambda_.RuntimeFamily.PYTHON),
            key=lambda r: tuple(int(part) for part in r.name.removeprefix("python").split(".")),
        )
        assert newest.name == RUNTIME.name

    @pytest.mark.parametrize(
        ("handler", "memory", "timeout"),
        [("lambdas.api.handler", 512, 29), ("lambdas.identity_checker.handler", 256, 300)],
    )
    def test_arm64_newest_python_traced_own_log_group(
        self, default: assertions.Template, handler: str, memory: int, timeout: int
    ) -> None:
        main, _ = _keys(default)
        props = _function(default, handler)["Properties"]
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == RUNTIME.name
        assert props["MemorySize"] == memory
        assert props["Timeout"] == timeout
        assert props["TracingConfig"] == {"Mode": "Active"}
        log_group = props["LoggingConfig"]["LogGroup"]["Ref"]
        group = default.find_resources("AWS::Logs::LogGroup")[log_group]["Properties"]
        assert group == {"KmsKeyId": {"Fn::GetAtt": [main, "Arn"]}, "RetentionInDays": 30}

    def test_both_functions_run_one_code_asset(self, default: assertions.Template) -> None:
        codes = {
            json.dumps(f["Properties"]["Code"])
            for f in default.find_resources("AWS::Lambda::Function").values()
        }
        assert len(codes) == 1

    def test_environment_is_what_settings_reads(self, full: assertions.Template) -> None:
        tables = _tables(full)
        main, mac = _keys(full)
        zone = _logical_id(full, "AWS::Route53::HostedZone", {"Name": "dkim.mail.example.com."})
        expected = {
            "POWERTOOLS_SERVICE_NAME": "sesame",
            "LOG_LEVEL": "DEBUG",
            "SESAME_TABLE_ACCOUNTS": {"Ref": tables["account_id"]},
            "SESAME_TABLE_ACCESS_KEYS": {"Ref": tables["access_key_id"]},
            "SESAME_TABLE_IDENTITIES": {"Ref": tables["identity"]},
            "SESAME_KMS_KEY_ID": {"Fn::GetAtt": [main, "Arn"]},
            "SESAME_LINK_MAC_KEY_ID": {"Fn::GetAtt": [mac, "Arn"]},
            "SESAME_PUBLIC_BASE_URL": "https://mail.example.com",
            "SESAME_DKIM_SIGNING_ZONE": "dkim.mail.example.com",
            "SESAME_DKIM_HOSTED_ZONE_ID": {"Ref": zone},
            "SESAME_MAIL_FROM_MX_HOST": "feedback-smtp.mail.example.com",
            "SESAME_SPF_INCLUDE_DOMAIN": "spf.mail.example.com",
            "SESAME_CHECK_INTERVAL": "900",
        }
        for handler in ("lambdas.api.handler", "lambdas.identity_checker.handler"):
            assert _function(full, handler)["Properties"]["Environment"]["Variables"] == expected

    def test_default_public_base_url_is_the_apis_own_endpoint(self, default: assertions.Template) -> None:
        api = _logical_id(default, "AWS::ApiGatewayV2::Api", {"ProtocolType": "HTTP"})
        variables = _function(default, "lambdas.api.handler")["Properties"]["Environment"]["Variables"]
        assert variables["SESAME_PUBLIC_BASE_URL"] == {"Fn::GetAtt": [api, "ApiEndpoint"]}
        assert "SESAME_MAIL_FROM_MX_HOST" not in variables  # unset: the runtime's own default

    def test_settings_accept_the_environment(self, full: assertions.Template) -> None:
        from sesame.settings import Settings

        variables = _function(full, "lambdas.api.handler")["Properties"]["Environment"]["Variables"]
        # CloudFormation fills in the references at deploy time; stand-ins of the right shape here.
        stand_ins = {
            "SESAME_TABLE_ACCOUNTS": "Sesame-Accounts-1",
            "SESAME_TABLE_ACCESS_KEYS": "Sesame-AccessKeys-1",
            "SESAME_TABLE_IDENTITIES": "Sesame-Identities-1",
            "SESAME_KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/1",
            "SESAME_LINK_MAC_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/2",
            "SESAME_DKIM_HOSTED_ZONE_ID": "Z0123456789ABCDEFGHIJ",
        }
        environ = {k: stand_ins.get(k, v) for k, v in variables.items()} | {"AWS_REGION": "eu-west-1"}
        assert all(isinstance(v, str) for v in environ.values())
        settings = Settings.from_environment(environ)
        assert settings.tables.accounts == "Sesame-Accounts-1"
        assert settings.tables.access_keys == "Sesame-AccessKeys-1"
        assert settings.tables.identities == "Sesame-Identities-1"
        assert settings.kms_key_id.endswith("key/1") and settings.link_mac_key_id.endswith("key/2")
        assert settings.public_base_url == "https://mail.example.com"
        assert settings.dkim_signing_zone == "dkim.mail.example.com"
        assert settings.dkim_hosted_zone_id == "Z0123456789ABCDEFGHIJ"
        assert settings.mail_from_mx_host == "feedback-smtp.mail.example.com"
        assert settings.spf_include_domain == "spf.mail.example.com"
        assert settings.check_interval == 900.0

    def test_settings_see_no_dkim_zone_when_none_is_configured(self, default: assertions.Template) -> None:
        from sesame.settings import Settings

        variables = _function(default, "lambdas.api.handler")["Properties"]["Environment"]["Variables"]
        environ = {k: v if isinstance(v, str) else "stand-in" for k, v in variables.items()}
        assert Settings.from_environment(environ).dkim_signing_zone is None


class TestPermissions:
    def test_api_function_may_do_exactly_its_work(self, full: assertions.Template) -> None:
        tables = _tables(full)
        main, mac = _keys(full)
        zone = _logical_id(full, "AWS::Route53::HostedZone", {"Name": "dkim.mail.example.com."})
        logs = _function(full, "lambdas.api.handler")["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        grants = _grants(full, "lambdas.api.handler")
        dynamodb = grants[_arn(tables["account_id"])]
        assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"} <= dynamodb
        assert all(action.startswith("dynamodb:") and "*" not in action for action in dynamodb)
        # The stack is pinned to eu-west-1 here, so CDK writes the partition literally.
        zone_arn = json.dumps(
            {"Fn::Join": ["", ["arn:aws:route53:::hostedzone/", {"Ref": zone}]]}, sort_keys=True
        )
        assert grants == {
            '"*"': XRAY,
            _arn(logs): LOG_WRITE,
            _arn(tables["account_id"]): dynamodb,
            _arn(tables["access_key_id"]): dynamodb,
            _arn(tables["identity"]): dynamodb,
            _index_arn(tables["identity"]): dynamodb,
            _arn(main): TABLE_KMS | {"kms:GenerateDataKey"},
            _arn(mac): {"kms:GenerateMac", "kms:VerifyMac"},
            zone_arn: {"route53:ChangeResourceRecordSets"},
        }

    def test_checker_may_only_use_the_identities_table(self, full: assertions.Template) -> None:
        tables = _tables(full)
        main, _ = _keys(full)
        logs = _function(full, "lambdas.identity_checker.handler")["Properties"]["LoggingConfig"]["LogGroup"][
            "Ref"
        ]
        grants = _grants(full, "lambdas.identity_checker.handler")
        dynamodb = grants[_arn(tables["identity"])]
        assert grants == {
            '"*"': XRAY,
            _arn(logs): LOG_WRITE,
            _arn(tables["identity"]): dynamodb,
            _index_arn(tables["identity"]): dynamodb,
            _arn(main): TABLE_KMS,
        }

    @pytest.mark.parametrize("handler", ["lambdas.api.handler", "lambdas.identity_checker.handler"])
    def test_only_xray_has_a_wildcard_resource(self, default: assertions.Template, handler: str) -> None:
        for statement in _role_statements(default, handler):
            if "*" in _as_list(statement["Resource"]):
                assert statement["Resource"] == "*" and set(_as_list(statement["Action"])) == XRAY

    def test_no_route53_permission_without_a_dkim_zone(self, default: assertions.Template) -> None:
        actions = set().union(*_grants(default, "lambdas.api.handler").values())
        assert not any(action.startswith("route53:") for action in actions)


class TestScheduler:
    def test_rule_invokes_the_checker_every_n_minutes(
        self, default: assertions.Template, full: assertions.Template
    ) -> None:
        for template, minutes in ((default, 5), (full, 15)):
            checker = _logical_id(
                template, "AWS::Lambda::Function", {"Handler": "lambdas.identity_checker.handler"}
            )
            _, rule = _only(template, "AWS::Events::Rule")
            props = rule["Properties"]
            assert props["ScheduleExpression"] == f"rate({minutes} minutes)"
            assert props["State"] == "ENABLED"
            assert [t["Arn"] for t in props["Targets"]] == [{"Fn::GetAtt": [checker, "Arn"]}]
            template.has_resource_properties(
                "AWS::Lambda::Permission",
                {"Principal": "events.amazonaws.com", "FunctionName": {"Fn::GetAtt": [checker, "Arn"]}},
            )


class TestDkimZone:
    def test_no_zone_unless_configured(self, default: assertions.Template) -> None:
        default.resource_count_is("AWS::Route53::HostedZone", 0)
        outputs = default.find_outputs("*")
        assert not {"DkimSigningZone", "DkimHostedZoneId", "DkimNameServers"} & set(outputs)

    def test_zone_created_when_configured(self, full: assertions.Template) -> None:
        zone = _logical_id(full, "AWS::Route53::HostedZone", {"Name": "dkim.mail.example.com."})
        outputs = full.find_outputs("*")
        assert outputs["DkimSigningZone"]["Value"] == "dkim.mail.example.com"
        assert outputs["DkimHostedZoneId"]["Value"] == {"Ref": zone}
        assert outputs["DkimNameServers"]["Value"] == {
            "Fn::Join": [",", {"Fn::GetAtt": [zone, "NameServers"]}]
        }

    def test_existing_zone_is_referenced_not_created(self, imported_zone: assertions.Template) -> None:
        imported_zone.resource_count_is("AWS::Route53::HostedZone", 0)
        grants = _grants(imported_zone, "lambdas.api.handler")
        zone_arn = json.dumps(
            {
                "Fn::Join": [
                    "",
                    ["arn:", {"Ref": "AWS::Partition"}, ":route53:::hostedzone/Z0123456789ABCDEFGHIJ"],
                ]
            },
            sort_keys=True,
        )
        assert grants[zone_arn] == {"route53:ChangeResourceRecordSets"}
        outputs = imported_zone.find_outputs("*")
        assert outputs["DkimHostedZoneId"]["Value"] == "Z0123456789ABCDEFGHIJ"
        assert "DkimNameServers" not in outputs  # the zone's delegation is not ours to report


class TestOutputs:
    def test_stable_ids_without_exports(self, full: assertions.Template) -> None:
        outputs = full.find_outputs("*")
        assert set(outputs) == set(OUTPUT_IDS)
        assert not any("Export" in output for output in outputs.values())
        assert outputs["Region"]["Value"] == "eu-west-1"

    def test_default_outputs(self, default: assertions.Template) -> None:
        api = _logical_id(default, "AWS::ApiGatewayV2::Api", {"ProtocolType": "HTTP"})
        outputs = default.find_outputs("*")
        assert set(outputs) == set(OUTPUT_IDS) - {"DkimSigningZone", "DkimHostedZoneId", "DkimNameServers"}
        assert outputs["ApiUrl"]["Value"] == {"Fn::GetAtt": [api, "ApiEndpoint"]}
        assert outputs["Region"]["Value"] == {"Ref": "AWS::Region"}


class TestApp:
    def test_stack_is_environment_agnostic_by_default(self) -> None:
        _app, stack = create_app(NO_BUNDLING)
        assert stack.stack_name == "Sesame"
        assert stack.resolve(stack.account) == {"Ref": "AWS::AccountId"}
        assert stack.resolve(stack.region) == {"Ref": "AWS::Region"}

    def test_cdk_json_documents_every_setting_with_its_default(self) -> None:
        context = cdk_json_context()
        defaults = SesameConfig()
        for key in SesameConfig.setting_names():
            assert key in context, f"cdk.json context lacks {key}"
            assert context[key] == getattr(defaults, key), key
        assert json.loads((ROOT / "cdk.json").read_text())["app"] == "python3 app.py"
        # Feature flags of a new CDK project (`cdk init`), e.g.:
        assert context["@aws-cdk/aws-iam:minimizePolicies"] is True
        assert context["@aws-cdk/core:validateAgainstDefaultRules"] is True
