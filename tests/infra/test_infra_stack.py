"""SesameStack's template: what each capability creates and what each function may do."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import assertions
from aws_cdk import aws_lambda as lambda_
from infra_support import (
    API_HANDLER,
    CHECKER_HANDLER,
    DYNAMODB_READ,
    DYNAMODB_READ_WRITE,
    EVENT_STREAM_HANDLER,
    HANDLERS,
    LOG_WRITE,
    NO_BUNDLING,
    RECEIPT_WORKER_HANDLER,
    ROOT,
    TABLE_KMS,
    VPC_ENI,
    WORKER_HANDLER,
    XRAY,
    Match,
    alarm_topic,
    arn,
    as_list,
    audit_log_group,
    customer_topics,
    events_topic,
    function,
    grants,
    inbound_bucket,
    index_arn,
    keys,
    log_group_of,
    logical_id,
    only,
    queues,
    receipt_queues,
    ref,
    role_statements,
    spool_bucket,
    tables,
    under_arn,
)

from stacks import OUTPUT_IDS, SesameConfig, cdk_json_context, create_app
from stacks.function import RUNTIME

EXPIRING = {"quotas", "statistics", "deliveries", "receipts"}
INBOUND_READ = {"s3:GetObject*", "s3:GetBucket*", "s3:List*"}
# Customers' resources named by receipt rules, in the full context's pinned account and region.
CUSTOMER_OBJECTS = json.dumps("arn:aws:s3:::*/*")
CUSTOMER_KEYS = json.dumps("arn:aws:kms:eu-west-1:123456789012:key/*")
CUSTOMER_FUNCTIONS = json.dumps("arn:aws:lambda:eu-west-1:123456789012:function:*")


def customer_arn(service: str, resource: str, *, regional: bool = True) -> dict[str, Any]:
    """An ARN of every resource of a kind in the account (and region), as an unpinned stack writes it."""
    if not regional:  # S3: no region, no account
        return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":{service}:::{resource}"]]}
    parts = ["arn:", {"Ref": "AWS::Partition"}, f":{service}:", {"Ref": "AWS::Region"}, ":"]
    return {"Fn::Join": ["", [*parts, {"Ref": "AWS::AccountId"}, f":{resource}"]]}


class TestData:
    def test_ten_tables_on_demand_with_pitr_and_the_customer_key(self, default: assertions.Template) -> None:
        main_key, _ = keys(default)
        found = default.find_resources("AWS::DynamoDB::Table")
        assert len(found) == 10
        for logical, table in found.items():
            props = table["Properties"]
            assert props["BillingMode"] == "PAY_PER_REQUEST", logical
            assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
            assert props["SSESpecification"] == {
                "SSEEnabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": {"Fn::GetAtt": [main_key, "Arn"]},
            }
            assert props["DeletionProtectionEnabled"] is True
            assert "TableName" not in props, "no hard-coded physical names"
            assert table["DeletionPolicy"] == "Retain"

    def test_counters_statistics_and_delivery_records_expire(self, default: assertions.Template) -> None:
        found = default.find_resources("AWS::DynamoDB::Table")
        for name, logical in tables(default).items():
            ttl = found[logical]["Properties"].get("TimeToLiveSpecification")
            if name in EXPIRING:
                assert ttl == {"AttributeName": "expires_at", "Enabled": True}, name
            else:
                assert ttl is None, name  # suppressed addresses, accounts, keys, identities stay

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
        for partition, sort in (
            ("account_id", "window"),
            ("account_id", "address"),
            ("account_id", "bucket"),
            ("message_id", "recipient"),
        ):
            default.has_resource_properties(
                "AWS::DynamoDB::Table",
                {
                    "KeySchema": [
                        {"AttributeName": partition, "KeyType": "HASH"},
                        {"AttributeName": sort, "KeyType": "RANGE"},
                    ],
                    "AttributeDefinitions": [
                        {"AttributeName": partition, "AttributeType": "S"},
                        {"AttributeName": sort, "AttributeType": "S"},
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
        for _name, key_schema, indexes in specs:
            attributes = {attr: kind for attr, kind, _ in key_schema}
            gsis = {}
            for index, (pk, pk_type, sk, sk_type) in indexes.items():
                attributes |= {pk: pk_type, sk: sk_type}
                gsis[index] = [(pk, "HASH"), (sk, "RANGE")]
            local.append(([(attr, role) for attr, _, role in key_schema], gsis, attributes))
        assert as_deployed == sorted(local)

    def test_deletion_protection_can_be_turned_off(self, full: assertions.Template) -> None:
        for table in full.find_resources("AWS::DynamoDB::Table").values():
            assert table["Properties"]["DeletionProtectionEnabled"] is False
            assert table["DeletionPolicy"] == "Delete"


class TestKeys:
    def test_main_key_rotates_and_has_its_alias(self, default: assertions.Template) -> None:
        main, _ = keys(default)
        default.has_resource_properties(
            "AWS::KMS::Alias", {"AliasName": "alias/sesame", "TargetKeyId": {"Fn::GetAtt": [main, "Arn"]}}
        )
        key = default.find_resources("AWS::KMS::Key")[main]
        assert key["Properties"]["EnableKeyRotation"] is True
        assert key["DeletionPolicy"] == "Retain"

    def test_link_key_is_an_hmac_key(self, default: assertions.Template) -> None:
        _, mac = keys(default)
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
        main, _ = keys(full)
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

    def test_no_aws_service_but_logs_may_use_the_main_key(self, full: assertions.Template) -> None:
        # CloudWatch alarms need a key they may use; they get their own, not the secrets' key.
        main, _ = keys(full)
        policy = full.find_resources("AWS::KMS::Key")[main]["Properties"]["KeyPolicy"]
        services = {json.dumps(s["Principal"].get("Service")) for s in policy["Statement"]}
        assert services == {"null", '"logs.eu-west-1.amazonaws.com"', '"sns.amazonaws.com"'}
        # SNS delivers events into the event stream's encrypted queue: for this account's topics only.
        (sns_statement,) = [
            s for s in policy["Statement"] if s["Principal"].get("Service") == "sns.amazonaws.com"
        ]
        assert sns_statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
        assert sns_statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": "123456789012"},
            "ArnLike": {"aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:*"},
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
        main, _ = keys(default)
        _, stage = only(default, "AWS::ApiGatewayV2::Stage")
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
        _, stage = only(full, "AWS::ApiGatewayV2::Stage")
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
        [(API_HANDLER, 512, 29), (CHECKER_HANDLER, 256, 300), (WORKER_HANDLER, 512, 300)],
    )
    def test_arm64_newest_python_traced_own_log_group(
        self, default: assertions.Template, handler: str, memory: int, timeout: int
    ) -> None:
        main, _ = keys(default)
        props = function(default, handler)["Properties"]
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == RUNTIME.name
        assert props["MemorySize"] == memory
        assert props["Timeout"] == timeout
        assert props["TracingConfig"] == {"Mode": "Active"}
        group = default.find_resources("AWS::Logs::LogGroup")[log_group_of(default, handler)]["Properties"]
        assert group == {"KmsKeyId": {"Fn::GetAtt": [main, "Arn"]}, "RetentionInDays": 30}

    def test_every_function_runs_one_code_asset(self, default: assertions.Template) -> None:
        functions = default.find_resources("AWS::Lambda::Function").values()
        assert {f["Properties"]["Handler"] for f in functions} == {*HANDLERS, EVENT_STREAM_HANDLER}
        assert len({json.dumps(f["Properties"]["Code"]) for f in functions}) == 1

    def test_default_public_base_url_is_the_apis_own_endpoint(self, default: assertions.Template) -> None:
        api = logical_id(default, "AWS::ApiGatewayV2::Api", {"ProtocolType": "HTTP"})
        for handler in HANDLERS:
            variables = function(default, handler)["Properties"]["Environment"]["Variables"]
            assert variables["SESAME_PUBLIC_BASE_URL"] == {"Fn::GetAtt": [api, "ApiEndpoint"]}, handler
            assert "SESAME_MAIL_FROM_MX_HOST" not in variables  # unset: the runtime's own default
            assert "SESAME_MAIL_HOST_NAME" not in variables
            if handler == WORKER_HANDLER:  # the default relay: the egress tier's first pool
                assert variables["SESAME_RELAY"]["Fn::Join"][1][1] == ":2525"
            else:
                assert "SESAME_RELAY" not in variables


class TestPermissions:
    def test_api_function_may_do_exactly_its_work(self, full: assertions.Template) -> None:
        table = tables(full)
        main, mac = keys(full)
        queue, _ = queues(full)
        spool = spool_bucket(full)
        inbound = inbound_bucket(full)
        zone = logical_id(full, "AWS::Route53::HostedZone", {"Name": "dkim.mail.example.com."})
        # The stack is pinned to eu-west-1 here, so CDK writes the partition literally.
        zone_arn = json.dumps(
            {"Fn::Join": ["", ["arn:aws:route53:::hostedzone/", {"Ref": zone}]]}, sort_keys=True
        )
        # Every table, item reads and writes only: the sending operations that will use the new
        # tables reserve quotas, edit the suppression list and read statistics and deliveries.
        expected = {arn(logical): DYNAMODB_READ_WRITE for logical in table.values()}
        expected |= {
            '"*"': XRAY,
            arn(log_group_of(full, API_HANDLER)): LOG_WRITE,
            # The audit trail, written by the function itself.
            arn(audit_log_group(full)): LOG_WRITE,
            index_arn(table["identities"]): DYNAMODB_READ_WRITE,
            arn(main): TABLE_KMS | {"kms:GenerateDataKey"},
            arn(mac): {"kms:GenerateMac", "kms:VerifyMac"},
            zone_arn: {"route53:ChangeResourceRecordSets"},
            # Accepting mail: queue the task, spool a large body, publish the Send event.
            arn(queue): {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"},
            under_arn(spool, "/*"): {
                "s3:PutObject",
                "s3:PutObjectLegalHold",
                "s3:PutObjectRetention",
                "s3:PutObjectTagging",
                "s3:PutObjectVersionTagging",
                "s3:Abort*",
            },
            ref(events_topic(full)): {"sns:Publish"},
            # SetIdentityNotificationTopic checks the customer's topic exists.
            customer_topics(full, pinned=True): {"sns:GetTopicAttributes"},
            # Receiving: reads stored messages; checks, as CreateReceiptRule does, the customer's
            # bucket, key and function its actions name.
            arn(inbound): INBOUND_READ,
            under_arn(inbound, "/*"): INBOUND_READ,
            CUSTOMER_OBJECTS: {"s3:PutObject"},
            CUSTOMER_KEYS: {"kms:DescribeKey"},
            CUSTOMER_FUNCTIONS: {"lambda:GetFunction"},
        }
        assert grants(full, API_HANDLER) == expected

    def test_receipt_worker_may_do_exactly_its_work(self, full: assertions.Template) -> None:
        table = tables(full)
        main, _ = keys(full)
        receipt_queue, _ = receipt_queues(full)
        delivery_queue, _ = queues(full)
        inbound = inbound_bucket(full)
        assert grants(full, RECEIPT_WORKER_HANDLER) == {
            # PutMetricData only in the Sesame namespace (role_statements checks the condition).
            '"*"': XRAY | {"cloudwatch:PutMetricData"},
            arn(log_group_of(full, RECEIPT_WORKER_HANDLER)): LOG_WRITE,
            # Consumes the receipt queue (the trigger's grant) and re-queues failed actions.
            arn(receipt_queue): {
                "sqs:ReceiveMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:SendMessage",
            },
            # Records each message's progress; finds the recipients' identities.
            arn(table["receipts"]): DYNAMODB_READ_WRITE,
            arn(table["identities"]): DYNAMODB_READ,
            index_arn(table["identities"]): DYNAMODB_READ,
            # Reads the stored message; parks a re-queued task too large for SQS under tasks/.
            arn(inbound): INBOUND_READ,
            under_arn(inbound, "/*"): INBOUND_READ,
            under_arn(inbound, "/tasks/*"): {
                "s3:PutObject",
                "s3:PutObjectLegalHold",
                "s3:PutObjectRetention",
                "s3:PutObjectTagging",
                "s3:PutObjectVersionTagging",
                "s3:Abort*",
            },
            # Main key: tables, queues, buckets; a data key for its own encryption.
            arn(main): TABLE_KMS | {"kms:GenerateDataKey"},
            # Bounce: a DSN through the sending pipeline.
            arn(delivery_queue): {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"},
            under_arn(spool_bucket(full), "/*"): {
                "s3:PutObject",
                "s3:PutObjectLegalHold",
                "s3:PutObjectRetention",
                "s3:PutObjectTagging",
                "s3:PutObjectVersionTagging",
                "s3:Abort*",
            },
            # The actions: customers' buckets (with their keys), topics and functions.
            CUSTOMER_OBJECTS: {"s3:PutObject"},
            CUSTOMER_KEYS: {"kms:GenerateDataKey"},
            customer_topics(full, pinned=True): {"sns:Publish"},
            CUSTOMER_FUNCTIONS: {"lambda:InvokeFunction"},
        }

    def test_customer_bucket_writes_are_held_to_this_accounts_buckets(
        self, default: assertions.Template
    ) -> None:
        for handler in (API_HANDLER, RECEIPT_WORKER_HANDLER):
            (statement,) = [
                s
                for s in role_statements(default, handler)
                if s["Action"] == "s3:PutObject" and "Condition" in s
            ]
            assert statement["Condition"] == {
                "StringEquals": {"s3:ResourceAccount": {"Ref": "AWS::AccountId"}}
            }

    def test_metrics_are_written_to_the_sesame_namespace_only(self, default: assertions.Template) -> None:
        (statement,) = [
            s
            for s in role_statements(default, RECEIPT_WORKER_HANDLER)
            if "cloudwatch:PutMetricData" in as_list(s["Action"])
        ]
        assert statement["Action"] == "cloudwatch:PutMetricData"
        assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Sesame"}}
        for handler in (API_HANDLER, CHECKER_HANDLER, WORKER_HANDLER):
            assert "cloudwatch:PutMetricData" not in set().union(*grants(default, handler).values())

    def test_checker_may_only_use_the_identities_table(self, full: assertions.Template) -> None:
        identities = tables(full)["identities"]
        main, _ = keys(full)
        assert grants(full, CHECKER_HANDLER) == {
            '"*"': XRAY,
            arn(log_group_of(full, CHECKER_HANDLER)): LOG_WRITE,
            arn(identities): DYNAMODB_READ_WRITE,
            index_arn(identities): DYNAMODB_READ_WRITE,
            arn(main): TABLE_KMS,
        }

    def test_worker_may_do_exactly_its_work(self, full: assertions.Template) -> None:
        table = tables(full)
        main, _ = keys(full)
        queue, _ = queues(full)
        spool = spool_bucket(full)
        spool_read = {"s3:GetObject*", "s3:GetBucket*", "s3:List*"}
        assert grants(full, WORKER_HANDLER) == {
            # In the VPC: Lambda attaches its network interfaces with the function's role.
            '"*"': XRAY | VPC_ENI,
            arn(log_group_of(full, WORKER_HANDLER)): LOG_WRITE,
            # Consumes the queue (the trigger's grant) and re-queues deferred tasks with a delay.
            arn(queue): {
                "sqs:ReceiveMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:SendMessage",
            },
            # Records outcomes, counts them, suppresses bounced addresses.
            arn(table["deliveries"]): DYNAMODB_READ_WRITE,
            arn(table["statistics"]): DYNAMODB_READ_WRITE,
            arn(table["suppression"]): DYNAMODB_READ_WRITE,
            # Reads identities (DKIM keys, notification topics) and accounts.
            arn(table["identities"]): DYNAMODB_READ,
            index_arn(table["identities"]): DYNAMODB_READ,
            arn(table["accounts"]): DYNAMODB_READ,
            # Tables, queue, topic and spool are encrypted with the main key; DKIM keys too.
            arn(main): TABLE_KMS,
            arn(spool): spool_read,
            under_arn(spool, "/*"): spool_read | {"s3:DeleteObject*"},
            ref(events_topic(full)): {"sns:Publish"},
            customer_topics(full, pinned=True): {"sns:Publish"},
        }

    @pytest.mark.parametrize("handler", HANDLERS)
    def test_wildcard_resources_are_only_the_acknowledged_ones(
        self, default: assertions.Template, handler: str
    ) -> None:
        table = tables(default)
        expected = {
            API_HANDLER: {
                '"*"',
                index_arn(table["identities"]),
                under_arn(spool_bucket(default), "/*"),
                customer_topics(default, pinned=False),
            },
            CHECKER_HANDLER: {'"*"', index_arn(table["identities"])},
            WORKER_HANDLER: {
                '"*"',
                index_arn(table["identities"]),
                under_arn(spool_bucket(default), "/*"),
                customer_topics(default, pinned=False),
            },
            RECEIPT_WORKER_HANDLER: {
                '"*"',
                index_arn(table["identities"]),
                under_arn(spool_bucket(default), "/*"),
                under_arn(inbound_bucket(default), "/*"),
                under_arn(inbound_bucket(default), "/tasks/*"),
                customer_topics(default, pinned=False),
                json.dumps(customer_arn("s3", "*/*", regional=False), sort_keys=True),
                json.dumps(customer_arn("kms", "key/*"), sort_keys=True),
                json.dumps(customer_arn("lambda", "function:*"), sort_keys=True),
            },
        }[handler]
        if handler == API_HANDLER:
            expected |= {
                under_arn(inbound_bucket(default), "/*"),
                json.dumps(customer_arn("s3", "*/*", regional=False), sort_keys=True),
                json.dumps(customer_arn("kms", "key/*"), sort_keys=True),
                json.dumps(customer_arn("lambda", "function:*"), sort_keys=True),
            }
        wildcards = {resource for resource in grants(default, handler) if "*" in resource}
        assert wildcards == expected
        for statement in role_statements(default, handler):
            if "*" in as_list(statement["Resource"]):
                allowed = {
                    WORKER_HANDLER: XRAY | VPC_ENI,
                    RECEIPT_WORKER_HANDLER: XRAY | {"cloudwatch:PutMetricData"},
                }.get(handler, XRAY)
                assert statement["Resource"] == "*" and set(as_list(statement["Action"])) <= allowed

    def test_no_route53_permission_without_a_dkim_zone(self, default: assertions.Template) -> None:
        actions = set().union(*grants(default, API_HANDLER).values())
        assert not any(action.startswith("route53:") for action in actions)

    def test_only_the_worker_may_take_messages_off_the_queue(self, default: assertions.Template) -> None:
        for handler in (API_HANDLER, CHECKER_HANDLER):
            actions = set().union(*grants(default, handler).values())
            assert not actions & {"sqs:ReceiveMessage", "sqs:DeleteMessage", "s3:DeleteObject*"}, handler


class TestScheduler:
    def test_rule_invokes_the_checker_every_n_minutes(
        self, default: assertions.Template, full: assertions.Template
    ) -> None:
        for template, minutes in ((default, 5), (full, 15)):
            checker = logical_id(template, "AWS::Lambda::Function", {"Handler": CHECKER_HANDLER})
            # The one rule on the default bus (the full context's Firehose rule is on the event bus).
            _, rule = only(
                template, "AWS::Events::Rule", {"ScheduleExpression": assertions.Match.any_value()}
            )
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
        zone = logical_id(full, "AWS::Route53::HostedZone", {"Name": "dkim.mail.example.com."})
        outputs = full.find_outputs("*")
        assert outputs["DkimSigningZone"]["Value"] == "dkim.mail.example.com"
        assert outputs["DkimHostedZoneId"]["Value"] == {"Ref": zone}
        assert outputs["DkimNameServers"]["Value"] == {
            "Fn::Join": [",", {"Fn::GetAtt": [zone, "NameServers"]}]
        }

    def test_existing_zone_is_referenced_not_created(self, imported_zone: assertions.Template) -> None:
        imported_zone.resource_count_is("AWS::Route53::HostedZone", 0)
        allowed = grants(imported_zone, API_HANDLER)
        zone_arn = json.dumps(
            {
                "Fn::Join": [
                    "",
                    ["arn:", {"Ref": "AWS::Partition"}, ":route53:::hostedzone/Z0123456789ABCDEFGHIJ"],
                ]
            },
            sort_keys=True,
        )
        assert allowed[zone_arn] == {"route53:ChangeResourceRecordSets"}
        outputs = imported_zone.find_outputs("*")
        assert outputs["DkimHostedZoneId"]["Value"] == "Z0123456789ABCDEFGHIJ"
        assert "DkimNameServers" not in outputs  # the zone's delegation is not ours to report


class TestOutputs:
    def test_stable_ids_without_exports(self, full: assertions.Template) -> None:
        outputs = full.find_outputs("*")
        # Besides the fixed ids, two per IP pool (tests/infra/test_infra_network.py).
        pools = {"IpPooltransactionalAddresses", "IpPooltransactionalReverseDns"}
        pools |= {"IpPoolmarketingAddresses", "IpPoolmarketingReverseDns"}
        assert set(outputs) == set(OUTPUT_IDS) | pools
        assert not any("Export" in output for output in outputs.values())
        assert outputs["Region"]["Value"] == "eu-west-1"

    def test_default_outputs(self, default: assertions.Template) -> None:
        api = logical_id(default, "AWS::ApiGatewayV2::Api", {"ProtocolType": "HTTP"})
        outputs = default.find_outputs("*")
        pools = {"IpPooldefaultAddresses", "IpPooldefaultReverseDns"}
        dkim = {"DkimSigningZone", "DkimHostedZoneId", "DkimNameServers"}
        tiers = {"SubmissionEndpoint", "MxEndpoint"}  # off by default
        dns = {"DnsNameServers", "ApiCustomUrl"}  # no zone, no custom domain by default
        bus = {"EventBusName"}  # no EventBridge bus by default
        assert set(outputs) == (set(OUTPUT_IDS) - dkim - tiers - dns - bus) | pools
        assert outputs["ApiUrl"]["Value"] == {"Fn::GetAtt": [api, "ApiEndpoint"]}
        assert outputs["Region"]["Value"] == {"Ref": "AWS::Region"}

    def test_sending_outputs_name_the_sending_resources(self, default: assertions.Template) -> None:
        table = tables(default)
        queue, dead_letters = queues(default)
        worker = logical_id(default, "AWS::Lambda::Function", {"Handler": WORKER_HANDLER})
        values = {name: output["Value"] for name, output in default.find_outputs("*").items()}
        assert values["QuotasTableName"] == {"Ref": table["quotas"]}
        assert values["SuppressionTableName"] == {"Ref": table["suppression"]}
        assert values["StatisticsTableName"] == {"Ref": table["statistics"]}
        assert values["DeliveriesTableName"] == {"Ref": table["deliveries"]}
        assert values["DeliveryQueueUrl"] == {"Ref": queue}
        assert values["DeliveryDeadLetterQueueUrl"] == {"Ref": dead_letters}
        assert values["SpoolBucketName"] == {"Ref": spool_bucket(default)}
        assert values["EventsTopicArn"] == {"Ref": events_topic(default)}
        assert values["AlarmTopicArn"] == {"Ref": alarm_topic(default)}
        assert values["DeliveryWorkerFunctionName"] == {"Ref": worker}


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
            # As the context gives it: cdk.json holds JSON, the config its typed reading of it.
            if context[key] is None:
                assert getattr(defaults, key) is None, key
            else:
                assert SesameConfig.from_context({key: context[key]}) == defaults, key
        assert json.loads((ROOT / "cdk.json").read_text())["app"] == "python3 app.py"
        # Feature flags of a new CDK project (`cdk init`), e.g.:
        assert context["@aws-cdk/aws-iam:minimizePolicies"] is True
        assert context["@aws-cdk/core:validateAgainstDefaultRules"] is True
