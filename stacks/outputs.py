"""The stack's CloudFormation outputs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk

if TYPE_CHECKING:
    from stacks.sesame_stack import SesameStack

# CloudFormation output ids that `sesame admin --stack NAME` reads. They are a contract: rename
# none. No exports: nothing else should import them and pin this stack.
OUTPUT_IDS = (
    "ApiUrl",
    "AccountsTableName",
    "AccessKeysTableName",
    "IdentitiesTableName",
    "KmsKeyArn",
    "LinkMacKeyArn",
    "DkimSigningZone",
    "DkimHostedZoneId",
    "DkimNameServers",
    "ApiFunctionName",
    "IdentityCheckerFunctionName",
    "Region",
    "QuotasTableName",
    "SuppressionTableName",
    "StatisticsTableName",
    "DeliveriesTableName",
    "DeliveryQueueUrl",
    "DeliveryDeadLetterQueueUrl",
    "SpoolBucketName",
    "EventsTopicArn",
    "AlarmTopicArn",
    "DeliveryWorkerFunctionName",
    "InboundBucketName",
    "ReceiptQueueUrl",
    "ReceiptDeadLetterQueueUrl",
    "ReceiptWorkerFunctionName",
    "SubmissionEndpoint",
    "MxEndpoint",
    "DashboardName",
    "AuditLogGroupName",
    "DnsNameServers",
    "ApiCustomUrl",
    "EventBusName",
)


def _pool_outputs(stack: SesameStack) -> None:
    """Per IP pool: its addresses, and the reverse-DNS request for each. Receiving servers
    distrust an address whose PTR record does not name a host that resolves back to it."""
    for pool in stack.config.ip_pools:
        addresses = [a for a in stack.network.addresses if a.pool == pool.name]
        shown = [a.public_ip or a.allocation_id for a in addresses]
        cdk.CfnOutput(
            stack,
            f"IpPool{pool.name.replace('-', '')}Addresses",
            value=cdk.Fn.join(" ", shown),
            description=f"Sending addresses of IP pool {pool.name} (allocation ids where allocated "
            "outside the stack)",
        )
        name = addresses[0].reverse_dns or "MAIL.HOST.NAME"
        requests = [
            cdk.Fn.join(
                "",
                [
                    "aws ec2 modify-address-attribute --allocation-id ",
                    a.allocation_id,
                    f" --domain-name {name}",
                ],
            )
            for a in addresses
        ]
        cdk.CfnOutput(
            stack,
            f"IpPool{pool.name.replace('-', '')}ReverseDns",
            value=cdk.Fn.join(" ; ", requests),
            description=f"Set each address's PTR record (after an A record {name} -> the address "
            "exists), then ask AWS to lift the port 25 limit",
        )


def _output(stack: SesameStack, output_id: str, value: str, description: str) -> None:
    assert output_id in OUTPUT_IDS, output_id
    # Created directly in the stack, so the logical id is exactly output_id.
    cdk.CfnOutput(stack, output_id, value=value, description=description)


def add_outputs(stack: SesameStack) -> None:
    """The outputs `sesame admin` and `sesame smoke` read, the optional parts' when built, and two
    per IP pool."""
    data = stack.data
    _output(stack, "ApiUrl", stack.api.url, "Endpoint of the SES-compatible API")
    _output(stack, "AccountsTableName", data.accounts.table_name, "Accounts table")
    _output(stack, "AccessKeysTableName", data.access_keys.table_name, "Access keys table")
    _output(stack, "IdentitiesTableName", data.identities.table_name, "Identities table")
    _output(stack, "KmsKeyArn", stack.keys.main.key_arn, "KMS key for secrets and tables")
    _output(stack, "LinkMacKeyArn", stack.keys.link_mac.key_arn, "KMS HMAC key for links")
    _output(stack, "ApiFunctionName", stack.api.handler.function_name, "API Lambda function")
    _output(
        stack,
        "IdentityCheckerFunctionName",
        stack.verification.checker.function_name,
        "Identity checker Lambda function",
    )
    _output(stack, "Region", stack.region, "Region of the deployment")
    _output(stack, "QuotasTableName", data.quotas.table_name, "Sending quota counters table")
    _output(stack, "SuppressionTableName", data.suppression.table_name, "Suppression list table")
    _output(stack, "StatisticsTableName", data.statistics.table_name, "Send statistics table")
    _output(stack, "DeliveriesTableName", data.deliveries.table_name, "Per-recipient delivery records")
    sending = stack.sending
    _output(stack, "DeliveryQueueUrl", sending.queue.queue_url, "Queue of accepted messages")
    _output(
        stack,
        "DeliveryDeadLetterQueueUrl",
        sending.dead_letters.queue_url,
        "Messages that failed delivery too often; redrive them once the cause is fixed",
    )
    _output(stack, "SpoolBucketName", sending.spool.bucket_name, "Bodies of large queued messages")
    _output(stack, "EventsTopicArn", sending.events.topic_arn, "Every sending event, as SES publishes it")
    _output(stack, "AlarmTopicArn", stack.alarms.topic.topic_arn, "Subscribe here to receive alarms")
    _output(
        stack, "DeliveryWorkerFunctionName", sending.worker.function_name, "Delivery worker Lambda function"
    )
    receiving = stack.receiving
    _output(stack, "InboundBucketName", receiving.bucket.bucket_name, "Received messages, before rules run")
    _output(stack, "ReceiptQueueUrl", receiving.queue.queue_url, "Queue of received messages")
    _output(
        stack,
        "ReceiptDeadLetterQueueUrl",
        receiving.dead_letters.queue_url,
        "Received messages whose rules failed too often; redrive them once the cause is fixed",
    )
    _output(
        stack, "ReceiptWorkerFunctionName", receiving.worker.function_name, "Receipt worker Lambda function"
    )
    if stack.submission:
        _output(
            stack,
            "SubmissionEndpoint",
            stack.submission.load_balancer.load_balancer_dns_name,
            "SMTP submission host (ports 587 and 25 with STARTTLS, 465 with TLS)",
        )
    if stack.mx:
        _output(
            stack,
            "MxEndpoint",
            stack.mx.load_balancer.load_balancer_dns_name,
            "Inbound MX host: point the receiving domains' MX records here (CNAME or alias)",
        )
    _output(stack, "DashboardName", stack.dashboard.dashboard.dashboard_name, "CloudWatch dashboard")
    _output(
        stack,
        "AuditLogGroupName",
        stack.audit.log_group.log_group_name,
        "Management API calls: the audit trail",
    )
    _pool_outputs(stack)
    if stack.mail_dns and stack.mail_dns.name_servers is not None:
        _output(
            stack,
            "DnsNameServers",
            cdk.Fn.join(",", stack.mail_dns.name_servers),
            f"Delegate {stack.mail_dns.zone_name} to these (NS records at its registrar or parent zone)",
        )
    if stack.event_stream.bus:
        _output(
            stack,
            "EventBusName",
            stack.event_stream.bus.event_bus_name,
            "Every sending event, for EventBridge rules",
        )
    if stack.config.api_domain_name:
        _output(
            stack, "ApiCustomUrl", f"https://{stack.config.api_domain_name}", "The API on its custom domain"
        )
    zone = stack.dkim_zone
    # CloudFormation outputs cannot be empty: without a DKIM zone these are absent, which the
    # CLI reads as "not configured".
    if zone:
        _output(stack, "DkimSigningZone", zone.zone_name, "Easy DKIM signing zone")
        _output(stack, "DkimHostedZoneId", zone.hosted_zone_id, "Route 53 zone of the signing zone")
        if zone.name_servers is not None:
            _output(
                stack,
                "DkimNameServers",
                cdk.Fn.join(",", zone.name_servers),
                "Delegate the signing zone to these (NS record in the parent zone)",
            )
