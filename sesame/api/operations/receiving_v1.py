"""SES v1 (Query) receiving operations: receipt rule sets, receipt rules, IP address filters and
SendBounce. Each is parameters in, one ReceiptRuleService (or ReceiptBounces) call, output out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sesame.api.registry import Output, Params, operation
from sesame.domain.receiving.rule_model import (
    FilterPolicy,
    IpFilter,
    RuleSet,
    rule_from_wire,
    rule_to_wire,
)
from sesame.domain.receiving.send_bounce import BounceRecipientInfo, BounceRequest

if TYPE_CHECKING:
    from sesame.api.context import RequestContext
    from sesame.services import Services


def _metadata(name: str, created_at: float) -> dict[str, Any]:
    return {"Name": name, "CreatedTimestamp": datetime.fromtimestamp(created_at, tz=UTC)}


def _rule_set(rule_set: RuleSet) -> Output:
    return {
        "Metadata": _metadata(rule_set.name, rule_set.created_at),
        "Rules": [rule_to_wire(rule) for rule in rule_set.rules],
    }


# --- rule sets -------------------------------------------------------------------------------------


@operation(1, "CreateReceiptRuleSet")
def create_receipt_rule_set(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.receipt_rules.create_rule_set(ctx.account_id, params["RuleSetName"])
    return {}


@operation(1, "CloneReceiptRuleSet")
def clone_receipt_rule_set(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.receipt_rules.clone_rule_set(
        ctx.account_id, params["RuleSetName"], params["OriginalRuleSetName"]
    )
    return {}


@operation(1, "DeleteReceiptRuleSet")
def delete_receipt_rule_set(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.receipt_rules.delete_rule_set(ctx.account_id, params["RuleSetName"])
    return {}


@operation(1, "DescribeReceiptRuleSet")
def describe_receipt_rule_set(services: Services, ctx: RequestContext, params: Params) -> Output:
    return _rule_set(services.receipt_rules.describe_rule_set(ctx.account_id, params["RuleSetName"]))


@operation(1, "ListReceiptRuleSets")
def list_receipt_rule_sets(services: Services, ctx: RequestContext, params: Params) -> Output:
    items, next_token = services.receipt_rules.list_rule_sets(ctx.account_id, params.get("NextToken"))
    output: Output = {"RuleSets": [_metadata(item.name, item.created_at) for item in items]}
    if next_token:
        output["NextToken"] = next_token
    return output


@operation(1, "ReorderReceiptRuleSet")
def reorder_receipt_rule_set(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.receipt_rules.reorder_rule_set(ctx.account_id, params["RuleSetName"], params["RuleNames"])
    return {}


@operation(1, "SetActiveReceiptRuleSet")
def set_active_receipt_rule_set(services: Services, ctx: RequestContext, params: Params) -> Output:
    # No name deactivates the active set, as in SES.
    services.receipt_rules.set_active_rule_set(ctx.account_id, params.get("RuleSetName"))
    return {}


@operation(1, "DescribeActiveReceiptRuleSet")
def describe_active_receipt_rule_set(services: Services, ctx: RequestContext, params: Params) -> Output:
    active = services.receipt_rules.describe_active_rule_set(ctx.account_id)
    return {} if active is None else _rule_set(active)


# --- rules -----------------------------------------------------------------------------------------


@operation(1, "CreateReceiptRule")
def create_receipt_rule(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.receipt_rules.create_rule(
        ctx.account_id, params["RuleSetName"], rule_from_wire(params["Rule"]), params.get("After") or None
    )
    return {}


@operation(1, "UpdateReceiptRule")
def update_receipt_rule(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.receipt_rules.update_rule(ctx.account_id, params["RuleSetName"], rule_from_wire(params["Rule"]))
    return {}


@operation(1, "DeleteReceiptRule")
def delete_receipt_rule(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.receipt_rules.delete_rule(ctx.account_id, params["RuleSetName"], params["RuleName"])
    return {}


@operation(1, "DescribeReceiptRule")
def describe_receipt_rule(services: Services, ctx: RequestContext, params: Params) -> Output:
    rule = services.receipt_rules.describe_rule(ctx.account_id, params["RuleSetName"], params["RuleName"])
    return {"Rule": rule_to_wire(rule)}


@operation(1, "SetReceiptRulePosition")
def set_receipt_rule_position(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.receipt_rules.set_rule_position(
        ctx.account_id, params["RuleSetName"], params["RuleName"], params.get("After") or None
    )
    return {}


# --- IP address filters ------------------------------------------------------------------------------


@operation(1, "CreateReceiptFilter")
def create_receipt_filter(services: Services, ctx: RequestContext, params: Params) -> Output:
    wire = params["Filter"]
    ip_filter = IpFilter(
        name=wire["Name"], policy=FilterPolicy(wire["IpFilter"]["Policy"]), cidr=wire["IpFilter"]["Cidr"]
    )
    services.receipt_rules.create_filter(ctx.account_id, ip_filter)
    return {}


@operation(1, "DeleteReceiptFilter")
def delete_receipt_filter(services: Services, ctx: RequestContext, params: Params) -> Output:
    services.receipt_rules.delete_filter(ctx.account_id, params["FilterName"])
    return {}


@operation(1, "ListReceiptFilters")
def list_receipt_filters(services: Services, ctx: RequestContext, params: Params) -> Output:
    return {
        "Filters": [
            {"Name": f.name, "IpFilter": {"Policy": f.policy.value, "Cidr": f.cidr}}
            for f in services.receipt_rules.list_filters(ctx.account_id)
        ]
    }


# --- bounces ---------------------------------------------------------------------------------------


def _epoch(value: Any) -> float | None:
    return None if value is None else float(value.timestamp())


def _extension_fields(fields: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(f["Name"]), str(f["Value"])) for f in fields or ())


def _bounced_recipient(info: dict[str, Any]) -> BounceRecipientInfo:
    dsn = info.get("RecipientDsnFields") or {}
    return BounceRecipientInfo(
        recipient=info["Recipient"],
        bounce_type=info.get("BounceType"),
        action=dsn.get("Action"),
        status=dsn.get("Status"),
        final_recipient=dsn.get("FinalRecipient"),
        remote_mta=dsn.get("RemoteMta"),
        diagnostic_code=dsn.get("DiagnosticCode"),
        last_attempt=_epoch(dsn.get("LastAttemptDate")),
        extension_fields=_extension_fields(dsn.get("ExtensionFields")),
    )


@operation(1, "SendBounce")
def send_bounce(services: Services, ctx: RequestContext, params: Params) -> Output:
    dsn = params.get("MessageDsn") or {}
    request = BounceRequest(
        original_message_id=params["OriginalMessageId"],
        bounce_sender=params["BounceSender"],
        recipients=tuple(_bounced_recipient(info) for info in params["BouncedRecipientInfoList"]),
        explanation=params.get("Explanation"),
        reporting_mta=dsn.get("ReportingMta"),
        arrival_date=_epoch(dsn.get("ArrivalDate")),
        extension_fields=_extension_fields(dsn.get("ExtensionFields")),
    )
    return {"MessageId": services.receipt_bounces.send_bounce(ctx.account_id, request)}
