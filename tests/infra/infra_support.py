"""Contexts shared by the infra tests (conftest.py puts the repository root on sys.path)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import assertions

from stacks import create_app

ROOT = Path(__file__).resolve().parents[2]

# Bundling runs pip for the Lambda platform; tests look at templates, not at the zip.
NO_BUNDLING: dict[str, Any] = {"aws:cdk:bundling-stacks": []}

# Everything a team can set, set to something other than its default.
FULL_CONTEXT: dict[str, Any] = {
    "stack_name": "SesameFull",
    "name_prefix": "acme-mail",
    "account": "123456789012",
    "region": "eu-west-1",
    # A pinned stack names its zones: synth looks nothing up.
    "availability_zones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    "deletion_protection": False,
    "api_memory_mb": 1024,
    "checker_memory_mb": 512,
    "log_level": "DEBUG",
    "log_retention_days": 90,
    "api_throttle_rate": 20,
    "api_throttle_burst": 40,
    "identity_check_minutes": 15,
    "dkim_signing_zone": "dkim.mail.example.com",
    "mail_from_mx_host": "feedback-smtp.mail.example.com",
    "spf_include_domain": "spf.mail.example.com",
    "public_base_url": "https://mail.example.com",
}

IMPORTED_ZONE_CONTEXT: dict[str, Any] = {
    "dkim_signing_zone": "dkim.example.org",
    "dkim_hosted_zone_id": "Z0123456789ABCDEFGHIJ",
}

# Sending: everything set to something other than both the config's and the runtime's defaults.
FULL_CONTEXT.update(
    {
        "worker_memory_mb": 768,
        "worker_timeout_seconds": 120,
        "worker_reserved_concurrency": 25,
        "worker_batch_size": 50,
        "worker_batching_window_seconds": 2,
        "max_receive_count": 7,
        "retry_base_seconds": 30,
        "max_delivery_age_seconds": 129600,
        "queue_age_alarm_minutes": 20,
        "relay": "egress.mail.example.com:2525",
        "mail_host_name": "mta.mail.example.com",
        "alarm_email": "ops@example.com",
    }
)

SMTP_TLS_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:sesame/smtp-tls-AbCdEf"

# Network, SMTP tiers, DNS, new accounts.
FULL_CONTEXT.update(
    {
        "vpc_cidr": "10.80.0.0/18",
        "ip_pools": [
            {"name": "transactional", "eip_count": 3, "reverse_dns": "tx.mail.example.com"},
            {
                "name": "marketing",
                "allocation_ids": ["eipalloc-0123456789abcdef0"],
                "addresses": ["198.51.100.20"],
            },
        ],
        "egress_port": 2600,
        "egress_tasks": 2,
        "egress_max_tasks": 6,
        "submission_enabled": True,
        "submission_tasks": 2,
        "submission_max_tasks": 5,
        "smtp_tls_secret_arn": SMTP_TLS_SECRET_ARN,
        "mx_enabled": True,
        "mx_tasks": 3,
        "mx_max_tasks": 7,
        "task_cpu": 512,
        "task_memory_mb": 1024,
        "dns_zone_name": "mail.example.com",
        "mail_domains": ["mail.example.com", "news.mail.example.com"],
        "dmarc_policy": "reject",
        "dmarc_report_email": "dmarc@example.com",
        "mail_from_subdomain": "return",
        "api_domain_name": "api.mail.example.com",
        "api_certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc",
        "tracking_domain_name": "links.mail.example.com",
        # The zone is created by the stack: its certificates cannot validate through it yet.
        "tracking_certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/1f2e3d4c-links",
        "event_bus_enabled": True,
        "event_firehose_stream_arns": ["arn:aws:firehose:eu-west-1:123456789012:deliverystream/mail-events"],
        "event_consumer_memory_mb": 512,
        "default_sandbox": False,
        "sandbox_max_send_rate": 2.5,
        "sandbox_max_24_hour_send": 500,
    }
)

# The deployment's own DNS zone, its mail domains and hosts, custom domains and certificates.
ZONE = "example.com"
SENDING = ("203.0.113.9", "203.0.113.10")
BULK = ("198.51.100.7",)
MX_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-mx"
# Every address known at synth (allocated beforehand): the records hold no CloudFormation tokens,
# so they can be served as they are.
ZONE_ID = "Z0123456789ABCDEFGHIJ"
DNS_CONTEXT: dict[str, Any] = {
    "stack_name": "SesameMail",
    # An existing zone, delegated already: the certificates validate through it during the deploy.
    "dns_hosted_zone_id": ZONE_ID,
    "dns_zone_name": ZONE,
    "mail_domains": [ZONE, f"news.{ZONE}"],
    "mx_enabled": True,
    "mx_tls_certificate_arn": MX_CERTIFICATE,
    # No TLS secret or certificate given: the stack requests one for smtp.ZONE.
    "submission_enabled": True,
    "mail_host_name": f"mta.{ZONE}",
    "api_domain_name": f"api.{ZONE}",
    "tracking_domain_name": f"links.{ZONE}",
    "dmarc_policy": "quarantine",
    "dmarc_report_email": f"dmarc@{ZONE}",
    "ip_pools": [
        {
            "name": "default",
            "allocation_ids": ["eipalloc-0123456789abcdef0", "eipalloc-0123456789abcdef1"],
            "addresses": list(SENDING),
        },
        {
            "name": "bulk",
            "allocation_ids": ["eipalloc-0123456789abcdef2"],
            "addresses": list(BULK),
            "reverse_dns": f"bulk.{ZONE}",
        },
    ],
}
API_HANDLER = "lambdas.api.handler"
CHECKER_HANDLER = "lambdas.identity_checker.handler"
WORKER_HANDLER = "lambdas.delivery_worker.handler"
RECEIPT_WORKER_HANDLER = "lambdas.receiving_worker.handler"
HANDLERS = (API_HANDLER, CHECKER_HANDLER, WORKER_HANDLER, RECEIPT_WORKER_HANDLER)
# Reads no settings but the bus's name and the metrics namespace.
EVENT_STREAM_HANDLER = "lambdas.event_stream.handler"

XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
VPC_ENI = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}
LOG_WRITE = {"logs:CreateLogStream", "logs:PutLogEvents"}
TABLE_KMS = {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"}
# What CDK's grant_read_data / grant_read_write_data give on a table (and its indexes).
DYNAMODB_READ = {
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:Query",
    "dynamodb:Scan",
}
DYNAMODB_READ_WRITE = DYNAMODB_READ | {
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
}

Match = assertions.Match

# The conditions a function's statement may carry, by its action: each narrows a grant whose
# resources alone cannot (Route 53 record names, metric namespaces, S3 ARNs without account).
CONDITIONS: dict[str, list[Any]] = {
    json.dumps("cloudwatch:PutMetricData"): [{"StringEquals": {"cloudwatch:namespace": "Sesame"}}],
    json.dumps("s3:PutObject"): [
        {"StringEquals": {"s3:ResourceAccount": {"Ref": "AWS::AccountId"}}},
        {"StringEquals": {"s3:ResourceAccount": "123456789012"}},
    ],
}


def template_for(context: dict[str, Any]) -> assertions.Template:
    _app, stack = create_app({**NO_BUNDLING, **context})
    return assertions.Template.from_stack(stack)


def only(
    template: assertions.Template, resource_type: str, props: dict[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    found = template.find_resources(resource_type, {"Properties": props} if props else None)
    assert len(found) == 1, f"expected one {resource_type} matching {props}, found {list(found)}"
    ((logical, resource),) = found.items()
    return logical, dict(resource)


def logical_id(template: assertions.Template, resource_type: str, props: dict[str, Any]) -> str:
    return only(template, resource_type, props)[0]


def function(template: assertions.Template, handler: str) -> dict[str, Any]:
    return only(template, "AWS::Lambda::Function", {"Handler": handler})[1]


def function_id(template: assertions.Template, handler: str) -> str:
    return logical_id(template, "AWS::Lambda::Function", {"Handler": handler})


def log_group_of(template: assertions.Template, handler: str) -> str:
    return str(function(template, handler)["Properties"]["LoggingConfig"]["LogGroup"]["Ref"])


def role_statements(template: assertions.Template, handler: str) -> list[dict[str, Any]]:
    """Every IAM statement that applies to the role of the function with this handler."""
    role_ref = function(template, handler)["Properties"]["Role"]["Fn::GetAtt"][0]
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
        if "Condition" in statement and statement["Action"] != "route53:ChangeResourceRecordSets":
            assert statement["Condition"] in CONDITIONS.get(json.dumps(statement["Action"]), []), statement
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def grants(template: assertions.Template, handler: str) -> dict[str, set[str]]:
    """Resource (as JSON) -> actions allowed on it, for one function's role."""
    allowed: dict[str, set[str]] = {}
    for statement in role_statements(template, handler):
        for resource in as_list(statement["Resource"]):
            allowed.setdefault(json.dumps(resource, sort_keys=True), set()).update(
                as_list(statement["Action"])
            )
    return allowed


def arn(logical: str) -> str:
    return json.dumps({"Fn::GetAtt": [logical, "Arn"]}, sort_keys=True)


def ref(logical: str) -> str:
    return json.dumps({"Ref": logical}, sort_keys=True)


def under_arn(logical: str, suffix: str) -> str:
    return json.dumps({"Fn::Join": ["", [{"Fn::GetAtt": [logical, "Arn"]}, suffix]]}, sort_keys=True)


def index_arn(logical: str) -> str:
    return under_arn(logical, "/index/*")


# The runtime's TableNames field -> what tells its table apart in the template.
_TABLE_KEYS: dict[str, Any] = {
    "accounts": {"KeySchema": [{"AttributeName": "account_id", "KeyType": "HASH"}]},
    "access_keys": {"KeySchema": [{"AttributeName": "access_key_id", "KeyType": "HASH"}]},
    "identities": {"KeySchema": Match.array_with([{"AttributeName": "identity", "KeyType": "RANGE"}])},
    "quotas": {"KeySchema": Match.array_with([{"AttributeName": "window", "KeyType": "RANGE"}])},
    "suppression": {"KeySchema": Match.array_with([{"AttributeName": "address", "KeyType": "RANGE"}])},
    "statistics": {"KeySchema": Match.array_with([{"AttributeName": "bucket", "KeyType": "RANGE"}])},
    "deliveries": {"KeySchema": Match.array_with([{"AttributeName": "recipient", "KeyType": "RANGE"}])},
    "receipt_rules": {"KeySchema": Match.array_with([{"AttributeName": "entry", "KeyType": "RANGE"}])},
    "receipts": {
        "KeySchema": [
            {"AttributeName": "message_id", "KeyType": "HASH"},
            {"AttributeName": "account_id", "KeyType": "RANGE"},
        ]
    },
    "templates": {"KeySchema": Match.array_with([{"AttributeName": "item", "KeyType": "RANGE"}])},
}


def tables(template: assertions.Template) -> dict[str, str]:
    """TableNames field -> logical id, for every table."""
    return {name: logical_id(template, "AWS::DynamoDB::Table", props) for name, props in _TABLE_KEYS.items()}


def keys(template: assertions.Template) -> tuple[str, str]:
    main = logical_id(template, "AWS::KMS::Key", {"Description": Match.string_like_regexp("account secrets")})
    mac = logical_id(template, "AWS::KMS::Key", {"KeySpec": "HMAC_256"})
    return main, mac


def _queues_of(template: assertions.Template, handler: str) -> tuple[str, str]:
    """(queue, dead-letter queue) logical ids of the queue that triggers this function."""
    worker = function_id(template, handler)
    (mapping,) = [
        m
        for m in template.find_resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": worker}
    ]
    queue = mapping["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]
    props = template.find_resources("AWS::SQS::Queue")[queue]["Properties"]
    return queue, props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]


def queues(template: assertions.Template) -> tuple[str, str]:
    """(delivery queue, dead-letter queue) logical ids."""
    return _queues_of(template, WORKER_HANDLER)


def receipt_queues(template: assertions.Template) -> tuple[str, str]:
    """(receipt queue, dead-letter queue) logical ids."""
    return _queues_of(template, RECEIPT_WORKER_HANDLER)


def _logged_bucket(template: assertions.Template, prefix: str) -> str:
    return logical_id(
        template,
        "AWS::S3::Bucket",
        {"LoggingConfiguration": Match.object_like({"LogFilePrefix": prefix})},
    )


def spool_bucket(template: assertions.Template) -> str:
    return _logged_bucket(template, "spool/")


def inbound_bucket(template: assertions.Template) -> str:
    return _logged_bucket(template, "inbound/")


def access_log_bucket(template: assertions.Template) -> str:
    (bucket,) = set(template.find_resources("AWS::S3::Bucket")) - {
        spool_bucket(template),
        inbound_bucket(template),
    }
    return bucket


def events_topic(template: assertions.Template) -> str:
    return logical_id(template, "AWS::SNS::Topic", {"DisplayName": "Sesame events"})


def alarm_topic(template: assertions.Template) -> str:
    return logical_id(template, "AWS::SNS::Topic", {"DisplayName": "Sesame alarms"})


def customer_topics(template: assertions.Template, *, pinned: bool) -> str:
    """The ARN of every SNS topic of the account and region, as the template writes it."""
    if pinned:  # FULL_CONTEXT pins eu-west-1 / 123456789012, so CDK writes the ARN out
        return json.dumps("arn:aws:sns:eu-west-1:123456789012:*")
    parts = ["arn:", {"Ref": "AWS::Partition"}, ":sns:", {"Ref": "AWS::Region"}, ":"]
    return json.dumps({"Fn::Join": ["", [*parts, {"Ref": "AWS::AccountId"}, ":*"]]}, sort_keys=True)


def audit_log_group(template: assertions.Template) -> str:
    """The log group the API function is told to write its audit trail to."""
    variables = function(template, API_HANDLER)["Properties"]["Environment"]["Variables"]
    return str(variables["SESAME_AUDIT_LOG_GROUP"]["Ref"])
