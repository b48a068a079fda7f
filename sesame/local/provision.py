"""Creates, in the embedded AWS emulation, what the CDK stack creates in a real account.

The table layouts here and in ``stacks/`` must agree; the integration tests run against these.
"""

from __future__ import annotations

import json
from typing import Any

from sesame.adapters.aws import AwsClients
from sesame.settings import Settings

_GSI = dict[str, tuple[str, str, str, str]]  # index name -> (pk, pk type, sk, sk type)


def _table_specs(settings: Settings) -> list[tuple[str, list[tuple[str, str, str]], _GSI]]:
    tables = settings.tables
    return [
        (tables.accounts, [("account_id", "S", "HASH")], {}),
        (tables.access_keys, [("access_key_id", "S", "HASH")], {}),
        (
            tables.identities,
            [("account_id", "S", "HASH"), ("identity", "S", "RANGE")],
            {"by_status": ("check_state", "S", "next_check_at", "N")},
        ),
        # Sending. Items that expire carry an ``expires_at`` epoch (DynamoDB TTL in AWS).
        (tables.quotas, [("account_id", "S", "HASH"), ("window", "S", "RANGE")], {}),
        (tables.suppression, [("account_id", "S", "HASH"), ("address", "S", "RANGE")], {}),
        (tables.statistics, [("account_id", "S", "HASH"), ("bucket", "S", "RANGE")], {}),
        (tables.deliveries, [("message_id", "S", "HASH"), ("recipient", "S", "RANGE")], {}),
        # Receiving: rule sets, rules, filters and the MX's registry; per-message progress.
        (tables.receipt_rules, [("account_id", "S", "HASH"), ("entry", "S", "RANGE")], {}),
        (tables.receipts, [("message_id", "S", "HASH"), ("account_id", "S", "RANGE")], {}),
        (tables.templates, [("account_id", "S", "HASH"), ("item", "S", "RANGE")], {}),
    ]


def provision(aws: AwsClients, settings: Settings) -> Settings:
    """Create tables, keys and the DKIM zone; return settings naming what was created."""
    ddb = aws.dynamodb
    for name, keys, indexes in _table_specs(settings):
        attributes = {(attr, kind) for attr, kind, _ in keys}
        gsis: list[dict[str, Any]] = []
        for index, (pk, pk_type, sk, sk_type) in indexes.items():
            attributes |= {(pk, pk_type), (sk, sk_type)}
            gsis.append(
                {
                    "IndexName": index,
                    "KeySchema": [
                        {"AttributeName": pk, "KeyType": "HASH"},
                        {"AttributeName": sk, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            )
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": [{"AttributeName": attr, "KeyType": role} for attr, _, role in keys],
            "AttributeDefinitions": [
                {"AttributeName": attr, "AttributeType": kind} for attr, kind in sorted(attributes)
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if gsis:
            request["GlobalSecondaryIndexes"] = gsis
        ddb.create_table(**request)

    kms = aws.kms
    key_id = kms.create_key(Description="Sesame secrets")["KeyMetadata"]["Arn"]
    if settings.kms_key_id.startswith("alias/"):
        kms.create_alias(AliasName=settings.kms_key_id, TargetKeyId=key_id)
    mac_key = kms.create_key(
        Description="Sesame link signatures", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC"
    )["KeyMetadata"]["Arn"]
    if settings.link_mac_key_id.startswith("alias/"):
        kms.create_alias(AliasName=settings.link_mac_key_id, TargetKeyId=mac_key)
    updates: dict[str, Any] = {"kms_key_id": key_id, "link_mac_key_id": mac_key}

    updates.update(_provision_sending(aws, settings))
    updates.update(_provision_receiving(aws, settings))

    if settings.dkim_signing_zone:
        zone = aws.route53.create_hosted_zone(
            Name=settings.dkim_signing_zone, CallerReference=f"sesame-{settings.dkim_signing_zone}"
        )
        updates["dkim_hosted_zone_id"] = zone["HostedZone"]["Id"].rsplit("/", 1)[-1]
    return settings.model_copy(update=updates)


def _queue_with_dead_letters(aws: AwsClients, name: str, *, visibility_timeout: int) -> str:
    """A queue whose messages move to NAME-dlq after ten receives, as the stacks' do; its URL."""
    sqs = aws.client("sqs")
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "10"})
    attributes = {"RedrivePolicy": redrive, "VisibilityTimeout": str(visibility_timeout)}
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def _bucket(aws: AwsClients, name: str, region: str) -> str:
    s3 = aws.client("s3")
    if region == "us-east-1":  # S3 refuses a location constraint naming its default region
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return name


def _provision_sending(aws: AwsClients, settings: Settings) -> dict[str, Any]:
    """The delivery queue with its dead-letter queue, the spool bucket and the events topic."""
    queue_url = _queue_with_dead_letters(aws, "sesame-delivery", visibility_timeout=60)
    bucket = _bucket(aws, settings.spool_bucket or f"sesame-spool-{settings.region}", settings.region)
    topic = aws.client("sns").create_topic(Name="sesame-events")["TopicArn"]
    return {"delivery_queue_url": queue_url, "spool_bucket": bucket, "events_topic_arn": topic}


def _provision_receiving(aws: AwsClients, settings: Settings) -> dict[str, Any]:
    """The inbound bucket (raw messages, stored before the MX answers 250) and the receipt
    queue with its dead-letter queue."""
    queue_url = _queue_with_dead_letters(aws, "sesame-receiving", visibility_timeout=120)
    bucket = _bucket(aws, settings.inbound_bucket or f"sesame-inbound-{settings.region}", settings.region)
    return {"receiving_queue_url": queue_url, "inbound_bucket": bucket}
